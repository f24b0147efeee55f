"""Every bad input a user can give ends in one line and exit code 2 (or a clear error type),
before any work is spent, and loses nothing: the good file beside it stays byte for byte.

One table for the command line (options, crafted checkpoints, output targets), one for the
data files; the divergence maths has its own table in test_divergence_core.py.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from explorer.cli import main
from explorer.core.kinds import kind_title
from explorer.core.runtime.atomic import atomic_write
from explorer.core.runtime.checkpoints import load_checkpoint, save_checkpoint
from explorer.core.runtime.data import MNIST_SIZES, load_mnist
from explorer.core.runtime.errors import DataError
from explorer.core.runtime.paths import MNIST_DIR

TINY_TRAIN = ["--epochs", "1", "--hidden", "8", "--train-limit", "64", "--device", "cpu"]
# Options that make a run of each model last a second: put before a row's own options, which win.
TINY = {
    "vae": TINY_TRAIN[:-2],
    "ddpm": ["--steps", "1", "--base-channels", "8", "--timesteps", "10", "--train-limit", "64", "--batch-size", "8"],
    "gan": ["--steps", "1", "--channels", "2", "--train-limit", "64", "--batch-size", "8"],
    "classifier": ["--epochs", "1", "--channels", "2", "--train-limit", "64"],
    "pixelcnn": ["--steps", "1", "--channels", "4", "--layers", "1", "--train-limit", "64", "--batch-size", "8"],
    "cvae": TINY_TRAIN[:-2],
    "cddpm": ["--steps", "1", "--base-channels", "8", "--timesteps", "10", "--train-limit", "64", "--batch-size", "8"],
    "cgan": ["--steps", "1", "--channels", "2", "--depth", "0", "--train-limit", "64", "--batch-size", "8"],
}


def crafted(kind: str, **config) -> callable:
    """A checkpoint of ``kind`` whose stored config is overridden with ``config`` (weights: the tiny VAE's)."""

    def make(good: Path, folder: Path) -> Path:
        ckpt = load_checkpoint(good)
        base = dict(ckpt.config) if kind == "vae" else {}
        path = folder / f"crafted-{kind}.safetensors"
        info = ckpt.info if kind == "vae" else {k: v for k, v in ckpt.info.items() if k != "history"}  # per epoch
        save_checkpoint(path, type(ckpt)(kind, {**base, **config}, ckpt.state, info))
        return path

    return make


# (argv with {good} = a good checkpoint, {tmp} = a scratch folder, {crafted} = a crafted checkpoint;
#  what stderr must say; how to make the crafted checkpoint, or None)
CLI_CASES = [
    # Config values, each checked against its limit before anything is built.
    (["train", "vae", "--batch-size", "0"], r"--batch-size must be an integer from 1 to 4096, not 0", None),
    (["train", "vae", "--lr", "-1"], r"--lr must be a number above 0 and at most 10, not -1", None),
    (["train", "vae", "--lr", "nan"], r"--lr must be a number above 0 .* not nan", None),
    (["train", "vae", "--lr", "inf"], r"--lr must be .* not inf", None),
    (["train", "vae", "--epochs", "0"], r"--epochs must be an integer from 1 to 1000, not 0", None),
    (["train", "vae", "--epochs", "-1"], r"--epochs must be", None),
    (["train", "vae", "--beta", "-0.5"], r"--beta must be a number from 0 to 100", None),
    (["train", "vae", "--latent-dim", "0"], r"--latent-dim must be an integer from 1 to 16", None),
    (
        ["train", "vae", "--train-limit", "-59900"],
        r"--train-limit must be 0 \(all\) or an integer from 1 to 60000",
        None,
    ),
    (["train", "vae", "--train-limit", "60001"], r"--train-limit must be", None),
    (["train", "vae", "--seed", "18446744073709551616"], r"--seed must be an integer from 0 to 4294967295", None),
    (["train", "vae", "--seed", "-1"], r"--seed must be", None),
    (["train", "vae", "--batch-size", "x"], r"argument --batch-size: invalid int value: 'x'", None),
    (["train", "vae", "--hidden", "1.5"], r"argument --hidden: invalid int value", None),
    (["train", "vae", "--no-such-option", "1"], r"unrecognized arguments: --no-such-option", None),
    (["train", "ddpm", "--steps", "0"], r"--steps must be an integer from 1 to 10000000, not 0", None),
    (["train", "ddpm", "--schedule", "foo"], r"--schedule must be one of 'linear', 'cosine', not 'foo'", None),
    (["train", "ddpm", "--timesteps", "0"], r"--timesteps must be an integer from 10 to 4000", None),
    (["train", "ddpm", "--depth", "1000000"], r"--depth must be an integer from 1 to 4", None),
    (
        ["train", "ddpm", "--base-channels", "12"],
        r"--base-channels must be a multiple of 8 \(GroupNorm's 8 groups\)",
        None,
    ),
    (
        ["train", "ddpm", "--base-channels", "62", "--widened-from", "48"],
        r"--base-channels must be a multiple of 6, the GroupNorm group size of the 48-channel net it widens",
        None,
    ),
    (
        ["train", "ddpm", "--base-channels", "60", "--widened-from", "24", "--init-from", "{crafted}"],
        r"first built with 48 channels; a wider run continuing it needs --widened-from 48",
        crafted("ddpm", base_channels=48),
    ),
    (["train", "ddpm", "--ema", "1.0"], r"--ema must be 0 \(none\) or a number from 0.5 to 0.99999", None),
    (["train", "ddpm", "--init-from", "{tmp}/absent.safetensors"], r"No checkpoint at .*absent.safetensors", None),
    (["train", "ddpm", "--init-from", "{good}"], r"holds a VAE, not a DDPM", None),
    (["train", "ddpm", "--init-from", "{crafted}"], r"weights do not match the DDPM", crafted("ddpm")),
    (
        ["train", "ddpm", "--init-from", "{crafted}"],
        r"has depth 3; a run continuing it needs depth 3 or more",
        crafted("ddpm", depth=3),
    ),
    (
        ["train", "ddpm", "--init-from", "{crafted}"],
        r"was trained with base_channels = 64; this run asks for 8",
        crafted("ddpm", base_channels=64),
    ),
    (
        ["train", "ddpm", "--init-from", "{crafted}"],
        r"has attention at 7x7; a run continuing it needs --attention 7x7",
        crafted("ddpm", attention="7x7"),
    ),
    (["train", "ddpm", "--attention", "14x14"], r"--attention must be one of 'none', '7x7', not '14x14'", None),
    (["train", "pixelcnn", "--init-from", "{good}"], r"holds a VAE, not a PixelCNN", None),
    (
        ["train", "pixelcnn", "--init-from", "{crafted}"],
        r"weights do not match the PixelCNN",
        crafted("pixelcnn"),
    ),
    (["train", "gan", "--mode", "foo"], r"--mode must be one of 'mnist', 'toy'", None),
    (["train", "gan", "--objective", "foo"], r"--objective must be one of", None),
    (["train", "gan", "--batch-size", "1"], r"--batch-size must be an integer from 2 to 4096", None),
    (["train", "gan", "--d-steps-per-g", "0"], r"--d-steps-per-g must be an integer from 1 to 20", None),
    (["train", "gan", "--depth", "5"], r"--depth must be an integer from 0 to 4, not 5", None),
    (
        ["train", "gan", "--init-from", "{crafted}"],
        r"has depth 2; a game continuing it needs depth 2 or more",
        crafted("gan", mode="mnist", channels=2, depth=2),
    ),
    (["train", "classifier", "--dropout", "1.5"], r"--dropout must be a number from 0 to 0.9", None),
    # Devices: unknown or absent hardware is refused, never replaced.
    (["train", "vae", "--device", "cuda"], r"no CUDA GPU is available here", None),
    (["train", "vae", "--device", "foo"], r"Unknown device 'foo'; choose auto, cpu, cuda, cuda:N or mps", None),
    (["--device", "foo", "train", "vae"], r"Unknown device 'foo'", None),
    (["sample", "vae", "--out", "{tmp}/s.npy", "--device", "cuda:0"], r"no CUDA GPU", None),
    (["eval", "vae", "--device", "tpu"], r"Unknown device 'tpu'", None),
    # Output targets, checked before training or drawing starts.
    (["train", "vae", "--out", "{tmp}/folder.safetensors"], r"--out .*folder.safetensors is a folder", None),
    (["train", "vae", "--out", "{tmp}/pipe.safetensors"], r"is not a regular file", None),
    (["train", "vae", "--out", "/proc/gen-explorer-test.safetensors"], r"cannot write in /proc", None),
    (["train", "vae", "--out", "{good}/inside/x.safetensors"], r"is a file, not a folder", None),
    (["train", "vae", "--out", "{tmp}/model.pt"], r"--out must end in .safetensors, not .pt", None),
    (["sample", "vae", "--out", "{tmp}/s.jpg"], r"--out must end in .npy or .png, not .jpg", None),
    (["sample", "vae", "--out", "{tmp}/folder.npy"], r"is a folder", None),
    # Sizes and sampler options.
    (
        ["sample", "vae", "-n", "1000000000", "--out", "{tmp}/s.npy"],
        r"-n must be between 1 and 10000, not 1000000000",
        None,
    ),
    (["sample", "vae", "-n", "0", "--out", "{tmp}/s.npy"], r"-n must be between 1 and 10000", None),
    (["sample", "vae", "--seed", "-5", "--out", "{tmp}/s.npy"], r"--seed must be an integer from 0", None),
    (
        ["sample", "vae", "--sampler", "ddpm", "--out", "{tmp}/s.npy"],
        r"apply to the DDPM and class-conditional DDPM only",
        None,
    ),
    (
        ["sample", "cvae", "--eta", "0", "--out", "{tmp}/s.npy"],
        r"apply to the DDPM and class-conditional DDPM only",
        None,
    ),
    (["sample", "ddpm", "--eta", "1.5", "--out", "{tmp}/s.npy"], r"--eta must be a number from 0 to 1", None),
    (
        ["sample", "ddpm", "--ddim-steps", "0", "--out", "{tmp}/s.npy"],
        r"--ddim-steps must be an integer from 1 to 4000",
        None,
    ),
    (
        ["sample", "ddpm", "--ddim-steps", "5000", "--out", "{tmp}/s.npy"],
        r"--ddim-steps must be an integer from 1 to 4000",
        None,
    ),
    (
        ["sample", "ddpm", "--ddim-steps", "1500", "--out", "{tmp}/s.npy"],
        r"at most 1000 for this model.s T = 1000",
        None,
    ),
    # The conditional models' options, and only for them.
    (
        ["sample", "vae", "--digit", "3", "--out", "{tmp}/s.npy"],
        r"--digit applies to the conditional models \(conditional VAE, class-conditional DDPM, conditional GAN\) only, not the VAE",
        None,
    ),
    (["sample", "ddpm", "--digit", "3", "--out", "{tmp}/s.npy"], r"--digit applies to the conditional models", None),
    (
        ["sample", "ddpm", "--guidance", "2", "--out", "{tmp}/s.npy"],
        r"--guidance applies to the class-conditional DDPM only, not the DDPM",
        None,
    ),
    (
        ["sample", "cvae", "--guidance", "2", "--out", "{tmp}/s.npy"],
        r"--guidance applies to the class-conditional DDPM only, not the conditional VAE",
        None,
    ),
    (
        ["sample", "cvae", "--digit", "10", "--out", "{tmp}/s.npy"],
        r"--digit must be an integer from 0 to 9, not 10",
        None,
    ),
    (
        ["sample", "cddpm", "--digit", "-1", "--out", "{tmp}/s.npy"],
        r"--digit must be an integer from 0 to 9, not -1",
        None,
    ),
    (["sample", "cddpm", "--digit", "x", "--out", "{tmp}/s.npy"], r"argument --digit: invalid int value: 'x'", None),
    (
        ["sample", "cddpm", "--guidance", "-1", "--out", "{tmp}/s.npy"],
        r"--guidance must be a number from 0 to 20, not -1",
        None,
    ),
    (["sample", "cddpm", "--guidance", "nan", "--out", "{tmp}/s.npy"], r"--guidance must be .* not nan", None),
    (
        ["sample", "cddpm", "--guidance", "21", "--out", "{tmp}/s.npy"],
        r"--guidance must be a number from 0 to 20",
        None,
    ),
    (["sample", "cddpm", "--ddim-steps", "0", "--out", "{tmp}/s.npy"], r"--ddim-steps must be an integer from 1", None),
    (["eval", "vae", "--guidance", "2"], r"--guidance applies to the class-conditional DDPM only, not the VAE", None),
    (["eval", "cddpm", "--guidance", "-2"], r"--guidance must be a number from 0 to 20", None),
    (["train", "cvae", "--latent-dim", "0"], r"--latent-dim must be an integer from 1 to 16", None),
    (["train", "cddpm", "--p-uncond", "1.5"], r"--p-uncond must be a number from 0 to 1, not 1.5", None),
    (["train", "cddpm", "--base-channels", "12"], r"--base-channels must be a multiple of 8", None),
    (["train", "cddpm", "--init-from", "{good}"], r"holds a VAE, not a class-conditional DDPM or a DDPM", None),
    (["train", "cddpm", "--init-from", "{tmp}/absent.safetensors"], r"No checkpoint at .*absent.safetensors", None),
    (
        ["train", "cddpm", "--init-from", "{crafted}"],
        r"was trained with timesteps = 500; this run asks for 10",
        crafted("ddpm", timesteps=500),
    ),
    (["eval", "vae", "-n", "10"], r"-n must be between 50 and 60000", None),
    (["eval", "ddpm", "--eta", "-0.1"], r"--eta must be a number from 0 to 1", None),
    (["eval", "ddpm", "--ddim-steps", "0"], r"--ddim-steps must be an integer from 1", None),
    (["eval", "ddpm", "--sampler", "euler"], r"argument --sampler: invalid choice: 'euler'", None),
    (
        ["eval", "gan", "--sampler", "ddpm"],
        r"--sampler, --nfe, --ddim-steps and --eta apply to the DDPM and class-conditional DDPM only, not the GAN",
        None,
    ),
    (["eval", "vae", "--seed", "18446744073709551616"], r"--seed must be", None),
    (["eval", "all", "--checkpoint", "{good}"], r"--checkpoint scores one model's file: name the model", None),
    (["eval", "gan", "--checkpoint", "{tmp}/absent.safetensors"], r"--checkpoint: no file at .*absent", None),
    (["eval", "gan", "--checkpoint", "{good}"], r"holds a VAE, not a GAN", None),
    (["train", "gan", "--ema", "0.2"], r"--ema must be 0 \(none\) or a number from 0.5 to 0.99999, not 0.2", None),
    (["train", "gan", "--precision", "fp16"], r"--precision must be one of 'fp32', 'bf16', not 'fp16'", None),
    (["train", "ddpm", "--precision", "fp16"], r"--precision must be one of 'fp32', 'bf16', not 'fp16'", None),
    (["train", "gan", "--d-norm", "layer"], r"--d-norm must be one of 'batch', 'spectral', not 'layer'", None),
    (["train", "gan", "--label-smoothing", "0.6"], r"--label-smoothing must be a number from 0 to 0.5, not 0.6", None),
    (["train", "gan", "--init-from", "{good}"], r"holds a VAE, not a GAN", None),
    (["train", "gan", "--init-from", "{tmp}/absent.safetensors"], r"No checkpoint at .*absent.safetensors", None),
    (["train", "gan", "--init-from", "{crafted}"], r"weights do not match the GAN", crafted("gan")),
    # Checkpoints: unreadable, of another kind, or with a config outside the limits.
    (["sample", "vae", "--out", "{tmp}/s.npy", "--checkpoint", "{tmp}/absent.safetensors"], r"No checkpoint at", None),
    (["sample", "gan", "--out", "{tmp}/s.npy", "--checkpoint", "{good}"], r"holds a VAE, not a GAN", None),
    (
        ["sample", "vae", "--out", "{tmp}/s.npy", "--checkpoint", "{crafted}"],
        r"config is not one this app supports: hidden must be an integer from 8 to 4096, not -5",
        crafted("vae", hidden=-5),
    ),
    (
        ["sample", "vae", "--out", "{tmp}/s.npy", "--checkpoint", "{crafted}"],
        r"hidden must be an integer .* not '512'",
        crafted("vae", hidden="512"),
    ),
    (
        ["sample", "vae", "--out", "{tmp}/s.npy", "--checkpoint", "{crafted}"],
        r"latent_dim must be an integer .* not True",
        crafted("vae", latent_dim=True),
    ),
    (
        ["sample", "vae", "--out", "{tmp}/s.npy", "--checkpoint", "{crafted}"],
        r"fields this app does not know: colour",
        crafted("vae", colour=3),
    ),
    (
        ["sample", "ddpm", "--out", "{tmp}/s.npy", "--checkpoint", "{crafted}"],
        r"timesteps must be an integer from 10 to 4000, not 0",
        crafted("ddpm", timesteps=0),
    ),
    (
        ["sample", "ddpm", "--out", "{tmp}/s.npy", "--checkpoint", "{crafted}"],
        r"depth must be an integer from 1 to 4, not 1000000",
        crafted("ddpm", depth=1000000),
    ),
    (
        ["sample", "ddpm", "--out", "{tmp}/s.npy", "--checkpoint", "{crafted}"],
        r"schedule must be one of",
        crafted("ddpm", schedule="foo"),
    ),
    (
        ["sample", "gan", "--out", "{tmp}/s.npy", "--checkpoint", "{crafted}"],
        r"channels must be an integer from 2 to 256, not 100000",
        crafted("gan", channels=100000),
    ),
    (
        ["sample", "gan", "--out", "{tmp}/s.npy", "--checkpoint", "{crafted}"],
        r"weights do not match the GAN",
        crafted("gan"),
    ),
    (
        ["sample", "cddpm", "--out", "{tmp}/s.npy", "--checkpoint", "{crafted}"],
        r"p_uncond must be a number from 0 to 1, not 2",
        crafted("cddpm", p_uncond=2),
    ),
    (
        ["sample", "cvae", "--out", "{tmp}/s.npy", "--checkpoint", "{crafted}"],
        r"encoder.0.weight has shape \(32, 784\), but its config makes a model that needs \(512, 794\)",
        crafted("cvae"),
    ),  # a VAE's weights relabelled: the label's ten inputs are missing
]


@pytest.fixture
def scratch(tmp_path, tiny_vae_checkpoint, monkeypatch):
    """A folder with a good checkpoint (the file no bad command may touch), a folder and a pipe;
    the user's data folder is inside it too, so a default --out cannot escape."""
    monkeypatch.setenv("GEN_EXPLORER_DATA", str(tmp_path / "data"))
    good = tmp_path / "good.safetensors"
    shutil.copy(tiny_vae_checkpoint, good)
    (tmp_path / "folder.safetensors").mkdir()
    (tmp_path / "folder.npy").mkdir()
    os.mkfifo(tmp_path / "pipe.safetensors")
    return tmp_path, good


def run_cli(argv: list[str]) -> int:
    """main's exit code, whether it returns it or argparse exits with it."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


@pytest.mark.parametrize("argv, message, make", CLI_CASES, ids=[" ".join(c[0])[:60] for c in CLI_CASES])
def test_a_bad_command_is_one_line_and_exit_2_and_loses_nothing(argv, message, make, scratch, capsys):
    tmp, good = scratch
    before = good.read_bytes()
    crafted_path = str(make(good, tmp)) if make else ""
    listing = sorted(p.name for p in tmp.iterdir())
    args = [a.replace("{tmp}", str(tmp)).replace("{good}", str(good)).replace("{crafted}", crafted_path) for a in argv]
    if "train" in args:  # should a check fail, the run is over in a second, and the good file is its target
        at = args.index("train") + 2
        args[at:at] = [*TINY[args[at - 1]], *([] if "--device" in args else ["--device", "cpu"]), "--out", str(good)]
    assert run_cli(args) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line and not line.startswith("note:")]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert re.search(message, lines[0]), lines[0]
    assert good.read_bytes() == before
    assert sorted(p.name for p in tmp.iterdir()) == listing  # nothing written, no temporary left


def _gzip_with_flag_byte(raw: bytes, flag: int) -> bytes:
    data = bytearray(gzip.compress(raw))
    data[3] = flag  # FLG: the reader now looks for fields that are not there
    return bytes(data)


DATA_CASES = [
    ("missing", None, r"MNIST file missing"),
    ("not gzip", lambda raw: b"not gzip at all", r"not a valid gzip file"),
    ("corrupt flag byte (zlib.error)", lambda raw: _gzip_with_flag_byte(raw, 0x08), r"not a valid gzip file"),
    ("corrupt flag byte (EOFError)", lambda raw: _gzip_with_flag_byte(raw, 0x04), r"not a valid gzip file"),
    ("truncated", lambda raw: gzip.compress(raw)[: len(gzip.compress(raw)) // 2], r"not a valid gzip file"),
    ("short", lambda raw: gzip.compress(raw[:-10]), r"unpacks to \d+ bytes, not the 10008 bytes"),
    ("gzip bomb", lambda raw: gzip.compress(b"\0" * 200_000_000, compresslevel=1), r"unpacks to more .* not the 10008"),
    (
        "one label changed",
        lambda raw: gzip.compress(raw[:100] + bytes([raw[100] ^ 1]) + raw[101:]),
        r"corrupt: its SHA-256",
    ),
]


@pytest.mark.parametrize("damage, message", [c[1:] for c in DATA_CASES], ids=[c[0] for c in DATA_CASES])
def test_a_damaged_data_file_is_refused_with_a_message(damage, message, tmp_path):
    shutil.copy(MNIST_DIR / "t10k-images-idx3-ubyte.gz", tmp_path)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    if damage:
        labels.write_bytes(damage(gzip.decompress((MNIST_DIR / labels.name).read_bytes())))
    with pytest.raises(DataError, match=message):
        load_mnist.__wrapped__("test", root=tmp_path)
    assert MNIST_SIZES[labels.name] == 10008


def test_a_gzip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    """The reader stops one byte past the known size: a 200 MB bomb never reaches memory."""
    import tracemalloc

    shutil.copy(MNIST_DIR / "t10k-images-idx3-ubyte.gz", tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\0" * 200_000_000, compresslevel=1))
    tracemalloc.start()
    with pytest.raises(DataError):
        load_mnist.__wrapped__("test", root=tmp_path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50_000_000  # the test images' 7.8 MB and the bomb's first 10 kB, not 200 MB


def test_a_save_that_fails_after_training_keeps_the_work_in_the_data_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GEN_EXPLORER_DATA", str(tmp_path / "data"))
    out = tmp_path / "model.safetensors"
    real = atomic_write

    def disk_full_for(path, payload):
        if Path(path) == out:
            raise OSError(28, "No space left on device", str(path))
        return real(path, payload)

    monkeypatch.setattr("explorer.core.runtime.checkpoints.atomic_write", disk_full_for)
    assert main(["train", "vae", *TINY_TRAIN, "--out", str(out)]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]  # not tqdm's
    assert len(err) == 1 and "could not write" in err[0] and "No space left on device" in err[0]
    saved = list((tmp_path / "data").glob("vae-unsaved-*.safetensors"))
    assert len(saved) == 1 and str(saved[0]) in err[0] and not out.exists()
    assert load_checkpoint(saved[0], kind="vae").info["epochs"] == 1


def test_ctrl_c_in_the_middle_of_a_write_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "model.safetensors"
    target.write_bytes(b"the good old file")
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (signal.raise_signal(signal.SIGINT), real_fsync(fd)))
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, b"half of a new file")
    assert target.read_bytes() == b"the good old file"
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


def test_temporaries_left_by_killed_writers_are_swept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".gx-{int(dead.stdout)}-1.tmp"
    stale.write_bytes(b"left by a kill -9")
    live = tmp_path / f".gx-{os.getppid()}-1.tmp"  # a writer that is still running: kept
    live.write_bytes(b"in progress")
    atomic_write(tmp_path / "model.safetensors", b"new")
    assert not stale.exists() and live.exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_stopping_a_training_run_says_so_and_keeps_the_old_file(sig, tmp_path, tiny_vae_checkpoint):
    out = tmp_path / "model.safetensors"
    shutil.copy(tiny_vae_checkpoint, out)
    before = out.read_bytes()
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "explorer",
            "train",
            "vae",
            "--epochs",
            "1000",
            "--hidden",
            "8",
            "--train-limit",
            "1024",
            "--device",
            "cpu",
            "--out",
            str(out),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        # A shell's background job inherits SIGINT ignored; give the run a terminal's Ctrl-C.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline, seen = time.monotonic() + 60, ""
    while time.monotonic() < deadline and "step" not in seen and run.poll() is None:
        seen = seen[-8:] + run.stderr.read(50)  # the progress bar has started: training is under way
    run.send_signal(sig)
    err = run.stderr.read()
    assert run.wait(timeout=60) == 130
    assert "Stopped; nothing was saved." in err and "Traceback" not in err
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]


@pytest.mark.parametrize(
    "model, module",
    [
        ("ddpm", "explorer.core.diffusion.training"),
        ("pixelcnn", "explorer.core.pixelcnn.training"),
        ("gan", "explorer.core.gan.game"),
        ("cgan", "explorer.core.gan.game"),
    ],
)
def test_an_init_from_of_another_size_is_refused_before_the_digits_are_loaded(
    model, module, scratch, capsys, monkeypatch
):
    tmp, good = scratch
    path = crafted(model)(good, tmp)  # the tiny VAE's weights under this model's name

    def no_work(*args, **kwargs):
        raise AssertionError("training started before --init-from was checked")

    monkeypatch.setattr(f"{module}.training_images", no_work)
    assert (
        run_cli(
            [
                "train",
                model,
                *TINY[model],
                "--init-from",
                str(path),
                "--device",
                "cpu",
                "--out",
                str(tmp / "new.safetensors"),
            ]
        )
        == 2
    )
    assert f"weights do not match the {kind_title(model)}" in capsys.readouterr().err
    assert not (tmp / "new.safetensors").exists()


# ---- Round 3: sizes, names and paths, early signals, the smaller causes -----------------------------------------
LARGEST = {
    "ddpm": ["--base-channels", "256", "--depth", "4", "--attention", "7x7", "--batch-size", "2048"],
    "pixelcnn": ["--channels", "256", "--layers", "20", "--batch-size", "2048"],
    "gan": ["--channels", "256", "--depth", "4", "--batch-size", "4096"],
    "cgan": ["--channels", "256", "--depth", "4", "--batch-size", "4096"],
}


@pytest.mark.parametrize("model", sorted(LARGEST))
def test_the_largest_sizes_are_refused_with_the_memory_they_need(model, scratch, capsys, monkeypatch):
    """On a device with 8 GB free, the largest sizes the limits allow are refused before any work, with the figure."""
    tmp, _ = scratch
    monkeypatch.setattr("explorer.core.runtime.memory.free_bytes", lambda device: 8 * 10**9)
    monkeypatch.setattr(
        "explorer.core.runtime.training.load_mnist",
        lambda split: pytest.fail("training started before the estimate refused it"),
    )
    assert (
        run_cli(
            ["train", model, *TINY[model], *LARGEST[model], "--device", "cpu", "--out", str(tmp / "new.safetensors")]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert re.fullmatch(
        rf"error: training this {kind_title(model)} needs about \d+\.\d GB of memory at batch size \d+; "
        r"the CPU has 8\.0 GB free\. Lower --batch-size.*\.",
        err,
    ), err
    assert not (tmp / "new.safetensors").exists()


def test_the_memory_estimate_lets_the_defaults_through_and_grows_with_the_batch():
    from explorer.core.diffusion.model import DDPMConfig
    from explorer.core.runtime.memory import training_bytes

    small, large = (training_bytes("ddpm", DDPMConfig(batch_size=b)) for b in (8, 1024))
    assert 10**7 < small < large < 10**11 and large > 50 * small


ALLOCATOR = (
    "DefaultCPUAllocator: can't allocate memory: you tried to allocate 53687091200 bytes. "
    "Error code 12 (Cannot allocate memory)"
)


@pytest.mark.parametrize(
    "failure",
    [RuntimeError(ALLOCATOR), MemoryError(), "cuda"],
    ids=["cpu allocator", "MemoryError", "OutOfMemoryError"],
)
def test_running_out_of_memory_mid_run_is_one_line_naming_the_knob(failure, scratch, capsys, monkeypatch):
    import torch

    tmp, _ = scratch
    error = torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB") if failure == "cuda" else failure

    def allocate(*args, **kwargs):
        raise error

    monkeypatch.setattr("explorer.core.vae.training.training_images", allocate)
    assert run_cli(["train", "vae", *TINY_TRAIN, "--out", str(tmp / "new.safetensors")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    knob = "lower --batch-size or --hidden (or run on another device with --device)"
    assert err == [f"error: the device ran out of memory; {knob}. Nothing was saved."]


def test_a_legal_246_character_name_is_written(tmp_path):
    target = tmp_path / ("m" * 234 + ".safetensors")  # 246 bytes: the file system takes up to 255
    atomic_write(target, b"weights")
    assert target.read_bytes() == b"weights" and [p.name for p in tmp_path.iterdir()] == [target.name]


@pytest.mark.parametrize(
    "where, message",
    [
        (
            "{tmp}/" + "m" * 250 + ".safetensors",
            r"has a name longer than the file system allows \(262 bytes; at most 255\)",
        ),
        ("{tmp}/loop/x.safetensors", r"loop cannot be reached \(Too many levels of symbolic links\)"),
        ("{tmp}/loop.safetensors", r"loop.safetensors cannot be reached \(Too many levels of symbolic links\)"),
        ("{tmp}/" + "d" * 256 + "/x.safetensors", r"has a name longer than the file system allows"),
    ],
    ids=["name too long", "under a link loop", "a link loop", "a folder name too long"],
)
def test_an_output_path_is_checked_whole_before_training(where, message, scratch, capsys, monkeypatch):
    tmp, _ = scratch
    (tmp / "loop").symlink_to(tmp / "loop")
    (tmp / "loop.safetensors").symlink_to(tmp / "loop.safetensors")

    def no_work(*args, **kwargs):
        raise AssertionError("training started before the output path was checked")

    monkeypatch.setattr("explorer.core.vae.training.training_images", no_work)
    assert run_cli(["train", "vae", *TINY_TRAIN, "--out", where.replace("{tmp}", str(tmp))]) == 2
    err = capsys.readouterr().err.strip()
    assert re.search(message, err) and err.count("\n") == 0, err
    assert not (tmp / "data").exists()  # no fallback file either


def test_when_out_and_the_data_folder_both_fail_the_message_says_the_model_was_lost(scratch, capsys, monkeypatch):
    tmp, _ = scratch

    def disk_full(path, payload):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr("explorer.core.runtime.checkpoints.atomic_write", disk_full)
    assert run_cli(["train", "vae", *TINY_TRAIN, "--out", str(tmp / "new.safetensors")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and "nor" in err[0] and err[0].endswith("the trained model was lost."), err


def test_eval_refuses_more_ddim_steps_than_the_model_has_as_sample_does(scratch, capsys):
    from crafted import tiny

    tmp, _ = scratch
    path = save_checkpoint(tmp / "t10.safetensors", tiny("ddpm"))  # T = 10
    for argv in (["sample", "ddpm", "--out", str(tmp / "s.npy")], ["eval", "ddpm", "-n", "50"]):
        assert run_cli([*argv, "--checkpoint", str(path), "--ddim-steps", "50", "--device", "cpu"]) == 2
        err = capsys.readouterr().err.strip()
        assert re.fullmatch(r"error: --ddim-steps must be at most .*T = 10, not 50\.", err), err


@pytest.mark.parametrize(
    "target, message",
    [
        ("{tmp}/folder.png", r"--screenshot .*folder.png is a folder"),
        ("{tmp}/shot.jpg", r"--screenshot must end in .png, not .jpg"),
        ("{good}/x.png", r"is a file, not a folder"),
    ],
)
def test_a_bad_screenshot_target_is_refused_before_rendering(target, message, scratch, capsys, monkeypatch):
    tmp, good = scratch
    (tmp / "folder.png").mkdir()
    monkeypatch.setattr("explorer.app.run", lambda args: pytest.fail("the window was rendered first"))
    assert run_cli(["--screenshot", target.replace("{tmp}", str(tmp)).replace("{good}", str(good))]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and re.fullmatch(rf"error: .*{message}.*\n", captured.err), captured.err


@pytest.mark.parametrize(
    "sig, after",
    [(signal.SIGTERM, 0.3), (signal.SIGINT, 0.3), (signal.SIGTERM, 1.0), (signal.SIGINT, 1.5)],
    ids=["term-0.3s", "int-0.3s", "term-1s", "int-1.5s"],
)
def test_a_stop_in_the_first_seconds_says_so_and_exits_130(sig, after, tmp_path):
    """While torch imports and the data load: the handlers are installed before any of it."""
    run = subprocess.Popen(
        [sys.executable, "-m", "explorer", "train", "vae", *TINY_TRAIN, "--out", str(tmp_path / "m.safetensors")],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GEN_EXPLORER_DATA": str(tmp_path / "data")},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(after)
    run.send_signal(sig)
    err = run.stderr.read()
    code = run.wait(timeout=60)
    if code == 0:  # the run finished first (a fast machine): nothing to stop
        return
    assert code == 130 and err.strip().splitlines()[-1] == "Stopped; nothing was saved.", (code, err)
    assert "Traceback" not in err and not (tmp_path / "m.safetensors").exists()


def test_a_stop_that_breaks_an_import_on_its_way_still_ends_as_a_stop(tmp_path):
    """A SIGINT inside a C extension's import (scipy's) reaches main as an ImportError, and leaves Python marked
    to die by SIGINT at exit: the run must still say one line and end with 130."""
    script = tmp_path / "stopped_import.py"
    script.write_text(
        "import os, signal, time\n"
        "import explorer.__main__ as entry\n"
        "import explorer.cli\n"
        "def interrupted_import(argv):\n"
        "    try:\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        time.sleep(5)\n"
        "    except KeyboardInterrupt:\n"
        "        raise ImportError('initialization failed') from None\n"
        "explorer.cli.main = interrupted_import\n"
        "entry.run()\n"
    )
    run = subprocess.run([sys.executable, str(script), "train", "vae"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 130 and run.stderr.strip() == "Stopped; nothing was saved.", (run.returncode, run.stderr)
