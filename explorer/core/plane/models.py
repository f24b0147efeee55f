"""The lab's two part-1 models and their configs: a noise-conditional score network (Song & Ermon
2019) and a 2-D DDPM (Ho et al. 2020), both on the same MLP (``nets.py``).

Each config declares its limits once (``bounded``/``one_of``); the panel's forms, the CLI's options
and a checkpoint's stored config all meet them. The training fields are shared by name so one
training loop (``training.py``) serves both.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from explorer.core.diffusion.schedule import make_schedule
from explorer.core.plane.nets import NoiseConditionedMLP
from explorer.core.runtime.checkpoints import config_from_dict
from explorer.core.runtime.limits import SEED_MAX, ConfigError, bounded, one_of, validate

PREDICTIONS = ("eps", "x0", "v")  # what the DDPM's network outputs; ε̂ is derived from it either way
T_SAMPLINGS = ("uniform", "lognormal")  # how training draws t


@dataclass(frozen=True)
class ScoreConfig:
    """A score network s(x, σ) trained by denoising score matching with σ log-uniform in [σ_min, σ_max],
    seeing the point through ``point_frequencies`` Fourier frequencies as the DDPM does: on the raw point its
    annealed-Langevin samples read 2.8× the floor on the checkerboard, with them 1.3–1.4× (docs/labs.md,
    round 7)."""

    hidden: int = bounded(128, 16, 512)
    layers: int = bounded(3, 1, 6)
    point_frequencies: int = bounded(3, 0, 6)  # sin, cos at π/2, π, 2π (nets.point_features)
    sigma_min: float = bounded(0.1, 0.001, 1.0, low_open=True, note="below sigma_max")
    sigma_max: float = bounded(4.0, 0.1, 20.0)
    levels: int = bounded(10, 2, 100)  # the geometric σ ladder annealed Langevin walks down
    steps: int = bounded(3000, 1, 200_000)
    batch_size: int = bounded(512, 16, 8192)
    lr: float = bounded(2e-3, 0.0, 0.1, low_open=True)
    seed: int = bounded(0, 0, SEED_MAX)

    def __post_init__(self) -> None:
        validate(self)
        if self.sigma_min >= self.sigma_max:
            raise ConfigError("sigma_min", "must be below sigma_max", self.sigma_min)

    def sigmas(self) -> np.ndarray:
        """The L levels σ_1 > … > σ_L, a geometric sequence from σ_max to σ_min (Song & Ermon §4.2)."""
        return np.geomspace(self.sigma_max, self.sigma_min, self.levels)


@dataclass(frozen=True)
class DDPMConfig:
    """A 2-D DDPM on T steps of Ho et al.'s linear β schedule (1e-4 to 0.02), seeing the point through
    ``point_frequencies`` Fourier frequencies beside itself (``nets.point_features``).

    The network predicts v = √ᾱ ε − √(1−ᾱ) x₀ (Salimans & Ho 2022) and training draws σ_t log-normal
    (Karras et al. 2022): against Ho et al.'s ε and uniform t, better samples come in two thirds of the
    steps (docs/labs.md, round 5). Where v̂ is near −x₀ (large t) an error in it barely moves ε̂, so the
    ODE samplers lose less there than from an ε-network trained on fewer large t. The point's Fourier
    features bring the checkerboard within the margin on the presets' points at the same cost per step; the
    spiral and the mixture read within the noise of the raw point (docs/labs.md, round 6)."""

    hidden: int = bounded(128, 16, 512)
    layers: int = bounded(3, 1, 6)
    # sin, cos at π/2, π, 2π: the checkerboard's square edges, which an MLP on the raw point learns slowly.
    point_frequencies: int = bounded(3, 0, 6)
    T: int = bounded(1000, 10, 4000)
    prediction: str = one_of("v", PREDICTIONS)
    t_sampling: str = one_of("lognormal", T_SAMPLINGS)
    p_mean: float = bounded(-0.4, -5.0, 5.0)  # ln σ ~ N(p_mean, p_std²): median σ 0.67, of the data's scale
    p_std: float = bounded(1.4, 0.1, 5.0)
    steps: int = bounded(4000, 1, 200_000)
    batch_size: int = bounded(512, 16, 8192)
    lr: float = bounded(2e-3, 0.0, 0.1, low_open=True)
    seed: int = bounded(0, 0, SEED_MAX)

    def __post_init__(self) -> None:
        validate(self)


class ScoreNet(nn.Module):
    """s(x, σ) = f(x, log σ) / σ: the 1/σ makes the output's scale right at every level (Song &
    Ermon 2020, technique 3), so f only learns a direction and a size of order one."""

    def __init__(self, cfg: ScoreConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.f = NoiseConditionedMLP(cfg.hidden, cfg.layers, cfg.point_frequencies)
        self.log_range = (math.log(cfg.sigma_min), math.log(cfg.sigma_max))

    def level(self, sigma: torch.Tensor) -> torch.Tensor:
        low, high = self.log_range
        return (sigma.log() - low) / (high - low)

    def forward(self, x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """Points (B, 2), noise levels (B,) → scores (B, 2)."""
        return self.f(x, self.level(sigma)) / sigma[:, None]

    def at_sigma(self, x: torch.Tensor, sigma: float) -> torch.Tensor:
        """s(x, σ) for one σ shared by every point (a Langevin step): the same numbers, less work."""
        low, high = self.log_range
        return self.f.at_level(x, (math.log(sigma) - low) / (high - low)) / sigma


class EpsNet(nn.Module):
    """ε̂(x_t, t) with t 0-based (0..T−1, the paper's 1..T) and the schedule it was trained on."""

    alphas_cumprod: torch.Tensor  # ᾱ_t (T,), float64, a buffer

    def __init__(self, cfg: DDPMConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.f = NoiseConditionedMLP(cfg.hidden, cfg.layers, cfg.point_frequencies)
        schedule = make_schedule("linear", cfg.T)
        self.register_buffer("alphas_cumprod", schedule.alphas_cumprod.double(), persistent=False)

    def output(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The network's own output (B, 2): ε̂, x̂₀ or v̂ as ``cfg.prediction`` says; the loss compares this."""
        return self.f(x_t, (t.float() + 1) / self.cfg.T)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Points (B, 2), 0-based steps (B,) → predicted noise (B, 2)."""
        return self.eps_from(x_t, self.output(x_t, t), self.alphas_cumprod[t].float()[:, None])

    def at_step(self, x_t: torch.Tensor, t: int) -> torch.Tensor:
        """ε̂(x_t, t) for one step t shared by every point (a sampler's step): the same numbers, less work."""
        return self.eps_from(x_t, self.f.at_level(x_t, (t + 1) / self.cfg.T), float(self.alphas_cumprod[t]))

    def eps_from(self, x_t: torch.Tensor, out: torch.Tensor, abar: torch.Tensor | float) -> torch.Tensor:
        """ε̂ from the network's output, by x_t = √ᾱ x₀ + √(1−ᾱ) ε and v = √ᾱ ε − √(1−ᾱ) x₀ (Salimans &
        Ho 2022): every sampler and the score link read ε̂, whatever the network predicts."""
        if self.cfg.prediction == "eps":
            return out
        a, s = (abar**0.5, (1 - abar) ** 0.5)
        if self.cfg.prediction == "x0":
            return (x_t - a * out) / s
        return s * x_t + a * out

    def score(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """∇ log q_t(x_t) ≈ −ε̂(x_t, t) / √(1 − ᾱ_t): Tweedie's formula read through ε-prediction."""
        abar = self.alphas_cumprod[t].float()
        return -self(x_t, t) / (1 - abar).sqrt()[:, None]


KINDS = {"plane-score": (ScoreConfig, ScoreNet), "plane-ddpm": (DDPMConfig, EpsNet)}
# What a checkpoint saved before a config field existed was built with: its config lacks the field, and the
# field's default has moved on since. One table for every model of the lab (the flows' loader reads it too).
SAVED_BEFORE: dict[str, dict[str, object]] = {
    "plane-score": {"point_frequencies": 0},
    "plane-ddpm": {"point_frequencies": 0, "prediction": "eps", "t_sampling": "uniform"},
    "plane-realnvp": {"coupling": "affine", "frequencies": 0, "noise": 0.0},  # before splines, features, jitter
}
PlaneConfig = ScoreConfig | DDPMConfig
PlaneNet = ScoreNet | EpsNet


def kind_of(cfg: PlaneConfig) -> str:
    return "plane-score" if isinstance(cfg, ScoreConfig) else "plane-ddpm"


def build_net(cfg: PlaneConfig) -> PlaneNet:
    """The network for ``cfg``, with weights drawn from its seed."""
    torch.manual_seed(cfg.seed)
    return ScoreNet(cfg) if isinstance(cfg, ScoreConfig) else EpsNet(cfg)


def config_dict(cfg: PlaneConfig) -> dict[str, object]:
    return asdict(cfg)


def saved_values(kind: str, values: dict[str, object]) -> dict[str, object]:
    """A saved ``kind`` model's config values, the fields it predates filled with what it was built with."""
    return {**SAVED_BEFORE.get(kind, {}), **values}


def saved_config(kind: str, values: dict[str, object]) -> PlaneConfig:
    """The config of a saved score or DDPM model (``saved_values``); a CheckpointError (one line) for an
    unknown field or a value outside the limits."""
    config_cls, _ = KINDS[kind]
    return config_from_dict(config_cls, saved_values(kind, values))
