"""The toy game's theory (Goodfellow et al. 2014, section 4), shown beside the game: the optimal D*, the
JS divergence and the game's value it fixes, and the gradient each of G's objectives passes back."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from explorer.core.gan import HIST_BINS, TOY_EXTENT
from explorer.core.gan.game import HEATMAP_RESOLUTION
from explorer.core.gan.theory import (
    KDE_BANDWIDTH,
    LOG4,
    ToyTheory,
    equilibrium_output,
    generator_logit_gradient,
    toy_theory,
)
from explorer.ui.widgets.decision_plane import DecisionPlane
from explorer.ui.widgets.point_cloud import PointCloud
from explorer.ui.widgets.status_label import status_label

MINIMAX, NON_SATURATING = "#2ca02c", "#9467bd"
OBJECTIVE_NAMES = {"minimax": "minimax", "non_saturating": "non-saturating"}
GRADIENT_PLOT_HEIGHT = 170
NO_POINTS = "D* needs G's points: start a game, step it, or load a toy generator."


@dataclass(frozen=True)
class TheoryInputs:
    """What one moment of the toy game gives the theory: G's points, D on the plane and at them, and the game's
    smoothing s and G's objective."""

    real: np.ndarray  # (N, 2)
    fake: np.ndarray  # (N, 2) G(z)
    heatmap: np.ndarray | None  # (H, W) D(x) on the plane's grid
    d_of_fake: np.ndarray | None  # (N,) D(G(z))
    smoothing: float
    objective: str


def signed(value: float) -> str:
    """``value`` to 3 decimals with a true minus sign, as in the formulas beside it."""
    return f"{value:.3f}".replace("-", "−")


def d_star_title(smoothing: float) -> str:
    """A title short enough for half the page (a plot is as wide as its title); the formula is in the text."""
    return f"D*(x), the best D (s = {smoothing:g})" if smoothing else "D*(x), the best D for this G"


def numbers_text(theory: ToyTheory, smoothing: float) -> str:
    """D* (Proposition 1), JS and the value of the game it fixes, V(D*, G) = −log 4 + 2·JS (Theorem 1),
    with their live numbers."""
    d_star = "(1 − s)·p_data/(p_data + p_g)" if smoothing else "p_data/(p_data + p_g)"
    text = (
        f"D*(x) = {d_star}; p_g: a KDE of G's points (h = {KDE_BANDWIDTH:g}), p_data blurred alike, so a G that "
        f"matches the data gives D* = {equilibrium_output(smoothing):g} everywhere.\n"
        f"JS(p_data ‖ p_g) ≈ {theory.js:.3f} nats (0: G matches the ring; log 2 ≈ 0.693: no overlap).\n"
        f"V(D*, G) = −log 4 + 2·JS = −{LOG4:.3f} + 2·{theory.js:.3f} = {signed(theory.value_at_optimum)}"
    )
    if smoothing:
        text += " (for D* without smoothing)"
    if theory.value is not None:
        text += f"; D as trained: V(D, G) = {signed(theory.value)}"
    return text + "."


class GradientPlot(pg.PlotWidget):
    """|∂loss/∂l| that reaches G through D's logit l, against D(G(z)), for both objectives (section 3): the
    minimax log(1 − D) passes D(G(z)), which vanishes where D rejects the fakes; the non-saturating −log D
    passes 1 − D(G(z)). G's points sit on both curves at their D(G(z))."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        # The legend lives in the title, where it covers no curve.
        self.setTitle(
            f"gradient reaching G: <span style='color:{MINIMAX}'>minimax</span> log(1 − D), "
            f"<span style='color:{NON_SATURATING}'>non-saturating</span> −log D",
            color="#333",
            size="10pt",
        )
        self.setLabel("bottom", "D(G(z))")
        self.setLabel("left", "|∂ loss / ∂ logit|")
        d = np.linspace(0.0, 1.0, HIST_BINS + 1)
        self.plot(d, generator_logit_gradient(d, "minimax"), pen=pg.mkPen(MINIMAX, width=2))
        self.plot(d, generator_logit_gradient(d, "non_saturating"), pen=pg.mkPen(NON_SATURATING, width=2))
        self.points = PointCloud((MINIMAX, NON_SATURATING), size=6, alpha=120)
        self.addItem(self.points)
        self.disableAutoRange()
        self.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0.03)
        self.setMouseEnabled(False, False)

    def set_outputs(self, d_of_fake: np.ndarray | None) -> None:
        """G's points on both curves at their (N,) D(G(z)) (None: none)."""
        if d_of_fake is None:
            self.points.set_points(np.zeros((0, 2)), np.zeros(0, dtype=int))
            return
        d = np.asarray(d_of_fake, dtype=np.float64)
        xy = np.concatenate(
            [
                np.stack([d, generator_logit_gradient(d, "minimax")], 1),
                np.stack([d, generator_logit_gradient(d, "non_saturating")], 1),
            ]
        )
        self.points.set_points(xy, np.repeat([0, 1], len(d)))


class TheoryOverlay(QWidget):
    """A switch for the theory, and when it is on: D* on its own plane (placed beside D's by the page), the
    numbers of JS and V, and the gradient plot. It computes only while shown, from the latest inputs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggle = QCheckBox("Theory: the optimal D*, JS and the gradient G gets")
        self.toggle.setToolTip(
            "Goodfellow et al. 2014, section 4: for a fixed G the best D is D* = p_data / (p_data + p_g), "
            "and against it G minimises the Jensen–Shannon divergence"
        )
        self.d_star = DecisionPlane(TOY_EXTENT)
        self.d_star.colorbar.hide()  # the colours of D's plane beside it, whose bar says what they mean
        self.numbers = status_label(lines=6)
        self.numbers.setStyleSheet("color: #333")
        self.gradient = GradientPlot()
        self.gradient.setFixedHeight(GRADIENT_PLOT_HEIGHT)  # the planes above keep the rest of the page
        self.frame: ToyTheory | None = None  # the theory on show (None: hidden, or no G's points)
        self._inputs: TheoryInputs | None = None
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.toggle)
        column.addWidget(self.numbers)
        column.addWidget(self.gradient)
        self.toggle.toggled.connect(self._on_toggle_changed)
        self._on_toggle_changed(False)

    @property
    def shown(self) -> bool:
        return self.toggle.isChecked()

    def show_inputs(self, inputs: TheoryInputs | None) -> None:
        """The game's latest moment (None: no G's points); drawn now if the theory is on."""
        self._inputs = inputs
        if self.shown:
            self._draw()

    def _draw(self) -> None:
        inputs = self._inputs
        if inputs is None:
            self.frame = None
            self.d_star.blank()
            self.d_star.setTitle(d_star_title(0.0), color="#333", size="10pt")
            self.numbers.setText(NO_POINTS)
            self.gradient.set_outputs(None)
            return
        self.frame = toy_theory(inputs.fake, TOY_EXTENT, HEATMAP_RESOLUTION, inputs.smoothing, inputs.heatmap)
        self.d_star.setTitle(d_star_title(inputs.smoothing), color="#333", size="10pt")
        self.d_star.set_heatmap(self.frame.d_star)
        self.d_star.set_points(inputs.real, inputs.fake)
        text = numbers_text(self.frame, inputs.smoothing)
        if inputs.d_of_fake is not None:
            means = {o: float(generator_logit_gradient(inputs.d_of_fake, o).mean()) for o in OBJECTIVE_NAMES}
            text += (
                f"\nGradient reaching G, mean on its points: minimax {means['minimax']:.3f}, non-saturating "
                f"{means['non_saturating']:.3f} (this game's G: {OBJECTIVE_NAMES[inputs.objective]})."
            )
        self.numbers.setText(text)
        self.gradient.set_outputs(inputs.d_of_fake)

    def _on_toggle_changed(self, on: bool) -> None:
        for view in (self.d_star, self.numbers, self.gradient):
            view.setVisible(on)
        if on:
            self._draw()
        else:
            self.frame = None
