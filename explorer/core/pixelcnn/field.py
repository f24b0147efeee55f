"""Which pixels a pixel's prediction may look at: its receptive field, traced through the stacks.

Traced structurally, from the convolutions' footprints, backwards from one output position
through every layer (a test checks it against the gradients of a real net). The same trace
for a *plain* PixelCNN (one stack of masked k x k convolutions, type A then B; van den Oord
et al. 2016a) shows its blind spot: pixels above and to the right that are before pixel i in
raster order, yet that no depth of masked convolutions ever reaches.
"""

from __future__ import annotations

import numpy as np

from explorer.core.pixelcnn.model import FIRST_KERNEL, SIDE


def _dilate(need: np.ndarray, offsets: list[tuple[int, int]]) -> np.ndarray:
    """Positions p + o for every needed output position p and footprint offset o (clipped to the image)."""
    out = np.zeros_like(need)
    H, W = need.shape
    for di, dj in offsets:
        src = need[max(0, -di) : H - max(0, di), max(0, -dj) : W - max(0, dj)]
        out[max(0, di) : H - max(0, -di), max(0, dj) : W - max(0, -dj)] |= src
    return out


def vertical_offsets(kernel: int, mask_type: str) -> list[tuple[int, int]]:
    """Rows above (and the own row for type B), k wide: the vertical stack's footprint."""
    r = kernel // 2
    last = -1 if mask_type == "A" else 0
    return [(di, dj) for di in range(-r, last + 1) for dj in range(-r, r + 1)]


def horizontal_offsets(kernel: int, mask_type: str) -> list[tuple[int, int]]:
    """Pixels to the left in the same row (and the own position for type B)."""
    r = kernel // 2
    last = -1 if mask_type == "A" else 0
    return [(0, dj) for dj in range(-r, last + 1)]


def masked_offsets(kernel: int, mask_type: str) -> list[tuple[int, int]]:
    """A plain masked k x k convolution: rows above, and the left of the own row (plus itself for B)."""
    r = kernel // 2
    return [
        (di, dj) for di in range(-r, 1) for dj in range(-r, r + 1) if di < 0 or dj < 0 or (dj == 0 and mask_type == "B")
    ]


def receptive_field(i: int, j: int, layers: int, kernel: int = 3, gated: bool = True) -> np.ndarray:
    """(28, 28) bool: the input pixels the prediction at (i, j) depends on, through ``layers`` layers
    (the first 7 wide and type A, the rest ``kernel`` wide and type B), gated stacks or plain."""
    kernels = [FIRST_KERNEL] + [kernel] * (layers - 1)
    target = np.zeros((SIDE, SIDE), dtype=bool)
    target[i, j] = True
    if not gated:
        need = target
        for k, mask in zip(reversed(kernels), ["B"] * (layers - 1) + ["A"], strict=True):
            need = _dilate(need, masked_offsets(k, mask))
        return need
    # Backwards through the blocks: h_l(p) needs h_{l-1} at p + H-footprint (and at p: the
    # residual), and v_l's pre-activation at p; v_l(p) needs v_{l-1} at p + V-footprint.
    need_h, need_v = target, np.zeros_like(target)
    for layer in reversed(range(layers)):
        mask = "A" if layer == 0 else "B"
        k = kernels[layer]
        need_v = need_v | need_h
        residual = need_h if mask == "B" else np.zeros_like(need_h)
        need_h = _dilate(need_h, horizontal_offsets(k, mask)) | residual
        need_v = _dilate(need_v, vertical_offsets(k, mask))
    return need_h | need_v


def blind_spot(i: int, j: int, layers: int, kernel: int = 3) -> np.ndarray:
    """(28, 28) bool: pixels before (i, j) in raster order that a plain masked PixelCNN of this depth
    cannot see although they lie within the reach of its field: up and to the right."""
    plain = receptive_field(i, j, layers, kernel, gated=False)
    gated = receptive_field(i, j, layers, kernel, gated=True)
    before = np.arange(SIDE * SIDE).reshape(SIDE, SIDE) < i * SIDE + j
    return before & gated & ~plain
