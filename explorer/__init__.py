"""Generative Explorer: see how deep generative models work by touching them."""

__version__ = "0.1.0"
