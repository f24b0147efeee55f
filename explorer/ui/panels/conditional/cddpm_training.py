"""The cDDPM's training section: the form (with the label dropout p_uncond and where to start from), the
loss curve, guided samples of every digit while training, and what the model is."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QWidget

from explorer.core.conditional import CDDPMConfig, CDDPMSnapshot
from explorer.core.conditional.cddpm import ARCHITECTURE
from explorer.core.families import FAMILIES
from explorer.core.runtime.checkpoints import Checkpoint, load_checkpoint
from explorer.core.runtime.errors import CheckpointError
from explorer.ui.panels.diffusion.training_section import blocks_text, width_text
from explorer.ui.panels.run_record import steps_text, trained_text
from explorer.ui.panels.step_training import StepTrainingSection, spin_box
from explorer.ui.widgets.bounded_box import fit_to_field
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.image_grid import tile

FROM_DDPM, FROM_SCRATCH = "the shipped DDPM", "scratch"


def describe_checkpoint(ckpt: Checkpoint) -> str:
    """The model in a few lines: its steps over all its runs, T, width and depth, p_uncond, what it started from,
    final loss and training time."""
    c, info = ckpt.config, ckpt.info
    text = (
        f"Model: {steps_text(info)}, T = {c.get('timesteps', '?')}, {width_text(c)}, "
        f"{blocks_text(c)}, labels dropped with p = {c.get('p_uncond', '?')}"
    )
    earlier, from_ddpm = info.get("continues"), False
    while earlier:
        from_ddpm = from_ddpm or earlier.get("kind") == "ddpm"
        earlier = earlier.get("continues")
    if from_ddpm:
        text += "\nFine-tuned from the unconditional DDPM"
    if "final_loss" in info.get("metrics", {}):
        text += f"\nFinal loss {info['metrics']['final_loss']:.4f}"
    return text + trained_text(info)


class CDDPMTrainingSection(StepTrainingSection):
    """Ho & Salimans' Algorithm 1 from the form's settings; the panel runs it and feeds the snapshots in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        defaults = CDDPMConfig()
        plot = CurvePlot("training loss ‖ε − ε_θ(x_t, t, y)‖²", "step", "MSE")
        plot.add_curve("train", "#1f77b4")
        super().__init__(
            "Train with label dropout (Algorithm 1 of Ho && Salimans: y → ∅ with probability p_uncond)",
            1000,
            defaults.lr,
            plot,
            "while training: guided 0 … 9",
            parent,
        )
        self.loss_plot = plot
        self.batch_size = spin_box(8, 1024, defaults.batch_size)
        self.p_uncond = QDoubleSpinBox()
        fit_to_field(self.p_uncond, CDDPMConfig, "p_uncond")
        self.p_uncond.setSingleStep(0.05)
        self.p_uncond.setValue(defaults.p_uncond)
        self.p_uncond.setToolTip(
            "The share of training labels replaced by ∅, which teaches the unconditional ε(x_t, ∅)"
        )
        self.start_from = QComboBox()
        self.start_from.addItems([FROM_DDPM, FROM_SCRATCH])
        self.start_from.setToolTip(
            "From the shipped unconditional DDPM, its class embedding at zero (much quicker), or from random weights"
        )
        self.lay_out(
            [
                ("steps", self.train_steps),
                ("batch size", self.batch_size),
                ("learning rate", self.lr),
                ("p_uncond", self.p_uncond),
                ("start from", self.start_from),
            ],
            samples_stretch=2,
        )

    def training_config(self) -> CDDPMConfig:
        """The run the form describes; from the shipped DDPM, with its schedule and U-Net (CheckpointError if
        that file is missing or unreadable)."""
        settings: dict[str, Any] = {
            "steps": self.train_steps.value(),
            "batch_size": self.batch_size.value(),
            "lr": self.lr.value(),
            "p_uncond": self.p_uncond.value(),
        }
        if self.start_from.currentText() == FROM_SCRATCH:
            return CDDPMConfig(**settings)
        path = FAMILIES["ddpm"].default_checkpoint
        if not path.is_file():
            raise CheckpointError(
                f"There is no shipped DDPM to start from ({path.name} is not there): choose to start from scratch."
            )
        ddpm = load_checkpoint(path, kind="ddpm")
        return CDDPMConfig(
            **settings, **{k: ddpm.config[k] for k in ARCHITECTURE if k in ddpm.config}, init_from=str(path)
        )

    def add(self, snap: CDDPMSnapshot) -> None:
        self.loss_plot.add_point("train", snap.step, snap.loss)

    def show_samples(self, samples: np.ndarray) -> None:
        """(20, 28, 28) previews, two rows of 0..9."""
        self.train_samples.set_image(tile(samples, 10))

    def show_record(self, ckpt: Checkpoint | None) -> None:
        """Plot a model's last run's recorded losses, counted after its earlier runs (none: clear)."""
        self.show_curves(ckpt, {"train": "loss"})
