"""A RealNVP-style normalizing flow in the plane (Dinh et al. 2017): a stack of coupling layers.

The flow f maps data x to a base point z = f(x) ~ N(0, I) through layers f_K ∘ … ∘ f_1. Each
layer keeps one coordinate (the mask's) and moves the other by a monotone map whose parameters
depend only on the kept one. RealNVP's map is affine:

    y_a = x_a,   y_b = x_b · exp(s(x_a)) + t(x_a),   log|det J| = s(x_a),

the neural spline flow's (Durkan et al. 2019) a rational-quadratic spline g(x_b; θ(x_a)) with
log|det J| = log g'(x_b) (``splines.py``). Either way inverting is as cheap as going forward and the
change of variables is exact:

    log p(x) = log N(f(x); 0, I) + Σ_k log|det J_k(x)|.

Each coupling's MLP sees the kept coordinate with its sin and cos at π/2 and π (``frequencies``; Tancik
et al. 2020): what a checkerboard asks of a layer is a transform that switches at a square's edge, which an
MLP on the raw coordinate learns slowly (its spectral bias). The extra capacity also fits a 2,000-point set's
own quirks, so training jitters each batch by a small Gaussian (``noise``, Rothfuss et al. 2019's noise
regularisation): the model learns the data blurred by σ = 0.03, far finer than any preset's structure.

The masks alternate between the two coordinates. Splines are the default: an affine layer only
shifts and stretches, so the ring's separated modes stayed joined by thin bridges after 10,000
steps (docs/labs.md), where a spline folds one bump into several in a single layer. For the affine
coupling, s is bounded by ``SCALE_BOUND`` · tanh, which keeps the exponent from overflowing early
in training (Dinh et al. §3.7 use a tanh scale too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from explorer.core.plane.nets import point_features
from explorer.core.plane.splines import rational_quadratic, spline_size
from explorer.core.runtime.limits import SEED_MAX, bounded, one_of, validate

COUPLINGS = ("spline", "affine")
SCALE_BOUND = 3.0  # |s| ≤ 3: a layer stretches a coordinate by at most e³ ≈ 20
TAIL_BOUND = 4.0  # splines act on [-4, 4] (the lab's box), the identity outside
LOG_2PI = math.log(2 * math.pi)


@dataclass(frozen=True)
class RealNVPConfig:
    """K couplings (rational-quadratic splines of ``bins`` bins, or affine), each with an MLP (``layers``
    hidden layers of ``hidden`` units) from the kept coordinate (and its sin and cos at ``frequencies``
    frequencies, π/2 doubling) to the moved one's transform; trained on points jittered by N(0, ``noise``²)."""

    coupling: str = one_of("spline", COUPLINGS)
    bins: int = bounded(8, 2, 64)
    frequencies: int = bounded(2, 0, 6)
    noise: float = bounded(0.03, 0.0, 1.0)
    couplings: int = bounded(4, 2, 32)
    hidden: int = bounded(64, 8, 512)
    layers: int = bounded(2, 1, 6)
    steps: int = bounded(1500, 1, 200_000)
    batch_size: int = bounded(512, 16, 8192)
    lr: float = bounded(3e-3, 0.0, 0.1, low_open=True)
    seed: int = bounded(0, 0, SEED_MAX)

    def __post_init__(self) -> None:
        validate(self)


def mlp(inputs: int, outputs: int, hidden: int, layers: int) -> nn.Sequential:
    """``layers`` hidden layers of ``hidden`` SiLU units between ``inputs`` and ``outputs``."""
    blocks: list[nn.Module] = [nn.Linear(inputs, hidden), nn.SiLU()]
    for _ in range(layers - 1):
        blocks += [nn.Linear(hidden, hidden), nn.SiLU()]
    blocks.append(nn.Linear(hidden, outputs))
    return nn.Sequential(*blocks)


class AffineCoupling(nn.Module):
    """One layer: keeps coordinate ``kept`` (0 = x, 1 = y) and moves the other by exp(s)·x + t."""

    def __init__(self, kept: int, hidden: int, layers: int, frequencies: int) -> None:
        super().__init__()
        self.kept = kept
        self.frequencies = frequencies
        self.net = mlp(1 + 2 * frequencies, 2, hidden, layers)
        last = self.net[-1]
        assert isinstance(last, nn.Linear)
        nn.init.zeros_(last.weight)  # every layer starts as the identity
        nn.init.zeros_(last.bias)

    def _scale_shift(self, x_a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self.net(point_features(x_a, self.frequencies)).split(1, dim=1)  # (B, 1) each
        return SCALE_BOUND * torch.tanh(s / SCALE_BOUND), t

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, 2) → (y (B, 2), log|det ∂y/∂x| (B,)) = (…, s(x_a))."""
        x_a, x_b = self._split(x)
        s, t = self._scale_shift(x_a)
        return self._join(x_a, x_b * torch.exp(s) + t), s[:, 0]

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """y (B, 2) → x (B, 2): x_b = (y_b − t(y_a)) · exp(−s(y_a)), since y_a = x_a."""
        y_a, y_b = self._split(y)
        s, t = self._scale_shift(y_a)
        return self._join(y_a, (y_b - t) * torch.exp(-s))

    def _split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(kept column, moved column), each (B, 1)."""
        first, second = x[:, :1], x[:, 1:]
        return (first, second) if self.kept == 0 else (second, first)

    def _join(self, x_a: torch.Tensor, x_b: torch.Tensor) -> torch.Tensor:
        return torch.cat([x_a, x_b] if self.kept == 0 else [x_b, x_a], dim=1)


class SplineCoupling(nn.Module):
    """One layer: keeps coordinate ``kept`` and moves the other by a monotone rational-quadratic spline
    whose bins and knot slopes the kept coordinate's MLP gives (Durkan et al. 2019)."""

    def __init__(self, kept: int, hidden: int, layers: int, bins: int, frequencies: int) -> None:
        super().__init__()
        self.kept = kept
        self.frequencies = frequencies
        self.net = mlp(1 + 2 * frequencies, spline_size(bins), hidden, layers)
        last = self.net[-1]
        assert isinstance(last, nn.Linear)
        nn.init.zeros_(last.weight)  # equal bins, every slope 1: every layer starts as the identity
        nn.init.zeros_(last.bias)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, 2) → (y (B, 2), log|det ∂y/∂x| (B,)) = (…, log g'(x_b))."""
        x_a, x_b = x[:, self.kept], x[:, 1 - self.kept]
        y_b, log_slope = rational_quadratic(x_b, self._theta(x_a), TAIL_BOUND)
        return self._join(x_a, y_b), log_slope

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """y (B, 2) → x (B, 2): x_b = g⁻¹(y_b; θ(y_a)), since y_a = x_a."""
        y_a, y_b = y[:, self.kept], y[:, 1 - self.kept]
        x_b, _ = rational_quadratic(y_b, self._theta(y_a), TAIL_BOUND, inverse=True)
        return self._join(y_a, x_b)

    def _theta(self, x_a: torch.Tensor) -> torch.Tensor:
        """The spline's raw parameters (B, 3K − 1) from the kept coordinate x_a (B,)."""
        return self.net(point_features(x_a[:, None], self.frequencies))

    def _join(self, x_a: torch.Tensor, x_b: torch.Tensor) -> torch.Tensor:
        return torch.stack([x_a, x_b] if self.kept == 0 else [x_b, x_a], dim=1)


Coupling = AffineCoupling | SplineCoupling


def coupling(cfg: RealNVPConfig, kept: int) -> Coupling:
    """The coupling ``cfg`` asks for, keeping coordinate ``kept``."""
    if cfg.coupling == "affine":
        return AffineCoupling(kept, cfg.hidden, cfg.layers, cfg.frequencies)
    return SplineCoupling(kept, cfg.hidden, cfg.layers, cfg.bins, cfg.frequencies)


class RealNVP(nn.Module):
    """The flow f: data → base, a stack of couplings keeping x, y, x, y, … in turn."""

    def __init__(self, cfg: RealNVPConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.couplings = nn.ModuleList(coupling(cfg, k % 2) for k in range(cfg.couplings))

    @property
    def layers(self) -> list[Coupling]:
        """The couplings, first (applied to x first) to last."""
        return [layer for layer in self.couplings if isinstance(layer, (AffineCoupling, SplineCoupling))]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, 2) → (z = f(x) (B, 2), log|det J_k| per layer (B, K))."""
        logdets = []
        for layer in self.couplings:
            x, logdet = layer(x)
            logdets.append(logdet)
        return x, torch.stack(logdets, 1)

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, 2) → x = f⁻¹(z) (B, 2): the layers undone last to first (sampling)."""
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) (B,) in nats, by the change of variables."""
        z, logdets = self(x)
        return base_log_density(z) + logdets.sum(1)

    def pushes(self, z: torch.Tensor) -> list[torch.Tensor]:
        """Base points z (B, 2) pushed toward the data one layer at a time: K + 1 stages, from z
        (stage 0) to f⁻¹(z) (stage K); stage k is after undoing the last k layers."""
        stages = [z]
        for layer in reversed(self.layers):
            stages.append(layer.inverse(stages[-1]))
        return stages

    def stage_log_prob(self, x: torch.Tensor, stage: int) -> torch.Tensor:
        """log p_k(x) (B,) of the density at stage k of ``pushes`` (stage 0 the base, K the model):
        the base Gaussian carried through the last k layers' inverses, so x passes through those k."""
        logdet = torch.zeros(len(x), dtype=x.dtype)
        layers = self.layers[len(self.couplings) - stage :] if stage else []
        for layer in layers:
            x, s = layer(x)
            logdet = logdet + s
        return base_log_density(x) + logdet


def base_log_density(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) for points (B, 2): −‖z‖²/2 − log 2π."""
    return -0.5 * (z**2).sum(1) - LOG_2PI


@dataclass(frozen=True)
class Ledger:
    """The change of variables at one point, term by term: log p(x) = log N(z) + Σ log|det J_k|."""

    x: tuple[float, float]
    z: tuple[float, float]
    base: float
    logdets: tuple[float, ...]

    @property
    def log_p(self) -> float:
        return self.base + sum(self.logdets)

    def lines(self) -> list[str]:
        """The ledger as text, one term a line, the sum last."""
        rows = [f"log N(z; 0, I) at z = ({self.z[0]:.3f}, {self.z[1]:.3f})   {self.base:+.4f}"]
        rows += [
            f"log|det J_{k + 1}|  (coupling {k + 1}, keeps {'xy'[k % 2]})   {v:+.4f}"
            for k, v in enumerate(self.logdets)
        ]
        rows.append(f"log p(x) at x = ({self.x[0]:.3f}, {self.x[1]:.3f})   {self.log_p:+.4f} nats")
        return rows


@torch.no_grad()
def ledger(flow: RealNVP, point: tuple[float, float]) -> Ledger:
    """The likelihood ledger of one clicked point."""
    x = torch.tensor([point], dtype=torch.float32)
    z, logdets = flow(x)
    return Ledger(
        x=(float(x[0, 0]), float(x[0, 1])),
        z=(float(z[0, 0]), float(z[0, 1])),
        base=float(base_log_density(z)[0]),
        logdets=tuple(float(v) for v in logdets[0]),
    )


@torch.no_grad()
def realnvp_sample(flow: RealNVP, n: int, seed: int) -> np.ndarray:
    """``n`` samples (float32, (n, 2)): x = f⁻¹(z), z ~ N(0, I) drawn from ``seed``."""
    z = torch.randn((n, 2), generator=torch.Generator().manual_seed(seed))
    return flow.inverse(z).numpy()
