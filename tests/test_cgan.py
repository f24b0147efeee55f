"""The conditional GAN: its label pathways start at zero (a cGAN made from a GAN is that GAN), G draws through
the label it is told, D's projection learns which digit an image is, the game yields a style × digit grid, a
checkpoint round-trips, and the command line's refusals are one line and exit 2."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from generators import collect

from explorer.cli import main
from explorer.core.cgan.model import sample_cgan, style_digit_grid
from explorer.core.cgan.nets import CGANConfig, build_conditional_networks
from explorer.core.cgan.training import CGAN_PLAYERS, cgan_session, train_cgan
from explorer.core.families import FAMILIES
from explorer.core.gan.game import STYLE_ROWS, d_step, generate, init_gan
from explorer.core.gan.nets import GANConfig
from explorer.core.gan.session import read_as_asked, train_gan
from explorer.core.runtime.checkpoints import load_checkpoint, save_checkpoint
from explorer.core.runtime.jobs import run_to_end

TINY = {"channels": 4, "latent_dim": 8, "depth": 0, "batch_size": 16, "train_limit": 256, "ema": 0.0}


@pytest.fixture(scope="module")
def tiny_gan(tmp_path_factory) -> str:
    """A GAN of TINY's widths trained for three steps, saved."""
    path = tmp_path_factory.mktemp("gan") / "gan.safetensors"
    save_checkpoint(path, run_to_end(train_gan(GANConfig(steps=3, **TINY), "cpu")))
    return str(path)


def test_a_cgan_started_from_a_gan_is_that_gan_for_every_digit(tiny_gan):
    """The label pathways start at zero: G(z, y) = G_gan(z) and D(x, y) = D_gan(x) whatever y, so the first
    step of the conditional game is the GAN's own; the record says which GAN it started from."""
    plain = init_gan(GANConfig(init_from=tiny_gan, **TINY), "cpu")
    state = init_gan(CGANConfig(init_from=tiny_gan, **TINY), "cpu", CGAN_PLAYERS)
    z = torch.randn(6, TINY["latent_dim"])
    expected = generate(plain.generator, z)
    for digit in (0, 7):
        assert torch.allclose(generate(state.generator, z, torch.full((6,), digit)), expected, atol=1e-6)
    x = expected.clone()
    plain.discriminator.eval(), state.discriminator.eval()
    with torch.no_grad():
        assert torch.allclose(state.discriminator(x, torch.arange(6)), plain.discriminator(x), atol=1e-6)
    assert state.continues is not None
    assert state.continues["kind"] == "gan" and state.continues["file"] == "gan.safetensors"


def test_changing_the_digit_with_fixed_z_changes_the_image_through_the_label_pathway():
    torch.manual_seed(0)
    g, _ = build_conditional_networks(CGANConfig(**TINY))
    g.eval()
    z = torch.randn(1, TINY["latent_dim"]).repeat(10, 1)  # one z, asked as each digit
    with torch.no_grad():
        before = g(z, torch.arange(10))
        assert torch.allclose(before, before[:1].expand_as(before))  # E = 0: the digit is not heard yet
        g.label_embedding.weight.normal_()
        after = g(z, torch.arange(10))
        again = g(z, torch.arange(10))
    assert torch.equal(after, again)
    differences = (after[:, None] - after[None]).abs().flatten(2).amax(2)  # (10, 10) between digits
    assert (differences + torch.eye(10) > 1e-3).all()  # every pair of digits drawn differently


def test_d_steps_teach_the_projection_which_digit_a_real_image_is():
    """After D steps on real digits with their labels against G's, D scores a real digit higher when told
    its own label than when told another: the projection ⟨V[y], φ(x)⟩ has learned the classes."""
    cfg = CGANConfig(**{**TINY, "batch_size": 64, "train_limit": 512, "lr_d": 1e-3})
    state = init_gan(cfg, "cpu", CGAN_PLAYERS)
    losses = [d_step(state).loss for _ in range(40)]
    assert np.mean(losses[-5:]) < np.mean(losses[:5])  # D's loss falls
    state.discriminator.eval()
    x, y = state.data[:200], state.labels[:200]
    with torch.no_grad():
        own = state.discriminator(x, y)
        other = torch.stack([state.discriminator(x, (y + k) % 10) for k in range(1, 10)]).mean(0)
    assert (own > other).float().mean() > 0.8


def test_the_game_yields_a_style_by_digit_grid_and_the_share_read_as_asked():
    session = cgan_session(CGANConfig(steps=2, **TINY), "cpu")
    first = next(session)
    assert first.samples.shape == (STYLE_ROWS * 10, 28, 28)
    grid = first.samples.reshape(STYLE_ROWS, 10, 28, 28)
    assert not np.allclose(grid[0, 0], grid[1, 0])  # rows: different z
    if first.asked_read is not None:  # with the shipped classifier
        assert first.asked_read.shape == (10,) and ((first.asked_read >= 0) & (first.asked_read <= 1)).all()


def test_read_as_asked_counts_each_asked_digit_apart():
    probs = np.eye(10)[[3, 3, 5, 1]]  # the classifier reads 3, 3, 5, 1
    share = read_as_asked(probs, np.array([3, 3, 3, 1]))
    assert share[3] == pytest.approx(2 / 3) and share[1] == 1.0 and np.isnan(share[0])


def test_a_checkpoint_round_trips_and_draws_the_same_digits(tmp_path, tiny_gan):
    snaps, ckpt = collect(train_cgan(CGANConfig(steps=2, init_from=tiny_gan, **TINY), "cpu"))
    assert ckpt.kind == "cgan" and ckpt.info["continues"]["kind"] == "gan" and snaps[-1].step == 2
    path = save_checkpoint(tmp_path / "cgan.safetensors", ckpt)
    family = FAMILIES["cgan"]
    model, cfg, loaded = family.load(path)
    assert cfg == CGANConfig(steps=2, init_from=tiny_gan, **TINY) and loaded.info["steps"] == 2
    again, _ = family.from_checkpoint(ckpt)
    assert np.array_equal(family.sample(model, 5, 3, digit=4), sample_cgan(again, 5, 3, digit=4))
    grid = style_digit_grid(model, 2, seed=1)
    assert grid.shape == (2, 10, 28, 28) and grid.min() >= 0.0 and grid.max() <= 1.0
    # Continuing the cGAN itself: the same weights, the label pathways kept
    state = init_gan(CGANConfig(init_from=str(path), **TINY), "cpu", CGAN_PLAYERS)
    z = torch.randn(4, TINY["latent_dim"])
    assert torch.allclose(generate(state.generator, z, torch.arange(4)), generate(model, z, torch.arange(4)))


def test_the_command_line_trains_and_samples_the_asked_digit(tmp_path, tiny_gan):
    out = tmp_path / "cgan.safetensors"
    tiny = ["--channels", "4", "--latent-dim", "8", "--depth", "0", "--batch-size", "16", "--train-limit", "256"]
    argv = ["train", "cgan", *tiny, "--steps", "2", "--init-from", tiny_gan, "--device", "cpu", "--out", str(out)]
    assert main(argv) == 0
    assert load_checkpoint(out, kind="cgan").info["continues"]["file"] == "gan.safetensors"
    samples = tmp_path / "s.npy"
    assert main(["sample", "cgan", "--checkpoint", str(out), "--digit", "6", "-n", "3", "--out", str(samples)]) == 0
    model, _, _ = FAMILIES["cgan"].load(out)
    assert np.array_equal(np.load(samples), run_to_end(FAMILIES["cgan"].draw(model, 3, 0, digit=6)))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "cgan", "--mode", "toy"], r"--mode must be one of 'mnist', not 'toy'"),
        (["train", "cgan", "--label-lr-scale", "0.5"], r"--label-lr-scale must be a number from 1 to 100, not 0.5"),
        (["train", "cgan", "--init-from", "{vae}"], r"holds a vae model, not a cgan or gan model"),
        (["train", "cgan", "--init-from", "{tmp}/absent.safetensors"], r"No checkpoint at .*absent"),
        (["train", "cgan", "--init-from", "{gan}", "--channels", "8"], r"has shape .* needs"),
        (["sample", "cgan", "--digit", "10", "--out", "{tmp}/s.npy"], r"--digit must be an integer from 0 to 9"),
        (["sample", "cgan", "--guidance", "2", "--out", "{tmp}/s.npy"], r"--guidance .* not the conditional GAN"),
        (["sample", "cgan", "--checkpoint", "{vae}", "--out", "{tmp}/s.npy"], r"holds a VAE, not a conditional GAN"),
    ],
)
def test_a_bad_cgan_command_is_one_line_and_exit_2(argv, message, tmp_path, tiny_gan, tiny_vae_checkpoint, capsys):
    import re

    given = {"{tmp}": str(tmp_path), "{vae}": str(tiny_vae_checkpoint), "{gan}": tiny_gan}
    args = [next((a.replace(k, v) for k, v in given.items() if k in a), a) for a in argv]
    if args[0] == "train":
        args += [
            "--depth",
            "0",
            "--latent-dim",
            "8",
            "--steps",
            "1",
            "--device",
            "cpu",
            "--out",
            str(tmp_path / "o.safetensors"),
        ]
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line and not line.startswith("note:")]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "o.safetensors").exists()
