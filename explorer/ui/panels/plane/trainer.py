"""Training every family of the 2-D Lab through the runner, for the panel: the score net and the DDPM
(installed live, previewed, restored on Stop), the flows (through the flow section), "Train all" one
after another with how long each has left, the family table's rows, and quality against NFE."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PySide6.QtWidgets import QWidget

from explorer.core.plane.draw import PlaneModel, draw, model_from_checkpoint
from explorer.core.plane.family import FAMILIES, judge_model, lab_sweep
from explorer.core.plane.flow_state import FlowState
from explorer.core.plane.lab_state import LabJob, LabState
from explorer.core.plane.models import DDPMConfig, ScoreConfig, ScoreNet, kind_of
from explorer.core.plane.sweep import SweepPoint
from explorer.core.plane.training import PlaneSnapshot
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.jobs import Job
from explorer.ui.off_thread import LatestOnly
from explorer.ui.panels.plane.training_section import FAMILY_TITLES
from explorer.ui.worker import Runner

MIN_POINTS_TO_TRAIN = 10


class LabTrainer:
    """Starts the lab's trainings and sweeps and files what they yield into the two lab states."""

    def __init__(
        self,
        owner: QWidget,
        runner: Runner,
        state: LabState,
        flows: FlowState,
        show_error: Callable[[str], None],
        train_flow: Callable[[str], bool],
        show_samples: Callable[[str], None],
    ) -> None:
        self.owner, self.runner, self.state, self.flows = owner, runner, state, flows
        self.show_error, self.train_flow, self.show_samples = show_error, train_flow, show_samples
        self.previews = LatestOnly(owner)  # samples of the weights so far, while a part-1 model trains
        self.judging = {family: LatestOnly(owner) for family in ("score", "ddpm")}  # their family-table rows
        self._before_training: tuple[PlaneModel | None, PlaneModel | None] | None = None  # restored on Stop

    def train(self, family: str | None = None, cfg: ScoreConfig | DDPMConfig | None = None) -> bool:
        """Train the score net or the DDPM: ``family`` by ``cfg``, else the form's model for the form's
        steps; False, with a message, if it cannot start."""
        state = self.state
        family = family or state.train_model
        if self.runner.busy:
            self.show_error(f"Another job is running ({self.runner.label}); stop it first.")
            return False
        if len(state.points) < MIN_POINTS_TO_TRAIN:
            self.show_error(f"Draw at least {MIN_POINTS_TO_TRAIN} points (or choose a preset) before training.")
            return False
        if cfg is None:
            cfg = state.training_config(family)
        self._before_training = (state.score_model, state.ddpm_model)
        state.update(
            losses={**state.losses, family: []},
            job=LabJob.TRAINING,
            training=family,
            training_cfg=cfg,
            field_source="score net" if family == "score" else "DDPM",
        )
        self.runner.start(
            state.training_job(cfg),
            on_yield=lambda snap: self.on_snapshot(family, snap),
            on_done=self._on_trained,
            on_end=lambda succeeded: self._on_training_end(family, succeeded),
            label=f"2-D Lab: training the {family}",
            owner="2-D Lab",
        )
        return True

    def train_all(self) -> None:
        """Every family on the current data, one after another, each with its default settings."""
        if self.runner.busy:
            self.show_error(f"Another job is running ({self.runner.label}); stop it first.")
            return
        if len(self.state.points) < MIN_POINTS_TO_TRAIN:
            self.show_error(f"Draw at least {MIN_POINTS_TO_TRAIN} points (or choose a preset) before training.")
            return
        self.flows.update(family={}, straightness={}, few_steps={})
        self.state.update(losses={}, queue=FAMILIES[1:], sweep=[], train_all=True)
        self._train_family(FAMILIES[0])

    def _train_family(self, family: str) -> None:
        if family in ("score", "ddpm"):
            started = self.train(family, self.state.score_cfg if family == "score" else self.state.ddpm_cfg)
        else:
            started = self.train_flow(family)
        if not started:
            self.state.update(queue=(), progress="", train_all=False)

    def on_family_end(self, family: str, succeeded: bool) -> None:
        """A training ended: "Train all" goes on to its next family, or, after the last, measures quality
        against NFE for every sampler of the DDPM and the flow-matching fields."""
        queue = self.state.queue
        if not succeeded:
            self.state.update(queue=(), progress=f"{FAMILY_TITLES[family]}: stopped.", train_all=False)
        elif queue:
            self.state.update(queue=queue[1:])
            self._train_family(queue[0])
        else:
            train_all = self.state.train_all
            self.state.update(progress="", train_all=False)
            if train_all:
                self.sweep_nfe(ddpm=True, flows=True)

    def on_snapshot(self, family: str, snap: PlaneSnapshot) -> None:
        """A training snapshot of any family: its loss curve, the time it has left; a part-1 model's weights
        are installed as they come, with a preview of its samples."""
        state = self.state
        state.update(
            losses={**state.losses, family: [*state.losses.get(family, []), (snap.step, snap.loss)]},
            progress=progress_line(family, snap, state.queue),
        )
        if family in ("score", "ddpm"):
            self._preview(snap)

    def stop(self) -> None:
        if self.state.job is not LabJob.IDLE:
            self.runner.stop()

    def _install(self, model: PlaneModel) -> None:
        if isinstance(model.net, ScoreNet):
            self.state.update(score_model=model)
        else:
            self.state.update(ddpm_model=model)

    def _preview(self, snap: PlaneSnapshot) -> None:
        cfg = self.state.training_cfg
        if snap.state is None or cfg is None:
            return
        model = model_from_checkpoint(Checkpoint(kind_of(cfg), vars(cfg).copy(), dict_to_tensors(snap.state)))
        self._install(model)
        preview = "annealed-langevin" if isinstance(model.net, ScoreNet) else "ddim"
        nfe = 100 if preview == "annealed-langevin" else 20
        self.previews.start(
            lambda: draw(model, preview, 1000, nfe, seed=0)[0],
            on_done=lambda t: self.state.update(
                trajectory=t, frame=len(t.frames) - 1, trajectory_title=f"Preview while training ({preview})"
            ),
        )

    def _on_trained(self, ckpt: Checkpoint) -> None:
        """Install the trained model and show its samples by the sampler the learner has chosen."""
        model = model_from_checkpoint(ckpt)
        self._install(model)
        family = "score" if isinstance(model.net, ScoreNet) else "ddpm"
        flows, points, source = self.flows, self.state.points, self.state.source
        seconds = float(ckpt.info["training"]["seconds"])
        self.judging[family].start(
            judge_model,
            model,
            points,
            source,
            seconds,
            on_done=lambda row: flows.update(family={**flows.family, family: row}),
        )
        self.show_samples(family)

    def _on_training_end(self, family: str, succeeded: bool) -> None:
        if not succeeded and self._before_training is not None:
            score, ddpm = self._before_training
            self.state.update(score_model=score, ddpm_model=ddpm)
        self._before_training = None
        self.state.update(job=LabJob.IDLE, training="", training_cfg=None)
        self.on_family_end(family, succeeded)

    def sweep_nfe(self, ddpm: bool = True, flows: bool = True) -> None:
        """Quality against NFE, on one plot: the DDPM's four samplers and/or Euler and Heun on the
        flow-matching field and its reflow; a model's earlier curves are replaced, the others kept."""
        state, flow_state = self.state, self.flows
        if self.runner.busy:
            return
        model = state.ddpm_model if ddpm else None
        fields = {
            name: m for name, m in (("FM", flow_state.fm), ("reflow", flow_state.reflow)) if flows and m is not None
        }
        if model is None and not fields:
            return
        swept = {"ddpm", "ddim", "euler", "heun"} if model is not None else set()
        swept |= {f"{name} {sampler}" for name in fields for sampler in ("euler", "heun")}
        kept = [p for p in state.sweep if p.sampler not in swept]
        state.update(sweep=kept, job=LabJob.SWEEP)
        self.runner.start(
            Job(
                lab_sweep,
                {
                    "ddpm": checkpoint_of(model) if model is not None else None,
                    "fields": {name: checkpoint_of(m) for name, m in fields.items()},
                    "points": state.points,
                    "source": state.source,
                    "n": state.sweep_n,
                },
            ),
            on_yield=self._on_sweep_point,
            on_end=lambda _ok: self.state.update(job=LabJob.IDLE),
            label="2-D Lab: quality against NFE",
            owner="2-D Lab",
        )

    def _on_sweep_point(self, point: SweepPoint) -> None:
        self.state.update(sweep=[*self.state.sweep, point])


def checkpoint_of(model: PlaneModel) -> Checkpoint:
    """An installed model as a checkpoint again, to hand to a job in another process."""
    return Checkpoint(model.kind, vars(model.cfg).copy(), model.net.state_dict(), model.info)


def progress_line(family: str, snap: PlaneSnapshot, queue: tuple[str, ...]) -> str:
    """Where a training is and how long it has left at its pace so far; what "Train all" trains after it."""
    left = snap.seconds * (snap.steps - snap.step) / max(snap.step, 1)
    line = f"{FAMILY_TITLES[family]}: step {snap.step:,} of {snap.steps:,}, about {left:.0f} s left"
    if queue:
        line += "; then " + ", ".join(FAMILY_TITLES[f] for f in queue)
    return line


def dict_to_tensors(weights: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(np.asarray(w)) for name, w in weights.items()}
