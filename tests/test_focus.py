"""Disabling a focused button hands the focus up to its parent, never on to the next spin box."""

from PySide6.QtWidgets import QApplication, QPushButton, QSpinBox, QVBoxLayout, QWidget

from explorer.ui.widgets.focus import set_enabled


def window_with_a_button_then_a_spin_box(qtbot):
    window = QWidget()
    button, spin = QPushButton("Train"), QSpinBox()
    layout = QVBoxLayout(window)
    layout.addWidget(button)
    layout.addWidget(spin)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    button.setFocus()
    qtbot.waitUntil(button.hasFocus)
    return window, button, spin


def test_qt_alone_sends_the_focus_on_to_the_spin_box(qtbot):
    _, button, spin = window_with_a_button_then_a_spin_box(qtbot)
    button.setEnabled(False)
    assert QApplication.focusWidget() is spin  # what set_enabled exists to prevent


def test_set_enabled_keeps_the_focus_out_of_the_spin_box(qtbot):
    window, button, spin = window_with_a_button_then_a_spin_box(qtbot)
    set_enabled(button, False)
    assert not button.isEnabled() and not spin.hasFocus()
    assert QApplication.focusWidget() is window
    set_enabled(button, True)
    assert button.isEnabled() and QApplication.focusWidget() is window
