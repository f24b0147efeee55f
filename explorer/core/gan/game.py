"""One move of the game at a time: the players' state, one D step, one G step (Algorithm 1), and what D thinks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from explorer.core.gan.losses import discriminator_loss, generator_loss, ring_of_gaussians
from explorer.core.gan.nets import GANConfig, _pair, build_networks
from explorer.core.runtime.checkpoints import Checkpoint, continued_checkpoint, load_checkpoint, load_weights
from explorer.core.runtime.data import to_model_range
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.training import mixed_precision, training_images, training_labels

SAMPLE_GRID = 16  # digits in the fixed-noise preview grid yielded while training
TOY_POINTS = 512  # fake and real points shown in toy mode
TOY_EXTENT = 3.0  # the toy heat map covers [-3, 3]^2, the ring (radius 2) with room to spare
HEATMAP_RESOLUTION = 64


HIST_BINS = 20  # histogram bins of D's outputs over [0, 1]
DIGITS = 10  # the classes a conditional game's players are told
STYLE_ROWS = 3  # a conditional game's preview: this many fixed z, each drawn as every digit


def plain_parameter_groups(net: nn.Module, lr: float, cfg: GANConfig) -> list[dict[str, object]]:
    """All of a net's weights at one learning rate: the GAN's optimiser."""
    return [{"params": list(net.parameters()), "lr": lr}]


@dataclass(frozen=True)
class Players:
    """What sets one game's players apart from another's: how the nets are built, the kind of checkpoint that
    keeps them, how a run continues an earlier one (loading its weights into fresh nets), the learning rate of
    each group of weights, and whether G and D are told a digit y (a conditional GAN: G(z, y), D(x, y))."""

    kind: str
    build: Callable[[GANConfig], tuple[nn.Module, nn.Module]]
    earlier: Callable[[GANConfig, tuple[nn.Module, nn.Module]], Checkpoint | None]
    labelled: bool = False
    parameter_groups: Callable[[nn.Module, float, GANConfig], list[dict[str, object]]] = field(
        default=plain_parameter_groups
    )


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
    averaged: AveragedModel | None = None  # the running average of G's weights where cfg.ema > 0
    continues: dict[str, object] | None = None  # the record of the run cfg.init_from holds, which this one continues
    # A conditional game's: the training digits' labels (N,) and the preview's (STYLE_ROWS * DIGITS,), on device
    labels: torch.Tensor | None = None
    fixed_labels: torch.Tensor | None = None
    players: Players | None = None  # None: the GAN's (GAN_PLAYERS)

    @property
    def told(self) -> tuple[torch.Tensor, ...]:
        """What the players are told beside the preview's z: (fixed_labels,) in a conditional game, else ()."""
        return () if self.fixed_labels is None else (self.fixed_labels,)

    @property
    def saved_generator(self) -> nn.Module:
        """The G a checkpoint keeps: the average of G's weights where there is one, else G itself."""
        return self.averaged.module if self.averaged is not None else self.generator


def earlier_game(cfg: GANConfig, nets: tuple[nn.Module, nn.Module] | None = None) -> Checkpoint | None:
    """The checkpoint ``cfg.init_from`` names, its weights loaded into ``nets`` (default: a fresh pair, to
    check that it fits before any step; a clear CheckpointError if not); None for a fresh start.

    The earlier game may have had fewer residual blocks (``depth``): its nets are then grown, the added
    blocks starting as the identity (nets.py: ``ReZeroBlock``), so the game goes on from where it was."""
    if not cfg.init_from:
        return None
    pair = _pair(*(nets or build_networks(cfg)))
    ckpt = load_checkpoint(cfg.init_from, kind="gan")
    depth = ckpt.config.get("depth", 0)  # a checkpoint older than the key had Radford et al.'s nets
    if depth > cfg.depth:
        raise CheckpointError(
            f"{Path(cfg.init_from).name} has depth {depth}; a game continuing it needs "
            f"depth {depth} or more (added blocks start as the identity)."
        )
    if depth == cfg.depth:
        return continued_checkpoint(cfg.init_from, "gan", pair)
    smaller = _pair(*build_networks(replace(cfg, depth=depth)))
    load_weights(smaller, ckpt)
    unexpected = pair.load_state_dict(smaller.state_dict(), strict=False).unexpected_keys
    assert not unexpected, unexpected  # every weight of the smaller pair has its namesake in the deeper one
    return ckpt


def continued_record(earlier: Checkpoint, cfg: GANConfig) -> dict[str, object]:
    """What a run's record keeps of the run it continued: that run's own record, and its depth if smaller."""
    record = {k: earlier.info.get(k) for k in ("steps", "training", "continues")}
    depth = earlier.config.get("depth", 0)
    return record | ({"depth": depth} if depth != cfg.depth else {})


GAN_PLAYERS = Players("gan", build_networks, earlier_game)


def style_digit_labels(rows: int) -> torch.Tensor:
    """(rows * DIGITS,) labels 0, 1, ..., 9 repeated ``rows`` times: a style × digit grid read row by row."""
    return torch.arange(DIGITS).repeat(rows)


def init_gan(cfg: GANConfig, device: str | torch.device | None = None, players: Players | None = None) -> GANState:
    """Fresh nets (or ``cfg.init_from``'s), Adam optimisers and seeded noise for ``cfg``; calling it again
    with the same seed resets. ``players``: the conditional GAN's, or the GAN's by default."""
    players = players or GAN_PLAYERS
    dev = pick_device(device) if not isinstance(device, torch.device) else device
    torch.manual_seed(cfg.seed)
    nets = players.build(cfg)
    earlier = players.earlier(cfg, nets)
    generator, discriminator = (net.to(dev) for net in nets)
    preview_noise = torch.Generator().manual_seed(cfg.seed + 1)
    labels = fixed_labels = None
    if players.labelled:  # each row one z, drawn as every digit
        fixed_noise = torch.randn(STYLE_ROWS, cfg.latent_dim, generator=preview_noise).repeat_interleave(DIGITS, 0)
        fixed_labels = style_digit_labels(STYLE_ROWS).to(dev)
        labels = torch.from_numpy(training_labels(cfg.train_limit)).to(dev)
    else:
        preview = SAMPLE_GRID if cfg.mode == "mnist" else TOY_POINTS
        fixed_noise = torch.randn(preview, cfg.latent_dim, generator=preview_noise)
    data = to_model_range(training_images(cfg.train_limit)).to(dev) if cfg.mode == "mnist" else None
    continues = None
    if earlier is not None:
        continues = continued_record(earlier, cfg)
        if earlier.kind != players.kind:  # a cGAN started from a GAN: the record names the file
            continues |= {"kind": earlier.kind, "file": Path(cfg.init_from).name}
    return GANState(
        cfg=cfg,
        device=dev,
        generator=generator,
        discriminator=discriminator,
        opt_g=torch.optim.Adam(players.parameter_groups(generator, cfg.lr_g, cfg), betas=(cfg.beta1, 0.999)),
        opt_d=torch.optim.Adam(players.parameter_groups(discriminator, cfg.lr_d, cfg), betas=(cfg.beta1, 0.999)),
        fixed_noise=fixed_noise.to(dev),
        noise_gen=torch.Generator().manual_seed(cfg.seed),
        data_gen=torch.Generator().manual_seed(cfg.seed),
        data=data,
        # The average includes BatchNorm's running statistics (use_buffers), so it samples with its own.
        averaged=AveragedModel(generator, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema), use_buffers=True)
        if cfg.ema
        else None,
        continues=continues,
        labels=labels,
        fixed_labels=fixed_labels,
        players=players,
    )


def sample_noise(state: GANState, n: int) -> torch.Tensor:
    """z ~ N(0, I), (n, latent_dim), from the state's noise generator."""
    return torch.randn(n, state.cfg.latent_dim, generator=state.noise_gen).to(state.device)


def sample_told(state: GANState, n: int) -> tuple[torch.Tensor, ...]:
    """What G is told beside z: (y,) with y (n,) uniform over the digits in a conditional game, else ()."""
    if state.labels is None:
        return ()
    return (torch.randint(0, DIGITS, (n,), generator=state.noise_gen).to(state.device),)


def real_batch(state: GANState) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """A batch of real data: (B, 1, 28, 28) digits drawn with replacement, or (B, 2) ring points; with what D
    is told of them: their labels (B,) in a conditional game, else ()."""
    if state.data is None:
        return ring_of_gaussians(state.cfg.batch_size, state.data_gen).to(state.device), ()
    index = torch.randint(0, len(state.data), (state.cfg.batch_size,), generator=state.data_gen).to(state.device)
    return state.data[index], () if state.labels is None else (state.labels[index],)


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
    """One ascent step of D on log D(x) + log(1 - D(G(z))) with G fixed (Algorithm 1, inner loop); in a
    conditional game log D(x|y) + log(1 - D(G(z|y')|y')), y the real digits' labels, y' drawn uniformly."""
    real, told = real_batch(state)  # (B, 1, 28, 28) or (B, 2); told: (y,) or ()
    asked = sample_told(state, state.cfg.batch_size)
    with mixed_precision(state.device, state.cfg.precision):
        with torch.no_grad():
            fake = state.generator(sample_noise(state, state.cfg.batch_size), *asked)  # same shape as real
        real_logits = state.discriminator(real, *told)  # (B,)
        fake_logits = state.discriminator(fake, *asked)  # (B,)
    real_logits, fake_logits = real_logits.float(), fake_logits.float()  # the loss in float32 whatever the nets ran in
    loss = discriminator_loss(real_logits, fake_logits, state.cfg.label_smoothing)
    state.opt_d.zero_grad(set_to_none=True)
    loss.backward()
    state.opt_d.step()
    return StepResult(loss=loss.item(), fake_probs=_probs(fake_logits), real_probs=_probs(real_logits))


def g_step(state: GANState) -> StepResult:
    """One descent step of G on its ``cfg.objective`` with D fixed (Algorithm 1, outer step); a conditional
    G is asked for uniformly drawn digits y, and judged by D(G(z|y)|y)."""
    state.discriminator.requires_grad_(False)  # gradients flow through D to G, but D's own are not needed
    asked = sample_told(state, state.cfg.batch_size)
    with mixed_precision(state.device, state.cfg.precision):
        fake = state.generator(sample_noise(state, state.cfg.batch_size), *asked)
        fake_logits = state.discriminator(fake, *asked).float()  # (B,)
    loss = generator_loss(fake_logits, state.cfg.objective)
    state.discriminator.requires_grad_(True)
    state.opt_g.zero_grad(set_to_none=True)
    loss.backward()
    state.opt_g.step()
    if state.averaged is not None:
        state.averaged.update_parameters(state.generator)
    return StepResult(loss=loss.item(), fake_probs=_probs(fake_logits))


@torch.inference_mode()
def generate(generator: nn.Module, z: torch.Tensor, *told: torch.Tensor) -> torch.Tensor:
    """G(z) (a conditional G: G(z, y) with ``told`` = (y,)) in eval mode (BatchNorm on its running
    statistics), leaving G's mode as it was."""
    was_training = generator.training
    generator.eval()
    device = next(generator.parameters()).device
    out = generator(z.to(device), *(t.to(device) for t in told))
    generator.train(was_training)
    return out


def images_from_noise(generator: nn.Module, z: torch.Tensor, *told: torch.Tensor) -> np.ndarray:
    """(n, latent_dim) noise (and a conditional G's (n,) labels) -> (n, 28, 28) float32 digits in [0, 1]."""
    x = generate(generator, z, *told)  # (n, 1, 28, 28) in [-1, 1]
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


@torch.inference_mode()
def discriminator_outputs(discriminator: nn.Module, points: torch.Tensor) -> np.ndarray:
    """D(x) at (N, 2) points of the toy plane, (N,) float32: where G's points sit on D's curve."""
    return torch.sigmoid(discriminator(points.to(next(discriminator.parameters()).device))).float().cpu().numpy()


def histogram(probs: np.ndarray) -> np.ndarray:
    """Counts of D's outputs in HIST_BINS equal bins over [0, 1], int64 (HIST_BINS,)."""
    return np.histogram(probs, bins=HIST_BINS, range=(0.0, 1.0))[0]
