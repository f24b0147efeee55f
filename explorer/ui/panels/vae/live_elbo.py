"""What the VAE and the conditional VAE panels do while their ELBO trains: curves from every snapshot,
and a live copy of the model (rebuilt from the snapshot's weights) that every view follows."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import torch
from PySide6.QtWidgets import QLabel

from explorer.core.vae import VAEConfig, VAESnapshot
from explorer.ui.panels.vae.training_box import TrainingBox, reset_plot
from explorer.ui.refresh import StaggeredRefresh


class ElboTraining:
    """Mixed into a ModelPanel with ``curves``, ``refresh`` and ``model_info``; it names the net it trains
    (``net``: built from latent_dim and hidden), what to say while it trains, and shows new latents."""

    net: type
    training_message: str
    refresh: StaggeredRefresh
    model_info: QLabel
    training: TrainingBox

    def on_training_started(self, cfg: VAEConfig) -> None:
        self.training_cfg = cfg
        for key, plot in self.training.curves.items():
            plot.clear_data()
            self.refresh.request(key, partial(reset_plot, plot, cfg.epochs))
        self._live: Any = None  # the model being trained, rebuilt from snapshots
        self.model_info.setText(self.training_message)

    def on_snapshot(self, snap: VAESnapshot) -> None:
        """Record the snapshot now; draw it over the next turns of the event loop."""
        self.training.add_points(snap)
        for key, plot in self.training.curves.items():
            self.refresh.request(key, plot.redraw)
        if snap.state is not None:
            state = {k: torch.from_numpy(v) for k, v in snap.state.items()}
            if self._live is None:
                with torch.device("meta"):  # no time spent initialising weights about to be replaced
                    self._live = self.net(self.training_cfg.latent_dim, self.training_cfg.hidden).eval()
            self._live.load_state_dict(state, assign=True)
            self.model = self._live
        if snap.latents is not None:
            self.show_latents(snap.latents)

    def show_latents(self, latents: np.ndarray) -> None:
        """The test set encoded by the model being trained: redraw what depends on it."""
        raise NotImplementedError
