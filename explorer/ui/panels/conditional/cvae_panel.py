"""The Conditional VAE tab: the label tells the decoder which digit, so z is left with the style.

What it teaches: beside the plain VAE's plane, where the ten digits need ten regions, the cVAE's
digits overlap (z no longer has to say which digit), and any one z, dragged or taken from a test
digit, is the same slant and thickness drawn as every digit.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from PySide6.QtWidgets import QWidget

from explorer.core.conditional import CVAE, CVAEConfig, all_digits, encode_images, style_grid
from explorer.core.conditional.cvae_state import CVAEState
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.data import load_mnist
from explorer.core.vae import VAESnapshot
from explorer.core.vae.panel_state import VAEJob
from explorer.ui.panels.conditional.cvae_training import CVAETrainingBox, describe_checkpoint
from explorer.ui.panels.conditional.planes_section import PlanesSection, plane_points
from explorer.ui.panels.conditional.style_section import StyleSection
from explorer.ui.panels.conditional.walk_section import WalkSection
from explorer.ui.panels.model_panel import ModelPanel
from explorer.ui.panels.splitters import columns_over_training
from explorer.ui.panels.vae.live_elbo import LiveElbo
from explorer.ui.refresh import StaggeredRefresh
from explorer.ui.widgets.focus import set_enabled
from explorer.ui.worker import Runner


class CVAEPanel(ModelPanel):
    """The two planes, style × digit and the style walk above the training row; ``live`` follows a training run,
    and every view follows the model it rebuilds; ``state`` holds the run asked for and the style on show."""

    title = "Conditional"  # the main window's tab, which its jobs belong to
    name = "Conditional VAE: style × digit"
    checkpoint_kind = "cvae"
    style: StyleSection  # type: ignore[assignment]  # the style section, in the place of QWidget.style()
    training: CVAETrainingBox

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(runner, device, parent)
        self.test = load_mnist("test")
        self.state = CVAEState(busy=runner.busy)
        self.refresh = StaggeredRefresh(parent=self)
        self.planes = PlanesSection(self.test)
        self.plane = self.planes.plane
        self.style = StyleSection(len(self.test.images))
        self.walk = WalkSection()
        self.training = CVAETrainingBox(state=self.state)
        self.model_info, self.curves = self.training.model_info, self.training.curves
        self.live = LiveElbo(self.training, self.refresh, CVAE, self._show_live, self.show_latents)
        self._lay_out()
        self.plane.marker_moved.connect(self.state.drag_to)
        self.plane.point_clicked.connect(self.select_test_digit)
        self.style.test_digit_chosen.connect(self.select_test_digit)
        self.walk.axis.currentIndexChanged.connect(self.redraw)
        self.walk.columns.valueChanged.connect(self.redraw)
        self.training.train_button.clicked.connect(lambda: self.start_training())
        runner.busy_changed.connect(lambda busy: self.state.update(busy=busy))
        self.state.changed.connect(self._on_state_changed)
        self.planes.show_plain_vae()
        self.style.clear()
        self.walk.clear()

    def _lay_out(self) -> None:
        """Planes | style × digit | walk above the training row, split so the user can trade room."""
        self.columns, self.rows = columns_over_training(
            self,
            [(self.planes, 6, 640), (self.style, 3, 320), (self.walk, 3, 300)],
            self.training,
            (700, 250),
            margins=False,
        )

    # ---- model --------------------------------------------------------------------------------
    def describe(self, ckpt: Checkpoint) -> str:
        return describe_checkpoint(ckpt)

    def show_no_model(self) -> None:
        super().show_no_model()
        self._show_empty()

    def _show_empty(self) -> None:
        self.planes.clear_cvae()
        self.style.clear()
        self.walk.clear()

    def install(self, model: CVAE, cfg: CVAEConfig, ckpt: Checkpoint | None) -> None:
        """Make ``model`` the one every view shows: re-encode the test set (off the GUI thread), each digit
        with its label."""
        self.planes.encode_cvae(model)
        self.redraw_style()

    def show_record(self, ckpt: Checkpoint | None) -> None:
        """The recorded curves; with no model at all (a first run stopped), no view keeps the aborted one."""
        self.training.show_history(ckpt.info.get("history", []) if ckpt is not None else [])
        if self.model is None:
            self._show_empty()

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if names & {"busy", "job"}:
            set_enabled(self.training.train_button, self.state.can_train)
        if names & {"z", "selected"}:
            self._show_style()

    # ---- style --------------------------------------------------------------------------------
    @property
    def selected(self) -> int | None:
        """The test digit whose style is drawn (the state's); None: the marker's own z."""
        return self.state.selected

    def style_z(self) -> np.ndarray:
        """The style the views draw: the selected test digit's posterior mean, else the marker's (z₁, z₂)
        (the other coordinates of a longer z at 0)."""
        if self.state.selected is not None and self.model is not None:
            return self._selected_posterior(self.state.selected)[0]
        return self.state.point_z(self.model.latent_dim if self.model is not None else 2)

    def _selected_posterior(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """q(z | x, y) of test digit ``index`` x encoded with its label y: (mu, sigma), each (d,)."""
        assert self.model is not None, "a test digit is encoded by the model on show"
        image, label = self.test.images[index], self.test.labels[index]
        mu, sigma = encode_images(self.model, image[None], np.array([label]))
        return mu[0], sigma[0]

    def redraw(self) -> None:
        """Draw the style as every digit, and the walk through it."""
        if self.model is None:
            return
        z = self.style_z()
        self.style.show_digits(all_digits(self.model, z))
        zs = self.walk.walk(z)
        self.walk.show_grid(style_grid(self.model, zs))
        self.planes.show_walk(zs)
        selected = self.state.selected
        if selected is None:
            self.style.show_dragged(z)
        else:
            self.style.show_test_digit(selected, self.test.images[selected], int(self.test.labels[selected]), z)

    def set_z(self, z1: float, z2: float) -> None:
        """Move the marker to z and draw that style (what a drag does)."""
        self.state.drag_to(z1, z2)

    def select_test_digit(self, index: int) -> None:
        """Encode test digit ``index`` with its label and draw its style (the posterior mean) as every digit."""
        if self.model is None:
            self.style.clear()
            return
        self.state.update(selected=index, z=self._posterior_point(index))

    def _posterior_point(self, index: int) -> tuple[float, float]:
        """The plane's point of test digit ``index``'s posterior mean."""
        mu = plane_points(self._selected_posterior(index)[0][None])[0]
        return float(mu[0]), float(mu[1])

    def _show_style(self) -> None:
        """Show the state's style: the marker at its z, the selected test digit's posterior outlined (if any),
        and every view drawn from it."""
        selected = self.state.selected
        if selected is None or self.model is None:
            self.plane.hide_posterior()
        else:
            mu, sigma = (plane_points(a[None])[0] for a in self._selected_posterior(selected))
            self.plane.show_posterior(mu, sigma)
        if self.plane.marker_pos() != self.state.z:
            self.plane.set_marker(*self.state.z)
        self.redraw()

    # ---- training -----------------------------------------------------------------------------
    def training_config(self) -> CVAEConfig:
        return self.state.training_config()

    def on_training_started(self, cfg: CVAEConfig) -> None:
        self.state.update(job=VAEJob.TRAINING)
        self.live.start(cfg)
        self.model_info.setText(
            "Training… the cVAE's plane and the digits follow the encoder and decoder as they learn."
        )

    def on_snapshot(self, snap: VAESnapshot) -> None:
        self.live.follow(snap)

    def _show_live(self, model: CVAE) -> None:
        """The model being trained becomes the one every view draws (ModelPanel restores the previous on Stop)."""
        self.model = model

    def show_latents(self, latents: np.ndarray) -> None:
        self.refresh.request("plane", partial(self.planes.show_cvae, latents))
        self.refresh.request("style", self.redraw_style)

    def redraw_style(self) -> None:
        """Draw the style again with the model now shown: the selected test digit re-encoded, or the marker's."""
        selected = self.state.selected
        if selected is not None and self.model is not None:
            z = self._posterior_point(selected)  # the test digit's posterior under the model now shown
            if z != self.state.z:
                self.state.update(z=z)  # which draws it
                return
        self._show_style()

    def on_training_ended(self, succeeded: bool) -> None:
        self.refresh.flush()
        self.state.update(job=None)
