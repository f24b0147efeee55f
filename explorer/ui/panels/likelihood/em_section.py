"""Section 2: EM on a Gaussian mixture over the 2-D Lab's data, one E or M step at a time, bound to an
``EMState``. A step on 2,000 points costs a few milliseconds, so it runs on the GUI thread; the sweep
over K (a full EM per K) runs in a pool thread.

The data come from the 2-D Lab's own data section and canvas (presets, CSV, and a brush: tick Draw, the
left button sprays points, the right erases), bound to a ``LabState`` of their own; every change of the
points restarts EM on them with the learner's settings kept."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from explorer.core.likelihood.drawing import brush_stroke
from explorer.core.likelihood.evented import Running
from explorer.core.likelihood.gmm import HELD_OUT, EMConfig, sweep_k
from explorer.core.likelihood.states import PRESET_POINTS, EMState
from explorer.core.plane.data import MAX_POINTS, PRESET_TITLES, load_points_csv
from explorer.core.plane.lab_state import DRAWING, LabState
from explorer.core.runtime.errors import ExplorerError
from explorer.ui.off_thread import LatestOnly
from explorer.ui.panels.likelihood.config_form import ConfigForm
from explorer.ui.panels.likelihood.gap_bar import GapBar
from explorer.ui.panels.likelihood.look import (
    COMPONENT_COLOURS,
    ELBO_COLOUR,
    GAP_COLOUR,
    LOGP_COLOUR,
    FormulaLabel,
    StyledPlot,
    ellipse,
    grow_x_range,
    keep_y_range,
    num,
    term,
)
from explorer.ui.panels.plane.canvas import PlaneCanvas
from explorer.ui.panels.plane.data_section import DataSection
from explorer.ui.widgets.point_cloud import PointCloud

LEVELS = 4  # shades per component: from the component's colour (q ≈ 1) towards grey (q split evenly)
MAX_K = 8  # the sweep fits K = 1..MAX_K
TICK_MS = 60  # Play: one step (E or M) per tick, slow enough to watch
WAITING = "#8c8c8c"  # the points' colour while there are too few of them for K components


def _palette() -> tuple[str, ...]:
    """COMPONENT_COLOURS × LEVELS shades, index k·LEVELS + level."""
    grey = np.array([160, 160, 160])
    shades = []
    for colour in COMPONENT_COLOURS:
        rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
        for level in range(LEVELS):
            mix = (rgb * (level + 1) + grey * (LEVELS - 1 - level)) / LEVELS
            shades.append("#" + "".join(f"{int(v):02x}" for v in mix))
    return (*shades, WAITING)


PALETTE = _palette()


def em_data() -> LabState:
    """The EM section's data as the 2-D Lab's data section edits them: EM opens on the known mixture."""
    state = LabState(source="mixture")
    state.update(points=EMState().points.astype(np.float32))
    return state


class EMSection(QWidget):
    """The points coloured by q, the components as 2σ ellipses, the curves, the gap bar and the K sweep."""

    def __init__(
        self, state: EMState | None = None, data: LabState | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.state = state or EMState()
        self.data = data or em_data()
        self._sweeper = LatestOnly(self)
        self._rng = np.random.default_rng(0)
        self._stroking = False  # a brush stroke is changing the points: the view stays where it is
        self._shown_k = 0  # ellipses drawn last time: the others are already empty
        self.form = ConfigForm(
            self.state.request, {"components": "components K", "floor": "variance floor", "seed": "seed of the start"}
        )
        self.e_button = QPushButton("E-step")
        self.m_button = QPushButton("M-step")
        self.play_button = QPushButton("▶  Play")
        self.restart_button = QPushButton("Restart")
        self.sweep_button = QPushButton(f"Choose K: fit K = 1…{MAX_K}")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.data_section = DataSection(self.data, self.message.setText, preset_points=PRESET_POINTS)
        self._fix_count_label()
        floor_note = QLabel(
            "A component on a single point shrinks its Σ to 0 and its density to ∞. The <b>variance floor</b> keeps "
            "every eigenvalue of every Σ<sub>k</sub> at or above it (the M-step's best Σ under that constraint), "
            "so the likelihood stays finite and EM monotone."
        )
        floor_note.setWordWrap(True)

        self.plane = PlaneCanvas()
        for unused in (self.plane.heat, self.plane.arrows, self.plane.heads, self.plane.data, self.plane.trails):
            unused.setVisible(False)  # the lab's field and particles: hidden items cost nothing to repaint
        self.plane.particles.setVisible(False)
        self.plane.setTitle(
            "<span style='color:#222;font-size:10pt'>points coloured by q(z = k), components at 2σ</span>"
        )
        self.cloud = PointCloud(PALETTE, size=5, alpha=190)
        self.plane.addItem(self.cloud)
        self._ellipses = [self.plane.plot(pen=pg.mkPen(c, width=2.5)) for c in COMPONENT_COLOURS]
        self.curve_plot = StyledPlot(
            f"per point: <span style='color:{LOGP_COLOUR}'>━ log p(X | θ)/N</span>  "
            f"<span style='color:{ELBO_COLOUR}'>━ ELBO/N</span>",
            "nats",
            "step",
        )
        self._ll_curve = self.curve_plot.plot(pen=pg.mkPen(LOGP_COLOUR, width=2))
        self._elbo_curve = self.curve_plot.plot(pen=pg.mkPen(ELBO_COLOUR, width=1.5))
        self.gap = GapBar("the gap", "nats / point", "log p")
        self.gap_plot = self.gap.plot
        self.k_plot = StyledPlot(
            f"<span style='color:{LOGP_COLOUR}'>━ held-out NLL</span> <span style='color:{GAP_COLOUR}'>━ BIC/2N</span>",
            "nats / point (lower: better)",
            "K",
        )
        self._held_curve = self.k_plot.plot(
            pen=pg.mkPen(LOGP_COLOUR, width=2), symbol="o", symbolSize=6, symbolBrush=LOGP_COLOUR
        )
        self._bic_curve = self.k_plot.plot(
            pen=pg.mkPen(GAP_COLOUR, width=2), symbol="s", symbolSize=6, symbolBrush=GAP_COLOUR
        )
        self.formula = FormulaLabel(2)

        steps = QHBoxLayout()
        for button in (self.e_button, self.m_button, self.play_button):
            steps.addWidget(button)
        left = QVBoxLayout()
        left.addWidget(self.data_section)
        left.addWidget(self.form)
        left.addLayout(steps)
        left.addWidget(self.restart_button)
        left.addWidget(self.sweep_button)
        left.addWidget(floor_note)
        left.addWidget(self.message)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.curve_plot, 3)
        bottom = QHBoxLayout()
        bottom.addWidget(self.gap_plot, 2)
        bottom.addWidget(self.k_plot, 3)
        right.addLayout(bottom, 3)
        row = QHBoxLayout()
        row.addLayout(left, 2)
        row.addWidget(self.plane, 3)
        row.addLayout(right, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.formula)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._guarded_step)
        self.e_button.clicked.connect(self._guarded_step)
        self.m_button.clicked.connect(self._guarded_step)
        self.play_button.clicked.connect(self._on_play_clicked)
        self.restart_button.clicked.connect(self.state.restart)
        self.sweep_button.clicked.connect(self.sweep)
        self.form.edited.connect(self._on_form_edited)
        self.plane.stroke.connect(self._on_stroke)
        self.data.changed.connect(self._on_data_changed)
        self.state.changed.connect(self._on_state_changed)
        self._on_data_changed(frozenset({"drawing", "brush"}))
        self._on_state_changed(frozenset({"request", "points", "current", "sweep", "running"}))

    def _fix_count_label(self) -> None:
        """Give the data section's point count a fixed size, wide enough for its longest text: a label that
        may resize re-lays out the whole tab at every new text, i.e. at every stroke of the brush."""
        count = self.data_section.count
        longest = f"{MAX_POINTS:,} points  ·  {max(PRESET_TITLES.values(), key=len)}"
        count.setFixedSize(count.fontMetrics().horizontalAdvance(longest) + 4, count.sizeHint().height())

    # ---- what the learner does ----------------------------------------------------------------------
    def _guarded_step(self) -> None:
        if self.state.current is None and self.state.running is Running.PLAYING:
            return  # Play waits for enough points to be drawn
        try:
            self.state.step()
        except (ExplorerError, np.linalg.LinAlgError) as exc:
            self.state.update(running=Running.IDLE)
            self.message.setText(f"EM stopped: {exc}")

    def _on_play_clicked(self) -> None:
        playing = self.state.running is Running.PLAYING
        self.state.update(running=Running.IDLE if playing else Running.PLAYING)

    def _on_form_edited(self, name: str, value: object) -> None:
        self._refusing(lambda: self.state.set_request(**{name: value}))

    def _on_stroke(self, x: float, y: float, erase: bool) -> None:
        points = brush_stroke(self.data.points, x, y, self.data.brush, erase, self._rng)
        if points is not None:
            self._stroking = True
            try:
                self.data.update(points=points, source=DRAWING)
            finally:
                self._stroking = False

    def _on_data_changed(self, names: frozenset[str]) -> None:
        """The data section or the brush changed the points: EM restarts on them, its settings kept."""
        if "drawing" in names:
            self.plane.set_drawing(self.data.drawing)
        if "brush" in names:
            self.plane.brush_radius = self.data.brush
        if "points" in names:
            self._refusing(lambda: self.state.set_points(self.data.points, self.data.source))

    def load_csv(self, path: str) -> None:
        """Points from a CSV file of x,y lines; a bad file leaves the data as it was, with one line why."""
        try:
            points = load_points_csv(path)
        except ExplorerError as exc:
            self.message.setText(str(exc))
            return
        self.data.update(points=points, source=DRAWING)

    def _refusing(self, change) -> None:
        """Apply ``change`` to the state; a refusal (too few points for K, a bad file) is one line here."""
        try:
            change()
            if self.message.text():  # clearing an empty label still re-lays out the whole tab
                self.message.clear()
        except ExplorerError as exc:
            self.message.setText(str(exc))
            self.form.show_config(self.state.request)

    def sweep(self) -> None:
        """Fit K = 1..MAX_K off the GUI thread; BIC and the held-out NLL come back as one result."""
        s = self.state
        cfg = s.request
        s.update(running=Running.COMPUTING, sweep=())
        self._sweeper.start(self._sweep_or_message, s.points, cfg, on_done=self._on_swept)

    @staticmethod
    def _sweep_or_message(points: np.ndarray, cfg: EMConfig) -> tuple | str:
        try:
            return sweep_k(points, cfg, range(1, MAX_K + 1))
        except (ExplorerError, np.linalg.LinAlgError) as exc:
            return str(exc)

    def _on_swept(self, result: tuple | str) -> None:
        if isinstance(result, str):
            self.message.setText(result)
            self.state.update(running=Running.IDLE)
        else:
            self.state.update(running=Running.IDLE, sweep=result)

    # ---- what the state shows -----------------------------------------------------------------------
    def _on_state_changed(self, names: frozenset[str]) -> None:
        s = self.state
        if "running" in names:
            playing = s.running is Running.PLAYING
            self.play_button.setText("⏸  Pause" if playing else "▶  Play")
            self.timer.start() if playing else self.timer.stop()
            self.sweep_button.setEnabled(s.running is not Running.COMPUTING)
            self.sweep_button.setText(
                f"Fitting K = 1…{MAX_K}…" if s.running is Running.COMPUTING else f"Choose K: fit K = 1…{MAX_K}"
            )
        if "request" in names:
            self.form.show_config(s.request)
        if "points" in names and len(s.points) and not self._stroking:
            low, high = s.points.min(0), s.points.max(0)
            pad = 0.1 * (high - low) + 0.1
            self.plane.setRange(
                xRange=(low[0] - pad[0], high[0] + pad[0]), yRange=(low[1] - pad[1], high[1] + pad[1]), padding=0
            )
        if "sweep" in names:
            self._show_sweep()
        if "current" in names:
            self._show_current() if s.current is not None else self._show_waiting()

    def _show_waiting(self) -> None:
        """Too few points for K: the points in grey, no components, and what to do."""
        s = self.state
        self.cloud.set_points(s.points, np.full(len(s.points), len(PALETTE) - 1))
        for curve in self._ellipses[: self._shown_k]:
            curve.setData([], [])
        self._shown_k = 0
        for curve in (self._ll_curve, self._elbo_curve):
            curve.setData([], [])
        self.gap.clear()
        self.e_button.setEnabled(False)
        self.m_button.setEnabled(False)
        self.formula.setText(
            f"{len(s.points)} points: draw {s.missing_points} more distinct ones (tick Draw, then the left button) "
            f"for EM with K = {s.request.components}, or pick a preset.<br>"
            f"<span style='color:{LOGP_COLOUR}'>log p(X | θ)</span> = <span style='color:{ELBO_COLOUR}'>ELBO(q, θ)"
            f"</span> + <span style='color:{GAP_COLOUR}'>KL(q ‖ p(Z | X, θ))</span>"
        )

    def _show_current(self) -> None:
        s, c = self.state, self.state.current
        assert c is not None  # called only once a snapshot is current
        K = c.theta.K
        best = c.q.argmax(1)
        confidence = (c.q.max(1) - 1.0 / K) / (1 - 1.0 / K) if K > 1 else np.ones(len(c.q))
        level = np.minimum(LEVELS - 1, (confidence * LEVELS).astype(int))
        self.cloud.set_points(s.points, (best % len(COMPONENT_COLOURS)) * LEVELS + level)
        for k, curve in enumerate(self._ellipses[: max(K, self._shown_k)]):
            if k < K:
                outline = ellipse(c.theta.means[k], c.theta.covariances[k])
                curve.setData(outline[:, 0], outline[:, 1])
            else:
                curve.setData([], [])
        self._shown_k = K
        history = np.asarray(s.history)
        steps = np.arange(len(history))
        self._ll_curve.setData(steps, history[:, 0])
        self._elbo_curve.setData(steps, history[:, 1])
        top = float(history[:, 0].max())
        low = float(np.min(history[min(2, len(history) - 1) :, 1]))
        keep_y_range(self.curve_plot, low, top, shrink=not self._stroking)
        grow_x_range(self.curve_plot, len(history), 20)
        n = len(s.points)
        ll, lb, gap = c.log_likelihood / n, c.elbo / n, c.gap / n
        base = min(low, lb) - 0.2
        nxt = s.next_step
        self.e_button.setEnabled(nxt == "E")
        self.m_button.setEnabled(nxt == "M")
        said = {
            "start": "the start: q uniform, so the gap is open",
            "E": "after the E-step: q = p(z | x, θ), the gap is closed",
            "M": "after the M-step: θ raised the ELBO with q held, and opened a gap again",
        }[c.step]
        tips = (
            f"log p(X | θ) = {num(c.log_likelihood, 2)} nats ({num(ll, 4)} per point): the log-likelihood of the "
            f"{n} points under the mixture θ; EM never lowers it",
            f"ELBO(q, θ) = {num(c.elbo, 2)} nats ({num(lb, 4)} per point): the bound E_q[log p(X, Z | θ)] + H(q); "
            "the M-step raises it with q held",
            f"KL(q ‖ p(Z | X, θ)) = {num(c.gap, 6)} nats ({num(gap, 6)} per point): the gap between the bound and "
            "log p(X | θ); the E-step closes it",
        )
        self.gap.show(base, ll, lb, gap, tips, shrink=not self._stroking)
        # Two lines that fit the narrowest window with the most components: where EM stands and the mixture's
        # sizes and weights (π in per cent), then the identity with its numbers.
        self.formula.setText(
            f"Iteration {c.iteration}, {said}.  N = {n}, K = {K}, "
            f"π = ({', '.join(f'{100 * w:.0f}' for w in c.theta.weights)}) %<br>"
            f"{term('log p(X | θ)', tips[0], LOGP_COLOUR)} = {term('ELBO(q, θ)', tips[1], ELBO_COLOUR)} + "
            f"{term('KL(q ‖ p(Z | X, θ))', tips[2], GAP_COLOUR)}:  "
            f"<b>{num(c.log_likelihood, 2)}</b> = {num(c.elbo, 2)} + {num(c.gap, 6)} nats "
            f"({num(ll, 4)} = {num(lb, 4)} + {num(gap, 6)} per point)"
        )

    def _show_sweep(self) -> None:
        sweep = self.state.sweep
        if not sweep:
            self._held_curve.setData([], [])
            self._bic_curve.setData([], [])
            return
        ks = [c.K for c in sweep]
        n_train = round(len(self.state.points) * (1 - HELD_OUT))
        held = [c.held_out_nll for c in sweep]
        bic = [c.bic / (2 * n_train) for c in sweep]
        self._held_curve.setData(ks, held)
        self._bic_curve.setData(ks, bic)
        best_held = ks[int(np.argmin(held))]
        best_bic = ks[int(np.argmin(bic))]
        self.message.setText(
            f"Best K: {best_held} by held-out NLL (on the points kept from EM), "
            f"{best_bic} by BIC = −2 log p(X | θ) + P log N."
        )
        self.k_plot.setXRange(0.5, MAX_K + 0.5, padding=0)
