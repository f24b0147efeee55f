"""Section 3: variational inference on a 2-D posterior known exactly, bound to a ``VIState``.

Click the plane to move the observation x; shift-click to move q's starting mean. Play climbs the
ELBO a few Adam steps per frame on the GUI thread (a step is ~2 ms of 400 quadrature nodes)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGraphicsItem, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from explorer.core.likelihood.evented import Running
from explorer.core.likelihood.states import VIState
from explorer.core.likelihood.variational import plane_density
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
    ellipse,
    grow_x_range,
    keep_y_range,
    num,
    term,
)
from explorer.ui.widgets.point_cloud import PointCloud

EXTENT = 5.0
GRID = 121
AXIS = np.linspace(-EXTENT, EXTENT, GRID)
PLANE = np.stack(np.meshgrid(AXIS, AXIS, indexing="xy"), -1).reshape(-1, 2)  # row-major: y rows, x columns
STEPS_PER_TICK = 4
TICK_MS = 33
MAX_STEPS = 1500  # Play stops here: the fit has long converged
SHADES = pg.colormap.get("CET-L12").getLookupTable(nPts=256, alpha=True)  # (256, 4) uint8: density → colour
CROSS = 0.14 * np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [1.0, -1.0]])  # the × marking x, two strokes


class VISection(QWidget):
    """The exact posterior as a heat map, q as ellipses over it, the ELBO curve and the gap."""

    def __init__(self, state: VIState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state or VIState()
        self.form = ConfigForm(
            self.state.request,
            {
                "prior": "prior p(z)",
                "noise": "noise σ of x ~ N(z, σ²I)",
                "family": "q's covariance",
                "lr": "Adam's learning rate",
            },
        )
        self.play_button = QPushButton("▶  Fit q")
        self.step_button = QPushButton("Step ×10")
        self.restart_button = QPushButton("Restart q")
        self.message = QLabel()
        self.message.setWordWrap(True)
        explain = QLabel(
            "Click the plane to move the observation x; shift-click to move q's start.<br>"
            "Maximising the ELBO minimises the <b>reverse</b> KL(q ‖ p(z | x)): on two modes q picks one "
            "(mode-seeking); a diagonal q cannot lean with a correlated posterior and shrinks. A VAE's encoder "
            "makes this fit for every x at once (amortised inference): its ELBO sits below log p(x) by this gap."
        )
        explain.setWordWrap(True)

        self.plane = StyledPlot("exact posterior p(z | x) (shaded), q(z) (1σ, 2σ), x (×)", "z₂", "z₁")
        self.plane.setAspectLocked(True)
        self._image = pg.ImageItem(axisOrder="row-major")
        self._image.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # blitted while q moves over it
        self.plane.addItem(self._image)
        # Bare curve items, not plot()'s PlotDataItems: each setData of those costs a millisecond of bookkeeping.
        self._q_curves = [pg.PlotCurveItem(pen=pg.mkPen(Q_COLOUR, width=w)) for w in (3, 1.5)]
        self._x_mark = pg.PlotCurveItem(pen=pg.mkPen("#222", width=3), connect="pairs")  # × as two strokes
        for item in (*self._q_curves, self._x_mark):
            self.plane.addItem(item)
        self._q_mean = PointCloud((Q_COLOUR,), size=9, alpha=255)  # set at every tick: far cheaper than a symbol
        self.plane.addItem(self._q_mean)
        self.plane.setRange(xRange=(-EXTENT, EXTENT), yRange=(-EXTENT, EXTENT), padding=0)
        self.plane.scene().sigMouseClicked.connect(self._on_plane_clicked)

        self.curve_plot = StyledPlot(
            f"<span style='color:{ELBO_COLOUR}'>━ ELBO(q)</span>  "
            f"<span style='color:{LOGP_COLOUR}'>┅ log p(x), exact</span>",
            "nats",
            "step",
        )
        self._elbo = pg.PlotCurveItem(pen=pg.mkPen(ELBO_COLOUR, width=2))
        self.curve_plot.addItem(self._elbo)
        self._log_px = pg.InfiniteLine(angle=0, pen=pg.mkPen(LOGP_COLOUR, width=2, style=Qt.PenStyle.DashLine))
        self.curve_plot.addItem(self._log_px)
        self.gap = GapBar("log p(x) = ELBO + KL(q ‖ p(z | x))")
        self.formula = FormulaLabel(2)

        buttons = QHBoxLayout()
        for button in (self.play_button, self.step_button, self.restart_button):
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
        row.addWidget(self.plane, 3)
        row.addLayout(side, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.formula)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.play_button.clicked.connect(self._on_play_clicked)
        self.step_button.clicked.connect(lambda: self.state.step(10))
        self.restart_button.clicked.connect(self.state.restart)
        self.form.edited.connect(self._on_form_edited)
        self.state.changed.connect(self._on_state_changed)
        self._on_state_changed(frozenset({"request", "x", "fitter", "current"}))

    def _on_form_edited(self, name: str, value: object) -> None:
        try:
            self.state.set_request(**{name: value})
        except ExplorerError as exc:
            self.message.setText(str(exc))

    def _on_play_clicked(self) -> None:
        playing = self.state.running is Running.PLAYING
        self.state.update(running=Running.IDLE if playing else Running.PLAYING)

    def _on_plane_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = self.plane.getPlotItem().vb.mapSceneToView(event.scenePos())
        z = (float(np.clip(point.x(), -EXTENT, EXTENT)), float(np.clip(point.y(), -EXTENT, EXTENT)))
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.state.set_start(z)
        else:
            self.state.set_observation(z)

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
        if "fitter" in names and s.fitter is not None:
            density = plane_density(PLANE, s.fitter.posterior)
            shade = (density * (255.0 / density.max())).astype(np.uint8)
            # RGBA from the colour map here: an indexed image would rebuild Qt's colour table at every paint
            self._image.setImage(SHADES[shade].reshape(GRID, GRID, 4), levels=None)
            self._image.setRect(-EXTENT, -EXTENT, 2 * EXTENT, 2 * EXTENT)  # after setImage: it needs the shape
            self._x_mark.setData(s.x[0] + CROSS[:, 0], s.x[1] + CROSS[:, 1])
            self._log_px.setValue(s.fitter.log_px)
        c = s.current
        if c is None or not names & {"current", "fitter"}:
            return
        for curve, radius in zip(self._q_curves, (1.0, 2.0), strict=True):
            outline = ellipse(c.mu, c.cov, radius)
            curve.setData(outline[:, 0], outline[:, 1])
        self._q_mean.set_points(c.mu[None], np.zeros(1, dtype=int))
        history = np.asarray(s.history)  # (steps, ELBO) rows
        self._elbo.setData(history[:, 0], history[:, 1])
        low = float(min(history[min(3, len(history) - 1) :, 1].min(), c.log_px)) - 0.3
        fresh = len(history) == 1  # a new x or start: the views only grow, so clicks about the plane keep them
        keep_y_range(self.curve_plot, low, c.log_px + 0.1, shrink=not fresh)
        grow_x_range(self.curve_plot, float(history[-1, 0]), 50)
        base = min(low, c.elbo - 0.5)
        sd = np.sqrt(np.diag(c.cov))
        rho = c.cov[0, 1] / (sd[0] * sd[1])
        tips = (
            f"log p(x) = {num(c.log_px, 4)} nats: the evidence of x, exact (the prior's components convolved "
            "with the noise); q cannot change it",
            f"ELBO(q) = {num(c.elbo, 4)} nats = E_q[log p(x, z)] + H(q): the bound Adam climbs",
            f"KL(q ‖ p(z | x)) = {num(c.gap, 4)} nats: the gap, the reverse KL that fitting q shrinks; "
            "zero only if q is the posterior",
        )
        self.gap.show(base, c.log_px, c.elbo, c.gap, tips, shrink=not fresh)
        self.formula.setText(
            f"q(z) = N(μ, Σ): μ = ({num(c.mu[0], 2)}, {num(c.mu[1], 2)}), σ = ({num(sd[0], 2)}, {num(sd[1], 2)}), "
            f"ρ = {num(rho, 2)} after {c.step} steps.   "
            f"{term('log p(x)', tips[0], LOGP_COLOUR)} = {term('ELBO(q)', tips[1], ELBO_COLOUR)} + "
            f"{term('KL(q ‖ p(z | x))', tips[2], GAP_COLOUR)}:  "
            f"<b>{num(c.log_px, 4)}</b> = {num(c.elbo, 4)} + {num(c.gap, 4)} nats,  "
            f"ELBO = E<sub>q</sub>[log p(x, z)] + H(q)"
        )
