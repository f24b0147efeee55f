"""Monotone rational-quadratic splines (Gregory & Delbourgo 1982), the transform of a neural spline flow's
coupling (Durkan et al. 2019, "Neural Spline Flows", §3.1 and Appendix A).

On [−B, B] the map y = g(x) is made of K bins. Bin k runs from knot (x_k, y_k) to (x_{k+1}, y_{k+1}) with
the derivatives δ_k, δ_{k+1} at its ends; with θ = (x − x_k)/w_k, s_k = h_k/w_k:

    g(x) = y_k + h_k [s_k θ² + δ_k θ(1−θ)] / [s_k + (δ_{k+1} + δ_k − 2 s_k) θ(1−θ)]        (eq. 4)

and g'(x) in closed form (eq. 5), so log|det J| is exact. Every δ > 0 keeps g strictly increasing, so it
has an inverse: a quadratic in θ whose root is taken in the stable form of eq. 6–8. Outside [−B, B] the
map is the identity (the "linear tails"; the end derivatives are pinned to 1 so g' is continuous).

Where an affine coupling can only shift and stretch the moved coordinate, one spline can fold a single
bump into two (a flat bin between two steep ones): a ring's or a checkerboard's cross-sections.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

MIN_BIN = 1e-3  # the smallest bin width and height, as a share of 2B: no bin collapses to a point
MIN_DERIVATIVE = 1e-3
IDENTITY_SHIFT = math.log(math.expm1(1 - MIN_DERIVATIVE))  # softplus(0 + shift) + MIN_DERIVATIVE = 1


def spline_size(bins: int) -> int:
    """How many raw numbers per point a spline of ``bins`` bins takes: K widths, K heights, K − 1 inner
    derivatives."""
    return 3 * bins - 1


def rational_quadratic(
    x: torch.Tensor, raw: torch.Tensor, bound: float, inverse: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """g(x), or g⁻¹(x) if ``inverse``, per point, with log g' at the spline's input side: log|det| of the
    forward map, and for the inverse log g'(g⁻¹(y)), i.e. minus the inverse's log|det|.

    x (B,); raw (B, 3K − 1): K width logits, K height logits, K − 1 raw inner derivatives. All zeros is
    the identity (equal bins, every derivative 1). Returns (out (B,), log g' (B,)). Widths and heights
    go through each step together as one (B, 2, ·) tensor: on a batch of a few hundred points the
    number of tensor operations, not their size, is the cost."""
    n, bins = len(x), (raw.shape[1] + 1) // 3
    logits = raw[:, : 2 * bins].reshape(n, 2, bins)
    e = (logits - logits.amax(2, keepdim=True).detach()).exp()  # a softmax by hand: torch's is 7× slower on rows of 8
    share = MIN_BIN + (1 - MIN_BIN * bins) * e / e.sum(2, keepdim=True)  # (B, 2, K): each bin's share of 2B
    inner = torch.cumsum(share, dim=2)[:, :, :-1]  # (B, 2, K − 1): the ends are pinned, not summed, so exact
    knots = F.pad(F.pad(inner, (1, 0), value=0.0), (0, 1), value=1.0) * (2 * bound) - bound  # (B, 2, K + 1)
    sizes = knots[:, :, 1:] - knots[:, :, :-1]  # (B, 2, K): widths w, heights h
    slopes = F.pad(F.softplus(raw[:, 2 * bins :] + IDENTITY_SHIFT) + MIN_DERIVATIVE, (1, 1), value=1.0)  # (B, K + 1)

    inside = x.abs() < bound
    v = x.clamp(-bound, bound)[:, None]  # (B, 1): a point in the tails is computed on the edge, then discarded
    k = (v >= knots[:, 1 if inverse else 0, 1:-1]).sum(1, keepdim=True)  # (B, 1): its bin, 0..K − 1
    corner = knots.gather(2, k[:, None].expand(n, 2, 1))[:, :, 0]  # (B, 2): (x_k, y_k)
    size = sizes.gather(2, k[:, None].expand(n, 2, 1))[:, :, 0]  # (B, 2): (w_k, h_k)
    d = slopes.gather(1, torch.cat([k, k + 1], 1))  # (B, 2): (δ_k, δ_{k+1})
    x_k, y_k, w_k, h_k = corner[:, :1], corner[:, 1:], size[:, :1], size[:, 1:]
    d_k, d_k1 = d[:, :1], d[:, 1:]
    s_k = h_k / w_k
    bend = d_k1 + d_k - 2 * s_k

    if inverse:  # eq. 6–8: a θ² + b θ + c = 0, the root in its stable form 2c / (−b − √(b² − 4ac))
        dy = v - y_k
        a = h_k * (s_k - d_k) + dy * bend
        b = h_k * d_k - dy * bend
        c = -s_k * dy
        theta = (2 * c) / (-b - (b * b - 4 * a * c).clamp(min=0).sqrt())
        mix = theta * (1 - theta)
        out = theta * w_k + x_k
    else:
        theta = (v - x_k) / w_k
        mix = theta * (1 - theta)
        out = y_k + h_k * (s_k * theta**2 + d_k * mix) / (s_k + bend * mix)
    slope = s_k**2 * (d_k1 * theta**2 + 2 * s_k * mix + d_k * (1 - theta) ** 2) / (s_k + bend * mix) ** 2  # eq. 5
    y = torch.where(inside, out[:, 0], x)
    log_slope = torch.where(inside, slope[:, 0].log(), torch.zeros_like(x))
    return y, log_slope
