"""The VAE panel's bottom row: the training form and the curves of the ELBO's terms."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from explorer.core.vae import VAESnapshot
from explorer.core.vae.panel_state import ELBORequest
from explorer.ui.widgets.bounded_box import fit_to_field
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.status_label import status_label

# At beta = 1 the objective is the ELBO; at another beta it is the beta-VAE's (Higgins et al. 2017), while the
# -ELBO curve below stays the beta = 1 sum, reconstruction + KL (explorer/core/vae/model.py).
TITLE = "Train on MNIST (maximise E_q[log p(x|z)] − β·KL(q(z|x) ‖ N(0, I)): the ELBO if β = 1, else β-VAE's)"
CONTROLS_WIDTH = 360
MAX_HEIGHT = 270  # the curves need no more; the latent plane above takes the rest
TERMS = (("neg_elbo", "−ELBO (β = 1)"), ("recon", "reconstruction −log p(x|z)"), ("kl", "KL(q(z|x) ‖ p(z))"))


def reset_plot(plot: CurvePlot, epochs: float) -> None:
    """Span ``plot``'s x axis over ``epochs`` and draw what it holds."""
    plot.set_x_span(epochs)
    plot.redraw()


class TrainingBox(QGroupBox):
    """Epochs, β, learning rate and batch size (a form over ``state``: an edit writes it, its changes show), the
    Train button, the model's description (``model_info``),
    and one plot per term (``curves``, keyed as ``TERMS``) of the train and test losses by epoch."""

    def __init__(self, parent: QWidget | None = None, *, state: ELBORequest | None = None) -> None:
        super().__init__(TITLE, parent)
        self.state = state = state if state is not None else ELBORequest()
        request = type(state)
        self.epochs = QSpinBox()
        fit_to_field(self.epochs, request, "epochs", offered=(1, 500))
        self.beta = QDoubleSpinBox()
        fit_to_field(self.beta, request, "beta", offered=(0.0, 20.0))
        self.beta.setSingleStep(0.1)
        self.lr = QDoubleSpinBox()
        self.lr.setDecimals(5)
        fit_to_field(self.lr, request, "lr", offered=(1e-5, 1.0))
        self.lr.setSingleStep(1e-4)
        self.batch_size = QSpinBox()
        fit_to_field(self.batch_size, request, "batch_size", offered=(8, 4096))
        self._boxes: dict[str, QSpinBox | QDoubleSpinBox] = {
            "epochs": self.epochs,
            "beta": self.beta,
            "lr": self.lr,
            "batch_size": self.batch_size,
        }
        self._show(frozenset(self._boxes))
        for name, box in self._boxes.items():
            box.valueChanged.connect(lambda value, name=name: state.update(**{name: value}))
        state.changed.connect(self._show)
        self.train_button = QPushButton("Train")
        self.model_info = status_label(lines=5)
        form = QGridLayout()  # two settings a row: the box stays low enough for a laptop screen
        form.setContentsMargins(0, 0, 0, 0)
        fields = (
            ("epochs", self.epochs),
            ("β (KL weight)", self.beta),
            ("learning rate", self.lr),
            ("batch size", self.batch_size),
        )
        for i, (name, field) in enumerate(fields):
            form.addWidget(QLabel(name), i // 2, 2 * (i % 2))
            form.addWidget(field, i // 2, 2 * (i % 2) + 1)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        form.addWidget(self.train_button, 2, 0, 1, 4)
        form.addWidget(self.model_info, 3, 0, 1, 4)
        controls = QWidget()
        controls.setLayout(form)
        controls.setFixedWidth(CONTROLS_WIDTH)  # its text changes must not resize the plots beside it

        self.curves: dict[str, CurvePlot] = {}
        row = QHBoxLayout()
        row.addWidget(controls, 0, Qt.AlignmentFlag.AlignTop)
        for key, name in TERMS:
            plot = CurvePlot(name, "epoch", "nats per image")
            plot.add_curve("train", "#1f77b4")
            plot.add_curve("test", "#d62728", dashed=True, symbol="o")
            plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)  # as high as the form
            self.curves[key] = plot
            row.addWidget(plot, 1)
        self.setLayout(row)
        self.setMaximumHeight(MAX_HEIGHT)

    def _show(self, names: frozenset[str]) -> None:
        """Show the request's values that changed, without announcing them back to it."""
        for name in names & self._boxes.keys():
            box = self._boxes[name]
            with QSignalBlocker(box):
                box.setValue(getattr(self.state, name))

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
