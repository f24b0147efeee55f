"""The toy game's page: D's output over the plane, with the ring of 8 Gaussians and G's points on it, and
the theory beside it on demand."""

from __future__ import annotations

import torch
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from explorer.core.gan import (
    TOY_EXTENT,
    TOY_POINTS,
    GANSnapshot,
    discriminator_heatmap,
    discriminator_outputs,
    generate,
    ring_of_gaussians,
)
from explorer.ui.panels.gan.theory_overlay import TheoryInputs, TheoryOverlay
from explorer.ui.widgets.decision_plane import DecisionPlane

HALF_WIDTH_TITLE = "D(x), <span style='color:#000'>●</span> x, <span style='color:#ff7f0e'>●</span> G(z)"
FULL_TITLE_MIN_PX = 420  # a page narrower than this (the smallest window) shows D's plane under the short title
THEORY_MIN_PX = 490  # D's and D*'s planes side by side and the gradient plot under them, each read whole


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


class ToyPage(QWidget):
    """D's plane, and with the theory switched on D*'s plane beside it and the theory's numbers and
    gradient plot below. ``smoothing`` and ``objective`` are those of the game on show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plane = ToyPlane()
        self.theory = TheoryOverlay()
        planes = QHBoxLayout()
        planes.addWidget(self.plane, 1)
        planes.addWidget(self.theory.d_star, 1)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(planes, 1)
        column.addWidget(self.theory)
        self._full_title = self.plane.plotItem.titleLabel.text
        self.theory.toggle.toggled.connect(self._on_theory_toggled)

    def _on_theory_toggled(self, on: bool) -> None:
        """With the theory on, the page holds two planes side by side: on the smallest window the panel scrolls
        sideways rather than crush them."""
        self.setMinimumWidth(THEORY_MIN_PX if on else 0)
        self._fit_title(self.width())

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fit_title(event.size().width())
        super().resizeEvent(event)

    def _fit_title(self, width: int) -> None:
        """Half the width for D's plane beside D*'s, or a narrow page: a shorter title (a plot is as wide as its
        title), set only when it changes (a new title lays the plot out again)."""
        short = self.theory.shown or width < FULL_TITLE_MIN_PX
        title = HALF_WIDTH_TITLE if short else self._full_title
        if title != self.plane.plotItem.titleLabel.text:
            self.plane.setTitle(title, color="#333", size="10pt")
            # The plot stays as wide as the old title held it until its view fits it again: now, not at the
            # next resize (the page's layout has already sized the view by the time this page hears of it).
            self.plane.resizeEvent(QResizeEvent(self.plane.size(), self.plane.size()))

    def show_snapshot(self, snap: GANSnapshot, smoothing: float, objective: str) -> None:
        self.plane.show_snapshot(snap)
        if snap.points_fake is not None and snap.points_real is not None:
            inputs = TheoryInputs(
                snap.points_real, snap.points_fake, snap.heatmap, snap.d_of_fake_points, smoothing, objective
            )
            self.theory.show_inputs(inputs)

    def show_real(self) -> None:
        self.plane.show_real()
        self.theory.show_inputs(None)

    def blank(self) -> None:
        self.plane.blank()

    def show_generator(
        self,
        generator: torch.nn.Module,
        latent_dim: int,
        discriminator: torch.nn.Module | None,
        smoothing: float,
        objective: str,
    ) -> None:
        """A trained toy G's points beside real ones, both for seed 0, over its D(x) if there is one."""
        z = torch.randn(TOY_POINTS, latent_dim, generator=torch.Generator().manual_seed(0))
        fake = generate(generator, z)  # (TOY_POINTS, 2)
        heat = None if discriminator is None else discriminator_heatmap(discriminator)
        d_of_fake = None if discriminator is None else discriminator_outputs(discriminator, fake)
        self.plane.blank()
        if heat is not None:
            self.plane.set_heatmap(heat)
        points = fake.numpy()
        self.plane.set_points(self.plane.real, points)
        self.theory.show_inputs(TheoryInputs(self.plane.real, points, heat, d_of_fake, smoothing, objective))
