"""Generative adversarial networks (Goodfellow et al., 2014) with DCGAN nets (Radford et al., 2016).

A generator G maps noise z ~ N(0, I) to data; a discriminator D outputs the probability
D(x) = sigmoid(logit) that x is real. They play the minimax game of eq. 1,

    min_G max_D  E_x[log D(x)] + E_z[log(1 - D(G(z)))],

one D step (or ``d_steps_per_g`` of them) then one G step per iteration (Algorithm 1).
G may instead maximise log D(G(z)), the "non-saturating" objective of section 3.
Pixels are scaled to [-1, 1] (G ends in tanh); ``mode="toy"`` plays the same game on a
2-D ring of Gaussians with small MLPs, where D's whole decision surface can be drawn.
"""

from __future__ import annotations

import collections.abc
import math
import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explorer.core.checkpoints import Checkpoint, config_from_dict, load_weights
from explorer.core.classifier import MNISTClassifier, load_classifier, probabilities
from explorer.core.data import dataset_fingerprint
from explorer.core.devices import pick_device
from explorer.core.limits import SEED_MAX, TRAIN_IMAGES, bounded, one_of, validate
from explorer.core.diffusion import to_model_range
from explorer.core.errors import ExplorerError
from explorer.core.metrics import class_histogram
from explorer.core.training import check_finite, training_images, training_record

SAMPLE_GRID = 16  # digits in the fixed-noise preview grid yielded while training
TOY_POINTS = 512  # fake and real points shown in toy mode
TOY_EXTENT = 3.0  # the toy heat map covers [-3, 3]^2, the ring (radius 2) with room to spare
HEATMAP_RESOLUTION = 64
CLASS_SAMPLES = 500  # G(z) the classifier sorts into digits for the live class histogram
HIST_BINS = 20  # histogram bins of D's outputs over [0, 1]
OBJECTIVES = ("minimax", "non_saturating")
MODES = ("mnist", "toy")


@dataclass(frozen=True)
class GANConfig:
    """Architecture and training settings; the defaults train the shipped model."""

    mode: str = one_of("mnist", MODES)  # DCGAN on digits, or MLPs on a 2-D ring of 8 Gaussians
    latent_dim: int = bounded(64, 1, 512)
    channels: int = bounded(16, 2, 256)  # DCGAN feature maps at 14x14 (twice as many at 7x7); 16: a CPU step ~0.15 s
    hidden: int = bounded(128, 4, 4096)  # toy MLP width
    steps: int = bounded(8000, 1, 10_000_000)  # G steps
    batch_size: int = bounded(128, 2, 4096)  # BatchNorm needs two images at least
    lr_g: float = bounded(2e-4, 0.0, 10.0, low_open=True)
    lr_d: float = bounded(2e-4, 0.0, 10.0, low_open=True)
    beta1: float = bounded(0.5, 0.0, 0.999)  # Adam's beta1, lowered from 0.9 by Radford et al. (section 4)
    d_steps_per_g: int = bounded(1, 1, 20)  # k of Algorithm 1
    objective: str = one_of("non_saturating", OBJECTIVES)  # the generator's loss
    seed: int = bounded(0, 0, SEED_MAX)
    train_limit: int = bounded(0, 1, TRAIN_IMAGES, zero_means="all")  # use only the first N training images

    def __post_init__(self) -> None:
        validate(self)


class Generator(nn.Module):
    """DCGAN generator: z -> 7x7 -> 14x14 -> 28x28 by transposed convolutions, tanh output in [-1, 1]."""

    def __init__(self, latent_dim: int = 64, channels: int = 16) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        c = channels
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, 2 * c, 7, 1, 0, bias=False),  # (B, 2c, 7, 7)
            nn.BatchNorm2d(2 * c),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1, bias=False),  # (B, c, 14, 14)
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.ConvTranspose2d(c, 1, 4, 2, 1),  # (B, 1, 28, 28)
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """(B, latent_dim) noise -> (B, 1, 28, 28) images in [-1, 1]."""
        return self.net(z[:, :, None, None])


class Discriminator(nn.Module):
    """DCGAN discriminator: strided convolutions with LeakyReLU(0.2), no BatchNorm on the first layer."""

    def __init__(self, channels: int = 16) -> None:
        super().__init__()
        c = channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c, 4, 2, 1),  # (B, c, 14, 14)
            nn.LeakyReLU(0.2),
            nn.Conv2d(c, 2 * c, 4, 2, 1, bias=False),  # (B, 2c, 7, 7)
            nn.BatchNorm2d(2 * c),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * c, 1, 7, 1, 0),  # (B, 1, 1, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, 28, 28) images -> (B,) logits of D(x)."""
        return self.net(x).flatten()


class ToyGenerator(nn.Module):
    """MLP generator for 2-D data: (B, latent_dim) -> (B, 2)."""

    def __init__(self, latent_dim: int = 64, hidden: int = 128) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 2)
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class ToyDiscriminator(nn.Module):
    """MLP discriminator for 2-D data: (B, 2) -> (B,) logits."""

    def __init__(self, hidden: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(2, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


def dcgan_init(module: nn.Module) -> None:
    """Radford et al.'s initialisation (section 4): conv weights ~ N(0, 0.02), BatchNorm scales ~ N(1, 0.02)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build_networks(cfg: GANConfig) -> tuple[nn.Module, nn.Module]:
    """Freshly initialised (generator, discriminator) for ``cfg`` (seed torch first for a reproducible start)."""
    if cfg.mode == "mnist":
        g, d = Generator(cfg.latent_dim, cfg.channels), Discriminator(cfg.channels)
        g.apply(dcgan_init)
        d.apply(dcgan_init)
        return g, d
    if cfg.mode == "toy":
        return ToyGenerator(cfg.latent_dim, cfg.hidden), ToyDiscriminator(cfg.hidden)
    raise ValueError(f"Unknown GAN mode {cfg.mode!r}; choose one of {', '.join(MODES)}.")


def _pair(generator: nn.Module, discriminator: nn.Module) -> nn.ModuleDict:
    """Both nets as one module, so their weights are saved as 'generator.*' and 'discriminator.*'."""
    return nn.ModuleDict({"generator": generator, "discriminator": discriminator})


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-[log D(x) + log(1 - D(G(z)))], batch means, from logits (D's side of eq. 1, negated to minimise)."""
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))  # -log sigmoid(l)
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))  # -log(1 - sigmoid(l))
    return real + fake


def generator_loss(fake_logits: torch.Tensor, objective: str = "non_saturating") -> torch.Tensor:
    """G's loss, batch mean: 'minimax' log(1 - D(G(z))) of eq. 1, or 'non_saturating' -log D(G(z)) (section 3).

    The minimax gradient d/dl = -sigmoid(l) vanishes when D confidently rejects fakes; the
    non-saturating one, -(1 - sigmoid(l)), is then largest.
    """
    if objective == "minimax":
        return F.logsigmoid(-fake_logits).mean()  # log(1 - sigmoid(l)) = log sigmoid(-l)
    if objective == "non_saturating":
        return -F.logsigmoid(fake_logits).mean()
    raise ValueError(f"Unknown generator objective {objective!r}; choose one of {', '.join(OBJECTIVES)}.")


def ring_of_gaussians(
    n: int, generator: torch.Generator | None = None, modes: int = 8, radius: float = 2.0, sigma: float = 0.02
) -> torch.Tensor:
    """n points (n, 2) from an equal mixture of ``modes`` Gaussians N(mu_k, sigma^2 I) evenly spaced on a circle."""
    k = torch.randint(0, modes, (n,), generator=generator)  # (n,)
    angle = 2 * math.pi * k.float() / modes
    centres = radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)  # (n, 2)
    return centres + sigma * torch.randn(n, 2, generator=generator)


@dataclass(eq=False)
class GANState:
    """Everything one GAN iteration touches, shared by the training loop and single GUI steps."""

    cfg: GANConfig
    device: torch.device
    generator: nn.Module
    discriminator: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    fixed_noise: torch.Tensor  # (SAMPLE_GRID or TOY_POINTS, latent_dim) z of the previews, on device
    noise_gen: torch.Generator  # CPU generator of z
    data_gen: torch.Generator  # CPU generator of real batches
    data: torch.Tensor | None  # MNIST (N, 1, 28, 28) in [-1, 1] on device; None in toy mode (sampled fresh)


def init_gan(cfg: GANConfig, device: str | torch.device | None = None) -> GANState:
    """Fresh nets, Adam optimisers and seeded noise for ``cfg``; calling it again with the same seed resets."""
    dev = pick_device(device) if not isinstance(device, torch.device) else device
    torch.manual_seed(cfg.seed)
    generator, discriminator = (net.to(dev) for net in build_networks(cfg))
    preview = SAMPLE_GRID if cfg.mode == "mnist" else TOY_POINTS
    fixed_noise = torch.randn(preview, cfg.latent_dim, generator=torch.Generator().manual_seed(cfg.seed + 1))
    data = to_model_range(training_images(cfg.train_limit)).to(dev) if cfg.mode == "mnist" else None
    return GANState(
        cfg=cfg,
        device=dev,
        generator=generator,
        discriminator=discriminator,
        opt_g=torch.optim.Adam(generator.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, 0.999)),
        opt_d=torch.optim.Adam(discriminator.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, 0.999)),
        fixed_noise=fixed_noise.to(dev),
        noise_gen=torch.Generator().manual_seed(cfg.seed),
        data_gen=torch.Generator().manual_seed(cfg.seed),
        data=data,
    )


def sample_noise(state: GANState, n: int) -> torch.Tensor:
    """z ~ N(0, I), (n, latent_dim), from the state's noise generator."""
    return torch.randn(n, state.cfg.latent_dim, generator=state.noise_gen).to(state.device)


def real_batch(state: GANState) -> torch.Tensor:
    """A batch of real data: (B, 1, 28, 28) digits drawn with replacement, or (B, 2) ring points."""
    if state.data is None:
        return ring_of_gaussians(state.cfg.batch_size, state.data_gen).to(state.device)
    index = torch.randint(0, len(state.data), (state.cfg.batch_size,), generator=state.data_gen)
    return state.data[index.to(state.device)]


@dataclass(frozen=True)
class StepResult:
    """One optimiser step: its loss and D's outputs (probabilities) on the batches it saw."""

    loss: float
    fake_probs: np.ndarray  # (B,) D(G(z))
    real_probs: np.ndarray | None = None  # (B,) D(x); None for a G step, which shows D no real data

    @property
    def d_fake(self) -> float:
        return float(self.fake_probs.mean())

    @property
    def d_real(self) -> float | None:
        return None if self.real_probs is None else float(self.real_probs.mean())


def _probs(logits: torch.Tensor) -> np.ndarray:
    return torch.sigmoid(logits.detach()).cpu().numpy()


def d_step(state: GANState) -> StepResult:
    """One ascent step of D on log D(x) + log(1 - D(G(z))) with G fixed (Algorithm 1, inner loop)."""
    real = real_batch(state)  # (B, 1, 28, 28) or (B, 2)
    with torch.no_grad():
        fake = state.generator(sample_noise(state, state.cfg.batch_size))  # same shape as real
    real_logits, fake_logits = state.discriminator(real), state.discriminator(fake)  # (B,), (B,)
    loss = discriminator_loss(real_logits, fake_logits)
    state.opt_d.zero_grad(set_to_none=True)
    loss.backward()
    state.opt_d.step()
    return StepResult(loss=loss.item(), fake_probs=_probs(fake_logits), real_probs=_probs(real_logits))


def g_step(state: GANState) -> StepResult:
    """One descent step of G on its ``cfg.objective`` with D fixed (Algorithm 1, outer step)."""
    state.discriminator.requires_grad_(False)  # gradients flow through D to G, but D's own are not needed
    fake_logits = state.discriminator(state.generator(sample_noise(state, state.cfg.batch_size)))  # (B,)
    state.discriminator.requires_grad_(True)
    loss = generator_loss(fake_logits, state.cfg.objective)
    state.opt_g.zero_grad(set_to_none=True)
    loss.backward()
    state.opt_g.step()
    return StepResult(loss=loss.item(), fake_probs=_probs(fake_logits))


@torch.inference_mode()
def generate(generator: nn.Module, z: torch.Tensor) -> torch.Tensor:
    """G(z) in eval mode (BatchNorm on its running statistics), leaving G's mode as it was."""
    was_training = generator.training
    generator.eval()
    out = generator(z.to(next(generator.parameters()).device))
    generator.train(was_training)
    return out


def images_from_noise(generator: nn.Module, z: torch.Tensor) -> np.ndarray:
    """(n, latent_dim) noise -> (n, 28, 28) float32 digits in [0, 1]."""
    x = generate(generator, z)  # (n, 1, 28, 28) in [-1, 1]
    return ((x[:, 0] + 1.0) / 2.0).clamp(0.0, 1.0).to("cpu", torch.float32).numpy()


@torch.inference_mode()
def discriminator_heatmap(
    discriminator: nn.Module, extent: float = TOY_EXTENT, resolution: int = HEATMAP_RESOLUTION
) -> np.ndarray:
    """D(x) on a grid over [-extent, extent]^2: (H, W) float32, row i at y_i, column j at x_j, both increasing."""
    axis = torch.linspace(-extent, extent, resolution)
    y, x = torch.meshgrid(axis, axis, indexing="ij")  # (H, W) each
    points = torch.stack([x.ravel(), y.ravel()], dim=1)  # (H * W, 2)
    logits = discriminator(points.to(next(discriminator.parameters()).device))
    return torch.sigmoid(logits).reshape(resolution, resolution).cpu().numpy()


def histogram(probs: np.ndarray) -> np.ndarray:
    """Counts of D's outputs in HIST_BINS equal bins over [0, 1], int64 (HIST_BINS,)."""
    return np.histogram(probs, bins=HIST_BINS, range=(0.0, 1.0))[0]


@dataclass(frozen=True)
class GANSnapshot:
    """What the views need at one moment of training (CPU copies only)."""

    step: int  # G steps so far: iterations of Algorithm 1
    total_steps: int
    d_loss: float  # means since the last snapshot; a net not stepped since keeps its value (NaN: never stepped)
    g_loss: float
    d_real: float  # mean D(x)
    d_fake: float  # mean D(G(z))
    d_real_hist: np.ndarray  # (HIST_BINS,) counts of D(x) on the last D batch (zeros before the first)
    d_fake_hist: np.ndarray  # (HIST_BINS,) counts of D(G(z)) on the last D batch
    d_steps: int = 0  # D steps so far: d_steps_per_g per iteration, plus single D steps
    samples: np.ndarray | None = None  # (SAMPLE_GRID, 28, 28) in [0, 1] from fixed noise; MNIST mode
    class_counts: np.ndarray | None = None  # (10,) the classifier's digits among CLASS_SAMPLES G(z); with samples
    points_real: np.ndarray | None = None  # (TOY_POINTS, 2) ring samples; toy mode
    points_fake: np.ndarray | None = None  # (TOY_POINTS, 2) G(fixed noise); toy mode
    heatmap: np.ndarray | None = None  # (HEATMAP_RESOLUTION, HEATMAP_RESOLUTION) D(x); toy mode

    @property
    def progress(self) -> float:
        return self.step / self.total_steps

    def summary(self) -> str:
        def show(value: float, digits: int) -> str:
            return "–" if math.isnan(value) else f"{value:.{digits}f}"

        return (f"step {self.step}/{self.total_steps}  D loss {show(self.d_loss, 3)}  G loss {show(self.g_loss, 3)}  "
                f"D(x) {show(self.d_real, 2)}  D(G(z)) {show(self.d_fake, 2)}")


class _Tally:
    """Step counts, and each net's means since the last snapshot (kept while that net is not stepped)."""

    def __init__(self) -> None:
        self.d_steps = self.g_steps = 0
        self._d: list[StepResult] = []
        self._g: list[float] = []
        self.last_d: StepResult | None = None
        self.means = dict.fromkeys(("d_loss", "g_loss", "d_real", "d_fake"), math.nan)

    def add_d(self, result: StepResult) -> None:
        self._d.append(result)
        self.d_steps += 1

    def add_g(self, result: StepResult) -> None:
        self._g.append(result.loss)
        self.g_steps += 1

    def collect(self, lr: float) -> dict[str, float]:
        """The means since the last call; a NaN or infinite fresh loss stops training with a message."""
        if self._d:
            self.means["d_loss"] = float(np.mean([r.loss for r in self._d]))
            self.means["d_real"] = float(np.mean([r.d_real for r in self._d]))
            self.means["d_fake"] = float(np.mean([r.d_fake for r in self._d]))
            self.last_d = self._d[-1]
            check_finite(self.means["d_loss"], self.g_steps, lr)
        if self._g:
            self.means["g_loss"] = float(np.mean(self._g))
            check_finite(self.means["g_loss"], self.g_steps, lr)
        self._d, self._g = [], []
        return dict(self.means)


def _one_step(state: GANState, tally: _Tally, which: str = "both") -> None:
    """'d': one D step; 'g': one G step; 'both': one iteration of Algorithm 1 (k D steps, then one G step)."""
    if which not in ("d", "g", "both"):
        raise ValueError(f"Unknown GAN step {which!r}; choose 'd', 'g' or 'both'.")
    if which != "g":
        for _ in range(state.cfg.d_steps_per_g if which == "both" else 1):
            tally.add_d(d_step(state))
    if which != "d":
        tally.add_g(g_step(state))


MAX_DELAY_S = 10.0
WAIT_SLICE_S = 0.05  # slow motion waits in slices this long, yielding between them


def _checked_delay(seconds: object) -> float:
    if not isinstance(seconds, (int, float)) or not 0.0 <= seconds <= MAX_DELAY_S:
        raise ValueError(f"The slow-motion delay must be between 0 and {MAX_DELAY_S:g} seconds, not {seconds!r}.")
    return float(seconds)


def _wait(seconds: float) -> collections.abc.Generator[None, object, object]:
    """Sleep ``seconds`` in short slices, yielding None after each (so pause and stop act at once);
    return early with the first command sent in, else None."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(WAIT_SLICE_S, left))
        command = yield None
        if command is not None:
            return command
    return None


def _class_meter(cfg: GANConfig, device: torch.device) -> tuple[MNISTClassifier, torch.Tensor] | None:
    """The shipped classifier and CLASS_SAMPLES fixed z, to count which digits G draws (MNIST mode;
    None without a classifier checkpoint, so training never depends on it)."""
    if cfg.mode != "mnist":
        return None
    try:
        classifier, _ = load_classifier()
    except ExplorerError:
        return None
    noise = torch.randn(CLASS_SAMPLES, cfg.latent_dim, generator=torch.Generator().manual_seed(cfg.seed + 2))
    return classifier, noise.to(device)


def gan_session(
    cfg: GANConfig,
    device: str | None = None,
    yield_every_s: float = 0.25,
    samples_every_s: float = 2.0,
    delay_s: float = 0.0,
) -> collections.abc.Generator[GANSnapshot | None, tuple | None, Checkpoint]:
    """Train a GAN (Algorithm 1) that a GUI can steer by sending commands in at any yield; return the checkpoint.

    It first yields the untrained nets (step 0), then trains, yielding a snapshot at most every
    ``yield_every_s`` seconds (the MNIST preview grid at most every ``samples_every_s`` seconds and at
    the end; toy points and D's heat map with every snapshot). Each command is answered by one yield:

    - ``("step", "d" | "g" | "both")``: one D step, one G step or one iteration; a full snapshot;
    - ``("delay", seconds)``: slow motion, a wait before each iteration and a full snapshot after it; None.

    A paused caller can thus single-step. Slow motion waits in slices, yielding None between them.
    """
    started = time.time()
    state = init_gan(cfg, pick_device(device))
    points_real = ring_of_gaussians(TOY_POINTS, torch.Generator().manual_seed(cfg.seed)).numpy() if cfg.mode == "toy" else None
    tally = _Tally()
    delay = _checked_delay(delay_s)
    meter = _class_meter(cfg, state.device)

    def snapshot(with_samples: bool) -> GANSnapshot:
        metrics = tally.collect(max(cfg.lr_g, cfg.lr_d))
        last = tally.last_d
        extras: dict[str, np.ndarray] = {}
        if points_real is not None:
            extras["points_real"] = points_real
            extras["points_fake"] = generate(state.generator, state.fixed_noise).cpu().numpy()
            extras["heatmap"] = discriminator_heatmap(state.discriminator)
        elif with_samples:
            extras["samples"] = images_from_noise(state.generator, state.fixed_noise)
            if meter is not None:
                classifier, noise = meter
                extras["class_counts"] = class_histogram(probabilities(classifier, images_from_noise(state.generator, noise)))
        no_outputs = np.zeros(HIST_BINS, dtype=np.int64)
        return GANSnapshot(
            step=tally.g_steps,
            total_steps=cfg.steps,
            d_steps=tally.d_steps,
            **metrics,
            d_real_hist=no_outputs if last is None else histogram(last.real_probs),
            d_fake_hist=no_outputs if last is None else histogram(last.fake_probs),
            **extras,
        )

    command = yield snapshot(with_samples=True)
    last_yield = last_samples = time.monotonic()
    while tally.g_steps < cfg.steps:
        if command is not None:
            kind, value = command if isinstance(command, tuple) and len(command) == 2 else (command, None)
            if kind == "delay":
                delay = _checked_delay(value)
                command = yield None
            elif kind == "step":
                _one_step(state, tally, value)
                command = yield snapshot(with_samples=True)
                last_yield = last_samples = time.monotonic()
            else:
                raise ValueError(f"Unknown command {command!r} for a GAN session; send ('step', 'd'|'g'|'both') "
                                 "or ('delay', seconds).")
            continue
        if delay:
            command = yield from _wait(delay)
            if command is not None:
                continue
        _one_step(state, tally)
        now = time.monotonic()
        last = tally.g_steps == cfg.steps
        if not (last or delay or now - last_yield >= yield_every_s):
            continue
        with_samples = last or bool(delay) or now - last_samples >= samples_every_s
        last_samples = now if with_samples else last_samples
        last_yield = now
        command = yield snapshot(with_samples)
    info = {
        "steps": tally.g_steps,
        "d_steps": tally.d_steps,
        "dataset": "ring-of-8-gaussians" if cfg.mode == "toy" else dataset_fingerprint(),
        "metrics": dict(tally.means),
        "training": training_record(state.device, started),
    }
    weights = _pair(state.generator, state.discriminator).state_dict()
    return Checkpoint(kind="gan", config=asdict(cfg), state=weights, info=info)


def train_gan(
    cfg: GANConfig, device: str | None = None, yield_every_s: float = 0.25, samples_every_s: float = 2.0
) -> collections.abc.Generator[GANSnapshot, None, Checkpoint]:
    """Train a GAN (Algorithm 1) straight through, yielding snapshots a few times a second; return the checkpoint.

    This is ``gan_session`` without commands and without its opening snapshot of the untrained nets.
    """
    session = gan_session(cfg, device, yield_every_s, samples_every_s)
    next(session)
    return (yield from session)


def gan_from_checkpoint(ckpt: Checkpoint) -> tuple[nn.Module, GANConfig]:
    """Rebuild the generator a checkpoint describes (its discriminator checked too), on the CPU, in eval mode."""
    cfg = config_from_dict(GANConfig, ckpt.config)
    generator, discriminator = build_networks(cfg)
    load_weights(_pair(generator, discriminator), ckpt)
    return generator.eval(), cfg


def sample_images(generator: Generator, n: int, seed: int = 0) -> np.ndarray:
    """n digits G(z) from z ~ N(0, I): (n, 28, 28) float32 in [0, 1]."""
    z = torch.randn(n, generator.latent_dim, generator=torch.Generator().manual_seed(seed))
    return images_from_noise(generator, z)


def interpolate(generator: Generator, z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """Digits along the straight line z = (1 - t) z0 + t z1, t from 0 to 1: (steps, 28, 28) in [0, 1]."""
    t = torch.linspace(0.0, 1.0, steps)[:, None]  # (steps, 1)
    a = torch.as_tensor(np.asarray(z0, dtype=np.float32))[None]  # (1, latent_dim)
    b = torch.as_tensor(np.asarray(z1, dtype=np.float32))[None]
    return images_from_noise(generator, (1 - t) * a + t * b)
