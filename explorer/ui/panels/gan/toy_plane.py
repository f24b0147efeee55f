"""The toy game's page: D's output over the plane, with the ring of 8 Gaussians and G's points on it."""

from __future__ import annotations

import torch
from PySide6.QtWidgets import QWidget

from explorer.core.gan import TOY_EXTENT, TOY_POINTS, GANSnapshot, discriminator_heatmap, generate, ring_of_gaussians
from explorer.ui.widgets.decision_plane import DecisionPlane


class ToyPlane(DecisionPlane):
    """The plane of the toy game, drawn from a game's snapshots or from a trained toy G (and its D);
    without either it shows the ring's real points, the data G is to learn."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TOY_EXTENT, parent)
        self.real = ring_of_gaussians(TOY_POINTS, torch.Generator().manual_seed(0)).numpy()  # (TOY_POINTS, 2)
        self.show_real()

    def show_snapshot(self, snap: GANSnapshot) -> None:
        if snap.heatmap is not None:  # always, in the toy game
            self.set_heatmap(snap.heatmap)
        self.set_points(snap.points_real, snap.points_fake)

    def show_real(self) -> None:
        """Only the ring's real points: no game, no trained toy G."""
        self.blank()
        self.set_points(self.real, None)

    def show_generator(
        self, generator: torch.nn.Module, latent_dim: int, discriminator: torch.nn.Module | None
    ) -> None:
        """A trained toy G's points beside real ones, both for seed 0, over its D(x) if there is one."""
        z = torch.randn(TOY_POINTS, latent_dim, generator=torch.Generator().manual_seed(0))
        self.blank()
        if discriminator is not None:
            self.set_heatmap(discriminator_heatmap(discriminator))
        self.set_points(self.real, generate(generator, z).numpy())
