"""The training section: the train form, the loss curve, samples while training, and what the model is."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QWidget

from explorer.core.diffusion import DDPMConfig
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.ui.panels.run_record import steps_text, trained_text
from explorer.ui.panels.step_training import StepTrainingSection, spin_box
from explorer.ui.widgets.curve_plot import CurvePlot


def width_text(config: dict) -> str:
    """The U-Net's base width in words: "48 channels", "60 channels (widened from 48)"."""
    text = f"{config.get('base_channels', '?')} channels"
    return f"{text} (widened from {config['widened_from']})" if config.get("widened_from") else text


def blocks_text(config: dict) -> str:
    """The U-Net's depth and attention in words: "1 block per resolution", "2 blocks per resolution,
    attention at 7×7"."""
    depth = config.get("depth", 1)
    text = f"{depth} block{'s' if depth != 1 else ''} per resolution"
    attention = config.get("attention", "none")
    return text if attention == "none" else f"{text}, attention at {attention.replace('x', '×')}"


def describe_checkpoint(ckpt: Checkpoint) -> str:
    """The model in a few lines: its steps over all its runs, schedule, T, width and depth; training time and
    final loss on one line, so that a line below ("the previous model is back") still fits."""
    c, info = ckpt.config, ckpt.info
    text = (
        f"Model: {steps_text(info)}, "
        f"{c.get('schedule', '?')} schedule, T = {c.get('timesteps', '?')}, {width_text(c)}, "
        f"{blocks_text(c)}"
    )
    trained = trained_text(info)  # "\nTrained on ... in ... min", or "" where the record says nothing
    loss = info.get("metrics", {}).get("final_loss")
    if loss is not None:
        trained += f"; final loss {loss:.4f}" if trained else f"\nFinal loss {loss:.4f}"
    return text + trained


LOSS_TITLE = "training loss ‖ε − ε̂‖²"
# The model's line: wide enough that its description and "the previous model is back" after a stopped run fit its
# six lines at 1280 x 720.
MODEL_INFO_WIDTH = 330


class TrainingSection(StepTrainingSection):
    """Algorithm 1 of Ho et al. from the form's settings; the panel runs it and feeds the snapshots in."""

    def __init__(self, parent: QWidget | None = None) -> None:
        defaults = DDPMConfig()
        plot = CurvePlot(LOSS_TITLE, "step", "MSE")
        plot.add_curve("train", "#1f77b4")
        super().__init__(
            "Train from scratch on MNIST (Algorithm 1: predict the noise, loss ‖ε − ε_θ(x_t, t)‖²)",
            2000,
            defaults.lr,
            plot,
            "samples while training<br>(DDIM-25, fixed noise)",
            parent,
        )
        self.loss_plot = plot
        self.model_info.setMinimumWidth(MODEL_INFO_WIDTH)
        self.batch_size = spin_box(8, 1024, defaults.batch_size)
        self.train_schedule = QComboBox()
        self.train_schedule.addItems(["linear", "cosine"])
        self.lay_out(
            [
                ("steps", self.train_steps),
                ("batch size", self.batch_size),
                ("learning rate", self.lr),
                ("schedule", self.train_schedule),
            ]
        )

    def training_config(self) -> DDPMConfig:
        return DDPMConfig(
            steps=self.train_steps.value(),
            batch_size=self.batch_size.value(),
            lr=self.lr.value(),
            schedule=self.train_schedule.currentText(),
        )

    def show_record(self, ckpt: Checkpoint | None) -> None:
        """Plot a model's last run's recorded losses, counted after its earlier runs (none: clear), over the
        record's own range: a continued model's last run would be a sliver at the end of an axis from 0."""
        self.show_curves(ckpt, {"train": "loss"})
        steps = self.loss_plot.x_values("train")
        if steps and steps[0] > 0.1 * steps[-1]:
            self.loss_plot.setXRange(steps[0], steps[-1], padding=0.02)
            self.loss_plot.setTitle(
                f"{LOSS_TITLE}, last run (steps {steps[0]:,.0f}–{steps[-1]:,.0f})",
                color="#333",
                size="10pt",
            )
        else:
            self.loss_plot.setTitle(LOSS_TITLE, color="#333", size="10pt")

    def start_curves(self, steps: int) -> None:
        self.loss_plot.setTitle(LOSS_TITLE, color="#333", size="10pt")
        super().start_curves(steps)
