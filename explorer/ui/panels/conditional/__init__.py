"""The Conditional panel: a conditional VAE's style × digit, and classifier-free guidance of a diffusion model."""

from explorer.ui.panels.conditional.panel import ConditionalPanel

__all__ = ["ConditionalPanel"]
