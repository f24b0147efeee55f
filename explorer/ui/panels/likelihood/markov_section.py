"""Section 5: a Markov chain on three states and the DDPM forward chain, whose stationary law is N(0, I)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from explorer.core.diffusion.schedule import linear_betas
from explorer.core.likelihood.markov import (
    WEATHER_STATES,
    forward_marginals,
    kl_to_standard_normal,
    normalise_rows,
    second_eigenvalue_modulus,
    total_variation,
)
from explorer.core.likelihood.states import MarkovState
from explorer.ui.panels.divergences.style import double_slider
from explorer.ui.panels.likelihood.look import (
    COMPONENT_COLOURS,
    KL_COLOUR,
    P_COLOUR,
    FormulaLabel,
    StyledPlot,
    keep_y_range,
    num,
)

T = 1000  # Ho et al.'s chain length and linear schedule, as the Diffusion tab's
ABAR = np.cumprod(1 - linear_betas(T))
X = np.linspace(-5, 5, 401)


def _wrapped(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


class MarkovSection(QWidget):
    """Edit P, pick π₀ and n; see πPⁿ settle on the eigenvector. Then the DDPM forward chain."""

    def __init__(self, state: MarkovState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state or MarkovState()
        S = len(self.state.P)
        self.table = QTableWidget(S, S)
        self.table.setHorizontalHeaderLabels([f"→ {name}" for name in WEATHER_STATES])
        self.table.setVerticalHeaderLabels(list(WEATHER_STATES))
        self.table.setFixedHeight(self.table.verticalHeader().length() + self.table.horizontalHeader().height() + 4)
        self.start = QComboBox()
        self.start.addItems([f"all {name}" for name in WEATHER_STATES] + ["uniform"])
        self.steps = QSlider(Qt.Orientation.Horizontal)
        self.steps.setRange(0, 50)
        self.steps.setValue(self.state.steps)
        self.note = QLabel("Edit a probability: its row is rescaled to sum to 1 (each row is p(next | this)).")
        self.note.setWordWrap(True)
        controls = QFormLayout()
        controls.addRow("start π₀", self.start)
        controls.addRow("steps n", self.steps)
        self.chain_plot = StyledPlot(
            "π<sub>n</sub> = π<sub>0</sub>P<sup>n</sup> (dashed: π* from the eigenvector)", "probability", "n"
        )
        self._curves = [self.chain_plot.plot(pen=pg.mkPen(COMPONENT_COLOURS[i], width=2)) for i in range(S)]
        self._stationary = [
            pg.InfiniteLine(angle=0, pen=pg.mkPen(COMPONENT_COLOURS[i], style=Qt.PenStyle.DashLine)) for i in range(S)
        ]
        for line in self._stationary:
            self.chain_plot.addItem(line)
        self.chain_plot.setYRange(0, 1, padding=0.02)
        self.formula = FormulaLabel(3)

        self.data_mean = double_slider(-4.0, 4.0, self.state.x0_mean)
        self.data_sd = double_slider(0.05, 2.0, self.state.x0_sd)
        self.t_slider = QSlider(Qt.Orientation.Horizontal)
        self.t_slider.setRange(0, T)
        diffusion_form = QFormLayout()
        diffusion_form.addRow("x₀ ~ N(m, s²): m", self.data_mean)
        diffusion_form.addRow("s", self.data_sd)
        diffusion_form.addRow("step t", self.t_slider)
        self.density_plot = StyledPlot(
            f"<span style='color:{P_COLOUR}'>━ q(x<sub>t</sub>)</span>  "
            "<span style='color:#888'>┅ N(0, 1), the stationary law</span>",
            "density",
            "x",
        )
        self._density = self.density_plot.plot(pen=pg.mkPen(P_COLOUR, width=2))
        self.density_plot.plot(
            X, np.exp(-(X**2) / 2) / np.sqrt(2 * np.pi), pen=pg.mkPen("#888", width=2, style=Qt.PenStyle.DashLine)
        )
        self.kl_plot = StyledPlot("KL(q(x<sub>t</sub>) ‖ N(0, 1)) over t (log scale)", "nats", "t")
        self.kl_plot.setLogMode(y=True)
        self._kl = self.kl_plot.plot(pen=pg.mkPen(KL_COLOUR, width=2))
        self._t_marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#222"))
        self.kl_plot.addItem(self._t_marker)
        self.diffusion_formula = FormulaLabel(3)

        left = QVBoxLayout()
        left.addWidget(_wrapped("<b>A three-state chain</b> (tomorrow's weather depends only on today's)"))
        left.addWidget(self.table)
        left.addWidget(self.note)
        left.addLayout(controls)
        left.addWidget(self.chain_plot, 1)
        left.addWidget(self.formula)
        right = QVBoxLayout()
        right.addWidget(
            _wrapped(
                "<b>The DDPM forward chain is a Markov chain too</b> (see the Diffusion tab): "
                "q(x<sub>t</sub> | x<sub>t−1</sub>) = N(√(1−β<sub>t</sub>) x<sub>t−1</sub>, "
                "β<sub>t</sub>), linear β from 10⁻⁴ to 0.02, T = 1000"
            )
        )
        right.addLayout(diffusion_form)
        plots = QHBoxLayout()
        plots.addWidget(self.density_plot)
        plots.addWidget(self.kl_plot)
        right.addLayout(plots, 1)
        right.addWidget(self.diffusion_formula)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right, 1)

        self.table.itemChanged.connect(self._on_cell_edited)
        self.start.currentIndexChanged.connect(self._on_start_chosen)
        self.steps.valueChanged.connect(lambda n: self.state.update(steps=n))
        self.t_slider.valueChanged.connect(lambda t: self.state.update(t=t))
        self.data_mean.valueChanged.connect(lambda m: self.state.update(x0_mean=float(m)))
        self.data_sd.valueChanged.connect(lambda sd: self.state.update(x0_sd=float(sd)))
        self.state.changed.connect(self._on_state_changed)
        self._on_state_changed(frozenset({"P", "start", "steps", "t", "x0_mean"}))

    def _on_cell_edited(self, item: QTableWidgetItem) -> None:
        P = self.state.P.copy()
        try:
            value = float(item.text())
        except ValueError:
            value = -1.0
        if not 0.0 <= value <= 1.0:
            self.note.setText(f"A probability is a number from 0 to 1, not {item.text()[:20]!r}.")
            self._show_table()
            return
        i, j = item.row(), item.column()
        others = [k for k in range(len(P)) if k != j]
        rest = P[i, others].sum()
        P[i, j] = value
        # the row's other entries share what is left in their old proportions (evenly if they were all 0)
        P[i, others] = (1 - value) * (P[i, others] / rest if rest > 0 else 1.0 / len(others))
        self.state.set_transition(normalise_rows(P))
        self.note.setText("Row rescaled to sum to 1 (each row is p(next | this)).")

    def _on_start_chosen(self, index: int) -> None:
        S = len(self.state.P)
        self.state.set_start(np.eye(S)[index] if index < S else np.full(S, 1.0 / S))

    def _show_table(self) -> None:
        with QSignalBlocker(self.table):
            for i, row in enumerate(self.state.P):
                for j, value in enumerate(row):
                    self.table.setItem(i, j, QTableWidgetItem(f"{value:.3f}"))

    def _on_state_changed(self, names: frozenset[str]) -> None:
        s = self.state
        if "P" in names:
            self._show_table()
        if names & {"P", "start", "steps"}:
            path = s.trajectory()
            pi_star = s.stationary()
            n = np.arange(len(path))
            for i, curve in enumerate(self._curves):
                curve.setData(n, path[:, i])
                self._stationary[i].setValue(pi_star[i])
            self.chain_plot.setXRange(0, max(1, s.steps), padding=0.02)
            tv = float(total_variation(path[-1], pi_star))
            lam2 = second_eigenvalue_modulus(s.P)
            vec = ", ".join(num(v) for v in pi_star)
            now = ", ".join(num(v) for v in path[-1])
            self.formula.setText(
                f"π<sub>{s.steps}</sub> = π<sub>0</sub>P<sup>{s.steps}</sup> = ({now});  "
                f"π* = π*P, the left eigenvector of P for λ = 1: <b>({vec})</b><br>"
                f"TV(π<sub>n</sub>, π*) = ½Σ|π<sub>n</sub> − π*| = {tv:.1e} ≈ C·|λ₂|<sup>n</sup> with "
                f"|λ₂| = {num(lam2)}"
            )
        if names & {"t", "x0_mean", "x0_sd"}:
            self._draw_diffusion(bool(names & {"x0_mean", "x0_sd"}))

    def _draw_diffusion(self, start_changed: bool) -> None:
        m, s = self.state.x0_mean, self.state.x0_sd
        means, variances = forward_marginals(ABAR, m, s * s)
        kl = kl_to_standard_normal(means, variances)
        if start_changed:
            self._kl.setData(np.arange(T + 1), np.maximum(kl, 1e-8))
        t = self.state.t
        self._t_marker.setValue(t)
        density = np.exp(-((X - means[t]) ** 2) / (2 * variances[t])) / np.sqrt(2 * np.pi * variances[t])
        self._density.setData(X, density)
        keep_y_range(self.density_plot, 0.0, max(0.42, float(density.max())), floor=0.0)
        abar = 1.0 if t == 0 else ABAR[t - 1]
        self.diffusion_formula.setText(
            f"q(x<sub>t</sub> | x<sub>0</sub> ~ N(m, s²)) = N(√ᾱ<sub>t</sub> m, ᾱ<sub>t</sub>s² + 1 − ᾱ<sub>t</sub>)"
            f" at t = {t}: ᾱ<sub>t</sub> = {num(abar, 4)} → N({num(means[t])}, {num(variances[t])});  "
            f"KL to N(0, 1) = {num(float(kl[t]), 4)} nats. N(0, 1) is stationary: ᾱ·1 + 1 − ᾱ = 1 at every t."
        )
