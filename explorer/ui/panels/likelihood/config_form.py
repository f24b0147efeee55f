"""A form built from a config dataclass's declared limits, so a limit is written once (in the config).

Each ``bounded()`` field becomes a spin box whose range is the field's range, each ``one_of()`` field a
combo box of its choices. The form holds no state of its own: an edit is emitted as ``edited(name,
value)`` for the section to put into its state, and ``show_config`` puts the state's config back into
the boxes without echoing it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from explorer.core.runtime.limits import describe_limit
from explorer.ui.widgets.bounded_box import SPIN_BOX_MAX


class ConfigForm(QWidget):
    """One row per named field of ``cfg``: label, then a box limited as the field declares."""

    edited = Signal(str, object)

    def __init__(self, cfg: Any, labels: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.boxes: dict[str, QSpinBox | QDoubleSpinBox | QComboBox] = {}
        fields = {f.name: f for f in dataclasses.fields(cfg)}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for name, label in labels.items():
            box = self._box(fields[name])
            box.setToolTip(f"{label}: {describe_limit(fields[name])}")
            layout.addRow(label, box)
            self.boxes[name] = box
        self.show_config(cfg)

    def _box(self, f: dataclasses.Field) -> QSpinBox | QDoubleSpinBox | QComboBox:
        meta = f.metadata
        if "choices" in meta:
            combo = QComboBox()
            combo.addItems(list(meta["choices"]))
            combo.currentTextChanged.connect(lambda text, name=f.name: self.edited.emit(name, text))
            return combo
        low, high = meta["range"]
        if f.type in (int, "int"):
            spin = QSpinBox()
            spin.setRange(int(low) + (1 if meta["low_open"] else 0), int(min(high, SPIN_BOX_MAX)))
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(lambda value, name=f.name: self.edited.emit(name, int(value)))
            return spin
        double = QDoubleSpinBox()
        decimals = min(6, max(2, 1 - math.floor(math.log10(low)))) if low > 0 else 3
        double.setDecimals(decimals)
        double.setRange(low + (10.0**-decimals if meta["low_open"] else 0.0), high)
        double.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)  # a step near 1e-3 is 1e-4
        double.setKeyboardTracking(False)
        double.valueChanged.connect(lambda value, name=f.name: self.edited.emit(name, float(value)))
        return double

    def show_config(self, cfg: Any) -> None:
        """Show ``cfg``'s values in the boxes without emitting ``edited``."""
        for name, box in self.boxes.items():
            value = getattr(cfg, name)
            with QSignalBlocker(box):
                if isinstance(box, QComboBox):
                    box.setCurrentText(value)
                else:
                    box.setValue(value)
