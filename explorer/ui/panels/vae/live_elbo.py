"""What the VAE and the conditional VAE panels show while their ELBO trains: the curves of every snapshot, and
a live copy of the model (rebuilt from the snapshot's weights) that every view follows."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Generic, TypeVar

import numpy as np
import torch
from torch import nn

from explorer.core.vae import VAEConfig, VAESnapshot
from explorer.ui.panels.vae.training_box import TrainingBox, reset_plot
from explorer.ui.refresh import StaggeredRefresh

Net = TypeVar("Net", bound=nn.Module)


class LiveElbo(Generic[Net]):
    """Follows one ELBO training run for the panel that owns it.

    It needs the panel's training box (whose ``curves`` it draws), its ``refresh`` (the curves are drawn over the
    next turns of the event loop), ``net`` (the model's class, built from latent_dim and hidden) and two hooks:
    ``show_model(model)``, handed the live copy each time a snapshot carries weights, and ``show_latents(latents)``,
    handed the test set's latents each time a snapshot carries them. It changes the curves and nothing else: the
    panel decides what its hooks do (the VAE panels make the live copy the model every view shows, and their
    ModelPanel puts the previous model back if the run stops)."""

    def __init__(
        self,
        training: TrainingBox,
        refresh: StaggeredRefresh,
        net: Callable[[int, int], Net],
        show_model: Callable[[Net], None],
        show_latents: Callable[[np.ndarray], None],
    ) -> None:
        self.training, self.refresh, self.net = training, refresh, net
        self.show_model, self.show_latents = show_model, show_latents
        self.cfg: VAEConfig | None = None  # the run's config (None before the first run)
        self.live: Net | None = None  # the model being trained, rebuilt from snapshots

    def start(self, cfg: VAEConfig) -> None:
        """A run from ``cfg`` begins: empty curves spanning its epochs, no live model yet."""
        self.cfg, self.live = cfg, None
        for key, plot in self.training.curves.items():
            plot.clear_data()
            self.refresh.request(key, partial(reset_plot, plot, cfg.epochs))

    def follow(self, snap: VAESnapshot) -> None:
        """Record the snapshot now; draw it over the next turns of the event loop."""
        self.training.add_points(snap)
        for key, plot in self.training.curves.items():
            self.refresh.request(key, plot.redraw)
        if snap.state is not None:
            assert self.cfg is not None, "start comes first"
            state = {k: torch.from_numpy(v) for k, v in snap.state.items()}
            if self.live is None:
                with torch.device("meta"):  # no time spent initialising weights about to be replaced
                    self.live = self.net(self.cfg.latent_dim, self.cfg.hidden).eval()
            self.live.load_state_dict(state, assign=True)
            self.show_model(self.live)
        if snap.latents is not None:
            self.show_latents(snap.latents)
