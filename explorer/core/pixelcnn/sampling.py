"""Writing digits pixel by pixel: the cached sampler, completion of a half-hidden digit, and the
map of what the model would write next.

Sampling is sequential, 784 steps for one digit. Re-running the whole net at each step costs
784 full passes; instead each layer's output is computed **once per position** and cached,
as in "Fast Generation for Convolutional Autoregressive Models" (Ramachandran et al. 2017):

- at the start of row i, the vertical stack's row i, every layer: it depends only on rows
  above, which are all written by then;
- at pixel (i, j), the horizontal stack at that one position, every layer, from the cached
  positions to its left and the vertical stack's row i.

So drawing a digit costs about one full pass of arithmetic, spread over 784 small steps.
The result is exactly what the full net computes (a test checks it).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explorer.core.pixelcnn.layers import GatedBlock, HorizontalConv, VerticalConv, gate
from explorer.core.pixelcnn.model import PIXELS, SIDE, PixelCNN
from explorer.core.runtime.jobs import run_to_end


def _vertical_row(conv: VerticalConv, x: torch.Tensor, i: int) -> torch.Tensor:
    """Row i of ``conv(x)`` from the rows it may see (i-r..i-1 for type A, i-r..i for B): (B, C', 1, W)."""
    B, C, _, W = x.shape
    r = conv.r
    height = conv.conv.kernel_size[0]
    top = i - r  # the first row the kernel reaches; rows above the image read as zero padding
    window = x.new_zeros(B, C, height, W + 2 * r)
    first = max(top, 0)
    last = top + height  # exclusive
    if last > first:
        window[:, :, first - top :, r : r + W] = x[:, :, first:last]
    return conv.conv(window)


def _horizontal_at(conv: HorizontalConv, x: torch.Tensor, i: int, j: int) -> torch.Tensor:
    """Position (i, j) of ``conv(x)`` from columns j-r..j-1 (type A) or j-r..j (B) of row i: (B, C')."""
    B, C = x.shape[:2]
    width = conv.conv.kernel_size[1]
    left = j - conv.r
    window = x.new_zeros(B, C, width)
    first = max(left, 0)
    last = left + width
    if last > first:
        window[:, :, first - left :] = x[:, :, i, first:last]
    return F.linear(window.reshape(B, -1), conv.conv.weight.reshape(conv.conv.out_channels, -1), conv.conv.bias)


def _pointwise(conv: torch.nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution at one position: (B, C) -> (B, C')."""
    return F.linear(x, conv.weight[:, :, 0, 0], conv.bias)


@torch.inference_mode()
def causal_pass(
    model: PixelCNN, x: torch.Tensor, known: torch.Tensor | None = None, uniforms: torch.Tensor | None = None
) -> Generator[int, None, tuple[torch.Tensor, torch.Tensor]]:
    """Walk the 784 pixels in raster order with cached activations, yielding each row's index as it ends.

    x: (B, 1, 28, 28) in {0, 1}, the given pixels (others are overwritten); known: (B, 1, 28, 28)
    bool, the pixels to keep rather than draw (None: draw every pixel; all True: just score x);
    uniforms: (B, 784) in [0, 1), drawn pixel i is 1 where uniforms[:, i] < p_i.
    Returns the digits and p(x_i = 1 | x_<i) at every pixel, (B, 1, 28, 28) each.
    """
    x = x.clone()
    B = len(x)
    keep = torch.zeros_like(x, dtype=torch.bool) if known is None else known
    probs = torch.zeros_like(x)
    inputs = 2 * x - 1  # the net's centred input, written as pixels are drawn
    blocks = cast(list[GatedBlock], list(model.blocks))
    v_in = [inputs]  # v_in[l]: the vertical stack's input to block l, filled a row at a time
    h_in = [inputs]
    v_pre = []  # block l's vertical pre-activation, which also feeds its horizontal stack
    for block in blocks:
        c2 = block.v_conv.conv.out_channels
        v_pre.append(x.new_zeros(B, c2, SIDE, SIDE))
        v_in.append(x.new_zeros(B, c2 // 2, SIDE, SIDE))
        h_in.append(x.new_zeros(B, c2 // 2, SIDE, SIDE))
    head = {k: cast(nn.Conv2d, model.head[k]) for k in (1, 3)}  # the head: ReLU, 1x1 conv, ReLU, 1x1 conv
    for i in range(SIDE):
        for layer, block in enumerate(blocks):  # row i of the vertical stack: rows above are final
            row = _vertical_row(block.v_conv, v_in[layer], i)  # (B, 2C, 1, W)
            v_pre[layer][:, :, i] = row[:, :, 0]
            v_in[layer + 1][:, :, i] = gate(row)[:, :, 0]
        for j in range(SIDE):
            h: torch.Tensor  # set by the first block
            for layer, block in enumerate(blocks):
                pre = _horizontal_at(block.h_conv, h_in[layer], i, j) + _pointwise(
                    block.v_to_h, v_pre[layer][:, :, i, j]
                )
                h = _pointwise(block.h_out, gate(pre[:, :, None, None])[:, :, 0, 0])
                if block.residual:
                    h = h + h_in[layer][:, :, i, j]
                h_in[layer + 1][:, :, i, j] = h
            logit = _pointwise(head[3], torch.relu(_pointwise(head[1], torch.relu(h))))  # (B, 1)
            p = torch.sigmoid(logit)[:, 0]
            probs[:, 0, i, j] = p
            if uniforms is not None:
                drawn = (uniforms[:, i * SIDE + j] < p).to(x.dtype)
                x[:, 0, i, j] = torch.where(keep[:, 0, i, j], x[:, 0, i, j], drawn)
            inputs[:, 0, i, j] = 2 * x[:, 0, i, j] - 1
        yield i
    return x, probs


@contextmanager
def one_thread_on_cpu(device: torch.device) -> Iterator[None]:
    """Run the block with one intra-op thread on a CPU. The cached sampler's steps are thousands of
    small operations, for which threads cost more than they give, and threads that spin-wait for
    a core another process holds slow it several-fold (docs/measurements.md)."""
    if device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _uniforms(n: int, seed: int) -> torch.Tensor:
    return torch.rand(n, PIXELS, generator=torch.Generator().manual_seed(seed))


def write_digits(
    model: PixelCNN, n: int, seed: int = 0, given: np.ndarray | None = None, known: np.ndarray | None = None
) -> Generator[int, None, tuple[np.ndarray, np.ndarray]]:
    """Draw ``n`` digits (or complete ``given`` where ``known`` is False), yielding each finished row.

    given, known: (n, 28, 28) pixels and the mask of pixels to keep. Returns the digits and the
    probability the model gave pixel i being ink when it drew it, each (n, 28, 28) float32.
    """
    device = next(model.parameters()).device
    x = torch.zeros(n, 1, SIDE, SIDE, device=device)
    keep = None
    if given is not None:
        x = torch.as_tensor(np.asarray(given, dtype=np.float32).reshape(n, 1, SIDE, SIDE), device=device).round()
        keep = torch.as_tensor(np.asarray(known, dtype=bool).reshape(n, 1, SIDE, SIDE), device=device)
    with one_thread_on_cpu(device):
        images, probs = yield from causal_pass(model, x, keep, _uniforms(n, seed).to(device))
    return images[:, 0].cpu().numpy(), probs[:, 0].cpu().numpy()


def sample_images(model: PixelCNN, n: int, seed: int = 0) -> np.ndarray:
    """n digits drawn pixel by pixel from seeded uniforms: (n, 28, 28) float32 in {0, 1}."""
    return run_to_end(write_digits(model, n, seed))[0]


def complete_digits(model: PixelCNN, given: np.ndarray, known: np.ndarray, seed: int = 0) -> np.ndarray:
    """Fill the pixels of ``given`` (n, 28, 28) where ``known`` is False; the known ones are kept as given."""
    return run_to_end(write_digits(model, len(given), seed, given, known))[0]


@torch.inference_mode()
def next_pixel_map(model: PixelCNN, image: np.ndarray, written: int) -> np.ndarray:
    """What the model would write at each not-yet-written pixel now: p(x_k = 1 | the first ``written``
    pixels of ``image``, the rest blank), (28, 28), NaN where a pixel is already written."""
    device = next(model.parameters()).device
    flat = np.asarray(image, dtype=np.float32).reshape(PIXELS).copy()
    flat[written:] = 0.0
    x = torch.as_tensor(flat.reshape(1, 1, SIDE, SIDE), device=device)
    p = torch.sigmoid(model(x))[0, 0].cpu().numpy().reshape(PIXELS)
    p[:written] = np.nan
    return p.reshape(SIDE, SIDE)


@dataclass(frozen=True)
class Surprise:
    """A digit's exact NLL and where it came from: -log p(x_i | x_<i) at every pixel."""

    nll: float  # nats: the sum of ``per_pixel``
    per_pixel: np.ndarray  # (28, 28) nats
    probs: np.ndarray  # (28, 28) p(x_i = 1 | x_<i)


@torch.inference_mode()
def surprise(model: PixelCNN, image: np.ndarray) -> Surprise:
    """Score one binary digit (28, 28): its NLL in nats and the per-pixel terms that sum to it."""
    device = next(model.parameters()).device
    x = torch.as_tensor(np.asarray(image, dtype=np.float32).reshape(1, 1, SIDE, SIDE), device=device).round()
    logits = model(x)
    per_pixel = F.binary_cross_entropy_with_logits(logits, x, reduction="none")[0, 0].double().cpu().numpy()
    return Surprise(float(per_pixel.sum()), per_pixel, torch.sigmoid(logits)[0, 0].cpu().numpy())
