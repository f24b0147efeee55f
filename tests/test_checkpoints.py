"""Checkpoints: round trip, clear refusals of bad files, no pickle, atomic saves."""

import os
import pickle
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import save_file

from explorer.core.runtime.checkpoints import Checkpoint, load_checkpoint, save_checkpoint
from explorer.core.runtime.errors import CheckpointError
from explorer.core.vae import VAE, VAEConfig, vae_from_checkpoint


def make_checkpoint(hidden: int = 16, seed: int = 0) -> Checkpoint:
    torch.manual_seed(seed)
    cfg = VAEConfig(hidden=hidden)
    info = {"steps": 10, "dataset": "mnist", "metrics": {"test_neg_elbo": 150.0, "test_recon": 140.0, "test_kl": 10.0}}
    return Checkpoint("vae", cfg.__dict__, VAE(hidden=hidden).state_dict(), info)


def test_round_trip_keeps_weights_config_and_record(tmp_path):
    ckpt = make_checkpoint()
    path = save_checkpoint(tmp_path / "vae.safetensors", ckpt)
    loaded = load_checkpoint(path, kind="vae")
    assert loaded.config == ckpt.config and loaded.info == ckpt.info
    for name, tensor in ckpt.state.items():
        assert torch.equal(loaded.state[name], tensor)
    model, cfg = vae_from_checkpoint(loaded)
    assert cfg.hidden == 16 and not model.training


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda data: b"\x00" * 64, "not a readable checkpoint"),
        (lambda data: data[: len(data) // 2], "not a readable checkpoint"),
        (lambda data: data[:-1], "not a readable checkpoint"),
        (lambda data: b"", "not a readable checkpoint"),
    ],
    ids=["garbage", "half", "one-byte-short", "empty"],
)
def test_corrupt_or_truncated_files_are_refused_with_a_message(tmp_path, damage, message):
    path = save_checkpoint(tmp_path / "vae.safetensors", make_checkpoint())
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path, kind="vae")


def test_a_foreign_safetensors_file_is_refused(tmp_path):
    path = tmp_path / "other.safetensors"
    save_file({"weight": torch.zeros(3)}, str(path))
    with pytest.raises(CheckpointError, match="not a Generative Explorer checkpoint"):
        load_checkpoint(path)


def test_a_checkpoint_of_another_kind_is_refused(tmp_path):
    ckpt = make_checkpoint()
    path = save_checkpoint(tmp_path / "x.safetensors", Checkpoint("gan", ckpt.config, ckpt.state, ckpt.info))
    with pytest.raises(CheckpointError, match="holds a GAN, not a VAE"):
        load_checkpoint(path, kind="vae")


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path):
    ckpt = make_checkpoint(hidden=16)
    wrong = Checkpoint("vae", {**ckpt.config, "hidden": 32}, ckpt.state, ckpt.info)
    loaded = load_checkpoint(save_checkpoint(tmp_path / "x.safetensors", wrong))
    with pytest.raises(CheckpointError, match="has shape"):
        vae_from_checkpoint(loaded)


def test_unknown_config_fields_and_nan_weights_are_refused(tmp_path):
    ckpt = make_checkpoint()
    odd = Checkpoint("vae", {**ckpt.config, "layers": 7}, ckpt.state, ckpt.info)
    with pytest.raises(CheckpointError, match="does not know: layers"):
        vae_from_checkpoint(load_checkpoint(save_checkpoint(tmp_path / "a.safetensors", odd)))
    state = dict(ckpt.state)
    state["to_mu.bias"] = torch.full_like(state["to_mu.bias"], float("nan"))
    path = save_checkpoint(tmp_path / "b.safetensors", Checkpoint("vae", ckpt.config, state, ckpt.info))
    with pytest.raises(CheckpointError, match="NaN"):  # found as the weights are read, before they are loaded
        vae_from_checkpoint(load_checkpoint(path))


def test_a_record_without_its_history_cannot_be_saved(tmp_path):
    ckpt = make_checkpoint()
    with pytest.raises(CheckpointError, match="lacks steps"):
        save_checkpoint(tmp_path / "x.safetensors", Checkpoint("vae", ckpt.config, ckpt.state, {}))
    assert not (tmp_path / "x.safetensors").exists()


class _Exploit:
    """Unpickling this would create the marker file: a stand-in for arbitrary code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_pickle_that_runs_code_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.safetensors"
    with open(path, "wb") as f:
        pickle.dump({"state_dict": _Exploit(marker)}, f)
    torch_path = tmp_path / "evil.pt"
    torch.save({"state_dict": _Exploit(marker)}, torch_path)
    marker.unlink(missing_ok=True)  # torch.save itself does not unpickle; be sure nothing exists yet
    for candidate in (path, torch_path):
        with pytest.raises(CheckpointError, match="not a readable checkpoint"):
            load_checkpoint(candidate)
    assert not marker.exists()


SAVER = """
import sys, torch
from explorer.core.runtime.checkpoints import Checkpoint, save_checkpoint
from explorer.core.vae import VAE, VAEConfig
cfg = VAEConfig(hidden=512)
state = VAE(hidden=512).state_dict()
i = 0
print("ready", flush=True)
while True:
    i += 1
    info = {"steps": i, "dataset": "mnist", "metrics": {}}
    save_checkpoint(sys.argv[1], Checkpoint("vae", cfg.__dict__, state, info))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_a_process_killed_mid_save_leaves_a_loadable_checkpoint(tmp_path):
    path = tmp_path / "vae.safetensors"
    first = make_checkpoint(hidden=512)
    save_checkpoint(path, Checkpoint("vae", first.config, first.state, {**first.info, "steps": 0}))
    steps_seen = []
    for delay in (0.05, 0.13, 0.31):
        proc = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        loaded = load_checkpoint(path, kind="vae")  # a whole file, old or new, never half of one
        vae_from_checkpoint(loaded)
        steps_seen.append(loaded.info["steps"])
    assert max(steps_seen) >= 1, "the saver never replaced the file: the test proved nothing"
