"""Divergences panel: entropy, cross-entropy, KL and JS of distributions the learner edits live."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider

from explorer.core.divergence import (
    Base,
    Direction,
    DistributionError,
    FitStep,
    GaussianMixture,
    as_distribution,
    cross_entropy,
    entropy,
    explain_infinite,
    fit_gaussian,
    infinite_categories,
    js_divergence,
    kl_contributions,
    kl_divergence,
    kl_gaussian,
    kl_integrand,
    kl_monte_carlo,
    kl_numeric,
    log_base,
    resize_distribution,
    set_probability,
)
from explorer.ui.widgets.distribution_editor import MAX_CATEGORIES, DistributionBarEditor, style_light_plot

P_COLOUR = "#2f6fdf"
Q_COLOUR = "#e8731a"
KL_COLOUR = "#d62728"
NEGATIVE_COLOUR = "#2ca02c"
REVERSE_COLOUR = "#8e44ad"

PRESETS: dict[str, tuple[list[float], list[float], str]] = {
    "Fair coin vs 0.2/0.8 coin": (
        [0.5, 0.5],
        [0.2, 0.8],
        "A fair coin carries 1 bit; the 0.2/0.8 coin only 0.722 bits. Coding fair flips with the "
        "0.2/0.8 model costs H(p,q) = 1.322 bits: the extra 0.322 bits is KL(p‖q).",
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
        "p and q never agree on any outcome: both KLs are infinite, while JS is exactly 1 bit, its maximum.",
    ),
}

FIT_STEPS = 300
FIT_LR = 0.1
FIT_STEPS_PER_TICK = 5
FIT_TICK_MS = 33
MC_SAMPLES = 10_000


def format_value(x: float, units: Base) -> str:
    """A divergence to 3 decimals with its units, or ∞."""
    return "∞" if math.isinf(x) else f"{x:.3f} {units}"


def _styled_plot(title: str, left: str, bottom: str) -> pg.PlotWidget:
    """A light plot with mouse zoom and menus off: the panel, not the learner, sets the view."""
    plot = pg.PlotWidget(background="w")
    item = plot.getPlotItem()
    item.setTitle(f"<span style='color:#222;font-size:10pt'>{title}</span>")
    item.setLabel("left", left)
    item.setLabel("bottom", bottom)
    item.setMenuEnabled(False)
    style_light_plot(item)
    plot.setMouseEnabled(x=False, y=False)
    return plot


def _double_slider(lo: float, hi: float, value: float) -> QLabeledDoubleSlider:
    """A horizontal slider with its value shown to 2 decimals."""
    slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
    slider.setRange(lo, hi)
    slider.setDecimals(2)
    slider.setSingleStep(0.05)
    slider.setValue(value)
    return slider


def _transparent(colour: str, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


class _MessageLabel(QLabel):
    """Where the panel explains normalisation, infinities and refused input, instead of a dialog."""

    def __init__(self) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setMinimumHeight(36)

    def show_info(self, text: str) -> None:
        self.setStyleSheet("color:#333; background:#eef3fb; padding:4px; border-radius:4px;")
        self.setText(text)

    def show_error(self, text: str) -> None:
        self.setStyleSheet("color:#8a1010; background:#fdecea; padding:4px; border-radius:4px;")
        self.setText("⚠ " + text)


class DiscreteTab(QWidget):
    """p and q over K categories, edited by dragging bars or typing, with every quantity live."""

    QUANTITIES = (
        ("H(p)", "−Σ p log p", "entropy of p"),
        ("H(q)", "−Σ q log q", "entropy of q"),
        ("H(p,q)", "−Σ p log q", "cross-entropy: p's data, q's code"),
        ("H(q,p)", "−Σ q log p", "cross-entropy: q's data, p's code"),
        ("KL(p‖q)", "Σ p log p/q", "= H(p,q) − H(p)"),
        ("KL(q‖p)", "Σ q log q/p", "= H(q,p) − H(q)"),
        ("JS(p,q)", "½KL(p‖m) + ½KL(q‖m)", "m = ½(p+q); symmetric, ≤ 1 bit"),
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
        self.table.setToolTip("Type a value; the row is then normalised to sum to 1.")

        left = QVBoxLayout()
        left.addLayout(controls)
        left.addWidget(self.p_editor, 1)
        left.addWidget(self.q_editor, 1)
        left.addWidget(QLabel("Or type values (each row is normalised to sum to 1):"))
        left.addWidget(self.table)

        self.value_labels: dict[str, QLabel] = {}
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
            value.setMinimumWidth(150)
            grid.addWidget(value, row, 2)
            grid.addWidget(QLabel(f"<span style='color:#666'>{note}</span>"), row, 3)
            self.value_labels[name] = value
        grid.setColumnStretch(3, 1)

        self.identity_plot = _styled_plot("Cross-entropy = entropy + KL", "", "")
        self._identity_base = pg.BarGraphItem(
            x=[0, 1], height=[0, 0], width=0.5, pen=pg.mkPen("#333"),
            brushes=[pg.mkBrush(P_COLOUR), pg.mkBrush(Q_COLOUR)],
        )
        self._identity_kl = pg.BarGraphItem(x=[0, 1], y0=[0, 0], height=[0, 0], width=0.5,
                                            brush=pg.mkBrush(KL_COLOUR), pen=pg.mkPen("#333"))
        self._identity_texts = [pg.TextItem(color="#111", anchor=(0.5, 0.5)) for _ in range(4)]
        self._identity_totals = [pg.TextItem(color="#111", anchor=(0.5, 1.0)) for _ in range(2)]
        for item in (self._identity_base, self._identity_kl, *self._identity_texts, *self._identity_totals):
            self.identity_plot.addItem(item)
        self.identity_plot.getPlotItem().getAxis("bottom").setTicks(
            [[(0.0, "H(p,q) = H(p) + KL(p‖q)"), (1.0, "H(q,p) = H(q) + KL(q‖p)")]]
        )
        self.identity_plot.setXRange(-0.5, 1.5, padding=0)

        self.contrib_plot = _styled_plot("Terms p<sub>i</sub> log(p<sub>i</sub>/q<sub>i</sub>): they add up to KL(p‖q)",
                                         "", "category i")
        self._contrib_bars = pg.BarGraphItem(x=[], height=[], width=0.6, pen=pg.mkPen("#333"))
        self._contrib_texts = [pg.TextItem(color="#111", anchor=(0.5, 1.0)) for _ in range(MAX_CATEGORIES)]
        self.contrib_plot.addItem(pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen("#555")))
        self.contrib_plot.addItem(self._contrib_bars)
        for text in self._contrib_texts:
            self.contrib_plot.addItem(text)

        right = QVBoxLayout()
        right.addWidget(numbers)
        right.addWidget(self.identity_plot, 1)
        right.addWidget(self.contrib_plot, 1)

        columns = QHBoxLayout()
        columns.addLayout(left, 11)
        columns.addLayout(right, 9)
        self.message = _MessageLabel()
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addWidget(self.message)

        self.k_spin.valueChanged.connect(self._on_k_changed)
        self.preset_combo.currentIndexChanged.connect(self._on_preset)
        self.p_editor.valueDragged.connect(lambda i, v: self._on_dragged("p", i, v))
        self.q_editor.valueDragged.connect(lambda i, v: self._on_dragged("q", i, v))
        self.table.itemChanged.connect(self._on_item_changed)
        self.apply_preset("Fair coin vs 0.2/0.8 coin")

    @property
    def p(self) -> np.ndarray:
        return self._p.copy()

    @property
    def q(self) -> np.ndarray:
        return self._q.copy()

    def set_units(self, units: Base) -> None:
        self._units = units
        self._refresh()

    def apply_preset(self, name: str) -> None:
        """Load one of PRESETS into p, q and K and explain what it shows."""
        p, q, story = PRESETS[name]
        self._p, self._q = np.array(p), np.array(q)
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentText(name)
        self.preset_combo.blockSignals(False)
        self.k_spin.blockSignals(True)
        self.k_spin.setValue(len(p))
        self.k_spin.blockSignals(False)
        self._refresh(story)

    def _on_preset(self, index: int) -> None:
        if index >= 0:
            self.apply_preset(self.preset_combo.itemText(index))

    def _left_preset(self) -> None:
        self.preset_combo.blockSignals(True)
        self.preset_combo.setCurrentIndex(-1)
        self.preset_combo.blockSignals(False)

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
        name = "pq"[item.row()]
        raw = (self._p if name == "p" else self._q).copy()
        text = item.text().strip().replace(",", ".")
        try:
            raw[item.column()] = float(text)
            values, rescaled = as_distribution(raw, name)
        except ValueError as exc:
            self._refresh()
            message = str(exc) if isinstance(exc, DistributionError) else f"'{text}' is not a number"
            self.message.show_error(f"{message}. {name} was left as it was.")
            return
        if name == "p":
            self._p = values
        else:
            self._q = values
        self._left_preset()
        note = f"{name} summed to {raw.sum():.3f}, so it was normalised to sum to 1." if rescaled else ""
        self._refresh(note)

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
            text = format_value(value, u)
            if math.isinf(value):
                cats = ", ".join(str(c) for c in culprit[name])
                text += f"  (category {cats})"
            self.value_labels[name].setText(text)
        self._update_identity(values)
        self._update_contributions()
        lines = [note] if note else []
        lines += [s for s in (explain_infinite(p, q), explain_infinite(q, p, "q", "p")) if s]
        self.message.show_info(
            "<br>".join(lines) if lines else "Drag a bar top or type a value: the numbers update live."
        )

    def _fill_table(self) -> None:
        k = self._p.size
        self.table.blockSignals(True)
        self.table.setColumnCount(k)
        self.table.setHorizontalHeaderLabels([str(i) for i in range(1, k + 1)])
        for row, values in enumerate((self._p, self._q)):
            for col, v in enumerate(values):
                item = QTableWidgetItem(f"{v:.3f}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, col, item)
        self.table.blockSignals(False)

    def _update_identity(self, v: dict[str, float]) -> None:
        entropies = np.array([v["H(p)"], v["H(q)"]])
        kls = np.array([v["KL(p‖q)"], v["KL(q‖p)"]])
        finite_tops = [e + k for e, k in zip(entropies, kls) if math.isfinite(k)]
        # an infinite KL is drawn hatched up to a cap above every finite bar
        cap = 1.3 * max([*finite_tops, math.log(self._p.size) / log_base(self._units), 0.1])
        shown = np.where(np.isfinite(kls), kls, cap - entropies)
        brushes = [
            QBrush(QColor(KL_COLOUR), Qt.BrushStyle.BDiagPattern) if math.isinf(k) else pg.mkBrush(KL_COLOUR)
            for k in kls
        ]
        self._identity_base.setOpts(height=entropies)
        self._identity_kl.setOpts(y0=entropies, height=shown, brushes=brushes)
        names = (("H(p)", "KL(p‖q)", "H(p,q)"), ("H(q)", "KL(q‖p)", "H(q,p)"))
        for i, (h_name, kl_name, total_name) in enumerate(names):
            self._identity_texts[2 * i].setText(f"{h_name} = {v[h_name]:.3f}")
            self._identity_texts[2 * i].setPos(i, entropies[i] / 2)
            self._identity_texts[2 * i + 1].setText(f"{kl_name} = {'∞' if math.isinf(kls[i]) else f'{kls[i]:.3f}'}")
            self._identity_texts[2 * i + 1].setPos(i, entropies[i] + shown[i] / 2)
            self._identity_totals[i].setText(f"{total_name} = {format_value(v[total_name], self._units)}")
            self._identity_totals[i].setPos(i, entropies[i] + shown[i])
        self.identity_plot.setYRange(0, cap * 1.2, padding=0)
        self.identity_plot.getPlotItem().setLabel("left", self._units)

    def _update_contributions(self) -> None:
        terms = kl_contributions(self._p, self._q, self._units)
        k = terms.size
        finite = terms[np.isfinite(terms)]
        top = max(float(np.max(np.abs(finite))) if finite.size else 0.0, 0.1)
        shown = np.where(np.isfinite(terms), terms, 1.2 * top)
        brushes = [
            QBrush(QColor(KL_COLOUR), Qt.BrushStyle.BDiagPattern) if math.isinf(t)
            else pg.mkBrush(KL_COLOUR if t >= 0 else NEGATIVE_COLOUR)
            for t in terms
        ]
        x = np.arange(1, k + 1, dtype=float)
        self._contrib_bars.setOpts(x=x, height=shown, brushes=brushes)
        for i, text in enumerate(self._contrib_texts):
            text.setVisible(i < k)
            if i < k:
                text.setText("∞" if math.isinf(terms[i]) else f"{terms[i]:.3f}")
                text.setPos(x[i], max(shown[i], 0.0))
        low = min(float(np.min(shown)), 0.0)
        self.contrib_plot.setYRange(low - 0.1 * top, 1.45 * top, padding=0)
        self.contrib_plot.setXRange(0.4, k + 0.6, padding=0)
        item = self.contrib_plot.getPlotItem()
        item.getAxis("bottom").setTicks([[(float(i), str(i)) for i in range(1, k + 1)]])
        item.setLabel("left", self._units)


class _MixtureControls(QGroupBox):
    """Sliders for a mixture of one or two Gaussians: mean and σ of each bump and bump 2's weight."""

    changed = Signal()

    def __init__(self, name: str, colour: str, mean: float, sigma: float, mean2: float) -> None:
        super().__init__()
        self.setTitle(f"{name}")
        self.setStyleSheet(f"QGroupBox {{ font-weight: bold; color: {colour}; }}")
        self.two_bumps = QCheckBox("second bump (mixture)")
        self.mean1 = self._slider(-5.0, 5.0, mean)
        self.sigma1 = self._slider(0.2, 3.0, sigma)
        self.weight2 = self._slider(0.0, 1.0, 0.5)
        self.mean2 = self._slider(-5.0, 5.0, mean2)
        self.sigma2 = self._slider(0.2, 3.0, 0.6)
        form = QFormLayout(self)
        form.addRow("mean μ₁", self.mean1)
        form.addRow("σ₁", self.sigma1)
        form.addRow(self.two_bumps)
        form.addRow("weight w₂", self.weight2)
        form.addRow("mean μ₂", self.mean2)
        form.addRow("σ₂", self.sigma2)
        self.two_bumps.toggled.connect(self._on_toggled)
        self._on_toggled(False)

    def _slider(self, lo: float, hi: float, value: float) -> QLabeledDoubleSlider:
        slider = _double_slider(lo, hi, value)
        slider.valueChanged.connect(lambda _value: self.changed.emit())
        return slider

    def _on_toggled(self, on: bool) -> None:
        for slider in (self.weight2, self.mean2, self.sigma2):
            slider.setEnabled(on)
        self.changed.emit()

    def mixture(self) -> GaussianMixture:
        """The mixture the sliders describe: (1 − w₂)·N(μ₁, σ₁²) + w₂·N(μ₂, σ₂²)."""
        if not self.two_bumps.isChecked():
            return GaussianMixture.gaussian(self.mean1.value(), self.sigma1.value())
        w2 = self.weight2.value()
        return GaussianMixture(
            (1.0 - w2, w2), (self.mean1.value(), self.mean2.value()), (self.sigma1.value(), self.sigma2.value())
        )


class ContinuousTab(QWidget):
    """Two 1-D densities, their KL integrands, and KL three ways: closed form, numeric, Monte Carlo."""

    ROWS = ("closed form", "numeric integral", "Monte Carlo")
    COLUMNS = ("KL(p‖q)", "KL(q‖p)")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._units: Base = "bits"
        self.p_controls = _MixtureControls("p", P_COLOUR, mean=1.0, sigma=0.5, mean2=-2.0)
        self.q_controls = _MixtureControls("q", Q_COLOUR, mean=0.0, sigma=1.0, mean2=2.5)
        formula = QLabel(
            "<b>Closed form</b> for two Gaussians:<br>"
            "KL(N(μ<sub>p</sub>,σ<sub>p</sub>²)‖N(μ<sub>q</sub>,σ<sub>q</sub>²))<br>"
            "= log σ<sub>q</sub>/σ<sub>p</sub> "
            "+ (σ<sub>p</sub>² + (μ<sub>p</sub>−μ<sub>q</sub>)²)/(2σ<sub>q</sub>²) − ½<br>"
            "With q = N(0, 1): KL = ½(−log σ² + μ² + σ² − 1).<br>"
            "Numeric: trapezoid rule on 20,001 points. Monte Carlo: mean of log p(x)/q(x), x ~ p."
        )
        formula.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.p_controls)
        left.addWidget(self.q_controls)
        left.addWidget(formula)
        left.addStretch(1)

        self.density_plot = _styled_plot("Densities p(x) and q(x)", "density", "x")
        self.density_plot.addLegend(offset=(-10, 10), labelTextColor="#222")
        self._p_curve = self.density_plot.plot(pen=pg.mkPen(P_COLOUR, width=2.5), name="p",
                                               fillLevel=0, brush=_transparent(P_COLOUR, 50))
        self._q_curve = self.density_plot.plot(pen=pg.mkPen(Q_COLOUR, width=2.5), name="q",
                                               fillLevel=0, brush=_transparent(Q_COLOUR, 50))
        self.integrand_plot = _styled_plot("Integrands: the signed area under each curve is its KL", "", "x")
        self.integrand_plot.addLegend(offset=(-10, 10), labelTextColor="#222")
        self.integrand_plot.addItem(pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen("#555")))
        self._pq_curve = self.integrand_plot.plot(pen=pg.mkPen(KL_COLOUR, width=2.5), name="p log p/q  → KL(p‖q)",
                                                  fillLevel=0, brush=_transparent(KL_COLOUR, 60))
        self._qp_curve = self.integrand_plot.plot(
            pen=pg.mkPen(REVERSE_COLOUR, width=2, style=Qt.PenStyle.DashLine), name="q log q/p  → KL(q‖p)"
        )

        self.value_labels: dict[tuple[str, str], QLabel] = {}
        numbers = QGroupBox(f"KL three ways (Monte Carlo: {MC_SAMPLES:,} samples, fixed seed, ± 1 standard error)")
        grid = QGridLayout(numbers)
        for col, name in enumerate(self.COLUMNS, start=1):
            grid.addWidget(QLabel(f"<b>{name}</b>"), 0, col, alignment=Qt.AlignmentFlag.AlignRight)
        for row, name in enumerate(self.ROWS, start=1):
            grid.addWidget(QLabel(name), row, 0)
            for col, column in enumerate(self.COLUMNS, start=1):
                label = QLabel()
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                grid.addWidget(label, row, col)
                self.value_labels[(name, column)] = label
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 2)

        right = QVBoxLayout()
        right.addWidget(self.density_plot, 1)
        right.addWidget(self.integrand_plot, 1)
        right.addWidget(numbers)
        columns = QHBoxLayout(self)
        columns.addLayout(left, 3)
        columns.addLayout(right, 7)

        self.p_controls.changed.connect(self._refresh)
        self.q_controls.changed.connect(self._refresh)
        self._refresh()

    def set_units(self, units: Base) -> None:
        self._units = units
        self._refresh()

    def _refresh(self) -> None:
        p, q, u = self.p_controls.mixture(), self.q_controls.mixture(), self._units
        lo = min(p.span(4.0)[0], q.span(4.0)[0])
        hi = max(p.span(4.0)[1], q.span(4.0)[1])
        x = np.linspace(lo, hi, 801)
        self._p_curve.setData(x, p.pdf(x))
        self._q_curve.setData(x, q.pdf(x))
        self._pq_curve.setData(x, kl_integrand(p, q, x, u))
        self._qp_curve.setData(x, kl_integrand(q, p, x, u))
        self.integrand_plot.getPlotItem().setLabel("left", f"{u} per unit x")
        for plot in (self.density_plot, self.integrand_plot):
            plot.setXRange(lo, hi, padding=0)
        for column, (a, b) in zip(self.COLUMNS, ((p, q), (q, p))):
            if a.is_single and b.is_single:
                closed = format_value(kl_gaussian(*a.single(), *b.single(), base=u), u)
            else:
                closed = "n/a — no closed form for mixtures"
            mc = kl_monte_carlo(a, b, np.random.default_rng(0), MC_SAMPLES, u)
            self.value_labels[("closed form", column)].setText(closed)
            self.value_labels[("numeric integral", column)].setText(format_value(kl_numeric(a, b, base=u), u))
            self.value_labels[("Monte Carlo", column)].setText(f"{mc.estimate:.3f} ± {mc.stderr:.3f} {u}")


class FitTab(QWidget):
    """Fit one Gaussian q to a two-bump p by gradient steps on forward and on reverse KL, side by side."""

    DIRECTIONS: tuple[Direction, Direction] = ("forward", "reverse")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._units: Base = "bits"
        self._fits: dict[Direction, Iterator[FitStep]] = {}
        self.last: dict[Direction, FitStep] = {}
        self._losses: dict[Direction, list[float]] = {}
        self._x = np.zeros(0)

        self.distance = _double_slider(1.0, 7.0, 4.0)
        self.start_mu = _double_slider(-3.0, 3.0, 1.0)
        self.start_sigma = _double_slider(0.3, 3.0, 0.5)
        self.run_button = QPushButton("▶  Run the fits")
        self.reset_button = QPushButton("Reset")
        form = QFormLayout()
        form.addRow("distance between p's bumps", self.distance)
        form.addRow("q's starting μ", self.start_mu)
        form.addRow("q's starting σ", self.start_sigma)
        controls = QHBoxLayout()
        controls.addLayout(form, 3)
        buttons = QVBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.reset_button)
        controls.addLayout(buttons, 1)
        explain = QLabel(
            f"p = ½N(−d/2, 0.6²) + ½N(d/2, 0.6²). q = N(μ, σ²) takes {FIT_STEPS} gradient steps on μ and log σ.<br>"
            "<b>Forward KL(p‖q)</b> punishes q for missing any of p's mass, so q stretches over both bumps "
            "(mass-covering).<br><b>Reverse KL(q‖p)</b> punishes q for putting mass where p has none, so q "
            "locks onto one bump (mode-seeking)."
        )
        explain.setWordWrap(True)

        self.plots: dict[Direction, pg.PlotWidget] = {}
        self.status: dict[Direction, QLabel] = {}
        self._p_curves: dict[Direction, pg.PlotDataItem] = {}
        self._q_curves: dict[Direction, pg.PlotDataItem] = {}
        self.loss_plot = _styled_plot(
            f"Loss during the fit: <span style='color:{KL_COLOUR}'>━ KL(p‖q), forward</span>   "
            f"<span style='color:{REVERSE_COLOUR}'>━ KL(q‖p), reverse</span>   (first steps cut off)",
            "",
            "step",
        )
        self._loss_curves: dict[Direction, pg.PlotDataItem] = {}
        row = QHBoxLayout()
        titles = {"forward": "Forward: minimise KL(p‖q) — covers both bumps",
                  "reverse": "Reverse: minimise KL(q‖p) — locks onto one bump"}
        loss_colours = {"forward": KL_COLOUR, "reverse": REVERSE_COLOUR}
        for direction in self.DIRECTIONS:
            plot = _styled_plot(titles[direction], "density", "x")
            plot.addLegend(offset=(-10, 10), labelTextColor="#222")
            self._p_curves[direction] = plot.plot(pen=pg.mkPen(P_COLOUR, width=2), name="p (target)",
                                                  fillLevel=0, brush=_transparent(P_COLOUR, 50))
            self._q_curves[direction] = plot.plot(pen=pg.mkPen(Q_COLOUR, width=3), name="q (fitted Gaussian)")
            status = QLabel()
            status.setAlignment(Qt.AlignmentFlag.AlignCenter)
            column = QVBoxLayout()
            column.addWidget(plot, 1)
            column.addWidget(status)
            row.addLayout(column, 1)
            self.plots[direction] = plot
            self.status[direction] = status
            self._loss_curves[direction] = self.loss_plot.plot(pen=pg.mkPen(loss_colours[direction], width=2))

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addLayout(controls, 1)
        top.addWidget(explain, 1)
        layout.addLayout(top)
        layout.addLayout(row, 3)
        layout.addWidget(self.loss_plot, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(FIT_TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.run_button.clicked.connect(self.start)
        self.reset_button.clicked.connect(self.reset)
        for slider in (self.distance, self.start_mu, self.start_sigma):
            slider.valueChanged.connect(lambda _value: self.reset())
        self.reset()


    def target(self) -> GaussianMixture:
        """The two-bump p the fits aim at."""
        d = self.distance.value()
        return GaussianMixture((0.5, 0.5), (-d / 2, d / 2), (0.6, 0.6))

    def set_units(self, units: Base) -> None:
        self._units = units
        self._redraw()

    def is_running(self) -> bool:
        return self.timer.isActive()

    def reset(self) -> None:
        """Stop any fit and put q back at its starting point (step 0)."""
        self.timer.stop()
        self.run_button.setText("▶  Run the fits")
        p = self.target()
        for direction in self.DIRECTIONS:
            self._fits[direction] = fit_gaussian(
                p, direction, FIT_STEPS, FIT_LR, self.start_mu.value(), self.start_sigma.value()
            )
            self.last[direction] = next(self._fits[direction])
            self._losses[direction] = [self.last[direction].loss]
        x = np.linspace(-self.distance.value() / 2 - 5, self.distance.value() / 2 + 5, 601)
        for direction in self.DIRECTIONS:
            self._p_curves[direction].setData(x, p.pdf(x))
            self.plots[direction].setXRange(x[0], x[-1], padding=0)
        self._x = x
        self._redraw()

    def start(self) -> None:
        """Start (or restart from step 0) the animated fits."""
        self.reset()
        self.run_button.setText("Running…")
        self.timer.start()

    def tick(self) -> None:
        """Advance both fits a few steps and redraw; stops the timer when both have finished."""
        finished = 0
        for direction in self.DIRECTIONS:
            for _ in range(FIT_STEPS_PER_TICK):
                snapshot = next(self._fits[direction], None)
                if snapshot is None:
                    finished += 1
                    break
                self.last[direction] = snapshot
                self._losses[direction].append(snapshot.loss)
        if finished == len(self.DIRECTIONS):
            self.timer.stop()
            self.run_button.setText("▶  Run again")
        self._redraw()

    def _redraw(self) -> None:
        scale = log_base(self._units)
        for direction in self.DIRECTIONS:
            s = self.last[direction]
            q = GaussianMixture.gaussian(s.mu, s.sigma)
            self._q_curves[direction].setData(self._x, q.pdf(self._x))
            name = "KL(p‖q)" if direction == "forward" else "KL(q‖p)"
            self.status[direction].setText(
                f"step {s.step}/{FIT_STEPS}:  μ = {s.mu:.3f},  σ = {s.sigma:.3f},  "
                f"{name} = {format_value(s.loss / scale, self._units)}"
            )
            self._loss_curves[direction].setData(np.asarray(self._losses[direction]) / scale)
        # scale the loss axis to the loss after a few steps, so the large starting values do not flatten the curves
        top = max(losses[min(5, len(losses) - 1)] for losses in self._losses.values()) / scale
        self.loss_plot.setYRange(0.0, 1.2 * top, padding=0)
        self.loss_plot.setXRange(0, FIT_STEPS, padding=0.02)
        self.loss_plot.getPlotItem().setLabel("left", self._units)


class DivergencePanel(QWidget):
    """Entropy, cross-entropy, KL and JS you can touch: discrete, continuous, and forward vs reverse KL."""

    title = "Divergences"
    checkpoint_kind = None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel(
            "<b>How different are two distributions?</b>  Entropy H, cross-entropy H(·,·), "
            "Kullback–Leibler KL and Jensen–Shannon JS, live as you edit p and q."
        )
        heading.setWordWrap(True)
        heading.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.bits_button = QRadioButton("bits (log₂)")
        self.nats_button = QRadioButton("nats (ln)")
        self.bits_button.setChecked(True)
        self._units_group = QButtonGroup(self)
        self._units_group.addButton(self.bits_button)
        self._units_group.addButton(self.nats_button)
        header = QHBoxLayout()
        header.addWidget(heading, 1)
        header.addWidget(QLabel("Units:"))
        header.addWidget(self.bits_button)
        header.addWidget(self.nats_button)

        self.discrete = DiscreteTab()
        self.continuous = ContinuousTab()
        self.fit = FitTab()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.discrete, "Discrete")
        self.tabs.addTab(self.continuous, "Continuous")
        self.tabs.addTab(self.fit, "Forward vs reverse KL")
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        self.bits_button.toggled.connect(lambda on: self.set_units("bits" if on else "nats"))

    @property
    def units(self) -> Base:
        return "bits" if self.bits_button.isChecked() else "nats"

    def set_units(self, units: Base) -> None:
        """Show every number in bits (log base 2) or nats (natural log)."""
        button = self.bits_button if units == "bits" else self.nats_button
        if not button.isChecked():
            button.setChecked(True)
            return
        for tab in (self.discrete, self.continuous, self.fit):
            tab.set_units(units)
