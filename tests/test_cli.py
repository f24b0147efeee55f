"""The command line: train, sample, errors, and a core that never imports Qt."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from explorer.cli import main
from explorer.cli_shared import run_with_bar
from explorer.core.diffusion import SamplerConfig, training_runs
from explorer.core.families import FAMILIES
from explorer.core.runtime.checkpoints import load_checkpoint
from explorer.core.runtime.jobs import run_to_end


def test_train_then_sample_as_npy_and_png(tmp_path, capsys):
    ckpt = tmp_path / "vae.safetensors"
    argv = [
        "train",
        "vae",
        "--epochs",
        "1",
        "--hidden",
        "32",
        "--train-limit",
        "512",
        "--out",
        str(ckpt),
        "--device",
        "cpu",
    ]
    assert main(argv) == 0
    loaded = load_checkpoint(ckpt, kind="vae")
    assert loaded.info["training"]["command"] == "gen-explorer " + " ".join(argv)
    assert loaded.info["metrics"]["test_neg_elbo"] > 0

    assert main(["sample", "vae", "-n", "7", "--out", str(tmp_path / "s.npy"), "--checkpoint", str(ckpt)]) == 0
    samples = np.load(tmp_path / "s.npy")
    assert samples.shape == (7, 28, 28) and samples.dtype == np.float32
    assert samples.min() >= 0.0 and samples.max() <= 1.0

    assert main(["sample", "vae", "-n", "9", "--out", str(tmp_path / "s.png"), "--checkpoint", str(ckpt)]) == 0
    with Image.open(tmp_path / "s.png") as png:
        assert png.size == (3 * 30 + 2, 3 * 30 + 2)  # 3x3 digits with 2-pixel borders


def test_the_diffusion_model_trains_and_samples_through_the_same_commands(tmp_path):
    ckpt = tmp_path / "ddpm.safetensors"
    argv = [
        "train",
        "ddpm",
        "--steps",
        "3",
        "--timesteps",
        "10",
        "--base-channels",
        "8",
        "--batch-size",
        "8",
        "--train-limit",
        "64",
        "--out",
        str(ckpt),
        "--device",
        "cpu",
    ]
    assert main(argv) == 0
    assert load_checkpoint(ckpt, kind="ddpm").info["steps"] == 3
    assert main(["sample", "ddpm", "-n", "3", "--out", str(tmp_path / "d.npy"), "--checkpoint", str(ckpt)]) == 0
    samples = np.load(tmp_path / "d.npy")
    assert samples.shape == (3, 28, 28) and samples.min() >= 0.0 and samples.max() <= 1.0
    model, _, _ = FAMILIES["ddpm"].load(ckpt)
    for options, expected in (
        (["--sampler", "ddpm"], SamplerConfig("ddpm")),
        (["--sampler", "ddim", "--ddim-steps", "4"], SamplerConfig("ddim", 4, 1.0)),  # η = 1 by default
        (["--ddim-steps", "4", "--eta", "0"], SamplerConfig("ddim", 4, 0.0)),
    ):
        out = tmp_path / "s.npy"
        assert (
            main(["sample", "ddpm", "-n", "2", "--seed", "5", "--out", str(out), "--checkpoint", str(ckpt), *options])
            == 0
        )
        assert np.array_equal(np.load(out), run_to_end(FAMILIES["ddpm"].draw(model, 2, 5, sampler=expected)))
    assert not np.array_equal(
        model.sample(2, 5, SamplerConfig("ddim", 4, 0.0)), model.sample(2, 5, SamplerConfig("ddim", 4, 1.0))
    )
    more = tmp_path / "more.safetensors"  # continuing a run starts from its weights and records it
    assert main([*argv[:-4], "--out", str(more), "--init-from", str(ckpt), "--device", "cpu"]) == 0
    runs = training_runs(load_checkpoint(more, kind="ddpm").info)
    assert [r["steps"] for r in runs] == [3, 3] and "--init-from" in runs[1]["training"]["command"]
    assert "--init-from" not in runs[0]["training"]["command"]


def test_the_pixelcnn_trains_continues_and_samples_through_the_same_commands(tmp_path, capsys):
    ckpt = tmp_path / "pixelcnn.safetensors"
    argv = [
        "train",
        "pixelcnn",
        "--steps",
        "2",
        "--channels",
        "8",
        "--layers",
        "2",
        "--batch-size",
        "8",
        "--train-limit",
        "64",
        "--out",
        str(ckpt),
        "--device",
        "cpu",
    ]
    assert main(argv) == 0
    assert "test_nll" in capsys.readouterr().out
    assert (
        main(
            [
                "sample",
                "pixelcnn",
                "-n",
                "5",
                "--seed",
                "3",
                "--out",
                str(tmp_path / "p.npy"),
                "--checkpoint",
                str(ckpt),
            ]
        )
        == 0
    )
    samples = np.load(tmp_path / "p.npy")
    model, _, _ = FAMILIES["pixelcnn"].load(ckpt)
    assert samples.shape == (5, 28, 28) and set(np.unique(samples)) <= {0.0, 1.0}
    assert np.array_equal(samples, run_to_end(FAMILIES["pixelcnn"].draw(model, 5, 3)))
    more = tmp_path / "more.safetensors"
    assert main([*argv[:-4], "--out", str(more), "--init-from", str(ckpt), "--device", "cpu"]) == 0
    assert [r["steps"] for r in training_runs(load_checkpoint(more, kind="pixelcnn").info)] == [2, 2]
    assert (
        main(["sample", "pixelcnn", "--out", str(tmp_path / "p.npy"), "--checkpoint", str(ckpt), "--ddim-steps", "3"])
        == 2
    )
    assert main(["train", "pixelcnn", "--kernel", "4", "--out", str(tmp_path / "k.safetensors")]) == 2
    assert "--kernel must be an odd integer from 3 to 9, not 4." in capsys.readouterr().err


def test_sampler_options_are_for_the_diffusion_model_only(tmp_path, capsys):
    assert main(["sample", "vae", "--out", str(tmp_path / "s.npy"), "--sampler", "ddpm"]) == 2
    assert "apply to the DDPM and class-conditional DDPM only" in capsys.readouterr().err
    assert main(["sample", "ddpm", "--out", str(tmp_path / "s.npy"), "--eta", "1.5"]) == 2
    assert "--eta must be a number from 0 to 1" in capsys.readouterr().err
    assert main(["sample", "ddpm", "--out", str(tmp_path / "s.npy"), "--ddim-steps", "0"]) == 2
    assert "--ddim-steps must be an integer from 1 to 4000" in capsys.readouterr().err
    # The old name of --ddim-steps still works, with a note that says the new one.
    assert main(["sample", "ddpm", "-n", "1", "--out", str(tmp_path / "s.npy"), "--steps", "2"]) == 0
    assert "is now `--ddim-steps`" in capsys.readouterr().err


def test_the_conditional_vae_trains_and_draws_the_asked_digit(tmp_path):
    ckpt = tmp_path / "cvae.safetensors"
    argv = [
        "train",
        "cvae",
        "--epochs",
        "1",
        "--hidden",
        "16",
        "--train-limit",
        "256",
        "--out",
        str(ckpt),
        "--device",
        "cpu",
    ]
    assert main(argv) == 0
    assert load_checkpoint(ckpt, kind="cvae").info["metrics"]["test_neg_elbo"] > 0
    out = tmp_path / "threes.npy"
    assert (
        main(["sample", "cvae", "--digit", "3", "-n", "5", "--seed", "2", "--out", str(out), "--checkpoint", str(ckpt)])
        == 0
    )
    model, _, _ = FAMILIES["cvae"].load(ckpt)
    assert np.array_equal(np.load(out), run_to_end(FAMILIES["cvae"].draw(model, 5, 2, digit=3)))
    assert main(["sample", "cvae", "-n", "10", "--out", str(tmp_path / "all.png"), "--checkpoint", str(ckpt)]) == 0


def test_the_conditional_ddpm_starts_from_a_ddpm_and_draws_with_guidance(tmp_path):
    ddpm = tmp_path / "ddpm.safetensors"
    tiny = ["--timesteps", "10", "--base-channels", "8", "--batch-size", "8", "--train-limit", "64", "--device", "cpu"]
    assert main(["train", "ddpm", "--steps", "2", *tiny, "--out", str(ddpm)]) == 0
    ckpt = tmp_path / "cddpm.safetensors"
    assert (
        main(
            ["train", "cddpm", "--steps", "3", "--init-from", str(ddpm), "--p-uncond", "0.2", *tiny, "--out", str(ckpt)]
        )
        == 0
    )
    loaded = load_checkpoint(ckpt, kind="cddpm")
    assert loaded.config["p_uncond"] == 0.2 and loaded.info["continues"]["kind"] == "ddpm"
    assert [r["steps"] for r in training_runs(loaded.info)] == [2, 3]
    model, _, _ = FAMILIES["cddpm"].load(ckpt)
    out = tmp_path / "sevens.npy"
    for options, expected in (
        (["--guidance", "3"], {"guidance": 3.0, "sampler": SamplerConfig()}),
        (["--sampler", "ddpm"], {"sampler": SamplerConfig("ddpm")}),
        (["--guidance", "0", "--ddim-steps", "4"], {"guidance": 0.0, "sampler": SamplerConfig(steps=4)}),
    ):
        assert (
            main(
                [
                    "sample",
                    "cddpm",
                    "--digit",
                    "7",
                    "-n",
                    "2",
                    "--seed",
                    "5",
                    "--out",
                    str(out),
                    "--checkpoint",
                    str(ckpt),
                    *options,
                ]
            )
            == 0
        )
        assert np.array_equal(np.load(out), run_to_end(FAMILIES["cddpm"].draw(model, 2, 5, digit=7, **expected)))


def test_eval_of_a_conditional_model_reports_the_accuracy_on_each_asked_digit(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)
    assert (
        main(
            [
                "train",
                "cvae",
                "--epochs",
                "1",
                "--hidden",
                "16",
                "--train-limit",
                "256",
                "--device",
                "cpu",
                "--out",
                str(tmp_path / "cvae.safetensors"),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["eval", "cvae", "-n", "50", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "accuracy on the asked digit" in out
    line = next(line for line in out.splitlines()[::-1] if line.startswith("cvae "))  # the accuracy table's row
    assert len(line.split()) == 12  # the name, ten digits and the lowest


def test_eval_scores_a_named_checkpoint_in_place_of_the_shipped_one(tmp_path, capsys):
    ckpt = tmp_path / "run.safetensors"
    assert (
        main(
            [
                "train",
                "gan",
                "--steps",
                "2",
                "--channels",
                "4",
                "--batch-size",
                "8",
                "--train-limit",
                "64",
                "--ema",
                "0.9",
                "--out",
                str(ckpt),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["eval", "gan", "-n", "50", "--checkpoint", str(ckpt), "--device", "cpu"]) == 0
    two_steps = capsys.readouterr().out
    assert main(["eval", "gan", "-n", "50", "--device", "cpu"]) == 0  # the shipped GAN: another FID
    fid_of = lambda out: float(next(ln for ln in out.splitlines() if ln.startswith("gan ")).split()[1])  # noqa: E731
    assert fid_of(two_steps) > fid_of(capsys.readouterr().out) + 50  # two steps of training draw noise


def test_eval_draws_the_diffusion_model_with_the_sampler_asked(tmp_path, capsys):
    ckpt = tmp_path / "ddpm.safetensors"
    assert (
        main(
            [
                "train",
                "ddpm",
                "--steps",
                "2",
                "--timesteps",
                "60",
                "--base-channels",
                "8",
                "--batch-size",
                "8",
                "--train-limit",
                "64",
                "--out",
                str(ckpt),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    capsys.readouterr()
    fid_of = lambda out: float(next(ln for ln in out.splitlines() if ln.startswith("ddpm ")).split()[1])  # noqa: E731
    results = {}
    for options, said in (
        (["--sampler", "ddpm"], "ddpm: drawn by DDPM (all T steps)."),
        (["--ddim-steps", "5", "--eta", "0"], "ddpm: drawn by DDIM in 5 steps with η = 0."),
        ([], "ddpm: drawn by DDIM in 50 steps with η = 1."),
    ):  # the app's way
        assert main(["eval", "ddpm", "-n", "50", "--checkpoint", str(ckpt), "--device", "cpu", *options]) == 0
        out = capsys.readouterr().out
        assert said in out
        results[said] = fid_of(out)
    assert len(set(results.values())) == 3  # three samplers, three sets of digits


def test_draws_in_chunks_give_the_same_digits_as_one_draw_per_chunk_seed():
    """Large N is drawn a chunk at a time, so memory stays flat; each chunk has its own seed."""
    import dataclasses

    vae = FAMILIES["vae"]
    model, _, _ = vae.load()
    small = dataclasses.replace(vae, chunk=3)
    seeds = np.random.SeedSequence(7).generate_state(3)
    images = run_to_end(small.draw(model, 8, 7))
    expected = np.concatenate([vae.sample(model, k, int(s)) for k, s in zip((3, 3, 2), seeds, strict=True)])
    assert images.shape == (8, 28, 28) and np.array_equal(images, expected)


def test_a_model_trained_without_out_goes_to_the_users_data_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GEN_EXPLORER_DATA", str(tmp_path / "mine"))
    assert main(["train", "vae", "--epochs", "1", "--hidden", "8", "--train-limit", "64", "--device", "cpu"]) == 0
    assert (tmp_path / "mine" / "vae.safetensors").is_file()
    assert f"Saved {tmp_path / 'mine' / 'vae.safetensors'}" in capsys.readouterr().out


def test_bad_requests_get_a_message_and_exit_code_2(tmp_path, capsys):
    assert main(["sample", "vae", "--out", str(tmp_path / "s.jpg")]) == 2
    assert "must end in .npy or .png" in capsys.readouterr().err
    bogus = tmp_path / "bogus.safetensors"
    bogus.write_bytes(b"nonsense")
    assert main(["sample", "vae", "--out", str(tmp_path / "s.npy"), "--checkpoint", str(bogus)]) == 2
    assert "not a readable checkpoint" in capsys.readouterr().err
    assert not (tmp_path / "s.npy").exists()


def test_the_core_and_the_cli_import_no_qt():
    code = (  # every module of explorer.core and its subpackages, present and future, and the command line with its whole parser
        "import sys, importlib, pkgutil, explorer.core, explorer.cli;"
        "[importlib.import_module(m.name) for m in pkgutil.walk_packages(explorer.core.__path__, 'explorer.core.')];"
        "explorer.cli.build_parser();"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'superqt', 'qtpy', 'PyQt5', 'PyQt6')"
        " or m.startswith('explorer.ui.panels')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ctrl_c_closes_the_job_and_a_finished_job_gives_its_result():

    closed = []

    def job():
        try:
            yield 1
            yield 2
            return "done"
        finally:
            closed.append(True)

    class Bar:
        closed = False

        def close(self):
            self.closed = True

    seen, bar = [], Bar()
    assert run_with_bar(job(), bar, seen.append) == (True, "done") and seen == [1, 2] and bar.closed

    def interrupt(item):
        raise KeyboardInterrupt

    closed.clear()
    bar = Bar()
    assert run_with_bar(job(), bar, interrupt) == (False, None) and closed == [True] and bar.closed


def test_headless_commands_use_every_core_but_one_unless_told(tmp_path, monkeypatch, capsys):
    import torch

    monkeypatch.setattr("explorer.core.runtime.jobs.spare_cores", lambda: 3)
    try:
        assert main(["sample", "vae", "-n", "1", "--out", str(tmp_path / "a.npy"), "--device", "cpu"]) == 0
        assert torch.get_num_threads() == 3
        assert main(["sample", "vae", "-n", "1", "--out", str(tmp_path / "b.npy"), "--threads", "2"]) == 0
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
    for bad in ("0", "many", "100000"):
        with pytest.raises(SystemExit) as stop:
            main(["sample", "vae", "--out", str(tmp_path / "c.npy"), "--threads", bad])
        assert stop.value.code == 2 and "--threads" in capsys.readouterr().err
    assert not (tmp_path / "c.npy").exists()


def test_train_save_every_writes_the_run_so_far_and_is_refused_where_unsupported(tmp_path, capsys):
    from explorer.cli import main as cli_main
    from explorer.core.runtime.checkpoints import load_checkpoint

    out = tmp_path / "p.safetensors"
    argv = [
        "train",
        "pixelcnn",
        "--channels",
        "4",
        "--layers",
        "1",
        "--steps",
        "3",
        "--batch-size",
        "8",
        "--train-limit",
        "64",
        "--save-every",
        "2",
        "--out",
        str(out),
        "--device",
        "cpu",
    ]
    assert cli_main(argv) == 0
    assert "step 2: the run so far saved to" in capsys.readouterr().out and load_checkpoint(out).info["steps"] == 3
    for bad in (["train", "pixelcnn", "--save-every", "-1"], ["train", "vae", "--save-every", "5"]):
        with pytest.raises(SystemExit) as stopped:  # argparse's one line, as for every bad option
            cli_main([*bad, "--out", str(tmp_path / "x.safetensors")])
        assert stopped.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--save-every" in err
    assert not (tmp_path / "x.safetensors").exists()
