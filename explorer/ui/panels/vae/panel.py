"""VAEPanel: drag through the latent plane and watch the decoder answer.

What it teaches: the encoder maps each digit to a small Gaussian q(z|x) in a
2-D plane; the prior N(0, I) pulls the digits together; the decoder turns any
point of the plane into a digit, so moving through the plane morphs digits.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.data import load_mnist
from explorer.core.vae import VAE, VAEConfig, VAESnapshot, encode_images, grid_quantiles
from explorer.core.vae.panel_state import VAEJob, VAEState
from explorer.ui.panels.model_panel import ModelPanel
from explorer.ui.panels.vae.decoder_view import Z_RANGE, DecoderView
from explorer.ui.panels.vae.live_elbo import LiveElbo
from explorer.ui.panels.vae.manifold_view import ManifoldView
from explorer.ui.panels.vae.training_box import TrainingBox
from explorer.ui.refresh import StaggeredRefresh
from explorer.ui.widgets.focus import set_enabled
from explorer.ui.widgets.latent_plane import LatentPlane
from explorer.ui.worker import Runner


class VAEPanel(ModelPanel):
    """Latent plane, decoder view, latent sliders, manifold grid and training controls; ``state`` holds the run
    asked for and the job running (the panel builds its run from it); ``live`` follows a training run, and every
    view follows the model it rebuilds."""

    title = "VAE"
    checkpoint_kind = "vae"

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(runner, device, parent)
        self.test = load_mnist("test")
        self.latents: np.ndarray | None = None  # posterior means of the test set, for the scatter
        self.refresh = StaggeredRefresh(parent=self)
        self.selected: int | None = None
        self.state = VAEState(busy=runner.busy)
        self._build()
        self.live = LiveElbo(self.training, self.refresh, VAE, self._show_live, self.show_latents)
        self._connect()
        runner.busy_changed.connect(lambda busy: self.state.update(busy=busy))
        self.state.changed.connect(self._on_state_changed)

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        """The plane, the decoder and the manifold side by side over the training row."""
        self.plane = LatentPlane()
        self.decoder = DecoderView()
        self.manifold_view = ManifoldView()
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.plane)
        top.addWidget(self.decoder)
        top.addWidget(self.manifold_view)
        top.setSizes([560, 300, 480])
        self.training = TrainingBox(state=self.state)
        layout = QVBoxLayout(self)
        layout.addWidget(top, 2)
        layout.addWidget(self.training, 1)  # a third of the height, between its minimum and its maximum
        self.model_info = self.training.model_info  # where ModelPanel says what the model is

    def _connect(self) -> None:
        self.plane.marker_moved.connect(self._on_marker_moved)
        self.plane.point_clicked.connect(self.select_test_digit)
        for slider in self.decoder.sliders:
            slider.valueChanged.connect(self._on_slider_changed)
        self.manifold_view.grid_n.valueChanged.connect(self.redraw_manifold)
        self.training.train_button.clicked.connect(self.start_training)

    # ---- model --------------------------------------------------------------------------------
    def install(self, model: VAE, cfg: VAEConfig, ckpt: Checkpoint | None) -> None:
        """Make ``model`` the one every view shows, and re-encode the test set with it."""
        self.latents = encode_images(model, self.test.images)[0]
        self.plane.set_points(self.latents, self.test.labels)
        self.plane.show_grid_extent(float(grid_quantiles(2)[0]), float(grid_quantiles(2)[1]))
        self.refresh_views()

    def show_record(self, ckpt: Checkpoint | None) -> None:
        self.training.show_history(ckpt.info.get("history", []) if ckpt is not None else [])

    def describe(self, ckpt: Checkpoint) -> str:
        m = ckpt.info.get("metrics", {})
        training = ckpt.info.get("training", {})
        text = f"Model: {ckpt.config.get('epochs', '?')} epochs, β = {ckpt.config.get('beta', '?')}"
        if "test_neg_elbo" in m:
            text += (
                f"\nTest −ELBO {m['test_neg_elbo']:.1f} nats "
                f"(reconstruction {m['test_recon']:.1f} + KL {m['test_kl']:.1f})"
            )
        if training.get("device"):
            text += f"\nTrained on {training['device']} in {training.get('seconds', 0) / 60:.1f} min"
        return text

    def refresh_views(self) -> None:
        self.decode_marker()
        self.redraw_manifold()
        self.select_test_digit(self.selected if self.selected is not None else 0)

    def decode_marker(self) -> None:
        """Decode the marker's z into the big digit view."""
        if self.model is not None:
            self.decoder.decode(self.model, *self.plane.marker_pos())

    def redraw_manifold(self) -> None:
        if self.model is not None:
            self.manifold_view.draw(self.model)

    def select_test_digit(self, index: int) -> None:
        """Show test digit ``index``, its posterior's sigma ellipses, and its reconstruction."""
        if self.model is None:
            return
        self.selected = index
        mu, sigma = self.decoder.show_test_digit(self.model, index, self.test.images[index], self.test.labels[index])
        self.plane.show_posterior(mu, sigma)

    # ---- marker and sliders -------------------------------------------------------------------
    def set_z(self, z1: float, z2: float) -> None:
        """Move the marker and sliders to z and decode it (what a drag does)."""
        self.plane.set_marker(z1, z2)
        self._on_marker_moved(z1, z2)

    def _on_marker_moved(self, z1: float, z2: float) -> None:
        """The marker stays within the sliders' range, so the sliders always read where it is."""
        clipped = float(np.clip(z1, -Z_RANGE, Z_RANGE)), float(np.clip(z2, -Z_RANGE, Z_RANGE))
        if clipped != (z1, z2):
            self.plane.set_marker(*clipped)
        self.decoder.show_z(*clipped)
        self.decode_marker()

    def _on_slider_changed(self) -> None:
        self.plane.set_marker(*self.decoder.slider_z())
        self.decode_marker()

    # ---- training -----------------------------------------------------------------------------
    def training_config(self) -> VAEConfig:
        return self.state.training_config()

    def on_training_started(self, cfg: VAEConfig) -> None:
        self.state.update(job=VAEJob.TRAINING)
        self.live.start(cfg)
        self.model_info.setText("Training… the plane and the views follow the encoder and decoder as they learn.")

    def on_snapshot(self, snap: VAESnapshot) -> None:
        self.live.follow(snap)

    def _show_live(self, model: VAE) -> None:
        """The model being trained becomes the one every view draws (ModelPanel restores the previous on Stop)."""
        self.model = model

    def show_latents(self, latents: np.ndarray) -> None:
        self.latents = latents
        self.refresh.request("plane", partial(self.plane.set_points, latents, self.test.labels))
        self.refresh.request("decoded", self.decode_marker)
        self.refresh.request("manifold", self.redraw_manifold)
        if self.selected is not None:  # its rings and reconstruction follow the model being trained
            self.refresh.request("selected", partial(self.select_test_digit, self.selected))

    def on_training_ended(self, succeeded: bool) -> None:
        self.refresh.flush()
        self.state.update(job=None)

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if "busy" in names:
            set_enabled(self.training.train_button, self.state.can_train)
