"""The Divergences panel: entropy, cross-entropy, KL and JS of distributions the learner edits live."""

from explorer.ui.panels.divergences.panel import DivergencePanel

__all__ = ["DivergencePanel"]
