"""The GAN's validated config and its nets: DCGAN G and D for 28x28 digits (Radford et al., 2016),
and small MLPs for the toy 2-D game.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from explorer.core.runtime.limits import SEED_MAX, TRAIN_IMAGES, bounded, one_of, validate
from explorer.core.runtime.training import PRECISIONS

OBJECTIVES = ("minimax", "non_saturating")
MODES = ("mnist", "toy")
D_NORMS = ("batch", "spectral")


@dataclass(frozen=True)
class GANConfig:
    """Architecture and training settings; the defaults train the shipped model."""

    mode: str = one_of("mnist", MODES)  # DCGAN on digits, or MLPs on a 2-D ring of 8 Gaussians
    latent_dim: int = bounded(64, 1, 512)
    # DCGAN feature maps at 14x14 (twice as many at 7x7). Radford et al.'s 64, which reached a far lower FID
    # than 16 channels in fewer steps (docs/measurements.md; README, "Recipes compared").
    channels: int = bounded(64, 2, 256)
    # Residual blocks added at each of the 7x7 and 14x14 resolutions, in G and in D alike; 0 is Radford et
    # al.'s net, two layers deep on each side. Each block starts as the identity (ReZeroBlock), so a run
    # may continue a shallower net's checkpoint with blocks added (game.py: ``earlier_game``).
    depth: int = bounded(0, 0, 4)
    hidden: int = bounded(128, 4, 4096)  # toy MLP width
    steps: int = bounded(5000, 1, 10_000_000)  # G steps
    batch_size: int = bounded(128, 2, 4096)  # BatchNorm needs two images at least
    lr_g: float = bounded(2e-4, 0.0, 10.0, low_open=True)
    lr_d: float = bounded(2e-4, 0.0, 10.0, low_open=True)
    beta1: float = bounded(0.5, 0.0, 0.999)  # Adam's beta1, lowered from 0.9 by Radford et al. (section 4)
    d_steps_per_g: int = bounded(1, 1, 20)  # k of Algorithm 1
    objective: str = one_of("non_saturating", OBJECTIVES)  # the generator's loss
    # D's normalisation: DCGAN's BatchNorm, or a spectral norm on every layer's weight (Miyato et al. 2018),
    # which bounds D's Lipschitz constant so its gradients to G stay informative instead of saturating.
    d_norm: str = one_of("batch", D_NORMS)
    # One-sided label smoothing (Salimans et al. 2016, section 3.4): D's target for real digits is 1 - this, so
    # it is never rewarded for certainty about real data; fakes keep the target 0.
    label_smoothing: float = bounded(0.0, 0.0, 0.5)
    # Decay of a running average of G's weights, saved in G's place (Yazıcı et al. 2019): the game keeps
    # circling its equilibrium, and the average sits nearer it than any one iterate. 0: save the last G.
    ema: float = bounded(0.0, 0.5, 0.99999, zero_means="none")
    # bf16 autocast for D's and G's steps (explorer/core/runtime/training.py): more iterations per second
    # on an AVX-512-BF16 CPU or a GPU; fp32 by default, which every CPU runs at full speed.
    precision: str = one_of("fp32", PRECISIONS)
    seed: int = bounded(0, 0, SEED_MAX)
    train_limit: int = bounded(0, 1, TRAIN_IMAGES, zero_means="all")  # use only the first N training images
    # Continue the game from this checkpoint's G and D (same nets); "" starts afresh. The optimisers start
    # afresh: a game is continued, not resumed, as the DDPM's runs are.
    init_from: str = ""

    def __post_init__(self) -> None:
        validate(self)


# The toy game a learner starts from: with these G's points soon cover every mode of the ring, and
# stay; with GANConfig's own (learning rates 2e-4, z of 64) they cover none as soon, and a much faster G
# collapses them onto one or two (docs/measurements.md).
TOY_DEFAULTS = {"latent_dim": 8, "lr_g": 1e-3, "lr_d": 1e-3}


# The MNIST game a learner watches in the GAN panel: narrower than the shipped G, as a game at 16 channels
# runs several times faster per iteration on a CPU, fast enough to watch digits form within minutes.
LIVE_MNIST_DEFAULTS = {"channels": 16}


def default_config(mode: str = "mnist", **changes: Any) -> GANConfig:
    """The game a learner starts from in ``mode``: GANConfig's defaults (the shipped MNIST model's) with
    LIVE_MNIST_DEFAULTS or TOY_DEFAULTS over them; ``changes`` over all."""
    live = TOY_DEFAULTS if mode == "toy" else LIVE_MNIST_DEFAULTS
    return GANConfig(mode=mode, **{**live, **changes})


class ReZeroBlock(nn.Module):
    """x + α F(x), F two 3x3 convolutions with a normalisation and an activation between them, and α a
    learned scalar that starts at 0 (Bachlechner et al. 2021, "ReZero is all you need"): the block starts as
    the identity, so adding it to a trained net changes nothing until training finds a use for it. A gate,
    not a zeroed convolution, because a spectrally normalised weight cannot start at zero."""

    def __init__(
        self,
        channels: int,
        norm: nn.Module,
        activation: nn.Module,
        sn: Callable[[nn.Module], nn.Module] = lambda layer: layer,
    ) -> None:
        super().__init__()
        self.body = nn.Sequential(
            sn(nn.Conv2d(channels, channels, 3, 1, 1, bias=False)),
            norm,
            activation,
            sn(nn.Conv2d(channels, channels, 3, 1, 1, bias=False)),
        )
        self.alpha = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.alpha * self.body(x)


def _stages(
    net: nn.Sequential, cuts: tuple[int, int], first: nn.ModuleList, second: nn.ModuleList, x: torch.Tensor
) -> torch.Tensor:
    """Run ``net`` with the blocks of ``first`` after its layer cuts[0] - 1 and those of ``second`` after
    cuts[1] - 1; kept apart from ``net`` so that its weights keep the names a shallower net's have."""
    for i, layer in enumerate(net):
        x = layer(x)
        for block in first if i == cuts[0] - 1 else second if i == cuts[1] - 1 else ():
            x = block(x)
    return x


class DCGANGenerator(nn.Module):
    """DCGAN generator: z -> 7x7 -> 14x14 -> 28x28 by transposed convolutions, tanh output in [-1, 1];
    ``depth`` residual blocks after each of the first two."""

    def __init__(self, latent_dim: int = 64, channels: int = 16, depth: int = 0) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        c = channels
        self.at7 = nn.ModuleList(ReZeroBlock(2 * c, nn.BatchNorm2d(2 * c), nn.ReLU()) for _ in range(depth))
        self.at14 = nn.ModuleList(ReZeroBlock(c, nn.BatchNorm2d(c), nn.ReLU()) for _ in range(depth))
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
        return _stages(self.net, (3, 6), self.at7, self.at14, z[:, :, None, None])


class DCGANDiscriminator(nn.Module):
    """DCGAN discriminator: strided convolutions with LeakyReLU(0.2), no BatchNorm on the first layer.

    With ``norm="spectral"`` every convolution is spectrally normalised and the BatchNorm dropped (SNGAN).
    ``depth`` residual blocks after each of the first two convolutions.
    """

    def __init__(self, channels: int = 16, norm: str = "batch", depth: int = 0) -> None:
        super().__init__()
        c = channels
        spectral = norm == "spectral"
        sn = nn.utils.parametrizations.spectral_norm if spectral else (lambda layer: layer)

        def block(width: int) -> ReZeroBlock:
            return ReZeroBlock(width, nn.Identity() if spectral else nn.BatchNorm2d(width), nn.LeakyReLU(0.2), sn)

        self.at14 = nn.ModuleList(block(c) for _ in range(depth))
        self.at7 = nn.ModuleList(block(2 * c) for _ in range(depth))
        self.net = nn.Sequential(
            sn(nn.Conv2d(1, c, 4, 2, 1)),  # (B, c, 14, 14)
            nn.LeakyReLU(0.2),
            sn(nn.Conv2d(c, 2 * c, 4, 2, 1, bias=spectral)),  # (B, 2c, 7, 7)
            nn.Identity() if spectral else nn.BatchNorm2d(2 * c),
            nn.LeakyReLU(0.2),
            sn(nn.Conv2d(2 * c, 1, 7, 1, 0)),  # (B, 1, 1, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, 28, 28) images -> (B,) logits of D(x)."""
        return _stages(self.net, (2, 5), self.at14, self.at7, x).flatten()


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


def build_networks(
    cfg: GANConfig,
) -> tuple[DCGANGenerator | ToyGenerator, DCGANDiscriminator | ToyDiscriminator]:
    """Freshly initialised (generator, discriminator) for ``cfg`` (seed torch first for a reproducible start)."""
    if cfg.mode == "mnist":
        g = DCGANGenerator(cfg.latent_dim, cfg.channels, cfg.depth)
        d = DCGANDiscriminator(cfg.channels, cfg.d_norm, cfg.depth)
        g.apply(dcgan_init)
        d.apply(dcgan_init)
        return g, d
    if cfg.mode == "toy":
        return ToyGenerator(cfg.latent_dim, cfg.hidden), ToyDiscriminator(cfg.hidden)
    raise ValueError(f"Unknown GAN mode {cfg.mode!r}; choose one of {', '.join(MODES)}.")


def _pair(generator: nn.Module, discriminator: nn.Module) -> nn.ModuleDict:
    """Both nets as one module, so their weights are saved as 'generator.*' and 'discriminator.*'."""
    return nn.ModuleDict({"generator": generator, "discriminator": discriminator})
