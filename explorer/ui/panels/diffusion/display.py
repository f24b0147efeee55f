"""How the Diffusion panel's sections write ᾱ_t and show stored grey levels."""

from __future__ import annotations

import numpy as np


def abar_text(abar: float) -> str:
    """ᾱ_t to read: four decimals, or three significant digits near the end of the chain where it is tiny."""
    return f"{abar:.4f}" if abar >= 1e-3 else f"{abar:.2e}"


def grey(stored: np.ndarray) -> np.ndarray:
    """Stored uint8 grey levels -> float32 in [0, 1], as the image views take them."""
    return stored.astype(np.float32) / np.float32(255.0)
