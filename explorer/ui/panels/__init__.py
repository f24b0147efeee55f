"""One folder per panel of the main window (a panel.py composing section widgets); model_panel.py holds what every trainable panel shares."""
