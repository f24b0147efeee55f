"""The reverse process: one DDPM, DDIM, Heun or DPM-Solver++(2M) step (kept apart from the loop), and
the chain as a generator.

Sampling walks back from x_T ~ N(0, I): Algorithm 2 of Ho et al. (2020) on all T steps, DDIM's eq. 12
(Song et al. 2021) on K of them, Heun's 2nd-order method on the probability-flow ODE (Karras et al.
2022, Algorithm 1), or DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2) on the same grid of timesteps.
``SamplerConfig`` says which, once, for the CLI, the evaluation, the panel's job and the model alike.
Cost is counted in network evaluations (NFE): DDIM and DPM-Solver++(2M) make one per step, Heun two
per step less one (its last step, to clean data, is Euler's).

The ODE solvers' notation: alpha_t = sqrt(abar_t), sigma_t = sqrt(1 - abar_t) (so x_t = alpha_t x_0 +
sigma_t eps), lambda_t = log(alpha_t / sigma_t), half the log-SNR (Lu et al. 2022, section 2); Karras
et al.'s scaled variable x^ = x_t / alpha_t with noise level sigma^_t = sigma_t / alpha_t.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from explorer.core.diffusion.schedule import NoiseSchedule
from explorer.core.runtime.generators import Returning
from explorer.core.runtime.limits import bounded, one_of, validate


def predict_x0(schedule: NoiseSchedule, eps_pred: torch.Tensor, t: int, x_t: torch.Tensor) -> torch.Tensor:
    """Invert eq. 4 with the predicted noise: x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t), clipped to [-1, 1]."""
    x0 = (x_t - schedule.sqrt_one_minus_alphas_cumprod[t].item() * eps_pred) / schedule.sqrt_alphas_cumprod[t].item()
    return x0.clamp(-1.0, 1.0)


def _gaussian_like(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """z ~ N(0, I) of x's shape, drawn on the generator's device and moved to x's."""
    gen_device = generator.device if generator is not None else x.device
    return torch.randn(x.shape, generator=generator, device=gen_device).to(x.device)


def ddpm_step(
    schedule: NoiseSchedule,
    eps_pred: torch.Tensor,
    t: int,
    x_t: torch.Tensor,
    *,
    generator: torch.Generator | None = None,
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
    *,
    eta: float,
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
    # 3. "direction pointing to x_t" of eq. 12, along the noise that the clipped x_0 implies: eq. 12 takes
    # x_0 and eps to be one decomposition of x_t, and the raw eps would carry what the clipping removed
    # into x_{t_prev} (guided eps~ above all: the overshoot clipping cuts from x_0 came back through it).
    eps_clipped = (x_t - math.sqrt(abar_t) * x0_pred) / math.sqrt(1 - abar_t)
    direction = math.sqrt(max(1 - abar_prev - sigma**2, 0.0)) * eps_clipped
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


KARRAS_RHO = 7.0  # Karras et al. (2022), eq. 5: the spacing of the noise levels they found best


def karras_timesteps(schedule: NoiseSchedule, K: int, rho: float = KARRAS_RHO) -> list[int]:
    """K + 1 timesteps from T-1 down to 0 whose noise levels follow Karras et al.'s schedule (2022, eq. 5):
    sigma_i = (sigma_max^(1/rho) + i/K (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho, i = 0..K, with
    sigma_t = sqrt((1 - abar_t) / abar_t) the noise level of x_t / alpha_t; each rounded to the nearest t and kept
    distinct. With rho = 7 the steps crowd where the noise is small, where a digit's strokes are decided."""
    T = schedule.T
    if not 1 <= K <= T - 1:
        raise ValueError(f"a grid of {K + 1} distinct timesteps needs K between 1 and {T - 1}, not {K}")
    abar = schedule.alphas_cumprod.double().cpu().numpy()
    log_sigma = 0.5 * np.log((1.0 - abar) / abar)  # increasing in t
    s_max, s_min = math.exp(log_sigma[-1]), math.exp(log_sigma[0])
    sigmas = (s_max ** (1 / rho) + np.linspace(0.0, 1.0, K + 1) * (s_min ** (1 / rho) - s_max ** (1 / rho))) ** rho
    ts = np.rint(np.interp(np.log(sigmas), log_sigma, np.arange(T, dtype=np.float64))).astype(int).tolist()
    ts[0], ts[-1] = T - 1, 0
    for i in range(1, K + 1):  # distinct and descending: where rounding merged two, move the later one down ...
        ts[i] = min(ts[i], ts[i - 1] - 1)
    for i in range(K - 1, -1, -1):  # ... and where that ran below 0, the earlier ones up
        ts[i] = max(ts[i], ts[i + 1] + 1)
    return ts


def _noise_levels(schedule: NoiseSchedule, t: int) -> tuple[float, float]:
    """(alpha_t, sigma_t) = (sqrt(abar_t), sqrt(1 - abar_t)); t = -1 is clean data, (1, 0)."""
    if t < 0:
        return 1.0, 0.0
    return schedule.sqrt_alphas_cumprod[t].item(), schedule.sqrt_one_minus_alphas_cumprod[t].item()


def half_log_snr(schedule: NoiseSchedule, t: int) -> float:
    """lambda_t = log(alpha_t / sigma_t), the time variable of DPM-Solver (Lu et al. 2022, eq. 2.3)."""
    alpha, sigma = _noise_levels(schedule, t)
    return math.log(alpha / sigma)


def heun_step(
    schedule: NoiseSchedule,
    eps_pred: torch.Tensor,
    t: int,
    t_prev: int,
    x_t: torch.Tensor,
    corrector: Callable[[torch.Tensor, int], torch.Tensor] | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of Heun's method on the probability-flow ODE, x_t -> x_{t_prev} (Karras et al. 2022, Algorithm 1
    with sigma(t) = t, s(t) = 1, in their scaled variable x^ = x_t / alpha_t at noise level sigma^ = sigma_t / alpha_t).

    ``corrector(x, t_prev)`` gives the network's eps at the Euler estimate (the second evaluation); None, or
    t_prev = -1 (sigma^ = 0, where the slope is undefined), leaves the Euler step, which is DDIM with eta = 0.
    Returns (x_{t_prev}, x0_pred).
    """
    alpha, sigma = _noise_levels(schedule, t)
    alpha_next, sigma_next = _noise_levels(schedule, t_prev)
    s, s_next = sigma / alpha, sigma_next / alpha_next  # sigma^_i and sigma^_{i+1}
    x_hat = x_t / alpha  # (B, 1, 28, 28)
    # 1. The denoiser D(x^; sigma^) is the clipped x_0 prediction; the ODE's slope dx^/dsigma^ = (x^ - D) / sigma^
    # (Karras et al. eq. 3 with their choice sigma(t) = t, s(t) = 1; Algorithm 1 line 4).
    x0_pred = predict_x0(schedule, eps_pred, t, x_t)
    slope = (x_hat - x0_pred) / s
    # 2. Euler step to sigma^_{i+1} (line 5).
    x_next = x_hat + (s_next - s) * slope
    if corrector is not None and t_prev >= 0:
        # 3. Heun's correction: the slope again at the Euler estimate, and the trapezoidal rule (lines 6-8).
        x_vp = x_next * alpha_next
        x0_next = predict_x0(schedule, corrector(x_vp, t_prev), t_prev, x_vp)
        x_next = x_hat + (s_next - s) * 0.5 * (slope + (x_next - x0_next) / s_next)
    return x_next * alpha_next, x0_pred


def dpm_solver_2m_step(
    schedule: NoiseSchedule,
    eps_pred: torch.Tensor,
    t: int,
    t_prev: int,
    x_t: torch.Tensor,
    earlier: tuple[int, torch.Tensor] | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One step of DPM-Solver++(2M), x_t -> x_{t_prev} (Lu et al. 2022, "DPM-Solver++", Algorithm 2), with the
    data prediction x_theta = the clipped x_0 (the thresholding DPM-Solver++ was built to allow).

    ``earlier`` = (t, x0_pred) of the step before, whose prediction the multistep method reuses; None on the first
    step makes it DPM-Solver++(1), which is DDIM with eta = 0. The last step, to clean data (t_prev = -1, h = inf),
    is first order as in the reference implementations (k-diffusion ``sample_dpmpp_2m``, DPM-Solver's
    ``lower_order_final``): x_0 = x_theta. Returns (x_{t_prev}, x0_pred).
    """
    x0_pred = predict_x0(schedule, eps_pred, t, x_t)  # x_theta(x_t, t), (B, 1, 28, 28)
    if t_prev < 0:
        return x0_pred, x0_pred
    alpha_next, sigma_next = _noise_levels(schedule, t_prev)
    _, sigma = _noise_levels(schedule, t)
    lam, lam_next = half_log_snr(schedule, t), half_log_snr(schedule, t_prev)
    h = lam_next - lam  # h_i = lambda_{t_i} - lambda_{t_{i-1}}
    data = x0_pred
    if earlier is not None:
        # D_i = (1 + 1/(2 r_i)) x_theta(t_{i-1}) - 1/(2 r_i) x_theta(t_{i-2}), r_i = h_{i-1} / h_i (Algorithm 2).
        t_last, x0_last = earlier
        r = (lam - half_log_snr(schedule, t_last)) / h
        data = (1 + 1 / (2 * r)) * x0_pred - (1 / (2 * r)) * x0_last
    # x_{t_i} = sigma_{t_i} / sigma_{t_{i-1}} x_{t_{i-1}} - alpha_{t_i} (e^{-h_i} - 1) D_i (Algorithm 2).
    return (sigma_next / sigma) * x_t - alpha_next * math.expm1(-h) * data, x0_pred


SAMPLERS = ("ddpm", "ddim", "heun", "dpm++2m")
DETERMINISTIC = ("heun", "dpm++2m")  # ODE solvers: no noise after x_T, whatever eta says
SAMPLER_NAMES = {"ddpm": "DDPM", "ddim": "DDIM", "heun": "Heun (PF-ODE)", "dpm++2m": "DPM-Solver++(2M)"}
# DDIM's η when drawing digits (the panel's default too). η = 0 follows the deterministic
# probability-flow path, which needs an accurate ε everywhere; measured on the shipped model,
# whose ε is not that accurate yet, η = 1 (fresh noise each step, as in DDPM) draws far more
# recognisable digits in the same 50 steps: see the README's "Performance and quality".
SAMPLE_ETA = 1.0


@dataclass(frozen=True)
class SamplerConfig:
    """How the reverse chain is walked: DDPM's T ancestral steps (Algorithm 2), DDIM on K of them with
    noise η (Song et al. eq. 12 and 16), or an ODE solver (Heun, DPM-Solver++(2M)) spending ``steps``
    network evaluations. Validated once, here; the CLI, the evaluation, the panel's job and the model
    all take one."""

    sampler: str = one_of("ddim", SAMPLERS)
    # The network evaluations (NFE) K: DDIM's and DPM-Solver++'s steps, Heun's 2 per step less one;
    # capped at what the model's T allows. DDPM always walks all T.
    steps: int = bounded(50, 1, 4000)
    eta: float = bounded(SAMPLE_ETA, 0.0, 1.0)  # DDIM's noise: 0 deterministic, 1 as much as DDPM

    def __post_init__(self) -> None:
        validate(self)
        if self.sampler in DETERMINISTIC:
            object.__setattr__(self, "eta", 0.0)  # one config per solver, whatever eta was passed

    def _heun_points(self, T: int) -> int:
        """Heun's grid: K odd, (K + 1) / 2 points; K even, K / 2 + 1 points, the first step Euler's too."""
        return min((self.steps + 2) // 2, T)

    def heun_euler_first(self, T: int) -> bool:
        """Whether Heun's first step is an Euler step (one evaluation), to spend an even K exactly."""
        return self.steps % 2 == 0 and (self.steps + 2) // 2 <= T and self._heun_points(T) > 1

    def timesteps(self, T: int) -> list[int]:
        """The timesteps the chain visits, descending, for a model of T steps: all T for DDPM, else evenly spaced
        (DDIM's grid, Heun's too); DPM-Solver++(2M) visits as many, placed by the model's schedule (``grid``)."""
        if self.sampler == "ddpm":
            return list(range(T - 1, -1, -1))
        return ddim_timesteps(T, self._heun_points(T) if self.sampler == "heun" else min(self.steps, T))

    def grid(self, schedule: NoiseSchedule) -> list[int]:
        """The timesteps the chain visits under ``schedule``, one per network evaluation: ``timesteps`` for every
        sampler but DPM-Solver++(2M), which evaluates at the first K points of Karras et al.'s grid of K + 1
        (``karras_timesteps``) and ends, as on any grid, with x-hat_0 of the last (the first-order step to clean
        data): at few evaluations it draws better digits than DDIM's even grid (docs/models.md, "DPM-Solver++(2M)
        grids"). A grid of K + 1 distinct points needs K < T, so at K = T it walks every timestep as DDIM does."""
        T = schedule.T
        if self.sampler == "dpm++2m" and self.steps < T:
            return karras_timesteps(schedule, self.steps)[:-1]
        return self.timesteps(T)

    def chain_length(self, T: int) -> int:
        """How many steps (frames) the chain has for a model with T timesteps."""
        return len(self.timesteps(T))

    def nfe(self, T: int) -> int:
        """The network evaluations one chain costs: T for DDPM, one per step for DDIM and DPM-Solver++(2M),
        Heun's 2 per step less one (the last step, to clean data, is Euler's) and one less again for an even K."""
        steps = self.chain_length(T)
        if self.sampler != "heun":
            return steps
        return 2 * steps - 1 - int(self.heun_euler_first(T))

    def describe(self) -> str:
        if self.sampler == "ddpm":
            return "DDPM (all T steps)"
        if self.sampler == "ddim":
            return f"DDIM in {self.steps} steps with η = {self.eta:g}"
        return f"{SAMPLER_NAMES[self.sampler]} at {self.steps} NFE"


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
        return f"step {self.step}/{self.total_steps}  t {self.t}  ᾱ_t {self.alpha_bar:.4f}"


def _frames(x: torch.Tensor) -> np.ndarray:
    return x[:, 0].detach().to("cpu", torch.float32).numpy().copy()


@dataclass(frozen=True)
class ReverseStep:
    """One step of the reverse loop, as tensors: what a chain makes its frame from."""

    index: int  # 0-based position in the chain
    t: int
    x_t: torch.Tensor
    eps: torch.Tensor  # the noise the step walked with
    x0_pred: torch.Tensor
    extra: Any  # what the noise predictor returned beside eps (the guided chain: both predictions)


Predictor = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, Any]]  # (x_t, t) -> (eps, extra)


def walk_back(
    schedule: NoiseSchedule, n: int, sampler: SamplerConfig, predict: Predictor, *, seed: int, device: torch.device
) -> Generator[ReverseStep, None, np.ndarray]:
    """The reverse process from x_T ~ N(0, I) with the noise ``predict`` gives, one DDPM, DDIM, Heun or
    DPM-Solver++(2M) step per timestep of ``sampler.timesteps``; yields each step (Heun's second evaluation
    inside it), returns (n, 28, 28) float32 images in [0, 1].

    All noise comes from one CPU ``torch.Generator`` seeded with ``seed``, so a seed gives the same x_T
    to every sampler and every model, on every device.
    """
    timesteps = sampler.grid(schedule)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 28, 28, generator=g).to(device)  # x_T, (n, 1, 28, 28)
    earlier: tuple[int, torch.Tensor] | None = None  # DPM-Solver++(2M)'s memory: the last (t, x0_pred)

    def corrector(x_next: torch.Tensor, t_next: int) -> torch.Tensor:
        return predict(x_next, torch.full((n,), t_next, device=device, dtype=torch.long))[0]

    for i, t in enumerate(timesteps):
        eps, extra = predict(x, torch.full((n,), t, device=device, dtype=torch.long))  # (n, 1, 28, 28)
        t_prev = timesteps[i + 1] if i + 1 < len(timesteps) else -1
        if sampler.sampler == "ddpm":
            x_prev, x0_pred = ddpm_step(schedule, eps, t, x, generator=g)
        elif sampler.sampler == "ddim":
            x_prev, x0_pred = ddim_step(schedule, eps, t, t_prev, x, eta=sampler.eta, generator=g)
        elif sampler.sampler == "heun":
            euler = i == 0 and sampler.heun_euler_first(schedule.T)
            x_prev, x0_pred = heun_step(schedule, eps, t, t_prev, x, None if euler else corrector)
        else:
            x_prev, x0_pred = dpm_solver_2m_step(schedule, eps, t, t_prev, x, earlier)
            earlier = (t, x0_pred)
        yield ReverseStep(i, t, x, eps, x0_pred, extra)
        x = x_prev
    return _frames((x.clamp(-1.0, 1.0) + 1.0) / 2.0)


def chain_frame(schedule: NoiseSchedule, step: ReverseStep, total_steps: int) -> dict[str, Any]:
    """The fields of a ChainFrame for ``step`` (host copies)."""
    return {
        "step": step.index + 1,
        "total_steps": total_steps,
        "t": step.t,
        "alpha_bar": schedule.alphas_cumprod[step.t].item(),
        "x_t": _frames(step.x_t),
        "eps": _frames(step.eps),
        "x0_pred": _frames(step.x0_pred),
    }


@torch.inference_mode()  # on a generator, torch enters the mode only while the generator runs
def sample_chain(
    model: nn.Module,
    schedule: NoiseSchedule,
    n: int,
    sampler: SamplerConfig = SamplerConfig(),
    *,
    seed: int = 0,
    device: str | torch.device | None = None,
) -> Generator[ChainFrame, None, np.ndarray]:
    """Run the reverse process from x_T ~ N(0, I), yielding each step; return (n, 28, 28) float32 images in [0, 1]."""
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    total = len(sampler.timesteps(schedule.T))
    steps = Returning(walk_back(schedule, n, sampler, lambda x, t: (model(x, t), None), seed=seed, device=dev))
    for step in steps:
        yield ChainFrame(**chain_frame(schedule, step, total))
    return steps.value
