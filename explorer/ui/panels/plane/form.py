"""A form built from a request dataclass's declared limits: a spin box per ``bounded`` field and a
combo box per ``one_of`` field, so a limit is written once, in the dataclass (limits.py)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from explorer.core.runtime.limits import describe_limit
from explorer.ui.widgets.bounded_box import SPIN_BOX_MAX


def build_form(
    request: Any, on_change: Callable[[str, Any], None], labels: dict[str, str], parent: QWidget | None = None
) -> tuple[QFormLayout, dict[str, QWidget]]:
    """Rows for the fields of ``request`` named in ``labels`` (in that order); ``on_change(name, value)``
    is called when the learner edits one. Returns the layout and the editors by field name."""
    layout = QFormLayout()
    editors: dict[str, QWidget] = {}
    by_name = {f.name: f for f in dataclasses.fields(request)}
    for name, label in labels.items():
        f = by_name[name]
        meta, value = f.metadata, getattr(request, name)
        editor: QWidget
        if "choices" in meta:
            editor = QComboBox(parent)
            editor.addItems(list(meta["choices"]))
            editor.setCurrentText(value)
            editor.currentTextChanged.connect(lambda text, n=name: on_change(n, text))
        elif f.type in (int, "int"):
            editor = QSpinBox(parent)
            editor.setRange(int(meta["range"][0]), int(min(meta["range"][1], SPIN_BOX_MAX)))
            editor.setValue(value)
            editor.setKeyboardTracking(False)
            editor.valueChanged.connect(lambda v, n=name: on_change(n, int(v)))
        else:
            editor = QDoubleSpinBox(parent)
            low, high = meta["range"]
            editor.setDecimals(3)
            editor.setRange(low + (0.001 if meta["low_open"] else 0.0), high)
            editor.setSingleStep(max((high - low) / 100, 0.001))
            editor.setValue(value)
            editor.setKeyboardTracking(False)
            editor.valueChanged.connect(lambda v, n=name: on_change(n, float(v)))
        editor.setToolTip(describe_limit(f))
        layout.addRow(label, editor)
        editors[name] = editor
    return layout, editors
