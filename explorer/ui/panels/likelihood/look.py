"""What the Likelihood sections share: component colours, the formula label, and plots in the house look."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy

from explorer.ui.panels.divergences.style import KL_COLOUR, P_COLOUR, Q_COLOUR, StyledPlot, fixed, transparent

COMPONENT_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                     "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939")
GAP_COLOUR = KL_COLOUR
ELBO_COLOUR = "#2ca02c"
LOGP_COLOUR = P_COLOUR

__all__ = ["COMPONENT_COLOURS", "ELBO_COLOUR", "GAP_COLOUR", "KL_COLOUR", "LOGP_COLOUR", "P_COLOUR", "Q_COLOUR",
           "FormulaLabel", "StyledPlot", "ellipse", "fixed", "num", "transparent"]


def num(x: float | None, decimals: int = 3) -> str:
    """A live number beside a symbol: fixed decimals, ∞ and – (not defined yet) spelled out."""
    if x is None:
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return fixed(x, decimals).replace("-", "−")


class FormulaLabel(QLabel):
    """Rich text that writes an equation with each term's live value beside it; selectable, wrapping."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)


def ellipse(mean: np.ndarray, cov: np.ndarray, radius: float = 2.0, points: int = 64) -> np.ndarray:
    """The contour at Mahalanobis distance ``radius`` of N(mean, cov): (points + 1, 2), closed."""
    angle = np.linspace(0, 2 * math.pi, points + 1)
    circle = np.stack([np.cos(angle), np.sin(angle)], 1) * radius
    return mean + circle @ np.linalg.cholesky(cov).T
