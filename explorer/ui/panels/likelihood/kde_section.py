"""Section 4: Parzen windows as an evaluation, bound to a ``KDEState``: in 2-D beside the known mixture's
exact log-likelihood, on MNIST beside the PixelCNN's exact NLL (a background job on the shared runner)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox, QVBoxLayout, QWidget

from explorer.core.likelihood.evented import Running
from explorer.core.likelihood.mnist_kde import FLIPS, GAUSSIAN_H, MnistKDE, MnistKDEConfig, parzen_on_mnist
from explorer.core.likelihood.states import BANDWIDTHS, KDE_HELD_OUT, MAX_KDE_SAMPLES, KDEState, kde_curve
from explorer.core.pixelcnn.model import PixelCNNConfig
from explorer.core.runtime.checkpoints import config_from_dict, load_checkpoint, weights_of
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.jobs import Job
from explorer.core.runtime.paths import CHECKPOINTS
from explorer.ui.off_thread import LatestOnly
from explorer.ui.panels.likelihood.look import (
    GAP_COLOUR,
    LOGP_COLOUR,
    P_COLOUR,
    Q_COLOUR,
    FormulaLabel,
    StyledPlot,
    num,
)
from explorer.ui.widgets.point_cloud import PointCloud
from explorer.ui.worker import Runner

PIXELCNN_FILE = CHECKPOINTS / "pixelcnn.safetensors"


def _wrapped(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


class KDESection(QWidget):
    """Bandwidth sliders over precomputed curves, so a drag only moves a marker and rewrites the numbers."""

    def __init__(
        self,
        runner: Runner | None,
        state: KDEState | None = None,
        device: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.runner, self.device = runner, device
        self.state = state or KDEState()
        self._curves = LatestOnly(self)
        self.mnist_cfg = MnistKDEConfig()

        self.samples_box = QSpinBox()
        self.samples_box.setRange(1, MAX_KDE_SAMPLES)
        self.samples_box.setValue(self.state.samples)
        self.samples_box.setKeyboardTracking(False)
        self.h_slider = QSlider(Qt.Orientation.Horizontal)
        self.h_slider.setRange(0, len(BANDWIDTHS) - 1)
        self.h_slider.setValue(self.state.bandwidth_index)
        form = QFormLayout()
        form.addRow("model samples N", self.samples_box)
        form.addRow("bandwidth h", self.h_slider)
        self.plane = StyledPlot(
            f"<span style='color:{Q_COLOUR}'>● model samples</span> <span style='color:{P_COLOUR}'>● held out</span>",
            "y",
            "x",
        )
        self.plane.setAspectLocked(True)
        self._centres = PointCloud((Q_COLOUR, P_COLOUR), size=4, alpha=150)
        self.plane.addItem(self._centres)
        self.curve_plot = StyledPlot(
            f"<span style='color:{Q_COLOUR}'>━ Parzen</span>  "
            f"<span style='color:{LOGP_COLOUR}'>┅ exact</span> mean log p",
            f"nats / point ({KDE_HELD_OUT} held out)",
            "h",
        )
        self.curve_plot.setLogMode(x=True)
        self._curve = self.curve_plot.plot(pen=pg.mkPen(Q_COLOUR, width=2))
        self._exact = pg.InfiniteLine(
            self.state.exact, angle=0, pen=pg.mkPen(LOGP_COLOUR, width=2, style=Qt.PenStyle.DashLine)
        )
        self.curve_plot.addItem(self._exact)
        self._marker = self.curve_plot.plot(pen=None, symbol="o", symbolSize=10, symbolBrush="#222")
        self.formula = FormulaLabel(3)

        self.compute_button = QPushButton(f"Compute ({self.mnist_cfg.samples} PixelCNN digits)")
        self.compute_button.setToolTip(
            f"Draw {self.mnist_cfg.samples} digits from the PixelCNN, score {self.mnist_cfg.test} test digits "
            f"exactly, and measure them against {self.mnist_cfg.train_centres:,} training digits"
        )
        self.flip_slider = QSlider(Qt.Orientation.Horizontal)
        self.flip_slider.setRange(0, len(FLIPS) - 1)
        self.flip_slider.setValue(int(np.argmin(np.abs(FLIPS - self.state.flip))))
        self.mnist_plot = StyledPlot(
            f"−log p<sub>KDE</sub>: <span style='color:{Q_COLOUR}'>━ from samples</span> "
            f"<span style='color:{P_COLOUR}'>━ from training</span> "
            f"<span style='color:{GAP_COLOUR}'>┅ PixelCNN</span>",
            "nats / digit",
            "ε, the kernel's flip chance",
        )
        self.mnist_plot.setLogMode(x=True)
        self.mnist_plot.getPlotItem().getAxis("bottom").setTicks(
            [[(np.log10(e), f"{e:g}") for e in (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.45)], []]
        )
        self._from_samples = self.mnist_plot.plot(pen=pg.mkPen(Q_COLOUR, width=2))
        self._from_train = self.mnist_plot.plot(pen=pg.mkPen(P_COLOUR, width=2))
        self._pixelcnn = pg.InfiniteLine(angle=0, pen=pg.mkPen(GAP_COLOUR, width=2, style=Qt.PenStyle.DashLine))
        self._pixelcnn.setVisible(False)
        self.mnist_plot.addItem(self._pixelcnn)
        self._flip_marker = pg.InfiniteLine(angle=90, pen=pg.mkPen("#222"))
        self.mnist_plot.addItem(self._flip_marker)
        self.mnist_text = FormulaLabel(
            8,
            "Parzen on MNIST needs the PixelCNN's samples, drawn 784 passes each: press Compute (a minute or more "
            "on a CPU, off the GUI thread; the status bar shows progress).",
        )

        left = QVBoxLayout()
        left.addWidget(_wrapped("<b>In 2-D</b>: the model is the 2-D Lab's known mixture, so the exact value is known"))
        left.addLayout(form)
        plots = QHBoxLayout()
        plots.addWidget(self.plane, 1)
        plots.addWidget(self.curve_plot, 1)
        self.curve_plot.getPlotItem().getAxis("bottom").setTicks(
            [[(np.log10(h), f"{h:g}") for h in (0.02, 0.05, 0.1, 0.2, 0.5, 1, 2)], []]
        )
        left.addLayout(plots, 1)
        left.addWidget(self.formula)
        right = QVBoxLayout()
        right.addWidget(
            _wrapped(
                "<b>On binarised MNIST</b>: a Bernoulli kernel (each pixel of a centre flips with ε) "
                "gives a probability, in the PixelCNN's own units"
            )
        )
        right.addWidget(self.compute_button)
        mnist_form = QFormLayout()
        mnist_form.addRow("flip chance ε", self.flip_slider)
        right.addLayout(mnist_form)
        right.addWidget(self.mnist_plot, 1)
        right.addWidget(self.mnist_text)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addLayout(right, 2)

        self.samples_box.valueChanged.connect(self.request_samples)
        self.h_slider.valueChanged.connect(self.state.set_bandwidth_index)
        self.flip_slider.valueChanged.connect(lambda i: self.state.set_flip(float(FLIPS[i])))
        self.compute_button.clicked.connect(self.compute_mnist)
        self.compute_button.setEnabled(runner is not None)  # a section shown on its own has no runner
        self.state.changed.connect(self._on_state_changed)
        self.request_samples(self.state.samples)

    # ---- 2-D ------------------------------------------------------------------------------------------
    def request_samples(self, n: int) -> None:
        """Draw ``n`` samples and the estimate at every h off the GUI thread; the latest request wins."""
        self._curves.start(kde_curve, n, on_done=lambda result: self.state.show_samples(n, *result))

    # ---- MNIST ----------------------------------------------------------------------------------------
    def compute_mnist(self) -> None:
        """Start the precomputation on the shared runner (one line in the text if it cannot start)."""
        if self.runner is None:
            return
        if self.runner.busy:
            self.mnist_text.setText(f"Wait for the running job ({self.runner.label}) to end, or stop it.")
            return
        try:
            ckpt = load_checkpoint(PIXELCNN_FILE, kind="pixelcnn")
            model_cfg = config_from_dict(PixelCNNConfig, ckpt.config)
        except ExplorerError as exc:
            self.mnist_text.setText(f"The shipped PixelCNN could not be read: {exc}")
            return
        job = Job(
            parzen_on_mnist,
            {"cfg": self.mnist_cfg, "model_cfg": model_cfg, "weights": weights_of(ckpt), "device": self.device},
        )
        self.state.update(running=Running.COMPUTING)
        self.runner.start(
            job,
            on_yield=lambda _: None,
            on_done=lambda result: self.state.update(mnist=result),
            on_end=self._on_mnist_end,
            label="Parzen on MNIST",
            owner="Likelihood",
        )

    def _on_mnist_end(self, succeeded: bool) -> None:
        self.state.update(running=Running.IDLE)
        if not succeeded:
            self.mnist_text.setText("The computation stopped before it finished; press Compute to run it again.")

    # ---- what the state shows ------------------------------------------------------------------------
    def _on_state_changed(self, names: frozenset[str]) -> None:
        s = self.state
        if "centres" in names:
            points = np.concatenate([s.centres, s.held_out])
            labels = np.r_[np.zeros(len(s.centres), int), np.ones(len(s.held_out), int)]
            self._centres.set_points(points, labels)
            self.plane.setRange(xRange=(-3.5, 3.5), yRange=(-3, 3.2), padding=0)
        if "curve" in names and s.curve is not None:
            self._curve.setData(BANDWIDTHS, s.curve)
            self.curve_plot.setYRange(max(float(s.curve.min()), s.exact - 4), s.exact + 0.5, padding=0)
        if names & {"curve", "bandwidth_index"} and s.curve is not None:
            self._marker.setData([s.bandwidth], [s.estimate()])
            best = int(np.argmax(s.curve))
            self.formula.setText(
                f"p<sub>h</sub>(x) = (1/N) Σ<sub>i</sub> N(x | c<sub>i</sub>, h²I) with N = {s.samples}, "
                f"h = {num(s.bandwidth)}:  (1/M) Σ log p<sub>h</sub>(x<sub>m</sub>) = <b>{num(s.estimate())}</b> "
                f"vs exact (1/M) Σ log p(x<sub>m</sub>) = <b>{num(s.exact)}</b> nats (M = {KDE_HELD_OUT}).  "
                f"Best h here {num(float(BANDWIDTHS[best]))} gives {num(float(s.curve[best]))}: even the best h "
                f"stays below the truth, and more so with fewer samples."
            )
        if "running" in names:
            computing = s.running is Running.COMPUTING
            self.compute_button.setEnabled(not computing)
            if computing:
                self.mnist_text.setText("Computing… (the status bar shows how far)")
        if names & {"mnist", "flip"} and s.mnist is not None:
            self._show_mnist(s.mnist, s.flip)

    def _show_mnist(self, r: MnistKDE, flip: float) -> None:
        self._from_samples.setData(FLIPS, r.bernoulli_samples)
        self._from_train.setData(FLIPS, r.bernoulli_train)
        self._pixelcnn.setValue(r.exact_nll)
        self._pixelcnn.setVisible(True)
        self.mnist_plot.setYRange(0, float(max(r.bernoulli_samples.min(), r.bernoulli_train.min())) * 1.6, padding=0)
        i = int(np.argmin(np.abs(FLIPS - flip)))
        self._flip_marker.setValue(np.log10(FLIPS[i]))
        pick = r.picks
        gs, gt = pick["gaussian_samples"], pick["gaussian_train"]
        self.mnist_text.setText(
            f"Exact −log p(x) under the PixelCNN: <b>{num(r.exact_nll, 1)}</b> nats per test digit "
            f"({r.cfg.test} test digits).<br>Parzen at ε = {num(FLIPS[i])}: from {r.cfg.samples} PixelCNN samples "
            f"<b>{num(r.bernoulli_samples[i], 1)}</b>, from {r.cfg.train_centres:,} training digits "
            f"<b>{num(r.bernoulli_train[i], 1)}</b> nats; at the ε the validation digits pick: "
            f"{num(r.bernoulli_samples[pick['bernoulli_samples']], 1)} and "
            f"{num(r.bernoulli_train[pick['bernoulli_train']], 1)}.<br>"
            f"A Gaussian kernel, as the GAN papers report it (a density, not in these units): −log p<sub>KDE</sub> = "
            f"{num(r.gaussian_samples[gs], 1)} (h = {num(GAUSSIAN_H[gs], 2)}) and {num(r.gaussian_train[gt], 1)} "
            f"(h = {num(GAUSSIAN_H[gt], 2)}).  In 784 dimensions no affordable N puts a centre near every test "
            f"digit, so Parzen is far from the truth and ranks models by nearness of samples (Theis et al. 2016). "
            f"Took {num(r.seconds, 0)} s."
        )
