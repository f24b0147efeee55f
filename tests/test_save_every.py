"""--save-every for every family that trains by steps (DDPM, cDDPM, PixelCNN, GAN, cGAN): a snapshot carries the run so
far every N steps, marked partial; it loads as any checkpoint and a run continues it; the CLI writes it to --out."""

from __future__ import annotations

import pytest

from explorer.core.cgan.nets import CGANConfig
from explorer.core.cgan.training import train_cgan
from explorer.core.conditional.cddpm import CDDPMConfig
from explorer.core.conditional.cddpm_training import train_cddpm
from explorer.core.diffusion.model import DDPMConfig
from explorer.core.diffusion.training import train_ddpm
from explorer.core.gan.nets import GANConfig
from explorer.core.gan.session import train_gan
from explorer.core.pixelcnn.model import PixelCNNConfig
from explorer.core.pixelcnn.training import train_pixelcnn
from explorer.core.runtime.checkpoints import load_checkpoint, save_checkpoint
from explorer.core.runtime.jobs import run_to_end

DIFFUSION = {"base_channels": 8, "timesteps": 10}
TRAINERS = {  # kind: (config, its training generator, the smallest widths)
    "ddpm": (DDPMConfig, train_ddpm, DIFFUSION),
    "cddpm": (CDDPMConfig, train_cddpm, DIFFUSION),
    "pixelcnn": (PixelCNNConfig, train_pixelcnn, {"channels": 4, "layers": 1}),
    "gan": (GANConfig, train_gan, {"channels": 4, "latent_dim": 4}),
    "cgan": (CGANConfig, train_cgan, {"channels": 4, "latent_dim": 4, "depth": 0}),
}
SMALL = {"batch_size": 8, "train_limit": 64}


def saved_and_final(job):
    """Drain a training generator: the checkpoints its snapshots carried, and the one it returned."""
    saved = []
    try:
        while True:
            snap = next(job)
            if snap.checkpoint is not None:
                saved.append(snap.checkpoint)
    except StopIteration as done:
        return saved, done.value


@pytest.mark.parametrize("kind", TRAINERS)
def test_save_every_yields_the_run_so_far_which_loads_and_continues(kind, tmp_path):
    config, train, tiny = TRAINERS[kind]
    saved, final = saved_and_final(train(config(steps=5, **tiny, **SMALL), device="cpu", save_every=2))
    assert [c.info["steps"] for c in saved] == [2, 4]  # every 2 steps, not at the end (the end is the result)
    assert final.info["steps"] == 5 and "partial" not in final.info
    assert saved[0].state is not saved[1].state
    first = next(iter(saved[0].state))
    assert not (saved[0].state[first] == saved[1].state[first]).all()  # each a copy of its own step's weights
    path = save_checkpoint(tmp_path / "so-far.safetensors", saved[-1])
    loaded = load_checkpoint(path, kind=kind)  # a partial run passes the record's checks
    assert loaded.info["partial"] == "saved at step 4 of 5"
    more = run_to_end(train(config(steps=1, init_from=str(path), **tiny, **SMALL), device="cpu"))
    assert more.info["continues"]["steps"] == 4


def test_train_ddpm_save_every_writes_the_run_so_far(tmp_path, capsys):
    from explorer.cli import main

    out = tmp_path / "d.safetensors"
    argv = ["train", "ddpm", "--base-channels", "8", "--timesteps", "10", "--steps", "3", "--batch-size", "8"]
    assert main([*argv, "--train-limit", "64", "--save-every", "2", "--out", str(out), "--device", "cpu"]) == 0
    assert "step 2: the run so far saved to" in capsys.readouterr().out
    assert load_checkpoint(out).info["steps"] == 3 and "partial" not in load_checkpoint(out).info
