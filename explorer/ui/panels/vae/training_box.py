"""The VAE panel's bottom row: the training form and the curves of the ELBO's terms."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QPushButton, QSpinBox, QWidget

from explorer.core.vae import VAEConfig, VAESnapshot
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.status_label import status_label

TITLE = "Train from scratch on MNIST (maximise the ELBO = E_q[log p(x|z)] − β·KL(q(z|x) ‖ N(0, I)))"
TERMS = (("neg_elbo", "−ELBO"), ("recon", "reconstruction −log p(x|z)"), ("kl", "KL(q(z|x) ‖ p(z))"))


def reset_plot(plot: CurvePlot, epochs: float) -> None:
    """Span ``plot``'s x axis over ``epochs`` and draw what it holds."""
    plot.set_x_span(epochs)
    plot.redraw()


class TrainingBox(QGroupBox):
    """Epochs, β, learning rate and batch size, the Train button, the model's description (``model_info``),
    and one plot per term (``curves``, keyed as ``TERMS``) of the train and test losses by epoch."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(TITLE, parent)
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
        self.setLayout(row)
        self.setMaximumHeight(270)

    def config(self) -> VAEConfig:
        """The training run the form describes."""
        return VAEConfig(epochs=self.epochs.value(), beta=self.beta.value(), lr=self.lr.value(),
                         batch_size=self.batch_size.value())

    def add_points(self, snap: VAESnapshot) -> None:
        """Record ``snap``'s train terms, and its test terms at the end of an epoch (drawn at the next redraw)."""
        for key, plot in self.curves.items():
            plot.add_point("train", snap.epoch, snap.train[key])
            if snap.test:
                plot.add_point("test", snap.epoch, snap.test[key])

    def show_history(self, history: list[dict]) -> None:
        """Plot a checkpoint's recorded per-epoch test terms."""
        for key, plot in self.curves.items():
            plot.clear_data()
            plot.set_curve("test", [h["epoch"] for h in history], [h[key] for h in history])
            reset_plot(plot, max([h["epoch"] for h in history], default=1))
