"""``plane train {realnvp,fm,reflow}``, ``plane sample`` of a flow and ``plane nll``: they run, and every
refusal is one line with exit code 2, before any work."""

import numpy as np
import pytest
import torch

from explorer.cli import main
from explorer.core.plane.data import load_points_csv
from explorer.core.runtime.checkpoints import Checkpoint, load_checkpoint, save_checkpoint


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A tiny fm, its reflow and a tiny realnvp on the moons, trained through the CLI."""
    folder = tmp_path_factory.mktemp("flows")
    fm, reflow, nvp = folder / "fm.safetensors", folder / "rf.safetensors", folder / "nvp.safetensors"
    assert main(["plane", "train", "fm", "--data", "moons", "--out", str(fm), "--steps", "20", "--pairing", "ot"]) == 0
    assert (
        main(
            [
                "plane",
                "train",
                "reflow",
                "--data",
                "moons",
                "--from",
                str(fm),
                "--out",
                str(reflow),
                "--steps",
                "10",
                "--pairs",
                "500",
                "--pair-nfe",
                "4",
            ]
        )
        == 0
    )
    assert main(["plane", "train", "realnvp", "--data", "mixture", "--out", str(nvp), "--steps", "10"]) == 0
    return folder


def test_training_records_quality_and_test_nll(models):
    fm = load_checkpoint(models / "fm.safetensors", "plane-fm")
    assert fm.config["pairing"] == "ot" and fm.info["dataset"]["source"] == "moons"
    assert {"mmd2", "mmd2_floor", "test_nll"} <= set(fm.info["metrics"])
    reflow = load_checkpoint(models / "rf.safetensors", "plane-reflow")
    assert reflow.info["reflow_of"]["generation"] == 2
    assert "plane train reflow" in reflow.info["training"]["command"]


def test_sample_by_euler_and_nll(models, tmp_path, capsys):
    out = tmp_path / "points.csv"
    assert (
        main(
            [
                "plane",
                "sample",
                str(models / "rf.safetensors"),
                "-n",
                "300",
                "--out",
                str(out),
                "--sampler",
                "euler",
                "--nfe",
                "1",
            ]
        )
        == 0
    )
    assert load_points_csv(out).shape == (300, 2)
    assert "euler, 1 network evaluations" in capsys.readouterr().out
    assert main(["plane", "nll", str(models / "fm.safetensors"), "--data", str(out)]) == 0
    line = capsys.readouterr().out
    assert line.startswith("mean NLL ") and "over 300 points" in line and np.isfinite(float(line.split()[2]))
    assert main(["plane", "nll", str(models / "nvp.safetensors"), "--data", "mixture"]) == 0
    assert "true entropy 1.90" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, says",
    [
        (["plane", "train", "reflow", "--data", "moons", "--out", "{d}/x.safetensors"], "needs --from"),
        (
            ["plane", "train", "fm", "--data", "moons", "--out", "{d}/x.safetensors", "--from", "{m}/fm.safetensors"],
            "--from applies to plane train reflow only",
        ),
        (
            ["plane", "train", "realnvp", "--data", "moons", "--out", "{d}/x.safetensors", "--pairing", "ot"],
            "--pairing applies to plane train fm only",
        ),
        (
            [
                "plane",
                "train",
                "reflow",
                "--data",
                "ring",
                "--from",
                "{m}/fm.safetensors",
                "--out",
                "{d}/x.safetensors",
            ],
            "trained on other data",
        ),
        (
            [
                "plane",
                "train",
                "reflow",
                "--data",
                "moons",
                "--from",
                "{m}/nvp.safetensors",
                "--out",
                "{d}/x.safetensors",
            ],
            "reflow needs a 2-D Lab flow-matching field",
        ),
        (["plane", "train", "fm", "--data", "moons", "--out", "{d}/x.safetensors", "--steps", "0"], "--steps must be"),
        (
            ["plane", "train", "fm", "--data", "moons", "--out", "{d}/x.safetensors", "--pairing", "greedy"],
            "invalid choice",
        ),
        (
            ["plane", "sample", "{m}/fm.safetensors", "--out", "{d}/x.csv", "--sampler", "ddim"],
            "samples with euler, heun",
        ),
        (["plane", "nll", "{m}/fm.safetensors", "--data", "{d}/missing.csv"], "No points file"),
        (
            ["plane", "train", "fm", "--data", "moons", "--out", "{d}/x.safetensors", "--pairs", "900"],
            "--pairs and --pair-nfe apply to plane train reflow only",
        ),
    ],
)
def test_refusals_are_one_line(models, tmp_path, capsys, argv, says):
    code = main([a.format(d=tmp_path, m=models) for a in argv]) if "invalid choice" not in says else None
    if code is None:
        with pytest.raises(SystemExit) as exit_:
            main([a.format(d=tmp_path, m=models) for a in argv])
        code = exit_.value.code
    err = capsys.readouterr().err
    assert code == 2 and says in err and err.count("\n") == 1
    assert not (tmp_path / "x.safetensors").exists()


def test_nll_refuses_a_model_without_a_likelihood(tmp_path, capsys):
    ddpm = tmp_path / "ddpm.safetensors"  # the refusal reads the kind alone, before any weights
    save_checkpoint(
        ddpm, Checkpoint("plane-ddpm", {}, {"w": torch.zeros(1)}, {"steps": 1, "dataset": {}, "metrics": {}})
    )
    assert main(["plane", "nll", str(ddpm), "--data", "ring"]) == 2
    err = capsys.readouterr().err
    assert "only a bound" in err and err.count("\n") == 1
