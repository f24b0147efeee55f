"""Section 3's 1-D toy: an exponential prior, Gaussian observations, and q fitted by the ELBO on z ≥ 0,
bound to a ``VIToyState``.

Click the plot to add an observation x; right-click removes the nearest; shift-click moves q's start.
Play climbs the closed-form ELBO a few Adam steps per frame on the GUI thread (a step is a fraction of a
millisecond)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGraphicsItem, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from explorer.core.likelihood.evented import Running
from explorer.core.likelihood.exponential_vi import mass_below_zero, q_log_density
from explorer.core.likelihood.states import VIToyState
from explorer.core.runtime.errors import ExplorerError
from explorer.ui.panels.likelihood.config_form import ConfigForm
from explorer.ui.panels.likelihood.gap_bar import GapBar
from explorer.ui.panels.likelihood.look import (
    ELBO_COLOUR,
    GAP_COLOUR,
    LOGP_COLOUR,
    Q_COLOUR,
    FormulaLabel,
    StyledPlot,
    grow_x_range,
    keep_y_range,
    num,
    term,
    transparent,
)
from explorer.ui.widgets.help_button import HelpButton

Z_LOW, Z_HIGH = -2.0, 6.0  # the plot's z axis; observations may fall below 0, z may not
Z = np.linspace(0.0, Z_HIGH, 600)
STEPS_PER_TICK = 4
TICK_MS = 33
MAX_STEPS = 1500  # Play stops here: the fit has long converged
PRIOR_COLOUR = "#7f7f7f"

TOY_HELP = (
    "The notes' toy. Prior p(z) = λ e^(−λz) for z ≥ 0; observations x_i ~ N(z, σ²), i = 1..n. "
    "Completing the square, the posterior is a Gaussian truncated to z ≥ 0: "
    "p(z | x) = N(z; μ_n, s_n²) 1[z ≥ 0] / Φ(μ_n/s_n), with s_n² = σ²/n and μ_n = x̄ − λσ²/n. "
    "log p(x) = log ∫₀^∞ p(z) Π p(x_i | z) dz is computed by quadrature. "
    "For any q: log p(x) = ELBO(q) + KL(q ‖ p(z | x)), ELBO(q) = E_q[log p(z)] + Σ E_q[log p(x_i | z)] + H(q) "
    "(Blei et al. 2017). Here the ELBO is in closed form: E_q[log p(z)] = log λ − λE_q[z], "
    "E_q[log p(x_i | z)] = −½ log 2πσ² − (x_i² − 2x_i E_q[z] + E_q[z²])/2σ², and Adam follows its exact "
    "gradient (no sampling). KL is computed on its own by quadrature, so the identity is a check. "
    "Why not a Gaussian q = N(m, s²)? It puts Φ(−m/s) of its mass on z < 0, where log p(z) = −∞: its "
    "ELBO is −∞ for every m and s. So q lives on z ≥ 0: a log-normal (z = e^u, u ~ N(m, s²): "
    "E[z] = e^(m + s²/2), E[z²] = e^(2m + 2s²), H = m + ½ log 2πe s²), which cannot take the posterior's "
    "shape and keeps a gap; or N(m, s²) truncated to z ≥ 0, the posterior's own family, whose fit closes it."
)


class VIToySection(QWidget):
    """The prior, the exact posterior and q over z; the ELBO curve beside log p(x); the gap bar."""

    def __init__(self, state: VIToyState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state or VIToyState()
        self.form = ConfigForm(
            self.state.request,
            {
                "rate": "prior's rate λ",
                "noise": "noise σ of x ~ N(z, σ²)",
                "family": "q's family",
                "lr": "Adam's learning rate",
            },
        )
        self.play_button = QPushButton("▶  Fit q")
        self.step_button = QPushButton("Step ×10")
        self.restart_button = QPushButton("Restart q")
        self.help = HelpButton(TOY_HELP)
        self.message = QLabel()
        self.message.setWordWrap(True)
        explain = QLabel(
            "Click the plot to add an observation x; right-click removes the nearest; shift-click moves q's start.<br>"
            "A Gaussian q would put mass on z &lt; 0, where p(z) = 0, and its ELBO would be −∞: q lives on z ≥ 0."
        )
        explain.setWordWrap(True)

        self.plot = StyledPlot(
            f"<span style='color:{PRIOR_COLOUR}'>┅ p(z)</span>  <span style='color:{LOGP_COLOUR}'>▇ p(z | x)</span>  "
            f"<span style='color:{Q_COLOUR}'>━ q(z)</span>  | x",
            "density",
            "z",
        )
        self._posterior = pg.PlotCurveItem(
            pen=pg.mkPen(LOGP_COLOUR, width=1.5), brush=transparent(LOGP_COLOUR, 90), fillLevel=0.0
        )
        self._prior = pg.PlotCurveItem(pen=pg.mkPen(PRIOR_COLOUR, width=1.5, style=Qt.PenStyle.DashLine))
        self._q = pg.PlotCurveItem(pen=pg.mkPen(Q_COLOUR, width=2.5))
        self._marks = pg.PlotCurveItem(pen=pg.mkPen("#222", width=2), connect="pairs")  # a tick per x
        for item in (self._posterior, self._prior, self._q, self._marks):
            self.plot.addItem(item)
        for still in (self._posterior, self._prior, self._marks):  # blitted while q moves over them
            still.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.plot.addItem(pg.InfiniteLine(0.0, angle=90, pen=pg.mkPen("#bbb", width=1)))
        self.plot.setXRange(Z_LOW, Z_HIGH, padding=0.01)
        self.plot.scene().sigMouseClicked.connect(self._on_plot_clicked)

        self.curve_plot = StyledPlot(
            f"<span style='color:{ELBO_COLOUR}'>━ ELBO(q)</span>  <span style='color:{LOGP_COLOUR}'>┅ log p(x)</span>",
            "nats",
            "step",
        )
        self._elbo = pg.PlotCurveItem(pen=pg.mkPen(ELBO_COLOUR, width=2))
        self.curve_plot.addItem(self._elbo)
        self._log_px = pg.InfiniteLine(angle=0, pen=pg.mkPen(LOGP_COLOUR, width=2, style=Qt.PenStyle.DashLine))
        self.curve_plot.addItem(self._log_px)
        self.gap = GapBar("log p(x) = ELBO + KL")
        self.formula = FormulaLabel(2)
        self._top = 1.0  # the posterior's peak density: the plot's height with q's

        buttons = QHBoxLayout()
        for button in (self.play_button, self.step_button, self.restart_button, self.help):
            buttons.addWidget(button)
        left = QVBoxLayout()
        left.addWidget(self.form)
        left.addLayout(buttons)
        left.addWidget(explain)
        left.addWidget(self.message)
        left.addStretch(1)
        side = QVBoxLayout()
        side.addWidget(self.curve_plot, 3)
        side.addWidget(self.gap.plot, 2)
        row = QHBoxLayout()
        row.addLayout(left, 2)
        row.addWidget(self.plot, 3)
        row.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.formula)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.play_button.clicked.connect(self._on_play_clicked)
        self.step_button.clicked.connect(lambda: self.state.step(10))
        self.restart_button.clicked.connect(lambda: self.state.restart())
        self.form.edited.connect(self._on_form_edited)
        self.state.changed.connect(self._on_state_changed)
        self._on_state_changed(frozenset({"request", "xs", "fitter", "current"}))

    def _on_form_edited(self, name: str, value: object) -> None:
        self._refusing(lambda: self.state.set_request(**{name: value}))

    def _refusing(self, change) -> None:
        """Apply ``change`` to the state; a refusal is one line here."""
        try:
            change()
            if self.message.text():
                self.message.clear()
        except ExplorerError as exc:
            self.message.setText(str(exc))
            self.form.show_config(self.state.request)

    def _on_play_clicked(self) -> None:
        playing = self.state.running is Running.PLAYING
        self.state.update(running=Running.IDLE if playing else Running.PLAYING)

    def _on_plot_clicked(self, event) -> None:
        at = self.plot.getPlotItem().vb.mapSceneToView(event.scenePos())
        z = float(np.clip(at.x(), Z_LOW, Z_HIGH))
        if event.button() == Qt.MouseButton.RightButton:
            self._refusing(lambda: self.state.remove_observation_near(z))
        elif event.button() == Qt.MouseButton.LeftButton:
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self._refusing(lambda: self.start_at(max(z, 0.05)))
            else:
                self._refusing(lambda: self.state.add_observation(z))

    def start_at(self, z: float) -> None:
        """Start q centred at ``z``: the log-normal's median e^m, the truncated normal's m."""
        s = self.state
        m = float(np.log(z)) if s.request.family == "log-normal" else z
        s.set_start(m, s.start[1])

    def tick(self) -> None:
        """A few Adam steps and one repaint; Play ends by itself after MAX_STEPS."""
        self.state.step(STEPS_PER_TICK)
        if self.state.current is not None and self.state.current.step >= MAX_STEPS:
            self.state.update(running=Running.IDLE)

    def _on_state_changed(self, names: frozenset[str]) -> None:
        s = self.state
        if "running" in names:
            playing = s.running is Running.PLAYING
            self.play_button.setText("⏸  Pause" if playing else "▶  Fit q")
            self.timer.start() if playing else self.timer.stop()
        if "request" in names:
            self.form.show_config(s.request)
        c = s.current
        if c is None or s.fitter is None or not names & {"current", "fitter"}:
            return
        fit = s.fitter
        q = np.exp(q_log_density(s.request.family, c.m, c.s, Z))
        if "fitter" in names:
            post = np.exp(fit.posterior.log_density(Z))
            self._posterior.setData(Z, post)
            prior = s.request.rate * np.exp(-s.request.rate * Z)
            self._prior.setData(Z, prior)
            self._log_px.setValue(c.log_px)
            self._top = float(post.max())
            self._marks.setData(np.repeat(fit.xs, 2), np.tile([0.0, -0.06 * self._top], len(fit.xs)))
        top = max(self._top, float(q.max()))
        self._q.setData(Z, q)
        keep_y_range(self.plot, 0.0, top, shrink="fitter" in names, floor=-0.08 * top)
        history = np.asarray(s.history)
        self._elbo.setData(history[:, 0], history[:, 1])
        low = float(min(history[min(3, len(history) - 1) :, 1].min(), c.log_px)) - 0.3
        fresh = len(history) == 1
        keep_y_range(self.curve_plot, low, c.log_px + 0.1, shrink=not fresh)
        grow_x_range(self.curve_plot, float(history[-1, 0]), 50)
        self._show_numbers()

    def _show_numbers(self) -> None:
        s = self.state
        c, fit = s.current, s.fitter
        assert c is not None and fit is not None
        post, n = fit.posterior, len(fit.xs)
        tips = (
            f"log p(x) = {num(c.log_px, 4)} nats: the evidence of the {n} observations, by quadrature over z ≥ 0; "
            "q cannot change it",
            f"ELBO(q) = {num(c.elbo, 4)} nats = E_q[log p(z)] + Σ E_q[log p(x_i | z)] + H(q), in closed form: "
            "the bound Adam climbs",
            f"KL(q ‖ p(z | x)) = {num(c.kl, 6)} nats, by quadrature on its own: the gap, zero only if q is the "
            "posterior",
        )
        base = c.elbo - max(0.5, 2 * c.kl)  # the bars start near the ELBO, so a small gap stays in sight
        self.gap.show(base, c.log_px, c.elbo, c.kl, tips)
        family = "LogNormal(m, s²)" if s.request.family == "log-normal" else "N(m, s²) on z ≥ 0"
        outside = mass_below_zero(c.m, c.s) if s.request.family != "log-normal" else None
        untruncated = "" if outside is None else f"; untruncated it would put Φ(−m/s) = {num(outside, 3)} on z &lt; 0"
        self.formula.setText(
            f"p(z | x) = N(μ<sub>n</sub>, s<sub>n</sub>²) on z ≥ 0: μ<sub>n</sub> = x̄ − λσ²/n = "
            f"{num(post.mean, 3)}, s<sub>n</sub> = σ/√n = {num(post.sd, 3)} (n = {n}).   "
            f"q(z) = {family}: m = {num(c.m, 3)}, s = {num(c.s, 3)} after {c.step} steps{untruncated}.<br>"
            f"{term('log p(x)', tips[0], LOGP_COLOUR)} = {term('ELBO(q)', tips[1], ELBO_COLOUR)} + "
            f"{term('KL(q ‖ p(z | x))', tips[2], GAP_COLOUR)}:  "
            f"<b>{num(c.log_px, 4)}</b> = {num(c.elbo, 4)} + {num(c.kl, 4)} nats  "
            f"(ELBO + KL − log p(x) = {c.elbo + c.kl - c.log_px:.1e})"
        )
