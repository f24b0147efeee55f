"""Reusable pyqtgraph/Qt views shared by the panels."""
