"""`gen-explorer plane train gmm`, and `plane sample` / `plane nll` on its checkpoint: EM headless, one-line
refusals."""

import numpy as np
import pytest

from explorer.cli import main
from explorer.core.plane.data import fingerprint, load_points_csv, make_preset, save_points_csv
from explorer.core.runtime.checkpoints import load_checkpoint


@pytest.fixture(scope="module")
def gmm_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gmm")
    data = save_points_csv(folder / "drawn.csv", make_preset("mixture", 400))
    out = folder / "gmm.safetensors"
    assert (
        main(
            [
                "plane",
                "train",
                "gmm",
                "--components",
                "3",
                "--data",
                str(data),
                "--out",
                str(out),
                "--iterations",
                "30",
                "--seed",
                "2",
            ]
        )
        == 0
    )
    return out, data


def test_the_checkpoint_records_its_data_and_fit(gmm_checkpoint):
    out, data = gmm_checkpoint
    ckpt = load_checkpoint(out, kind="gmm")
    recorded = {"source": "drawn.csv", "fingerprint": fingerprint(load_points_csv(data)), "points": 400}
    assert ckpt.info["dataset"] == recorded
    assert ckpt.config["components"] == 3 and ckpt.config["seed"] == 2 and ckpt.info["steps"] == 30
    assert ckpt.info["training"]["command"].startswith("gen-explorer plane train gmm --components 3")
    assert tuple(ckpt.state["covariances"].shape) == (3, 2, 2)


def test_sample_and_nll(gmm_checkpoint, tmp_path, capsys):
    out, data = gmm_checkpoint
    for name in ("a", "b"):
        target = str(tmp_path / f"{name}.csv")
        assert main(["plane", "sample", str(out), "-n", "40", "--out", target, "--seed", "5"]) == 0
    a = load_points_csv(tmp_path / "a.csv")
    assert a.shape == (40, 2) and np.array_equal(a, load_points_csv(tmp_path / "b.csv"))
    capsys.readouterr()
    assert main(["plane", "nll", str(out), "--data", str(data)]) == 0
    train_nll = load_checkpoint(out).info["metrics"]["train_nll"]
    assert f"NLL {train_nll:.4f} nats per point (400 points" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, says",
    [
        (
            ["plane", "train", "gmm", "--components", "13", "--data", "ring", "--out", "m.safetensors"],
            "--components must be",
        ),
        (["plane", "train", "gmm", "--floor", "0", "--data", "ring", "--out", "m.safetensors"], "--floor must be"),
        (
            ["plane", "train", "gmm", "--data", "ring", "--out", "m.safetensors", "--steps", "5"],
            "EM takes --iterations",
        ),
        (["plane", "train", "score", "--components", "3", "--data", "ring", "--out", "m.safetensors"], "gmm only"),
        (["plane", "sample", "MODEL", "-n", "5", "--out", "p.csv", "--sampler", "ddpm"], "sampled exactly"),
        (["plane", "nll", "MODEL", "--data", "blob"], "--data takes a preset"),
        (["plane", "nll", "nothing.safetensors", "--data", "ring"], "No checkpoint"),
    ],
)
def test_refusals_are_one_line(gmm_checkpoint, tmp_path, capsys, monkeypatch, argv, says):
    monkeypatch.chdir(tmp_path)
    argv = [str(gmm_checkpoint[0]) if a == "MODEL" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1
