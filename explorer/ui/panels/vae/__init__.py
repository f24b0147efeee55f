"""The VAE panel: drag through the latent plane and watch the decoder answer."""

from explorer.ui.panels.vae.panel import VAEPanel

__all__ = ["VAEPanel"]
