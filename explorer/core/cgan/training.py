"""Training the conditional GAN: the GAN's game (explorer/core/gan/session.py) with players told the digit, and
a start from the unconditional GAN (``init_from`` naming a gan checkpoint) or a continued cGAN run."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

from torch import nn

from explorer.core.cgan.nets import CGANConfig, build_conditional_networks, label_parameter_groups, load_plain
from explorer.core.gan.game import Players, earlier_game
from explorer.core.gan.nets import GANConfig, _pair, build_networks
from explorer.core.gan.session import GANSnapshot, gan_session, train_gan
from explorer.core.runtime.checkpoints import Checkpoint, checkpoint_kind, continued_checkpoint
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.quoting import shown


def earlier_cgan(cfg: GANConfig, nets: tuple[nn.Module, nn.Module] | None = None) -> Checkpoint | None:
    """The checkpoint ``cfg.init_from`` names, its weights loaded into ``nets`` (default: a fresh pair, to check
    that it fits before any step; a clear CheckpointError if not); None for a fresh start.

    A cgan checkpoint is continued as it is. A gan checkpoint (of the same widths; a shallower one is grown, as
    the GAN's own runs are) gives G and D every weight but the label pathways, which start at zero: the first
    step is then the GAN's own."""
    if not cfg.init_from:
        return None
    pair = _pair(*(nets or build_conditional_networks(cfg)))
    kind = checkpoint_kind(cfg.init_from)
    if kind == "gan":
        plain = build_networks(cfg)
        earlier = earlier_game(cfg, plain)
        load_plain(pair, _pair(*plain))
        return earlier
    if kind not in (None, "cgan"):
        raise CheckpointError(
            f"{shown(Path(cfg.init_from).name)} holds a {shown(kind)} model, not a cgan or gan model."
        )
    return continued_checkpoint(cfg.init_from, "cgan", pair)  # a missing or broken file: its own clear message


CGAN_PLAYERS = Players(
    "cgan", build_conditional_networks, earlier_cgan, labelled=True, parameter_groups=label_parameter_groups
)


def cgan_session(
    cfg: CGANConfig,
    device: str | None = None,
    yield_every_s: float = 0.25,
    samples_every_s: float = 2.0,
    delay_s: float = 0.0,
    save_every: int = 0,
) -> Generator[GANSnapshot | None, object, Checkpoint]:
    """The conditional game a panel steers (``gan_session``'s commands): its preview a style × digit grid
    (STYLE_ROWS fixed z, each as 0..9), its meter the share of each asked digit read as asked."""
    return gan_session(cfg, device, yield_every_s, samples_every_s, delay_s, save_every, CGAN_PLAYERS)


def train_cgan(
    cfg: CGANConfig,
    device: str | None = None,
    yield_every_s: float = 0.25,
    samples_every_s: float = 60.0,
    save_every: int = 0,
) -> Generator[GANSnapshot, None, Checkpoint]:
    """Train a conditional GAN straight through (``train_gan`` with the conditional players); return the
    checkpoint. The preview and the meter come at most once a minute by default: the meter draws and classifies
    CLASS_SAMPLES digits, as much work as an iteration of the shipped size, which a headless run does not show."""
    return train_gan(cfg, device, yield_every_s, samples_every_s, save_every, CGAN_PLAYERS)
