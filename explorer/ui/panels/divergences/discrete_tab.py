"""The Discrete tab: p and q over K categories, edited by dragging bars or typing, with every quantity live."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from explorer.core.divergence import (
    Base,
    cross_entropy,
    entropy,
    explain_infinite,
    infinite_categories,
    js_divergence,
    kl_contributions,
    kl_divergence,
)
from explorer.core.divergence.view_state import PRESETS, DiscreteState
from explorer.ui.panels.divergences.cross_entropy_plot import CrossEntropyPlot
from explorer.ui.panels.divergences.kl_terms_plot import KlTermsPlot
from explorer.ui.panels.divergences.message_label import MessageLabel
from explorer.ui.panels.divergences.style import LONGEST_VALUE, P_COLOUR, Q_COLOUR, format_categories, format_value
from explorer.ui.widgets.distribution_editor import MAX_CATEGORIES, DistributionBarEditor

__all__ = ["PRESETS", "DiscreteTab"]

RULE = "Drag a bar top or type a value: that category takes it, and the others are rescaled to keep the sum 1."
JS_MAX = {"bits": "1 bit", "nats": "ln 2 nats"}  # JS reaches log 2 where the supports are disjoint


class DiscreteTab(QWidget):
    """p and q over K categories, edited by dragging bars or typing, with every quantity live: a view of ``state``,
    which every edit writes and whose changes it draws."""

    QUANTITIES = (
        ("H(p)", "−Σ p log p", "entropy of p"),
        ("H(q)", "−Σ q log q", "entropy of q"),
        ("H(p,q)", "−Σ p log q", "cross-entropy: p's data, q's code"),
        ("H(q,p)", "−Σ q log p", "cross-entropy: q's data, p's code"),
        ("KL(p‖q)", "Σ p log p/q", "= H(p,q) − H(p)"),
        ("KL(q‖p)", "Σ q log q/p", "= H(q,p) − H(q)"),
        ("JS(p,q)", "½KL(p‖m) + ½KL(q‖m)", "m = ½(p+q); symmetric, ≤ {js_max}"),
    )

    def __init__(self, parent: QWidget | None = None, *, state: DiscreteState | None = None) -> None:
        super().__init__(parent)
        self.state = state = state if state is not None else DiscreteState()

        self.k_spin = QSpinBox()
        self.k_spin.setRange(2, MAX_CATEGORIES)  # the bars the editor draws; the maths takes more
        self.preset_combo = QComboBox()
        self.preset_combo.setPlaceholderText("Choose a preset…")
        self.preset_combo.addItems(list(PRESETS))
        self.preset_combo.setMinimumWidth(220)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Categories K:"))
        controls.addWidget(self.k_spin)
        controls.addSpacing(16)
        controls.addWidget(QLabel("Preset:"))
        controls.addWidget(self.preset_combo)
        controls.addStretch(1)

        self.p_editor = DistributionBarEditor("p", P_COLOUR)
        self.q_editor = DistributionBarEditor("q", Q_COLOUR)
        self.table = QTableWidget(2, 2)
        self.table.setVerticalHeaderLabels(["p", "q"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setFixedHeight(86)
        self.table.setToolTip(RULE)

        left = QVBoxLayout()
        left.addLayout(controls)
        left.addWidget(self.p_editor, 1)
        left.addWidget(self.q_editor, 1)
        left.addWidget(QLabel("Or type a value (the others are rescaled to keep the sum 1, as in a drag):"))
        left.addWidget(self.table)

        self.value_labels: dict[str, QLabel] = {}
        self.note_labels: dict[str, QLabel] = {}
        numbers = QGroupBox("Live values")
        grid = QGridLayout(numbers)
        grid.setVerticalSpacing(2)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        for row, (name, formula, note) in enumerate(self.QUANTITIES):
            grid.addWidget(QLabel(f"<b>{name}</b>"), row, 0)
            grid.addWidget(QLabel(f"= {formula}"), row, 1)
            value = QLabel()
            value.setFont(mono)
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setText(LONGEST_VALUE)
            # A fixed size keeps the columns steady, and a new value does not lay out the tab again: a label
            # that may change size asks its parents to lay out, and the tab widget repaints all of itself.
            value.setFixedSize(value.fontMetrics().horizontalAdvance(LONGEST_VALUE) + 4, value.sizeHint().height())
            grid.addWidget(value, row, 2)
            self.note_labels[name] = note_label = QLabel()
            note_label.setMinimumWidth(
                max(note_label.fontMetrics().horizontalAdvance(note.format(js_max=m)) for m in JS_MAX.values()) + 4
            )  # the same width in bits or nats
            grid.addWidget(note_label, row, 3)
            self.value_labels[name] = value
        grid.setColumnStretch(3, 1)

        self.identity_plot = CrossEntropyPlot()
        self.contrib_plot = KlTermsPlot()

        right = QVBoxLayout()
        right.addWidget(numbers)
        right.addWidget(self.identity_plot, 1)
        right.addWidget(self.contrib_plot, 1)

        columns = QHBoxLayout()
        columns.addLayout(left, 11)
        columns.addLayout(right, 9)
        self.message = MessageLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.message)

        self.k_spin.valueChanged.connect(state.resize)
        self.preset_combo.currentIndexChanged.connect(self._on_preset)
        self.p_editor.valueDragged.connect(lambda i, v: state.set_value("p", i, v))
        self.q_editor.valueDragged.connect(lambda i, v: state.set_value("q", i, v))
        self.p_editor.heldChanged.connect(self._on_bar_held)
        self.q_editor.heldChanged.connect(self._on_bar_held)
        self.table.itemChanged.connect(self._on_item_changed)
        state.changed.connect(self._on_state_changed)
        self._on_state_changed(frozenset({"units", "p", "q", "preset", "note"}))

    @property
    def p(self) -> np.ndarray:
        return self.state.p.copy()

    @property
    def q(self) -> np.ndarray:
        return self.state.q.copy()

    def set_units(self, units: Base) -> None:
        self.state.update(units=units)

    def apply_preset(self, name: str) -> None:
        """Load one of PRESETS into p, q and K and explain what it shows."""
        self.state.apply_preset(name)

    def _on_state_changed(self, names: frozenset[str]) -> None:
        """Show K and the preset as the state has them (without announcing them back), then draw it."""
        if "units" in names:
            self._show_notes()
        if names & {"p", "q", "preset"}:
            preset = -1 if self.state.preset is None else self.preset_combo.findText(self.state.preset)
            with signals_blocked(self.preset_combo, self.k_spin):  # set only when changed: each set repaints
                if self.preset_combo.currentIndex() != preset:
                    self.preset_combo.setCurrentIndex(preset)
                if self.k_spin.value() != self.state.k:
                    self.k_spin.setValue(self.state.k)
        if names & {"p", "q", "preset", "note"}:
            self._refresh(self.state.note)
        elif "units" in names:
            self._refresh()  # the numbers in the new units, under the editing rule

    def _show_notes(self) -> None:
        for name, _, note in self.QUANTITIES:
            text = note.format(js_max=JS_MAX[self.state.units])
            self.note_labels[name].setText(f"<span style='color:#666'>{text}</span>")

    def _on_bar_held(self, held: bool) -> None:
        """While a bar is held the plots' y ranges hold still while the bars fill them, so that a drag seldom
        redraws an axis; let go, they fit the values tightly again."""
        self.identity_plot.set_range_held(held)
        self.contrib_plot.set_range_held(held)

    def _on_preset(self, index: int) -> None:
        if index >= 0:
            self.state.apply_preset(self.preset_combo.itemText(index))

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        """A typed value follows a drag's rule: the category takes it, the others keep their proportions."""
        name, index = "pq"[item.row()], item.column()
        text = item.text().strip().replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0.0 <= value <= 1.0:  # NaN fails too
            self._refresh()
            reason = "is not a number" if math.isnan(value) else "is not a probability: type one from 0 to 1"
            self.message.show_error(f"'{text}' {reason}. {name} was left as it was.")
            return
        self.state.set_value(name, index, value)

    def _refresh(self, note: str = "") -> None:
        """Recompute every quantity from p and q and update the plots in place."""
        p, q, u = self.state.p, self.state.q, self.state.units
        self.p_editor.set_values(p)
        self.q_editor.set_values(q)
        self._fill_table()
        inf_pq, inf_qp = infinite_categories(p, q), infinite_categories(q, p)
        values = {
            "H(p)": entropy(p, u),
            "H(q)": entropy(q, u),
            "H(p,q)": cross_entropy(p, q, u),
            "H(q,p)": cross_entropy(q, p, u),
            "KL(p‖q)": kl_divergence(p, q, u),
            "KL(q‖p)": kl_divergence(q, p, u),
            "JS(p,q)": js_divergence(p, q, u),
        }
        culprit = {"H(p,q)": inf_pq, "KL(p‖q)": inf_pq, "H(q,p)": inf_qp, "KL(q‖p)": inf_qp}
        for name, value in values.items():
            text, tip = format_value(value, u), ""
            if math.isinf(value):
                text += f"  ({format_categories(culprit[name])})"
                tip = "Infinite because of category " + ", ".join(str(c) for c in culprit[name])
            self.value_labels[name].setText(text)
            self.value_labels[name].setToolTip(tip)
        self.identity_plot.set_values(values, p.size, u)
        self.contrib_plot.set_terms(kl_contributions(p, q, u), u)
        lines = [note] if note else []
        lines += [s for s in (explain_infinite(p, q), explain_infinite(q, p, "q", "p")) if s]
        self.message.show_info("<br>".join(lines) if lines else RULE)

    def _fill_table(self) -> None:
        """Write p and q into the table, into the cells already there: a drag changes their texts, not the table."""
        k = self.state.k
        with signals_blocked(self.table):
            if self.table.columnCount() != k:
                self.table.setColumnCount(k)
                # Qt does not stretch the remaining columns again when some are removed: ask once more.
                self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
                self.table.setHorizontalHeaderLabels([str(i) for i in range(1, k + 1)])
            for row, values in enumerate((self.state.p, self.state.q)):
                for col, v in enumerate(values):
                    item = self.table.item(row, col)
                    if item is None:
                        item = QTableWidgetItem()
                        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                        self.table.setItem(row, col, item)
                    if item.text() != (text := f"{v:.3f}"):
                        item.setText(text)
