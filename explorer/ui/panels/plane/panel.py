"""The 2-D Lab panel: one canvas of points over a score field, Langevin particles, a 2-D DDPM's reverse
chain, live training and the quality number. It wires sections to one ``LabState`` and owns no maths."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QMessageBox, QScrollArea, QVBoxLayout, QWidget

from explorer.core.plane.data import preset_mixture
from explorer.core.plane.fields import (
    arrow_tails,
    arrows,
    exact_field,
    log_density_image,
    model_field,
    reference_mixture,
)
from explorer.core.plane.flow_state import FlowState
from explorer.core.plane.lab_state import DRAWING, LabState
from explorer.core.plane.langevin import (
    ScoreFn,
    Trajectory,
    annealed_langevin,
    exact_score_fn,
    net_score_fn,
    uniform_start,
)
from explorer.core.plane.link import agreement, step_for_sigma
from explorer.core.plane.mixture import mode_shares
from explorer.core.plane.models import EpsNet, ScoreConfig, ScoreNet
from explorer.core.plane.quality import judge_for
from explorer.core.plane.samplers import forward_chain, reverse_chain, starting_noise
from explorer.ui.off_thread import LatestOnly
from explorer.ui.panels.plane.canvas import PlaneCanvas
from explorer.ui.panels.plane.data_section import DataSection
from explorer.ui.panels.plane.ddpm_section import DDPMSection
from explorer.ui.panels.plane.family_table import FamilyTable
from explorer.ui.panels.plane.field_section import FieldSection
from explorer.ui.panels.plane.flow_section import FlowSection
from explorer.ui.panels.plane.langevin_section import LangevinSection
from explorer.ui.panels.plane.nfe_plot import NFEPlot
from explorer.ui.panels.plane.trainer import LabTrainer
from explorer.ui.panels.plane.training_section import TrainingSection
from explorer.ui.widgets.timeline import Timeline
from explorer.ui.worker import Runner

TRAILS = 10  # particles whose paths are traced
TRAIL_FRAMES = 60  # how far back a trace reaches: a tail, so the noisiest early steps do not hide the plane
SPRAY = 6  # points a brush stroke adds
FORWARD_POINTS = 2000  # the forward process runs on at most this many of the data's points, spread evenly
LANGEVIN_COMPONENTS = 400  # drawn data's exact score for Langevin: the data smoothed by σ, on at most this many points


class PlanePanel(QWidget):
    """The "2-D Lab" tab."""

    title = "2-D Lab"
    checkpoint_kind = None  # its models are saved with `gen-explorer plane train`; File ▸ Save does not apply

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.state = LabState()
        self.background = LatestOnly(self)  # Langevin, samples, previews: off the GUI thread, latest wins
        self.judging = LatestOnly(self)
        self.field_work = LatestOnly(self)  # the field under the brush while it draws
        self._rng = np.random.default_rng(0)
        self.canvas = PlaneCanvas()
        self.timeline = Timeline()
        self.timeline.add_shortcuts(self, "one frame")
        self.timeline.frame_changed.connect(lambda i: self.state.update(frame=i))
        self.data_section = DataSection(self.state, lambda message: self.show_error(message))
        self.field_section = FieldSection(self.state)
        self.langevin_section = LangevinSection(self.state, self.run_langevin)
        self.ddpm_section = DDPMSection(
            self.state, self.sample_ddpm, self.show_forward, lambda: self.sweep_nfe(ddpm=True, flows=False)
        )
        self.training_section = TrainingSection(self.state, self.train, self.stop, self.train_all)
        self.nfe_plot = NFEPlot()
        self.flow_state = FlowState()
        self.trainer = LabTrainer(
            self,
            runner,
            self.state,
            self.flow_state,
            show_error=lambda message: self.show_error(message),
            train_flow=lambda family: self.flow_section.train(family),
            show_samples=lambda family: self.run_langevin(True) if family == "score" else self.sample_ddpm(),
        )
        self.flow_section = FlowSection(
            self.state,
            self.flow_state,
            self.canvas,
            runner,
            lambda message: self.show_error(message),
            on_snapshot=self.trainer.on_snapshot,
            on_end=self.trainer.on_family_end,
            sweep=lambda: self.sweep_nfe(ddpm=False, flows=True),
        )
        self.family_table = FamilyTable(self.state, self.flow_state)
        self._field_timer = QTimer(self)
        self._field_timer.setSingleShot(True)
        self._field_timer.setInterval(40)  # a drag or a slider coalesces into one field per 40 ms
        self._field_timer.timeout.connect(self._refresh_field_soon)
        self._layout()
        self.canvas.stroke.connect(self._on_stroke)
        self.state.changed.connect(self._on_state_changed)
        self._on_state_changed(frozenset({"points", "source", "drawing", "brush", "sigma"}))

    def _layout(self) -> None:
        left = QWidget()
        column = QVBoxLayout(left)
        for section in (
            self.data_section,
            self.field_section,
            self.langevin_section,
            self.ddpm_section,
            self.flow_section,
        ):
            column.addWidget(section)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFixedWidth(left.sizeHint().width() + 24)
        middle = QVBoxLayout()
        middle.addWidget(self.canvas, 1)
        middle.addWidget(self.timeline)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.addWidget(self.training_section, 1)
        right.addWidget(self.nfe_plot, 1)
        right.addWidget(self.family_table)
        right_widget = QWidget()
        right_widget.setLayout(right)
        right_widget.setFixedWidth(340)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(middle, 1)
        layout.addWidget(right_widget)

    # ---- binding the state to the views ------------------------------------------------------------
    def _on_state_changed(self, names: frozenset[str]) -> None:
        state = self.state
        if names & {"points", "source"}:
            self.canvas.set_data_points(state.points)
            if not state.drawing:
                self._judge_current()
        if "drawing" in names:
            self.canvas.set_drawing(state.drawing)
        if "brush" in names:
            self.canvas.brush_radius = state.brush
        if names & {"points", "source", "sigma", "field_source", "heat", "score_model", "ddpm_model"}:
            self._field_timer.start()
        if "trajectory" in names and state.trajectory is not None:
            self.timeline.set_count(len(state.trajectory.frames))
            self.timeline.set_frame(state.frame)
        if names & {"trajectory", "frame"}:
            self._show_frame()
        if "sweep" in names:
            self.nfe_plot.show_sweep(state.sweep)

    def refresh_field(self) -> None:
        """Arrows and heat map for the chosen field at the current σ (GUI thread: a few ms)."""
        self._show_field(field_views(self.state))

    def _refresh_field_soon(self) -> None:
        """The coalesced refresh: while the brush draws, computed off the GUI thread (the latest wins), so
        painting keeps up with the mouse whatever the number of points; else at once."""
        if self.state.drawing:
            self.field_work.start(field_views, self.state, on_done=self._show_field)
        else:
            self.refresh_field()

    def _show_field(self, views: tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]) -> None:
        tails, vectors, heat = views
        self.canvas.set_arrows(tails, vectors)
        self.canvas.set_heat(heat, 4.0)
        if not self.state.drawing:  # while the brush moves, the numbers wait: the arrows are what must keep up
            self.field_section.show_agreement(self._agreement_text())

    def _agreement_text(self) -> str:
        """Each trained model's field against the exact one at this σ, at points of p_σ: the link made numerical."""
        state = self.state
        models = [
            (name, m) for name, m in (("score net", state.score_model), ("DDPM", state.ddpm_model)) if m is not None
        ]
        if not models or len(state.points) == 0:
            return "" if state.field_source in ("exact", "none") else f"No {state.field_source} trained yet."
        noise = np.random.default_rng(1).standard_normal((min(len(state.points), 500), 2))
        at = state.points[: len(noise)] + state.sigma * noise  # points of p_σ: where the field matters
        exact = exact_field(state.points, state.source, at, state.sigma)
        reference = "exact score" if preset_mixture(state.source) is not None else "score of the data smoothed by σ"
        lines = [f"Against the {reference} at σ = {state.sigma:.3g}:"]
        for name, model in models:
            cosine, error = agreement(model_field(model.field_net, at, state.sigma), exact)
            net = model.field_net
            where = "" if isinstance(net, ScoreNet) else f" at t = {step_for_sigma(net, state.sigma) + 1}"
            lines.append(f"{name}{where}: mean cosine {cosine:.3f}, relative error {error:.2f}")
        return "\n".join(lines)

    def _show_frame(self) -> None:
        state = self.state
        trajectory = state.trajectory
        points = state.frame_points
        self.canvas.set_particles(points)
        if trajectory is None or points is None:
            self.canvas.set_trails(None)
            return
        i = min(state.frame, len(trajectory.frames) - 1)
        self.canvas.set_trails(trajectory.frames[max(0, i + 1 - TRAIL_FRAMES) : i + 1, :TRAILS])
        self.timeline.info.setText(
            f"<b>{state.trajectory_title}</b>   {trajectory.clock} {int(trajectory.steps[i])}   "
            f"σ = {float(trajectory.sigmas[i]):.3g}"
        )

    # ---- drawing ---------------------------------------------------------------------------------
    def _on_stroke(self, x: float, y: float, erase: bool) -> None:
        points, r = self.state.points, self.state.brush
        if erase:
            keep = np.hypot(points[:, 0] - x, points[:, 1] - y) > r
            if keep.all():
                return
            points = points[keep]
        else:
            angle = self._rng.uniform(0, 2 * np.pi, SPRAY)
            radius = r * np.sqrt(self._rng.uniform(0, 1, SPRAY))
            spray = np.stack([x + radius * np.cos(angle), y + radius * np.sin(angle)], 1).astype(np.float32)
            points = np.concatenate([points, spray])[-100_000:]
        self.state.update(points=points, source=DRAWING)

    # ---- Langevin and sampling, off the GUI thread --------------------------------------------------
    def _score_fn(self) -> tuple[ScoreFn, np.ndarray, str]:
        """The score the particles follow: the trained score net, else the exact one; and its σ levels."""
        state = self.state
        model = state.score_model
        if model is not None and isinstance(model.net, ScoreNet) and isinstance(model.cfg, ScoreConfig):
            cfg = model.cfg
            return net_score_fn(model.net), cfg.sigmas(), "score net"
        mix, _ = reference_mixture(state.points, state.source, most=LANGEVIN_COMPONENTS)
        return exact_score_fn(mix), ScoreConfig().sigmas(), "exact score"

    def run_langevin(self, annealed: bool) -> None:
        if len(self.state.points) == 0:
            self.show_error("Draw or choose some data first.")
            return
        request, noise = self.state.langevin, self.state.langevin_noise
        denoise = annealed and self.state.langevin_denoise
        score, sigmas, name = self._score_fn()
        levels = sigmas if annealed else sigmas[-1:]
        steps = request.steps if annealed else request.steps * len(sigmas)
        start = uniform_start(request.particles, request.seed)
        notes = name + ("" if noise else ", no noise") + (", denoised" if denoise else "")
        title = f"{'Annealed' if annealed else 'Plain'} Langevin ({notes})"
        eps = request.step_ratio * sigmas[-1] ** 2

        def run() -> Trajectory:
            return annealed_langevin(score, start, levels, eps, steps, request.seed, noise, denoise)

        self.timeline.info.setText(f"<b>{title}</b>: running…")
        self.background.start(run, on_done=lambda t: self._show_run(t, title, "annealed" if annealed else "plain"))

    def _show_run(self, trajectory: Trajectory, title: str, run: str | None = None) -> None:
        state = self.state
        shares = dict(state.shares)
        mix = preset_mixture(state.source)
        if run is not None and mix is not None:
            shares["data"] = mix.weights
            shares[run + (" (no noise)" if not state.langevin_noise else "")] = mode_shares(mix, trajectory.final)
        state.update(trajectory=trajectory, trajectory_title=title, frame=len(trajectory.frames) - 1, shares=shares)
        self._judge(title.split(" (")[0], trajectory.final)

    def sample_ddpm(self) -> None:
        model = self.state.ddpm_model
        if model is None or not isinstance(model.net, EpsNet):
            return
        net = model.net
        request = self.state.sampler
        x_T = starting_noise(request.particles, request.seed)

        def run() -> tuple[Trajectory, int]:
            return reverse_chain(net, request.sampler, request.nfe, x_T, request.eta, request.seed)

        self.background.start(
            run, on_done=lambda result: self._show_run(result[0], f"DDPM by {request.sampler} ({result[1]} NFE)")
        )

    def show_forward(self) -> None:
        model = self.state.ddpm_model
        if model is None or not isinstance(model.net, EpsNet) or len(self.state.points) == 0:
            return
        points = self.state.points
        trajectory = forward_chain(model.net, points[:: -(-len(points) // FORWARD_POINTS)])
        self.state.update(trajectory=trajectory, trajectory_title="Forward process q(x_t | x_0)", frame=0)

    # ---- the quality number ------------------------------------------------------------------------
    def _judge_current(self) -> None:
        self.state.update(quality={})

    def _judge(self, what: str, samples: np.ndarray) -> None:
        points, source = self.state.points, self.state.source
        if len(points) < 4:
            return

        def run() -> tuple[float, float]:
            judge = judge_for(points, source)
            return judge.score(samples), judge.floor

        self.judging.start(run, on_done=lambda value: self.state.update(quality={**self.state.quality, what: value}))

    # ---- training and the NFE sweep: the trainer's, through the runner ----------------------------------
    def train(self) -> bool:
        """Train the model and steps the Training form asks for."""
        return self.trainer.train()

    def train_all(self) -> None:
        self.trainer.train_all()

    def stop(self) -> None:
        self.trainer.stop()

    def sweep_nfe(self, ddpm: bool = True, flows: bool = True) -> None:
        self.trainer.sweep_nfe(ddpm, flows)

    def show_error(self, message: str) -> None:
        QMessageBox.warning(self, self.title, message)


def field_views(state: LabState) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """What the canvas draws under the points for ``state``: arrow tails, arrows, heat map (or None each)."""
    tails = arrow_tails()
    spacing = tails[1, 0] - tails[0, 0]
    points, source, sigma = state.points, state.source, state.sigma
    empty = len(points) == 0
    net = {"score net": state.score_model, "DDPM": state.ddpm_model}.get(state.field_source)
    if state.field_source == "none" or (state.field_source == "exact" and empty):
        field = None
    elif state.field_source == "exact":
        field = exact_field(points, source, tails, sigma)
    elif net is not None:
        field = model_field(net.field_net, tails, sigma)
    else:
        field = None
    heat = log_density_image(points, source, sigma) if state.heat and not empty else None
    if field is None:
        return None, None, heat
    return tails, arrows(field, spacing), heat
