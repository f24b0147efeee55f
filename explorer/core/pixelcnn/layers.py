"""The gated PixelCNN's causal convolutions and its gated block (van den Oord et al. 2016, Fig. 2).

A masked convolution is written here as a small convolution on a shifted, padded input
rather than a k x k kernel with zeros in it: the same function, half the arithmetic.

- The **vertical stack** sees every pixel in the rows above (all columns within reach);
  its first layer ("type A") sees strictly the rows above, later layers ("type B") also the
  row of their own position in the stack below, which itself saw only the rows above.
- The **horizontal stack** sees the pixels to the left in the same row: strictly left in
  the first layer (type A, so a pixel never sees itself), up to itself in later ones (B).

Fed into the horizontal stack, the vertical stack covers the whole region above, so the
*blind spot* of a plain masked k x k convolution (pixels up and to the right it can never
see) does not arise.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class VerticalConv(nn.Module):
    """Output (i, j) from input rows i-r..i-1 (type A) or i-r..i (type B), columns j-r..j+r."""

    def __init__(self, c_in: int, c_out: int, kernel: int, mask_type: str) -> None:
        super().__init__()
        self.r = kernel // 2
        self.mask_type = mask_type
        rows = self.r if mask_type == "A" else self.r + 1
        self.conv = nn.Conv2d(c_in, c_out, (rows, kernel))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, C', H, W)
        H = x.shape[2]
        padded = F.pad(x, (self.r, self.r, self.r, 0))  # left, right, top, bottom
        return self.conv(padded)[:, :, :H]  # type A yields H+1 rows: row i from rows i-r..i-1


class HorizontalConv(nn.Module):
    """Output (i, j) from input row i, columns j-r..j-1 (type A) or j-r..j (type B)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, mask_type: str) -> None:
        super().__init__()
        self.r = kernel // 2
        self.mask_type = mask_type
        cols = self.r if mask_type == "A" else self.r + 1
        self.conv = nn.Conv2d(c_in, c_out, (1, cols))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        W = x.shape[3]
        return self.conv(F.pad(x, (self.r, 0, 0, 0)))[:, :, :, :W]


def gate(x: torch.Tensor) -> torch.Tensor:
    """tanh(a) * sigmoid(b) over the two halves of the channels (eq. 2): the gated activation unit."""
    a, b = x.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedBlock(nn.Module):
    """One gated layer of both stacks (Fig. 2): v' = gate(V * v); h' = h + 1x1(gate(H * h + 1x1(V * v)))."""

    def __init__(self, c_in: int, channels: int, kernel: int, mask_type: str) -> None:
        super().__init__()
        self.residual = mask_type == "B"  # the first block's input is the 1-channel image
        self.v_conv = VerticalConv(c_in, 2 * channels, kernel, mask_type)
        self.h_conv = HorizontalConv(c_in, 2 * channels, kernel, mask_type)
        self.v_to_h = nn.Conv2d(2 * channels, 2 * channels, 1)
        self.h_out = nn.Conv2d(channels, channels, 1)

    def forward(self, v: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        v_pre = self.v_conv(v)  # (B, 2C, H, W): rows above only
        h_new = self.h_out(gate(self.h_conv(h) + self.v_to_h(v_pre)))
        return gate(v_pre), h + h_new if self.residual else h_new
