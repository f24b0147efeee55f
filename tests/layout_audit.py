"""What a user would see wrong in a laid-out window: widgets drawn over each other, text cut off.

``layout_problems(window)`` looks at every visible leaf widget (one with no visible widget
children: a label, a button, a plot's viewport), clipped by the widgets that contain it
(a scroll area shows only part of its content), and reports
- two leaves that overlap by more than a pixel or two, and
- a label whose text needs more room than it has (a wrapped label too short for its lines,
  an unwrapped one too narrow for its text), and
- a spin box or combo box whose text does not fit its edit field (a crushed form: the field, less
  its arrows and frame, narrower than the text or lower than a line of it).
"""

from __future__ import annotations

from itertools import combinations

import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QStyle,
    QStyleOptionComboBox,
    QStyleOptionSpinBox,
    QWidget,
)

TOLERANCE = 2  # pixels of overlap that styles produce on purpose (frames sharing a border)


def _visible_rect(widget: QWidget, window: QWidget) -> QRect:
    """The part of ``widget`` that can be seen, in ``window``'s coordinates."""
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        rect = rect.intersected(QRect(parent.mapTo(window, QPoint(0, 0)), parent.size()))
        parent = parent.parentWidget()
    return rect


def _leaves(window: QWidget) -> list[QWidget]:
    leaves = []
    for widget in window.findChildren(QWidget):
        if not widget.isVisibleTo(window) or widget.isWindow():
            continue
        if isinstance(widget.parentWidget(), QAbstractScrollArea) and widget is not widget.parentWidget().viewport():
            continue  # a scroll area's own scroll bars and corner
        if any(child.isVisibleTo(window) and not child.isWindow() for child in widget.findChildren(QWidget)):
            continue
        leaves.append(widget)
    return leaves


def _name(widget: QWidget) -> str:
    text = widget.text()[:30] if hasattr(widget, "text") and callable(widget.text) else ""
    return f"{type(widget).__name__}({text!r})" if text else type(widget).__name__


def _text_cut(label: QLabel) -> bool:
    if not label.text() or (label.pixmap() is not None and not label.pixmap().isNull()):
        return False
    margins = label.contentsMargins()
    width = label.width() - margins.left() - margins.right()
    if label.wordWrap():
        return label.heightForWidth(label.width()) > label.height() + TOLERANCE
    return label.sizeHint().width() - margins.left() - margins.right() > width + TOLERANCE


def _field_cut(box: QAbstractSpinBox | QComboBox) -> str:
    """How the text of a spin box or combo box is cut by its edit field ("" if it fits): the field is
    what the style leaves of the box once its arrows and frame are drawn."""
    style = box.style()
    if isinstance(box, QComboBox):
        option = QStyleOptionComboBox()
        box.initStyleOption(option)
        field = style.subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, box
        )
        text, padding = box.currentText(), 4  # the text's margins inside the field
    else:
        option = QStyleOptionSpinBox()
        box.initStyleOption(option)
        field = style.subControlRect(
            QStyle.ComplexControl.CC_SpinBox, option, QStyle.SubControl.SC_SpinBoxEditField, box
        )
        text, padding = box.text(), 4  # the line edit's text margins
    metrics = box.fontMetrics()
    needed = metrics.horizontalAdvance(text) + padding
    if field.width() + TOLERANCE < needed:
        return f"{needed} px of text in a field {field.width()} px wide"
    if field.height() + TOLERANCE < metrics.height():
        return f"a line {metrics.height()} px high in a field {field.height()} px high"
    return ""


def _fields(window: QWidget) -> list[QAbstractSpinBox | QComboBox]:
    return [
        box
        for kind in (QAbstractSpinBox, QComboBox)
        for box in window.findChildren(kind)
        if box.isVisibleTo(window) and not box.isWindow()
    ]


def layout_problems(window: QWidget) -> list[str]:
    """Every overlap of visible leaves and every label, spin box or combo box whose text is cut, as
    readable lines."""
    problems = []
    placed = [(w, _visible_rect(w, window)) for w in _leaves(window)]
    placed = [(w, r) for w, r in placed if r.width() > 0 and r.height() > 0]
    for (a, ra), (b, rb) in combinations(placed, 2):
        both = ra.intersected(rb)
        if both.width() > TOLERANCE and both.height() > TOLERANCE:
            problems.append(f"{_name(a)} at {ra.getRect()} overlaps {_name(b)} at {rb.getRect()}")
    for widget, rect in placed:
        if (
            isinstance(widget, QLabel)
            and rect == QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
            and _text_cut(widget)
        ):
            problems.append(f"{_name(widget)} at {rect.getRect()} cuts its text off")
    for box in _fields(window):
        rect = QRect(box.mapTo(window, QPoint(0, 0)), box.size())
        if _visible_rect(box, window) == rect and (cut := _field_cut(box)):
            problems.append(f"{_name(box)} at {rect.getRect()} cuts its text off: {cut}")
    return problems


def plots_cut_off(widget: QWidget) -> list[str]:
    """The plots inside ``widget`` whose content (axes, title, colour bar) is wider or higher than the plot:
    pyqtgraph draws no QLabels, so layout_problems cannot see their text cut off."""
    views = [v for v in widget.findChildren(pg.GraphicsView) if v.isVisible() and v.centralWidget is not None]
    return [
        f"{type(v).__name__} {v.centralWidget.size().toTuple()} in {v.viewport().size().toTuple()}"
        for v in views
        if v.centralWidget.size().width() > v.viewport().width() + 1
        or v.centralWidget.size().height() > v.viewport().height() + 1
    ]
