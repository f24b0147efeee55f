"""The Evaluate panel: score every model against the MNIST test set, side by side with real digits."""

from explorer.ui.panels.evaluate.panel import EvaluatePanel

__all__ = ["EvaluatePanel"]
