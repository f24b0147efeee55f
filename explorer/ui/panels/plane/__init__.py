"""The 2-D Lab panel: score, Langevin dynamics and diffusion in the plane, on data the learner draws."""

from explorer.ui.panels.plane.panel import PlanePanel

__all__ = ["PlanePanel"]
