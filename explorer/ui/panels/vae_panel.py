"""The VAE panel: drag through the latent plane and watch the decoder answer.

What it teaches: the encoder maps each digit to a small Gaussian q(z|x) in a
2-D plane; the prior N(0, I) pulls the digits together; the decoder turns any
point of the plane into a digit, so moving through the plane morphs digits.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from superqt import QLabeledDoubleSlider

from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.jobs import Job
from explorer.core.vae import (
    VAE,
    VAEConfig,
    VAESnapshot,
    decode_images,
    encode_images,
    grid_quantiles,
    latent_grid,
    train_vae,
)
from explorer.ui.panels.model_panel import ModelPanel
from explorer.ui.refresh import StaggeredRefresh
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.widgets.latent_plane import LatentPlane
from explorer.ui.widgets.status_label import status_label
from explorer.ui.worker import Runner

Z_RANGE = 4.0  # the sliders span [-4, 4]: beyond that the prior has almost no mass
TERMS = (("neg_elbo", "−ELBO"), ("recon", "reconstruction −log p(x|z)"), ("kl", "KL(q(z|x) ‖ p(z))"))


class VAEPanel(ModelPanel):
    """Latent plane, decoder view, latent sliders, manifold grid and training controls."""

    title = "VAE"
    checkpoint_kind = "vae"

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(runner, device, parent)
        self.test = load_mnist("test")
        self.model: VAE | None = None
        self.latents: np.ndarray | None = None  # posterior means of the test set, for the scatter
        self._before_training: tuple | None = None
        self.training_cfg = VAEConfig()
        self._live: VAE | None = None  # the model being trained, rebuilt from snapshots
        self.refresh = StaggeredRefresh(parent=self)
        self.selected: int | None = None
        self._build()
        runner.busy_changed.connect(self._on_busy_changed)

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.plane = LatentPlane()
        self.plane.marker_moved.connect(self._on_marker_moved)
        self.plane.point_clicked.connect(self.select_test_digit)

        self.decoded = ImageView("decoder: mean of p(x | z) at the marker")
        self.decoded.setMinimumSize(220, 240)
        self.sliders = []
        slider_box = QGridLayout()
        for row, name in enumerate(("z₁", "z₂")):
            slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
            slider.setRange(-Z_RANGE, Z_RANGE)
            slider.setDecimals(2)
            slider.setSingleStep(0.01)
            slider.setValue(0.0)
            slider.valueChanged.connect(self._on_slider_changed)
            slider_box.addWidget(QLabel(name), row, 0)
            slider_box.addWidget(slider, row, 1)
            self.sliders.append(slider)
        self.original = ImageView("test digit x")
        self.reconstruction = ImageView("reconstruction")
        pair = QHBoxLayout()
        pair.addWidget(self.original)
        pair.addWidget(self.reconstruction)
        self.selected_info = QLabel("Click a point in the plane to see that test digit, its posterior q(z|x) "
                                    "and its reconstruction. Drag the yellow marker (or use the sliders) to decode any z.")
        self.selected_info.setWordWrap(True)
        middle = QVBoxLayout()
        middle.addWidget(self.decoded, 5)
        middle.addLayout(slider_box)
        middle.addSpacing(8)
        middle.addLayout(pair, 3)
        middle.addWidget(self.selected_info)
        middle_widget = QWidget()
        middle_widget.setLayout(middle)

        self.manifold = ImageView("manifold: decoder at Gaussian quantiles of z")
        self.grid_n = QSpinBox()
        self.grid_n.setRange(2, 30)
        self.grid_n.setValue(15)
        self.grid_n.setPrefix("n = ")
        self.grid_n.setSuffix(" × n")
        self.grid_n.valueChanged.connect(self.redraw_manifold)
        grid_row = QHBoxLayout()
        grid_row.addWidget(QLabel("Grid of z = (Φ⁻¹(u₁), Φ⁻¹(u₂)), u from 0.05 to 0.95:"))
        grid_row.addWidget(self.grid_n)
        grid_row.addStretch()
        right = QVBoxLayout()
        right.addWidget(self.manifold, 1)
        right.addLayout(grid_row)
        right_widget = QWidget()
        right_widget.setLayout(right)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.plane)
        top.addWidget(middle_widget)
        top.addWidget(right_widget)
        top.setSizes([560, 300, 480])

        layout = QVBoxLayout(self)
        layout.addWidget(top, 1)
        training = self._build_training()
        training.setMaximumHeight(270)
        layout.addWidget(training)

    def _build_training(self) -> QWidget:
        box = QGroupBox("Train from scratch on MNIST (maximise the ELBO = E_q[log p(x|z)] − β·KL(q(z|x) ‖ N(0, I)))")
        form = QFormLayout()
        defaults = VAEConfig()
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 500)
        self.epochs.setValue(10)
        self.beta = QDoubleSpinBox()
        self.beta.setRange(0.0, 20.0)
        self.beta.setSingleStep(0.1)
        self.beta.setValue(defaults.beta)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 1.0)
        self.lr.setSingleStep(1e-4)
        self.lr.setValue(defaults.lr)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(8, 4096)
        self.batch_size.setValue(defaults.batch_size)
        form.addRow("epochs", self.epochs)
        form.addRow("β (KL weight)", self.beta)
        form.addRow("learning rate", self.lr)
        form.addRow("batch size", self.batch_size)
        self.train_button = QPushButton("Train")
        self.train_button.clicked.connect(self.start_training)
        form.addRow(self.train_button)
        self.model_info = status_label(lines=5)
        form.addRow(self.model_info)
        controls = QWidget()
        controls.setLayout(form)
        controls.setFixedWidth(330)  # its text changes must not resize the plots beside it

        self.curves: dict[str, CurvePlot] = {}
        row = QHBoxLayout()
        row.addWidget(controls)
        for key, name in TERMS:
            plot = CurvePlot(name, "epoch", "nats per image")
            plot.add_curve("train", "#1f77b4")
            plot.add_curve("test", "#d62728", dashed=True, symbol="o")
            self.curves[key] = plot
            row.addWidget(plot, 1)
        box.setLayout(row)
        return box

    # ---- model --------------------------------------------------------------------------------
    def load_shipped(self) -> None:
        """Load the checkpoint in checkpoints/ (raises CheckpointError with a message)."""
        self.load_checkpoint(self.family.default_checkpoint)

    def load_checkpoint(self, path: str | Path) -> None:
        model, _, ckpt = self.family.load(path)
        self._install(model, ckpt)
        self.show_history(ckpt.info.get("history", []))

    def _install(self, model: VAE, ckpt: Checkpoint | None) -> None:
        """Make ``model`` the one every view shows, and re-encode the test set with it."""
        self.model = model
        self.checkpoint = ckpt
        self.latents = encode_images(model, self.test.images)[0]
        self.plane.set_points(self.latents, self.test.labels)
        self.plane.show_grid_extent(float(grid_quantiles(2)[0]), float(grid_quantiles(2)[1]))
        self.refresh_views()
        if ckpt is not None:
            self.model_info.setText(self._describe(ckpt))

    @staticmethod
    def _describe(ckpt: Checkpoint) -> str:
        m = ckpt.info.get("metrics", {})
        training = ckpt.info.get("training", {})
        text = f"Model: {ckpt.config.get('epochs', '?')} epochs, β = {ckpt.config.get('beta', '?')}"
        if "test_neg_elbo" in m:
            text += (f"\nTest −ELBO {m['test_neg_elbo']:.1f} nats "
                     f"(reconstruction {m['test_recon']:.1f} + KL {m['test_kl']:.1f})")
        if training.get("device"):
            text += f"\nTrained on {training['device']} in {training.get('seconds', 0) / 60:.1f} min"
        return text

    def refresh_views(self) -> None:
        self.decode_marker()
        self.redraw_manifold()
        self.select_test_digit(self.selected if self.selected is not None else 0)

    def decode_marker(self) -> None:
        """Decode the marker's z into the big digit view."""
        if self.model is None:
            return
        z1, z2 = self.plane.marker_pos()
        self.decoded.set_image(decode_images(self.model, np.array([[z1, z2]]))[0])

    def redraw_manifold(self) -> None:
        if self.model is not None:
            self.manifold.set_image(latent_grid(self.model, self.grid_n.value()))

    def select_test_digit(self, index: int) -> None:
        """Show test digit ``index``, its posterior's sigma ellipses, and its reconstruction."""
        if self.model is None:
            return
        self.selected = index
        mu, sigma = (a[0] for a in encode_images(self.model, self.test.images[index : index + 1]))
        self.plane.show_posterior(mu, sigma)
        self.original.set_image(self.test.images[index].astype(np.float32) / 255.0)
        self.reconstruction.set_image(decode_images(self.model, mu[None])[0])
        self.selected_info.setText(
            f"Test digit #{index}, a {self.test.labels[index]}: q(z|x) = N(μ, σ²) with "
            f"μ = ({mu[0]:+.2f}, {mu[1]:+.2f}), σ = ({sigma[0]:.3f}, {sigma[1]:.3f}). "
            "Rings: 1σ and 2σ. Reconstruction = decoder at μ."
        )

    # ---- marker and sliders -------------------------------------------------------------------
    def set_z(self, z1: float, z2: float) -> None:
        """Move the marker and sliders to z and decode it (what a drag does)."""
        self.plane.set_marker(z1, z2)
        self._on_marker_moved(z1, z2)

    def _on_marker_moved(self, z1: float, z2: float) -> None:
        for slider, value in zip(self.sliders, (z1, z2)):
            slider.blockSignals(True)
            slider.setValue(float(np.clip(value, -Z_RANGE, Z_RANGE)))
            slider.blockSignals(False)
        self.decode_marker()

    def _on_slider_changed(self) -> None:
        self.plane.set_marker(self.sliders[0].value(), self.sliders[1].value())
        self.decode_marker()

    # ---- training -----------------------------------------------------------------------------
    def training_config(self) -> VAEConfig:
        return VAEConfig(epochs=self.epochs.value(), beta=self.beta.value(), lr=self.lr.value(),
                         batch_size=self.batch_size.value())

    def start_training(self, cfg: VAEConfig | None = None) -> None:
        cfg = cfg or self.training_config()
        self.training_cfg = cfg
        self._before_training = (self.model, self.checkpoint)
        for key, plot in self.curves.items():
            plot.clear_data()
            self.refresh.request(key, partial(self._reset_plot, plot, cfg.epochs))
        self._live = None
        self.runner.start(
            Job(train_vae, {"cfg": cfg, "device": self.device}),
            on_yield=self._on_snapshot,
            on_done=self._on_trained,
            on_end=self._on_training_end,
            in_process=self.train_in_process,
            label="Training VAE",
        )
        self.model_info.setText("Training… the plane and the views follow the encoder and decoder as they learn.")

    def _on_snapshot(self, snap: VAESnapshot) -> None:
        """Record the snapshot now; draw it over the next turns of the event loop."""
        for key, plot in self.curves.items():
            plot.add_point("train", snap.epoch, snap.train[key])
            if snap.test:
                plot.add_point("test", snap.epoch, snap.test[key])
            self.refresh.request(key, plot.redraw)
        if snap.state is not None:
            state = {k: torch.from_numpy(v) for k, v in snap.state.items()}
            if self._live is None:
                with torch.device("meta"):  # no time spent initialising weights about to be replaced
                    self._live = VAE(self.training_cfg.latent_dim, self.training_cfg.hidden).eval()
            self._live.load_state_dict(state, assign=True)
            self.model = self._live
        if snap.latents is not None:
            self.latents = snap.latents
            self.refresh.request("plane", partial(self.plane.set_points, snap.latents, self.test.labels))
            self.refresh.request("decoded", self.decode_marker)
            self.refresh.request("manifold", self.redraw_manifold)

    def _on_trained(self, ckpt: Checkpoint) -> None:
        self.refresh.flush()
        model, _ = self.family.from_checkpoint(ckpt)
        self._install(model, ckpt)
        self.model_info.setText(self._describe(ckpt) + "\nNot saved yet: File ▸ Save checkpoint… keeps it.")

    def _on_training_end(self, succeeded: bool) -> None:
        self.refresh.flush()
        if not succeeded and self._before_training is not None:
            model, ckpt = self._before_training
            if model is not None:
                self._install(model, ckpt)
            self.model_info.setText(self.model_info.text() + "\nTraining did not finish: the previous model is back.")
        self._before_training = None

    @staticmethod
    def _reset_plot(plot: CurvePlot, epochs: float) -> None:
        plot.set_x_span(epochs)
        plot.redraw()

    def show_history(self, history: list[dict]) -> None:
        """Plot a checkpoint's recorded per-epoch test terms."""
        for key, plot in self.curves.items():
            plot.clear_data()
            plot.set_curve("test", [h["epoch"] for h in history], [h[key] for h in history])
            self._reset_plot(plot, max([h["epoch"] for h in history], default=1))

    def _on_busy_changed(self, busy: bool) -> None:
        self.train_button.setEnabled(not busy)
