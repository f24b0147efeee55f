"""`gen-explorer plane train/sample`: the same core generators, a checkpoint that records its data, one-line refusals."""

import numpy as np
import pytest

from explorer.cli import main
from explorer.core.plane.data import fingerprint, load_points_csv, make_preset, save_points_csv
from explorer.core.runtime.checkpoints import load_checkpoint


@pytest.fixture(scope="module")
def ddpm_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plane")
    data = save_points_csv(folder / "drawn.csv", make_preset("moons", 300))
    out = folder / "ddpm.safetensors"
    assert main(["plane", "train", "ddpm", "--data", str(data), "--out", str(out), "--steps", "5", "--seed", "3"]) == 0
    return out, data


def test_the_checkpoint_records_its_data_and_run(ddpm_checkpoint):
    out, data = ddpm_checkpoint
    ckpt = load_checkpoint(out, kind="plane-ddpm")
    assert ckpt.info["dataset"] == {
        "source": "drawn.csv",
        "fingerprint": fingerprint(load_points_csv(data)),
        "points": 300,
    }
    assert ckpt.info["steps"] == 5 and ckpt.config["seed"] == 3
    assert ckpt.info["training"]["command"].startswith("gen-explorer plane train ddpm --data")
    assert ckpt.info["metrics"]["mmd2"] > 0 and ckpt.info["metrics"]["mmd2_floor"] > 0


def test_sample_writes_points_reproducibly_within_the_nfe(ddpm_checkpoint, tmp_path, capsys):
    out, _ = ddpm_checkpoint
    for name in ("a", "b"):
        assert (
            main(
                [
                    "plane",
                    "sample",
                    str(out),
                    "-n",
                    "50",
                    "--out",
                    str(tmp_path / f"{name}.csv"),
                    "--sampler",
                    "heun",
                    "--nfe",
                    "6",
                    "--seed",
                    "4",
                ]
            )
            == 0
        )
    assert "heun, 5 network evaluations" in capsys.readouterr().out
    a = load_points_csv(tmp_path / "a.csv")
    assert a.shape == (50, 2) and np.array_equal(a, load_points_csv(tmp_path / "b.csv"))
    assert (tmp_path / "a.csv").read_text().startswith("x,y\n")


@pytest.mark.parametrize(
    "argv, says",
    [
        (["plane", "train", "ddpm", "--data", "blob", "--out", "m.safetensors"], "--data takes a preset"),
        (["plane", "train", "score", "--data", "ring", "--out", "m.pt"], "--out must end in .safetensors"),
        (["plane", "train", "ddpm", "--data", "ring", "--out", "m.safetensors", "--steps", "0"], "--steps must be"),
        (["plane", "sample", "MODEL", "-n", "5", "--out", "p.csv", "--sampler", "langevin"], "samples with ddpm"),
        (["plane", "sample", "MODEL", "-n", "5", "--out", "p.csv", "--nfe", "0"], "--nfe must be"),
        (
            ["plane", "sample", "MODEL", "-n", "5", "--out", "p.csv", "--sampler", "ddpm", "--eta", "0.5"],
            "--eta applies",
        ),
        (["plane", "sample", "MODEL", "-n", "5", "--out", "p.csv", "--no-denoise"], "--denoise / --no-denoise apply"),
        (["plane", "sample", "nothing.safetensors", "-n", "5", "--out", "p.csv"], "No checkpoint"),
    ],
)
def test_refusals_are_one_line(ddpm_checkpoint, tmp_path, capsys, monkeypatch, argv, says):
    monkeypatch.chdir(tmp_path)
    argv = [str(ddpm_checkpoint[0]) if a == "MODEL" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1


def test_the_final_denoising_step_reaches_annealed_langevin_from_the_cli(tmp_path, capsys):
    model = tmp_path / "score.safetensors"
    assert main(["plane", "train", "score", "--data", "ring", "--out", str(model), "--steps", "5"]) == 0
    points = {}
    for flag in ("--denoise", "--no-denoise"):
        out = tmp_path / f"{flag}.csv"
        argv = ["plane", "sample", str(model), "-n", "40", "--out", str(out), "--nfe", "21", "--seed", "2", flag]
        assert main(argv) == 0
        points[flag] = load_points_csv(out)
    said = capsys.readouterr().out
    assert "annealed-langevin, 21 network evaluations" in said  # 10 levels × 2 steps and the denoising step
    assert "annealed-langevin, 20 network evaluations" in said
    assert not np.allclose(points["--denoise"], points["--no-denoise"])
