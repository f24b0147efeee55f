"""What every panel with a trainable model shares: the runner, the model family, its checkpoint, File ▸ Save."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel, QWidget

from explorer.core.families import FAMILIES
from explorer.core.runtime.checkpoints import Checkpoint, save_checkpoint
from explorer.ui.worker import Runner


class ModelPanel(QWidget):
    """Base of the VAE, Diffusion and GAN panels; a subclass names its ``checkpoint_kind``
    (a key of ``FAMILIES``), builds ``model_info`` and says how to ``_describe`` a checkpoint."""

    title = ""
    checkpoint_kind = ""
    model_info: QLabel

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.device = device
        self.train_in_process = True  # tests may train in a thread of this process instead
        self.family = FAMILIES[self.checkpoint_kind]
        self.checkpoint: Checkpoint | None = None

    def _describe(self, ckpt: Checkpoint) -> str:
        raise NotImplementedError

    def save_checkpoint(self, path: str | Path) -> None:
        if self.checkpoint is None:
            raise RuntimeError("There is no model to save yet: load one, or train one to the end.")
        save_checkpoint(path, self.checkpoint)
        self.model_info.setText(self._describe(self.checkpoint) + f"\nSaved to {Path(path).name}.")
