"""Training the lab's models on points: the two losses, one step, and the loop as a generator.

Denoising score matching (Vincent 2011) with Song & Ermon's weighting λ(σ) = σ²:
    ℓ(θ) = ½ E_σ E_x E_z ‖σ s_θ(x + σz, σ) + z‖²,
since the score of the Gaussian kernel q_σ(x̃ | x) is −(x̃ − x)/σ² = −z/σ.
DDPM (Ho et al. 2020, Algorithm 1): ‖ε − ε_θ(√ᾱ_t x₀ + √(1 − ᾱ_t) ε, t)‖², t uniform.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import torch

from explorer.core.plane.data import fingerprint
from explorer.core.plane.models import EpsNet, PlaneConfig, ScoreNet, build_net, config_dict, kind_of
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.training import Every, check_finite, training_record

EMA_DECAY = 0.995  # the weights shown and saved are an exponential moving average: a short run's noise averaged out


@dataclass(frozen=True)
class PlaneSnapshot:
    """A moment of training: the mean loss since the last snapshot, and the weights every second or so."""

    kind: str
    step: int
    steps: int
    loss: float
    seconds: float
    state: dict[str, np.ndarray] | None = None

    @property
    def progress(self) -> float:
        return self.step / self.steps

    def summary(self) -> str:
        return f"step {self.step:,}/{self.steps:,}  loss {self.loss:.4f}  {self.seconds:.1f} s"


def dsm_loss(net: ScoreNet, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """½ ‖σ s(x + σz, σ) + z‖² averaged over the batch, σ log-uniform in [σ_min, σ_max] (a geometric range)."""
    low, high = net.log_range
    u = torch.rand(len(x), generator=generator)
    sigma = torch.exp(low + (high - low) * u)  # (B,)
    z = torch.randn(x.shape, generator=generator)  # (B, 2)
    x_noisy = x + sigma[:, None] * z
    return 0.5 * ((sigma[:, None] * net(x_noisy, sigma) + z) ** 2).sum(1).mean()


def training_steps(net: EpsNet, n: int, generator: torch.Generator) -> torch.Tensor:
    """n 0-based steps t: uniform (Ho et al.), or σ_t log-normal (Karras et al. 2022's training
    distribution, ln σ ~ N(p_mean, p_std²)) mapped to the step whose ᾱ_t = 1/(1 + σ²) is nearest."""
    cfg = net.cfg
    if cfg.t_sampling == "uniform":
        return torch.randint(0, cfg.T, (n,), generator=generator)
    sigma = torch.exp(cfg.p_mean + cfg.p_std * torch.randn(n, generator=generator, dtype=torch.float64))
    t = torch.searchsorted(1 - net.alphas_cumprod, 1 - 1 / (1 + sigma**2))
    return t.clamp_(0, cfg.T - 1)


def ddpm_loss(net: EpsNet, x0: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """‖target − f_θ(x_t, t)‖² with x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε, per coordinate; the target is ε (eq. 14,
    the 'simple' loss), x₀, or v = √ᾱ_t ε − √(1 − ᾱ_t) x₀ as the net predicts."""
    t = training_steps(net, len(x0), generator)
    abar = net.alphas_cumprod[t].float()[:, None]  # (B, 1)
    eps = torch.randn(x0.shape, generator=generator)
    x_t = abar.sqrt() * x0 + (1 - abar).sqrt() * eps
    v = abar.sqrt() * eps - (1 - abar).sqrt() * x0
    target = {"eps": eps, "x0": x0, "v": v}[net.cfg.prediction]
    return ((target - net.output(x_t, t)) ** 2).mean()


def train_step(
    net: ScoreNet | EpsNet, optimizer: torch.optim.Optimizer, x: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """One gradient step on a batch; returns the loss (a tensor, read at snapshots only)."""
    loss = dsm_loss(net, x, generator) if isinstance(net, ScoreNet) else ddpm_loss(net, x, generator)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


class EMA:
    """An exponential moving average of a net's weights, kept in a copy of the net (``module``): the
    first update copies the weights, each later one moves the copy a share 1 − decay toward them.
    The same as torch's AveragedModel with its EMA rule, in one foreach call on the parameter lists
    instead of a walk over the modules every step."""

    def __init__(self, net: torch.nn.Module, decay: float = EMA_DECAY) -> None:
        self.module = copy.deepcopy(net).requires_grad_(False)
        self.decay = decay
        self._live: list[torch.Tensor] = list(net.parameters())
        self._shadow: list[torch.Tensor] = list(self.module.parameters())
        self._started = False

    @torch.no_grad()
    def update(self) -> None:
        if self._started:
            torch._foreach_lerp_(self._shadow, self._live, 1.0 - self.decay)
        else:
            torch._foreach_copy_(self._shadow, self._live)
            self._started = True


def adam(net: torch.nn.Module, lr: float) -> torch.optim.Adam:
    """Adam with its update fused into one kernel: on these small nets the per-parameter Python loop
    of the default implementation costs as much as the arithmetic."""
    return torch.optim.Adam(net.parameters(), lr=lr, fused=True)


def weights_of(net: torch.nn.Module) -> dict[str, np.ndarray]:
    return {name: t.detach().cpu().numpy().copy() for name, t in net.state_dict().items()}


def train_plane(
    cfg: PlaneConfig, points: np.ndarray, source: str, snapshot_s: float = 0.2, weights_s: float = 1.0
) -> Generator[PlaneSnapshot, None, Checkpoint]:
    """Train the model ``cfg`` describes on ``points`` (N, 2); yields snapshots, returns the checkpoint.

    Adam with the learning rate decaying by a cosine to a tenth over the run: a short run ends
    settled. Batches are drawn with replacement, so a few hundred drawn points train as well as many.
    """
    started = time.time()
    net = build_net(cfg)
    generator = torch.Generator().manual_seed(cfg.seed)
    data = torch.as_tensor(np.asarray(points, np.float32))
    optimizer = adam(net, cfg.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s / cfg.steps, 1.0)))
    )
    ema = EMA(net)
    snap, share = Every(snapshot_s), Every(weights_s)
    total, count = torch.zeros(()), 0
    kind = kind_of(cfg)
    for step in range(1, cfg.steps + 1):
        batch = data[torch.randint(0, len(data), (cfg.batch_size,), generator=generator)]
        total += train_step(net, optimizer, batch, generator)
        count += 1
        schedule.step()
        ema.update()
        last = step == cfg.steps
        if snap.due(force=last):
            loss = float(total) / count
            check_finite(loss, step, float(schedule.get_last_lr()[0]))
            total, count = torch.zeros(()), 0
            state = weights_of(ema.module) if share.due(force=last) else None
            yield PlaneSnapshot(kind, step, cfg.steps, loss, time.time() - started, state)
    info = {
        "steps": cfg.steps,
        "dataset": {"source": source, "fingerprint": fingerprint(points), "points": len(points)},
        "metrics": {"loss": loss},
        "training": training_record(torch.device("cpu"), started),
    }
    return Checkpoint(kind=kind, config=config_dict(cfg), state=ema.module.state_dict(), info=info)
