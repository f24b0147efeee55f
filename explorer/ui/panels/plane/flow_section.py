"""The flows in the 2-D Lab: train a RealNVP, a flow-matching field (independent or OT pairs) and its
reflow live; watch the change of variables layer by layer, the velocity field at any t, the straight
conditional lines beside the curved marginal paths, and the exact likelihood as a heat map; click a
point for its likelihood ledger. Bound to ``FlowState`` (and reads the lab's data from ``LabState``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QLabel, QPushButton, QSlider, QWidget

from explorer.core.plane.data import BOX
from explorer.core.plane.draw import PlaneModel, model_from_checkpoint
from explorer.core.plane.family import compare_reflow, judge_model
from explorer.core.plane.fields import arrow_tails
from explorer.core.plane.flow_matching import integrate
from explorer.core.plane.flow_state import FlowState
from explorer.core.plane.flow_training import train_flow_matching, train_realnvp, train_reflow
from explorer.core.plane.flow_views import Stage, pair_lines, realnvp_stages, velocity_arrows
from explorer.core.plane.flows import flow_log_likelihood
from explorer.core.plane.lab_state import LabJob, LabState
from explorer.core.plane.langevin import Trajectory
from explorer.core.plane.ode_likelihood import log_likelihood_grid
from explorer.core.plane.realnvp import ledger
from explorer.core.plane.samplers import starting_noise
from explorer.core.plane.training import PlaneSnapshot
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.jobs import Job
from explorer.ui.off_thread import LatestOnly
from explorer.ui.panels.plane.canvas import PlaneCanvas
from explorer.ui.panels.plane.form import build_form
from explorer.ui.widgets.help_button import HelpButton
from explorer.ui.worker import Runner

PATHS = 24  # training pairs and ODE paths drawn in the 'paths' view
FIELD_PATH_STEPS = 100  # Euler steps of the particles shown under the velocity field
NLL_PIXELS = 100
HEAT_NATS = 10.0
VIEW_LABELS = {
    "layers": "RealNVP layer by layer",
    "velocity": "velocity field at t",
    "paths": "straight pairs vs ODE paths",
    "nll realnvp": "log p: RealNVP",
    "nll fm": "log p: flow matching",
}
HELP = (
    "RealNVP (Dinh et al. 2017) with spline couplings (Durkan et al. 2019): K layers, each keeping one coordinate "
    "and moving the other by a monotone rational-quadratic spline whose bins the kept one sets (RealNVP's affine "
    "exp(s)·x + t can only shift and stretch, and leaves bridges between separated modes); "
    "log p(x) = log N(z; 0, I) + Σ log|det J_k|, trained by maximum likelihood. The layer slider "
    "pushes the base Gaussian's samples and a grid through the layers; the heat map is the density at that "
    "stage. Click a point for its ledger.\n\nFlow matching (Lipman et al. 2023; rectified flow, Liu et al. 2023): "
    "v(x, t) regresses x₁ − x₀ on x_t = (1−t)x₀ + t x₁, x₀ noise, x₁ data. Pairs are independent, or re-paired "
    "by the exact minimal-cost assignment within minibatches of 64 (OT). 'Reflow' trains a second field on "
    "(noise, sample) pairs of the first. Straightness S = ∫ E‖(Z₁ − Z₀) − v(Z_t, t)‖² dt along the model's own "
    "paths (Liu et al. eq. 6): 0 for straight paths, which one Euler step crosses exactly. Its exact "
    "likelihood integrates −div v along the ODE (instantaneous change of variables; the 2×2 trace is exact)."
)


class FlowSection(QGroupBox):
    """Controls of the lab's flows; draws on the shared canvas when one of its views is chosen."""

    def __init__(
        self,
        lab: LabState,
        state: FlowState,
        canvas: PlaneCanvas,
        runner: Runner,
        show_error: Callable[[str], None],
        on_snapshot: Callable[[str, PlaneSnapshot], None] | None = None,
        on_end: Callable[[str, bool], None] | None = None,
        sweep: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Flows (RealNVP, flow matching, reflow)", parent)
        self.lab, self.state, self.canvas, self.runner, self.show_error = lab, state, canvas, runner, show_error
        # The panel's hooks: each training snapshot (the loss curve, time left), each training's end ("Train all"
        # goes on to the next family), and quality against NFE.
        self.on_snapshot, self.on_end = on_snapshot, on_end
        # Off the GUI thread, latest request wins, one queue per kind of result.
        self.stages_work, self.path_work, self.map_work = LatestOnly(self), LatestOnly(self), LatestOnly(self)
        self.numbers = {key: LatestOnly(self) for key in ("realnvp", "fm", "reflow")}  # one row each
        self.comparing = LatestOnly(self)
        self._stages: list[Stage] = []
        self._field_path: Trajectory | None = None  # particles along the shown field's ODE, for the t slider
        self.train_realnvp = QPushButton("Train RealNVP")
        self.train_realnvp.clicked.connect(lambda: self.train("realnvp"))
        self.train_fm = QPushButton("Train FM")
        self.train_fm.clicked.connect(lambda: self.train("fm"))
        self.reflow = QPushButton("Reflow")
        self.reflow.clicked.connect(lambda: self.train("reflow"))
        self.sweep = QPushButton("Quality vs NFE")
        self.sweep.setToolTip("MMD² against NFE for Euler and Heun on flow matching and its reflow, on the NFE plot")
        if sweep is not None:
            self.sweep.clicked.connect(sweep)
        form, self.editors = build_form(state.fm_cfg, self._on_pairing, {"pairing": "pairing"})
        self.view = QComboBox()
        for key, label in VIEW_LABELS.items():
            self.view.addItem(label, key)
        self.view.currentIndexChanged.connect(lambda i: state.update(view=self.view.itemData(i)))
        self.layer = QSlider(Qt.Orientation.Horizontal)
        self.layer.valueChanged.connect(lambda k: state.update(layer=int(k)))
        self.t = QSlider(Qt.Orientation.Horizontal)
        self.t.setRange(0, 100)
        self.t.setValue(round(state.t * 100))
        self.t.valueChanged.connect(lambda v: state.update(t=v / 100))
        self.layer_label, self.t_label = QLabel(), QLabel()
        self.ledger = QLabel("Click the canvas for the RealNVP's likelihood ledger of a point.")
        self.ledger.setWordWrap(True)
        self.ledger.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        grid = QGridLayout(self)
        grid.addWidget(self.train_realnvp, 0, 0)
        grid.addWidget(self.train_fm, 0, 1)
        grid.addWidget(HelpButton(HELP), 0, 2)
        grid.addLayout(form, 1, 0, 1, 3)
        grid.addWidget(self.reflow, 2, 0)
        grid.addWidget(self.sweep, 2, 1, 1, 2)
        grid.addWidget(self.view, 3, 0, 1, 3)
        grid.addWidget(self.layer_label, 4, 0)
        grid.addWidget(self.layer, 4, 1, 1, 2)
        grid.addWidget(self.t_label, 5, 0)
        grid.addWidget(self.t, 5, 1, 1, 2)
        grid.addWidget(self.ledger, 6, 0, 1, 3)
        grid.addWidget(self.summary, 7, 0, 1, 3)
        canvas.scene().sigMouseClicked.connect(self._on_click)
        state.changed.connect(self._on_state_changed)
        self._on_state_changed(frozenset({"realnvp", "fm", "reflow", "training", "layer", "t", "straightness"}))

    # ---- state → views ----------------------------------------------------------------------------
    def _on_pairing(self, name: str, value: str) -> None:
        self.state.update(fm_cfg=replace(self.state.fm_cfg, pairing=value))

    def _on_state_changed(self, names: frozenset[str]) -> None:
        state = self.state
        if names & {"realnvp", "fm", "reflow", "training"}:
            idle = not state.training
            self.train_realnvp.setEnabled(idle)
            self.train_fm.setEnabled(idle)
            self.reflow.setEnabled(idle and state.field_model is not None)
            self.sweep.setEnabled(idle and state.field_model is not None)
        if "realnvp" in names:
            self._stages = []
            if state.realnvp is not None:
                flow = state.realnvp.net
                self.stages_work.start(realnvp_stages, flow, on_done=self._on_stages)
            self.layer.setRange(0, len(state.realnvp.realnvp.couplings) if state.realnvp else 0)
        if names & {"fm", "reflow"}:
            self._field_path = None
            model = state.field_model
            if model is not None:
                self.path_work.start(
                    integrate, model.net, starting_noise(600, 0), "euler", FIELD_PATH_STEPS, on_done=self._on_field_path
                )
        if "layer" in names:
            self.layer.setValue(state.layer)
        if "t" in names:
            self.t.setValue(round(state.t * 100))
        if names & {"layer", "realnvp"}:
            k = len(state.realnvp.realnvp.couplings) if state.realnvp else 0
            self.layer_label.setText(f"layer {state.layer} of {k}")
        if "t" in names:
            self.t_label.setText(f"t = {state.t:.2f}")
        if names & {"straightness", "few_steps", "family"}:
            self.summary.setText(self._summary())
        if "view" in names:
            self.view.setCurrentIndex(self.view.findData(state.view))
        if "ledger" in names:
            self.ledger.setText("<br>".join(state.ledger))
        if names & {"view", "layer", "t", "realnvp", "fm", "reflow"}:
            self.show_view()

    def _summary(self) -> str:
        state = self.state
        lines = [f"straightness S ({name}): {value:.4f}" for name, value in state.straightness.items()]
        lines += [
            f"{name}: 1-step / 2-step Euler MMD² = {ratios[0]:.1f}× / {ratios[1]:.1f}× the floor"
            for name, ratios in state.few_steps.items()
        ]
        return "\n".join(lines)

    def show_view(self) -> None:
        """Draw the chosen view of the flows on the canvas (a swap of precomputed arrays)."""
        view, state, canvas = self.state.view, self.state, self.canvas
        if view == "layers" and self._stages:
            stage = self._stages[min(state.layer, len(self._stages) - 1)]
            canvas.set_heat(shown_range(stage.log_density), BOX)
            canvas.set_arrows(None, None)
            canvas.set_trails(stage.grid)
            canvas.set_particles(stage.samples)
        elif view == "velocity" and state.field_model is not None:
            tails = arrow_tails()
            canvas.set_arrows(
                tails, velocity_arrows(state.field_model.velocity, tails, state.t, tails[1, 0] - tails[0, 0])
            )
            canvas.set_trails(None)
            if self._field_path is not None:
                canvas.set_particles(self._field_path.frames[round(state.t * FIELD_PATH_STEPS)])
        elif view == "paths" and state.field_model is not None and self._field_path is not None:
            lines = pair_lines(self.lab.points, PATHS, state.fm_cfg.pairing)
            canvas.set_arrows(lines[0], lines[1] - lines[0])
            canvas.set_trails(self._field_path.frames[:, :PATHS])
            canvas.set_particles(self._field_path.final[:PATHS])
        elif view in ("nll realnvp", "nll fm"):
            model = state.realnvp if view == "nll realnvp" else state.field_model
            canvas.set_arrows(None, None)
            canvas.set_trails(None)
            canvas.set_particles(None)
            if model is not None:
                self.map_work.start(
                    likelihood_map, model, on_done=lambda image: canvas.set_heat(shown_range(image), BOX)
                )

    def _on_stages(self, stages: list[Stage]) -> None:
        self._stages = stages
        self.show_view()

    def _on_field_path(self, path: Trajectory) -> None:
        self._field_path = path
        self.show_view()

    def _on_click(self, event: object) -> None:
        model = self.state.realnvp
        if model is None or self.lab.drawing:
            return
        point = self.canvas.box.mapSceneToView(event.scenePos())  # type: ignore[attr-defined]
        self.click(point.x(), point.y())

    def click(self, x: float, y: float) -> None:
        """The RealNVP's likelihood ledger of the point (x, y)."""
        if self.state.realnvp is not None:
            self.state.update(ledger=ledger(self.state.realnvp.realnvp, (x, y)).lines())

    # ---- training through the runner --------------------------------------------------------------------
    def train(self, which: str) -> bool:
        """Start training the flow ``which`` (realnvp, fm, reflow); False, with a message, if it cannot start."""
        lab, state = self.lab, self.state
        if self.runner.busy:
            self.show_error(f"Another job is running ({self.runner.label}); stop it first.")
            return False
        if len(lab.points) < 10:
            self.show_error("Draw at least 10 points (or choose a preset) before training a flow.")
            return False
        if which == "realnvp":
            job = Job(train_realnvp, {"cfg": state.realnvp_cfg, "points": lab.points, "source": lab.source})
        elif which == "fm":
            job = Job(train_flow_matching, {"cfg": state.fm_cfg, "points": lab.points, "source": lab.source})
        else:
            first = state.field_model
            if first is None:
                self.show_error("Train a flow-matching model first: reflow trains on its (noise, sample) pairs.")
                return False
            teacher = Checkpoint(first.kind, vars(first.cfg).copy(), first.net.state_dict(), first.info)
            cfg = replace(state.reflow_cfg, hidden=first.cfg.hidden, layers=first.cfg.layers)
            job = Job(train_reflow, {"cfg": cfg, "teacher": teacher})
        state.update(training=which)
        lab.update(job=LabJob.TRAINING, training=which)
        self.runner.start(
            job,
            on_yield=lambda snap: self.on_snapshot(which, snap) if self.on_snapshot else None,
            on_done=lambda ckpt: self._on_trained(which, ckpt),
            on_end=lambda succeeded: self._on_end(which, succeeded),
            label=f"2-D Lab: training the {which}",
            owner="2-D Lab",
        )
        return True

    def _on_end(self, which: str, succeeded: bool) -> None:
        self.state.update(training="")
        self.lab.update(job=LabJob.IDLE, training="")
        if self.on_end is not None:
            self.on_end(which, succeeded)

    def _on_trained(self, which: str, ckpt: Checkpoint) -> None:
        model = model_from_checkpoint(ckpt)
        first = self.state.field_model
        self.state.update(**{which: model}, view="layers" if which == "realnvp" else "paths")
        points, source = self.lab.points, self.lab.source
        seconds = float(ckpt.info["training"]["seconds"])
        self.numbers[which].start(
            judge_model,
            model,
            points,
            source,
            seconds,
            on_done=lambda row: self.state.update(family={**self.state.family, which: row}),
        )
        if which == "reflow" and first is not None:
            self.comparing.start(compare_reflow, first, model, points, source, on_done=self._on_compared)

    def _on_compared(self, result: tuple[dict[str, float], dict[str, list[float]]]) -> None:
        self.state.update(straightness=result[0], few_steps=result[1])


def shown_range(log_density: np.ndarray) -> np.ndarray:
    """log p clipped to its top HEAT_NATS nats, so the colours spread over where the mass is, not the far tails."""
    return np.maximum(log_density, float(log_density.max()) - HEAT_NATS)


def likelihood_map(model: PlaneModel) -> np.ndarray:
    """log p over a NLL_PIXELS² grid of the box, exact for both kinds of flow."""
    axis = np.linspace(-BOX, BOX, NLL_PIXELS, dtype=np.float32)
    gx, gy = np.meshgrid(axis, axis)
    if hasattr(model.net, "couplings"):
        points = np.stack([gx.ravel(), gy.ravel()], 1)
        return flow_log_likelihood(model.flow, points).reshape(NLL_PIXELS, NLL_PIXELS).astype(np.float32)
    return log_likelihood_grid(model.net, (-BOX, BOX, -BOX, BOX), NLL_PIXELS)
