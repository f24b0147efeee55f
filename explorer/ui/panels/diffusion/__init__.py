"""The Diffusion panel: noise a digit step by step, then watch a network take the noise away."""

from explorer.ui.panels.diffusion.panel import DiffusionPanel

__all__ = ["DiffusionPanel"]
