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
    resize_distribution,
    set_probability,
)
from explorer.ui.panels.divergences.cross_entropy_plot import CrossEntropyPlot
from explorer.ui.panels.divergences.kl_terms_plot import KlTermsPlot
from explorer.ui.panels.divergences.message_label import MessageLabel
from explorer.ui.panels.divergences.style import LONGEST_VALUE, P_COLOUR, Q_COLOUR, format_categories, format_value
from explorer.ui.widgets.distribution_editor import MAX_CATEGORIES, DistributionBarEditor

PRESETS: dict[str, tuple[list[float], list[float], str]] = {
    "Fair coin vs 0.2/0.8 coin": (
        [0.5, 0.5],
        [0.2, 0.8],
        "A fair coin carries 1 bit (0.693 nats); the 0.2/0.8 coin only 0.722 bits (0.500 nats). Coding fair "
        "flips with the 0.2/0.8 model costs H(p,q) = 1.322 bits (0.916 nats): the extra 0.322 bits (0.223 nats) "
        "is KL(p‖q).",
    ),
    "Uniform vs peaked": (
        [1 / 6] * 6,
        [0.05, 0.05, 0.05, 0.7, 0.1, 0.05],
        "Uniform p has the most entropy possible for 6 categories (log 6). Compare KL(p‖q) with KL(q‖p): "
        "KL is not symmetric.",
    ),
    "Disjoint supports": (
        [0.5, 0.5, 0.0, 0.0],
        [0.0, 0.0, 0.5, 0.5],
        "p and q never agree on any outcome: both KLs are infinite, while JS is exactly 1 bit (ln 2 = 0.693 "
        "nats), its maximum.",
    ),
}

RULE = "Drag a bar top or type a value: that category takes it, and the others are rescaled to keep the sum 1."
JS_MAX = {"bits": "1 bit", "nats": "ln 2 nats"}  # JS reaches log 2 where the supports are disjoint


class DiscreteTab(QWidget):
    """p and q over K categories, edited by dragging bars or typing, with every quantity live."""

    QUANTITIES = (
        ("H(p)", "−Σ p log p", "entropy of p"),
        ("H(q)", "−Σ q log q", "entropy of q"),
        ("H(p,q)", "−Σ p log q", "cross-entropy: p's data, q's code"),
        ("H(q,p)", "−Σ q log p", "cross-entropy: q's data, p's code"),
        ("KL(p‖q)", "Σ p log p/q", "= H(p,q) − H(p)"),
        ("KL(q‖p)", "Σ q log q/p", "= H(q,p) − H(q)"),
        ("JS(p,q)", "½KL(p‖m) + ½KL(q‖m)", "m = ½(p+q); symmetric, ≤ {js_max}"),
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._units: Base = "bits"
        self._p = np.array([0.5, 0.5])
        self._q = np.array([0.2, 0.8])

        self.k_spin = QSpinBox()
        self.k_spin.setRange(2, MAX_CATEGORIES)
        self.k_spin.setValue(2)
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
            value.setMinimumWidth(value.fontMetrics().horizontalAdvance(LONGEST_VALUE) + 4)  # steady columns
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

        self.k_spin.valueChanged.connect(self._on_k_changed)
        self.preset_combo.currentIndexChanged.connect(self._on_preset)
        self.p_editor.valueDragged.connect(lambda i, v: self._on_dragged("p", i, v))
        self.q_editor.valueDragged.connect(lambda i, v: self._on_dragged("q", i, v))
        self.table.itemChanged.connect(self._on_item_changed)
        self._show_notes()
        self.apply_preset("Fair coin vs 0.2/0.8 coin")

    @property
    def p(self) -> np.ndarray:
        return self._p.copy()

    @property
    def q(self) -> np.ndarray:
        return self._q.copy()

    def set_units(self, units: Base) -> None:
        self._units = units
        self._show_notes()
        self._refresh()

    def _show_notes(self) -> None:
        for name, _, note in self.QUANTITIES:
            text = note.format(js_max=JS_MAX[self._units])
            self.note_labels[name].setText(f"<span style='color:#666'>{text}</span>")

    def apply_preset(self, name: str) -> None:
        """Load one of PRESETS into p, q and K and explain what it shows."""
        p, q, story = PRESETS[name]
        self._p, self._q = np.array(p), np.array(q)
        with signals_blocked(self.preset_combo, self.k_spin):
            self.preset_combo.setCurrentText(name)
            self.k_spin.setValue(len(p))
        self._refresh(story)

    def _on_preset(self, index: int) -> None:
        if index >= 0:
            self.apply_preset(self.preset_combo.itemText(index))

    def _left_preset(self) -> None:
        with signals_blocked(self.preset_combo):
            self.preset_combo.setCurrentIndex(-1)

    def _on_k_changed(self, k: int) -> None:
        self._p = resize_distribution(self._p, k)
        self._q = resize_distribution(self._q, k)
        self._left_preset()
        self._refresh(f"K = {k}: new categories start at 1/{k}, the others were rescaled to keep the sum 1.")

    def _on_dragged(self, name: str, index: int, value: float) -> None:
        if name == "p":
            self._p = set_probability(self._p, index, value)
        else:
            self._q = set_probability(self._q, index, value)
        self._left_preset()
        self._refresh()

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
        self._on_dragged(name, index, value)

    def _refresh(self, note: str = "") -> None:
        """Recompute every quantity from p and q and update the plots in place."""
        p, q, u = self._p, self._q, self._units
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
        k = self._p.size
        with signals_blocked(self.table):
            self.table.setColumnCount(k)
            # Qt does not stretch the remaining columns again when some are removed: ask once more.
            self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            self.table.setHorizontalHeaderLabels([str(i) for i in range(1, k + 1)])
            for row, values in enumerate((self._p, self._q)):
                for col, v in enumerate(values):
                    item = QTableWidgetItem(f"{v:.3f}")
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    self.table.setItem(row, col, item)
