"""The VAE panel: drag through the latent plane and watch the decoder answer.

``VAEPanel`` is imported when first asked for, not with the package: the tab's opening picture
(``opening_picture.py``) is painted before torch, which the panel imports, is loaded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from explorer.ui.panels.vae.panel import VAEPanel

__all__ = ["VAEPanel"]


def __getattr__(name: str) -> Any:
    if name == "VAEPanel":
        from explorer.ui.panels.vae.panel import VAEPanel

        return VAEPanel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
