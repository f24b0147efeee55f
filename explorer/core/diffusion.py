"""Denoising diffusion (DDPM, Ho et al. 2020) with DDIM sampling (Song et al. 2021) for 28x28 MNIST.

Forward process q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I) (eq. 4); a U-Net learns the
noise eps_theta(x_t, t) with the simple loss of Algorithm 1; sampling walks back from
x_T ~ N(0, I) one step at a time (Algorithm 2, or DDIM's eq. 12 on fewer steps).

Timesteps are 0-based in code: t = 0..T-1 here is the paper's t = 1..T, so ``betas[0]``
is the paper's beta_1, and "abar_{t-1}" at t = 0 is abar_0 = 1 (no noise).
Pixels are scaled from [0, 1] to [-1, 1] for training and sampling.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass
from typing import TypeVar

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from explorer.core.checkpoints import Checkpoint, config_from_dict, load_checkpoint, load_weights
from explorer.core.data import dataset_fingerprint
from explorer.core.devices import pick_device
from explorer.core.limits import SEED_MAX, TRAIN_IMAGES, bounded, one_of, validate
from explorer.core.training import check_finite, training_images, training_record
from explorer.core.unet import UNet

SAMPLE_GRID = 16  # digits in the preview grid yielded while training
PREVIEW_STEPS = 25  # DDIM steps of that preview
R = TypeVar("R")


@dataclass(frozen=True, eq=False)
class NoiseSchedule:
    """The variance schedule beta_t and every quantity derived from it, float32 tensors of shape (T,)."""

    kind: str
    betas: torch.Tensor
    alphas: torch.Tensor  # alpha_t = 1 - beta_t
    alphas_cumprod: torch.Tensor  # abar_t = prod_{s<=t} alpha_s
    alphas_cumprod_prev: torch.Tensor  # abar_{t-1}, with abar_{-1} = 1
    sqrt_alphas_cumprod: torch.Tensor
    sqrt_one_minus_alphas_cumprod: torch.Tensor
    posterior_variance: torch.Tensor  # beta~_t = beta_t (1 - abar_{t-1}) / (1 - abar_t)   (eq. 7)
    posterior_mean_coef1: torch.Tensor  # multiplies x_0 in mu~_t   (eq. 7)
    posterior_mean_coef2: torch.Tensor  # multiplies x_t in mu~_t   (eq. 7)

    @property
    def T(self) -> int:
        return len(self.betas)

    def snr(self, t: int | torch.Tensor) -> torch.Tensor:
        """Signal-to-noise ratio abar_t / (1 - abar_t), decreasing in t (Kingma et al. 2021)."""
        abar = self.alphas_cumprod[t]
        return abar / (1 - abar)


def linear_betas(T: int) -> np.ndarray:
    """Ho et al.'s schedule: beta rising linearly from 1e-4 to 0.02 (section 4), float64 (T,)."""
    return np.linspace(1e-4, 0.02, T, dtype=np.float64)


def cosine_alphas_cumprod(T: int, s: float = 0.008) -> np.ndarray:
    """Nichol & Dhariwal's eq. 17 before clipping: abar_t = f(t) / f(0), f(t) = cos^2((t/T + s)/(1 + s) pi/2).

    Returned for the paper's t = 1..T, i.e. index i holds f(i + 1) / f(0), float64 (T,).
    """
    steps = np.arange(T + 1, dtype=np.float64)
    f = np.cos((steps / T + s) / (1 + s) * math.pi / 2) ** 2  # (T + 1,)
    return f[1:] / f[0]


def cosine_betas(T: int, s: float = 0.008) -> np.ndarray:
    """beta_t = 1 - abar_t / abar_{t-1} from the cosine abar, clipped to 0.999 to avoid a singularity at t = T."""
    abar = np.concatenate([[1.0], cosine_alphas_cumprod(T, s)])  # (T + 1,) with abar_0 = 1
    return np.clip(1 - abar[1:] / abar[:-1], 0.0, 0.999)


def _float32(values: np.ndarray) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float32)


def make_schedule(kind: str = "linear", T: int = 1000) -> NoiseSchedule:
    """Build the 'linear' or 'cosine' schedule of T steps, computed in float64 and stored as float32."""
    if kind == "linear":
        betas = linear_betas(T)
    elif kind == "cosine":
        betas = cosine_betas(T)
    else:
        raise ValueError(f"Unknown noise schedule {kind!r}; choose 'linear' or 'cosine'.")
    alphas = 1.0 - betas
    abar = np.cumprod(alphas)
    abar_prev = np.concatenate([[1.0], abar[:-1]])
    return NoiseSchedule(
        kind=kind,
        betas=_float32(betas),
        alphas=_float32(alphas),
        alphas_cumprod=_float32(abar),
        alphas_cumprod_prev=_float32(abar_prev),
        sqrt_alphas_cumprod=_float32(np.sqrt(abar)),
        sqrt_one_minus_alphas_cumprod=_float32(np.sqrt(1.0 - abar)),
        posterior_variance=_float32(betas * (1.0 - abar_prev) / (1.0 - abar)),
        posterior_mean_coef1=_float32(betas * np.sqrt(abar_prev) / (1.0 - abar)),
        posterior_mean_coef2=_float32((1.0 - abar_prev) * np.sqrt(alphas) / (1.0 - abar)),
    )


def _per_sample(values: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """values[t] for a (B,) batch of timesteps, shaped (B, 1, 1, 1) to broadcast over x."""
    return values.to(x.device)[t].reshape(-1, *([1] * (x.dim() - 1)))


def q_sample(schedule: NoiseSchedule, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """Sample x_t ~ q(x_t | x_0) in one jump: sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps (eq. 4)."""
    return (
        _per_sample(schedule.sqrt_alphas_cumprod, t, x0) * x0
        + _per_sample(schedule.sqrt_one_minus_alphas_cumprod, t, x0) * noise
    )  # (B, 1, 28, 28)


def epsilon_loss(
    model: nn.Module, schedule: NoiseSchedule, x0: torch.Tensor, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Algorithm 1's simple loss ||eps - eps_theta(x_t, t)||^2, t uniform, averaged over pixels and batch."""
    gen_device = generator.device if generator is not None else x0.device
    # 1. t ~ Uniform{0..T-1} and eps ~ N(0, I), one of each per image.
    t = torch.randint(0, schedule.T, (len(x0),), generator=generator, device=gen_device).to(x0.device)  # (B,)
    noise = torch.randn(x0.shape, generator=generator, device=gen_device).to(x0.device)  # (B, 1, 28, 28)
    # 2. Noise the images (eq. 4) and regress the noise (eq. 14).
    return F.mse_loss(model(q_sample(schedule, x0, t, noise), t), noise)


def predict_x0(schedule: NoiseSchedule, eps_pred: torch.Tensor, t: int, x_t: torch.Tensor) -> torch.Tensor:
    """Invert eq. 4 with the predicted noise: x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t), clipped to [-1, 1]."""
    x0 = (x_t - schedule.sqrt_one_minus_alphas_cumprod[t].item() * eps_pred) / schedule.sqrt_alphas_cumprod[t].item()
    return x0.clamp(-1.0, 1.0)


def _gaussian_like(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """z ~ N(0, I) of x's shape, drawn on the generator's device and moved to x's."""
    gen_device = generator.device if generator is not None else x.device
    return torch.randn(x.shape, generator=generator, device=gen_device).to(x.device)


def ddpm_step(
    schedule: NoiseSchedule, eps_pred: torch.Tensor, t: int, x_t: torch.Tensor, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """One ancestral step x_t -> x_{t-1} ~ p_theta(x_{t-1} | x_t) (Algorithm 2), with variance beta~_t.

    Returns (x_{t-1}, x0_pred). At t = 0 no noise is added and x_{t-1} is the posterior mean.
    """
    # 1. Predict x_0 from the noise estimate and clip it to the data range.
    x0_pred = predict_x0(schedule, eps_pred, t, x_t)  # (B, 1, 28, 28)
    # 2. Posterior mean mu~_t(x_t, x0_pred) of q(x_{t-1} | x_t, x_0) (eq. 7).
    mean = schedule.posterior_mean_coef1[t].item() * x0_pred + schedule.posterior_mean_coef2[t].item() * x_t
    if t == 0:
        return mean, x0_pred
    # 3. Add noise with the posterior variance beta~_t (Ho et al.'s sigma_t^2 = beta~_t choice, section 3.2).
    sigma = math.sqrt(schedule.posterior_variance[t].item())
    return mean + sigma * _gaussian_like(x_t, generator), x0_pred


def ddim_step(
    schedule: NoiseSchedule,
    eps_pred: torch.Tensor,
    t: int,
    t_prev: int,
    x_t: torch.Tensor,
    eta: float = 0.0,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One DDIM step x_t -> x_{t_prev} (Song et al. eq. 12); eta = 0 is deterministic, eta = 1 is DDPM-like.

    t_prev = -1 means the last step, to abar = 1 (clean data). Returns (x_{t_prev}, x0_pred).
    """
    abar_t = schedule.alphas_cumprod[t].item()
    abar_prev = schedule.alphas_cumprod[t_prev].item() if t_prev >= 0 else 1.0
    # 1. "predicted x_0" of eq. 12, clipped to the data range.
    x0_pred = predict_x0(schedule, eps_pred, t, x_t)  # (B, 1, 28, 28)
    # 2. sigma_t(eta) of eq. 16.
    sigma = eta * math.sqrt((1 - abar_prev) / (1 - abar_t)) * math.sqrt(1 - abar_t / abar_prev)
    # 3. "direction pointing to x_t" of eq. 12.
    direction = math.sqrt(max(1 - abar_prev - sigma**2, 0.0)) * eps_pred
    x_prev = math.sqrt(abar_prev) * x0_pred + direction
    if sigma > 0:
        # 4. Random noise sigma_t z (eq. 12).
        x_prev = x_prev + sigma * _gaussian_like(x_t, generator)
    return x_prev, x0_pred


def ddim_timesteps(T: int, K: int) -> list[int]:
    """K timesteps evenly spaced from T-1 down to 0 (descending), the sub-sequence tau of DDIM section 4.2."""
    if not 1 <= K <= T:
        raise ValueError(f"DDIM needs between 1 and {T} steps, not {K}.")
    return [int(t) for t in np.linspace(T - 1, 0, K).round()]


@dataclass(frozen=True)
class ChainFrame:
    """One step of a sampling chain, as the views need it (CPU float32 copies, each (n, 28, 28))."""

    step: int  # steps done, 1..total_steps
    total_steps: int
    t: int
    alpha_bar: float  # abar_t
    x_t: np.ndarray  # the noisy images the step started from, in [-1, 1] scale
    eps: np.ndarray  # the predicted noise eps_theta(x_t, t)
    x0_pred: np.ndarray  # the clipped prediction of x_0

    @property
    def progress(self) -> float:
        return self.step / self.total_steps

    def summary(self) -> str:
        return f"step {self.step}/{self.total_steps}  t {self.t}  alpha_bar {self.alpha_bar:.4f}"


def _frames(x: torch.Tensor) -> np.ndarray:
    return x[:, 0].detach().to("cpu", torch.float32).numpy().copy()


@torch.inference_mode()  # on a generator, torch enters the mode only while the generator runs
def sample_chain(
    model: nn.Module,
    schedule: NoiseSchedule,
    n: int,
    sampler: str = "ddim",
    steps: int = 50,
    eta: float = 0.0,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> Generator[ChainFrame, None, np.ndarray]:
    """Run the reverse process from x_T ~ N(0, I), yielding each step; return (n, 28, 28) float32 images in [0, 1].

    ``steps`` and ``eta`` are DDIM's; DDPM always walks all T steps. All noise comes from one
    CPU ``torch.Generator`` seeded with ``seed``, so a seed gives the same x_T to both samplers.
    """
    if sampler not in ("ddpm", "ddim"):
        raise ValueError(f"Unknown sampler {sampler!r}; choose 'ddpm' or 'ddim'.")
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    timesteps = list(range(schedule.T - 1, -1, -1)) if sampler == "ddpm" else ddim_timesteps(schedule.T, steps)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 28, 28, generator=g).to(dev)  # x_T, (n, 1, 28, 28)
    for i, t in enumerate(timesteps):
        eps = model(x, torch.full((n,), t, device=dev, dtype=torch.long))  # (n, 1, 28, 28)
        if sampler == "ddpm":
            x_prev, x0_pred = ddpm_step(schedule, eps, t, x, g)
        else:
            t_prev = timesteps[i + 1] if i + 1 < len(timesteps) else -1
            x_prev, x0_pred = ddim_step(schedule, eps, t, t_prev, x, eta, g)
        yield ChainFrame(
            step=i + 1,
            total_steps=len(timesteps),
            t=t,
            alpha_bar=schedule.alphas_cumprod[t].item(),
            x_t=_frames(x),
            eps=_frames(eps),
            x0_pred=_frames(x0_pred),
        )
        x = x_prev
    return _frames((x.clamp(-1.0, 1.0) + 1.0) / 2.0)


def run_to_end(generator: Generator[object, None, R]) -> R:
    """Drive a chain or training generator to its end and return what it returns."""
    while True:
        try:
            next(generator)
        except StopIteration as done:
            return done.value


# DDIM's η when drawing digits (the panel's default too). η = 0 follows the deterministic
# probability-flow path, which needs an accurate ε everywhere; measured on the shipped model,
# whose ε is not that accurate yet, η = 1 (fresh noise each step, as in DDPM) draws far more
# recognisable digits in the same 50 steps: see the README's "Performance and quality".
SAMPLE_ETA = 1.0


@dataclass(frozen=True)
class DDPMConfig:
    """Architecture, schedule and training settings; the defaults train the shipped model."""

    schedule: str = one_of("linear", ("linear", "cosine"))
    timesteps: int = bounded(1000, 10, 4000)  # T
    base_channels: int = bounded(32, 8, 256, multiple_of=8)  # U-Net channels at 14x14 (2x at 7x7); GroupNorm(8)
    depth: int = bounded(1, 1, 4)  # residual blocks per resolution
    steps: int = bounded(20000, 1, 10_000_000)
    batch_size: int = bounded(128, 1, 2048)
    lr: float = bounded(2e-4, 0.0, 10.0, low_open=True)
    ema: float = bounded(0.999, 0.5, 0.99999, zero_means="none")  # decay of the weight average sampled and saved
    init_from: str = ""  # continue from this checkpoint's weights (same architecture); "" starts afresh
    seed: int = bounded(0, 0, SEED_MAX)
    train_limit: int = bounded(0, 1, TRAIN_IMAGES, zero_means="all")  # use only the first N training images

    def __post_init__(self) -> None:
        validate(self)


class DDPM(nn.Module):
    """The noise-predicting U-Net together with the schedule it was trained on."""

    def __init__(self, unet: UNet, schedule: NoiseSchedule) -> None:
        super().__init__()
        self.unet = unet
        self.schedule = schedule

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.unet(x_t, t)

    def sample(self, n: int, seed: int = 0, sampler: str = "ddim", steps: int = 50, eta: float = SAMPLE_ETA) -> np.ndarray:
        """n generated digits, (n, 28, 28) float32 in [0, 1]; DDIM takes at most T steps."""
        return run_to_end(sample_chain(self, self.schedule, n, sampler, min(steps, self.schedule.T), eta, seed))


def build_ddpm(cfg: DDPMConfig) -> DDPM:
    """A freshly initialised model for ``cfg`` (seed torch first for a reproducible start)."""
    return DDPM(UNet(cfg.base_channels, cfg.depth), make_schedule(cfg.schedule, cfg.timesteps))


def to_model_range(images: np.ndarray) -> torch.Tensor:
    """(N, 28, 28) uint8 digits -> (N, 1, 28, 28) float32 in [-1, 1]."""
    return torch.from_numpy(images.astype(np.float32)).unsqueeze(1) / 127.5 - 1.0


@dataclass(frozen=True)
class DDPMSnapshot:
    """What the views need at one moment of training (CPU copies only)."""

    step: int
    total_steps: int
    loss: float  # mean eps-prediction loss since the last snapshot
    samples: np.ndarray | None = None  # (SAMPLE_GRID, 28, 28) in [0, 1], DDIM from fixed noise

    @property
    def progress(self) -> float:
        return self.step / self.total_steps

    def summary(self) -> str:
        return f"step {self.step}/{self.total_steps}  loss {self.loss:.4f}"


def train_ddpm(
    cfg: DDPMConfig, device: str | None = None, yield_every_s: float = 0.25, samples_every_s: float = 10.0
) -> Generator[DDPMSnapshot, None, Checkpoint]:
    """Train a DDPM on MNIST (Algorithm 1), yielding snapshots a few times a second; return the checkpoint.

    The loss is yielded at most every ``yield_every_s`` seconds, a DDIM preview grid from fixed
    noise at most every ``samples_every_s`` seconds and at the end.
    """
    started = time.time()
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    x_train = to_model_range(training_images(cfg.train_limit)).to(dev)  # (N, 1, 28, 28)
    model = build_ddpm(cfg)
    earlier = load_checkpoint(cfg.init_from, kind="ddpm") if cfg.init_from else None
    if earlier:
        load_weights(model.unet, earlier)
    model = model.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    # Ho et al. sample from an exponential moving average of the weights (Appendix B): far
    # smoother samples than the last step's weights, above all after a short run.
    averaged = AveragedModel(model.unet, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema)) if cfg.ema else None
    ema_model = DDPM(averaged.module, model.schedule) if averaged else model
    g_cpu = torch.Generator().manual_seed(cfg.seed)
    g_dev = torch.Generator(device=dev).manual_seed(cfg.seed)
    loss_sum = torch.zeros((), device=dev)
    count = 0
    tail_sum, tail_count = 0.0, 0  # loss over the last 10% of steps, the checkpoint's final loss
    history: list[dict[str, float]] = []  # mean loss at each snapshot with a preview, kept in the checkpoint
    last_yield = last_samples = time.monotonic()
    for step in range(1, cfg.steps + 1):
        batch = torch.randint(0, len(x_train), (cfg.batch_size,), generator=g_cpu).to(dev)
        loss = epsilon_loss(model, model.schedule, x_train[batch], g_dev)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # Ho et al. clip the gradient norm to 1 (Appendix B)
        opt.step()
        if averaged:
            averaged.update_parameters(model.unet)
        loss_sum += loss.detach()
        count += 1
        last = step == cfg.steps
        now = time.monotonic()
        if not (last or now - last_yield >= yield_every_s):
            continue
        mean = loss_sum.item() / count
        check_finite(mean, step, cfg.lr)
        if step > 0.9 * cfg.steps:
            tail_sum += mean * count
            tail_count += count
        loss_sum.zero_()
        count = 0
        samples = None
        if last or now - last_samples >= samples_every_s:
            ema_model.eval()
            samples = ema_model.sample(SAMPLE_GRID, seed=cfg.seed, steps=PREVIEW_STEPS)
            ema_model.train()
            history.append({"step": step, "loss": mean})
            last_samples = now
        last_yield = now
        yield DDPMSnapshot(step=step, total_steps=cfg.steps, loss=mean, samples=samples)
    info = {
        "steps": cfg.steps,
        "dataset": dataset_fingerprint(),
        "metrics": {"final_loss": tail_sum / max(tail_count, 1)},
        "history": history,
        "training": training_record(dev, started),
    }
    if earlier:  # the run this one continued, with its own record
        info["continues"] = {k: earlier.info.get(k) for k in ("steps", "training", "continues")}
    return Checkpoint(kind="ddpm", config=asdict(cfg), state=ema_model.unet.state_dict(), info=info)


def training_runs(info: dict) -> list[dict]:
    """The runs that made a checkpoint, earliest first: each one's steps and training record.

    A run started with ``init_from`` keeps its predecessor's record under "continues".
    """
    runs = []
    while info:
        runs.append({"steps": info.get("steps", 0), "training": info.get("training") or {}})
        info = info.get("continues") or {}
    return runs[::-1]


def ddpm_from_checkpoint(ckpt: Checkpoint) -> tuple[DDPM, DDPMConfig]:
    """Rebuild the model a checkpoint describes, on the CPU, in eval mode."""
    cfg = config_from_dict(DDPMConfig, ckpt.config)
    model = build_ddpm(cfg)
    load_weights(model.unet, ckpt)
    return model.eval(), cfg


def sample_images(
    model: DDPM, n: int, seed: int = 0, sampler: str = "ddim", steps: int = 50, eta: float = SAMPLE_ETA
) -> np.ndarray:
    """n digits from seeded noise, by DDIM with ``steps`` steps or DDPM's T steps: (n, 28, 28) float32 in [0, 1]."""
    return model.sample(n, seed, sampler, steps, eta)
