"""The conditional GAN's config and nets: the DCGAN G and D of explorer/core/gan/nets.py, each with a label
pathway that starts at zero, so that a cGAN whose other weights are the unconditional GAN's plays, at its first
step, exactly the GAN's game.

G(z, y): Mirza & Osindero (2014, section 4.1) feed the one-hot y beside z into G's first layer. A linear layer
on the concatenation [z; onehot(y)] is W_z z + W_y onehot(y) = W_z z + E[y]: the GAN's first layer plus a
learned per-digit 2c×7×7 map E[y] added to its output, which is how it is computed here.

D(x, y) = ψ(φ(x)) + ⟨V[y], φ(x)⟩ (Miyato & Koyama 2018, eq. 3): φ(x) the features the DCGAN D's last layer reads
(2c×7×7, flattened), ψ that last layer, V a learned embedding of the digit. The projection term rewards a real
digit shown with its own label and penalises a fake that does not look like the digit it was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from explorer.core.gan.game import DIGITS
from explorer.core.gan.nets import DCGANDiscriminator, DCGANGenerator, GANConfig, _pair, _stages, build_networks
from explorer.core.runtime.limits import bounded, one_of

LABEL_PATHWAYS = ("label_embedding", "class_projection")  # E in G and V in D: what the GAN's nets lack
# Adam's (β1, β2) for the label pathways: a row of E or V hears only the images of its digit, a tenth of a batch,
# so its gradient is noisy from step to step; β1 = 0.9 (Kingma & Ba's default) averages it over about ten steps,
# where the DCGAN's β1 = 0.5 would follow the noise.
LABEL_BETAS = (0.9, 0.999)
LABEL_WEIGHTS = ("generator.label_embedding.weight", "discriminator.class_projection.weight")


@dataclass(frozen=True)
class CGANConfig(GANConfig):
    """The GAN's settings (explorer/core/gan/nets.py) for digits only, the defaults those of the shipped GAN's
    nets and optimisers (so ``init_from`` may name it), and how fast the label pathways learn."""

    mode: str = one_of("mnist", ("mnist",))  # the toy game has no labels
    channels: int = bounded(64, 2, 256)
    depth: int = bounded(1, 0, 4)
    lr_g: float = bounded(1e-4, 0.0, 10.0, low_open=True)
    ema: float = bounded(0.999, 0.5, 0.99999, zero_means="none")
    steps: int = bounded(3000, 1, 10_000_000)
    # The label pathways' learning rate over the rest's. Started from the GAN, every other weight already knows
    # its job while E and V start at zero; with Adam a step moves a weight by about its learning rate, so a
    # faster rate there lets the digits take hold within a short CPU run (as the cDDPM's class embedding does).
    label_lr_scale: float = bounded(10.0, 1.0, 100.0)


class ConditionalGenerator(DCGANGenerator):
    """G(z, y): (B, latent_dim) noise and (B,) digits 0..9 -> (B, 1, 28, 28) images in [-1, 1]."""

    def __init__(self, latent_dim: int = 64, channels: int = 16, depth: int = 0) -> None:
        super().__init__(latent_dim, channels, depth)
        self.label_embedding = nn.Embedding(DIGITS, 2 * channels * 7 * 7)  # E: (10, 2c·7·7), W_y onehot(y)
        nn.init.zeros_(self.label_embedding.weight)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        # The conditional G takes the digit too: a DCGAN generator in its layers, not in its call.
        first = self.net[0](z[:, :, None, None])  # (B, 2c, 7, 7): W_z z
        x = first + self.label_embedding(labels).view_as(first)  # + E[y]
        return _stages(self.net[1:], (2, 5), self.at7, self.at14, x)  # the GAN's layers after its first


class ProjectionDiscriminator(DCGANDiscriminator):
    """D(x, y): (B, 1, 28, 28) images and (B,) digits 0..9 -> (B,) logits. V is not spectrally normalised
    even with ``norm="spectral"``: a weight at zero has no spectral norm to divide by."""

    def __init__(self, channels: int = 16, norm: str = "batch", depth: int = 0) -> None:
        super().__init__(channels, norm, depth)
        self.class_projection = nn.Embedding(DIGITS, 2 * channels * 7 * 7)  # V: (10, 2c·7·7)
        nn.init.zeros_(self.class_projection.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        features = _stages(self.net[:-1], (2, 5), self.at14, self.at7, x)  # (B, 2c, 7, 7): φ(x)
        psi = self.net[-1](features).flatten()  # (B,): ψ(φ(x)), the GAN's logit
        return psi + (self.class_projection(labels) * features.flatten(1)).sum(1)  # + ⟨V[y], φ(x)⟩


def build_conditional_networks(cfg: GANConfig) -> tuple[ConditionalGenerator, ProjectionDiscriminator]:
    """Freshly initialised (G, D) for ``cfg``, the GAN's initialisation with the label pathways at zero (seed
    torch first for a reproducible start)."""
    g = ConditionalGenerator(cfg.latent_dim, cfg.channels, cfg.depth)
    d = ProjectionDiscriminator(cfg.channels, cfg.d_norm, cfg.depth)
    plain_g, plain_d = build_networks(cfg)  # the GAN's initialisation of the shared layers
    load_plain(_pair(g, d), _pair(plain_g, plain_d))
    return g, d


def load_plain(pair: nn.ModuleDict, plain: nn.ModuleDict) -> None:
    """Copy an unconditional GAN pair's weights into a conditional one, whose label pathways are set to zero."""
    zeros = {name: torch.zeros_like(pair.state_dict()[name]) for name in LABEL_WEIGHTS}
    result = pair.load_state_dict({**plain.state_dict(), **zeros}, strict=True)
    assert not result.missing_keys and not result.unexpected_keys, result


def label_parameter_groups(net: nn.Module, lr: float, cfg: GANConfig) -> list[dict[str, object]]:
    """The optimiser's groups for a conditional net: its label pathway (E or V) at ``label_lr_scale`` times
    ``lr`` with Adam's momentum at LABEL_BETAS, the rest at ``lr`` with the config's."""
    scale = cfg.label_lr_scale if isinstance(cfg, CGANConfig) else 1.0
    named = list(net.named_parameters())
    label = [p for name, p in named if name.split(".")[0] in LABEL_PATHWAYS]
    rest = [p for name, p in named if name.split(".")[0] not in LABEL_PATHWAYS]
    return [{"params": rest, "lr": lr}, {"params": label, "lr": lr * scale, "betas": LABEL_BETAS}]
