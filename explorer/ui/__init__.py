"""The thin Qt layer: main window, panels, widgets and the background worker."""
