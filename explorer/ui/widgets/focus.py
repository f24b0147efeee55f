"""Enabling and disabling widgets without sending the keyboard focus somewhere the user never went.

Qt hands the focus of a widget being disabled to the next widget in the focus chain: a button greyed
while a job runs, or a timeline's ▶ at its last frame, would pass it to whatever spin box follows,
and the next arrow key or wheel turn would change a setting. Here the focus goes up instead, to the
widget's parent, where the panel's shortcuts still hear the keys and no field is edited by accident.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def set_enabled(widget: QWidget, enabled: bool) -> None:
    """``widget.setEnabled(enabled)``, the focus (if it was inside ``widget``) moved to its parent first."""
    if not enabled and widget.isEnabled():
        focused = widget.window().focusWidget() if widget.window() else None
        parent = widget.parentWidget()
        if focused is not None and parent is not None and (focused is widget or widget.isAncestorOf(focused)):
            parent.setFocus()
    widget.setEnabled(enabled)
