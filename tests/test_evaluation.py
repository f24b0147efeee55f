"""The evaluation generator and `gen-explorer eval`: rows, the floor, progress, missing checkpoints."""

import shutil

import numpy as np
import pytest
from generators import collect

from explorer.cli import main
from explorer.core.evaluation.evaluate import FLOOR, EvalResult, evaluate_models, format_table
from explorer.core.runtime.errors import ExplorerError


@pytest.fixture
def no_shipped_models(tmp_path, monkeypatch):
    """Point every model's shipped checkpoint into an empty folder (the lead's real ones may appear any time)."""
    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)
    return tmp_path


def test_a_model_is_scored_against_the_test_set_next_to_the_floor(tiny_vae_checkpoint, tmp_path):
    progress, result = collect(evaluate_models(["vae", "gan"], n=60, seed=3, device="cpu", reference_limit=1000,
                                           checkpoints={"vae": tiny_vae_checkpoint, "gan": tmp_path / "no.safetensors"}))
    assert isinstance(result, EvalResult) and [r.name for r in result.rows] == ["vae", FLOOR]
    assert "gan" in result.missing and "no checkpoint" in result.missing["gan"]
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert [p.row.name for p in progress if p.row] == ["vae", FLOOR]
    vae, floor = result.row("vae"), result.row(FLOOR)
    assert vae.n == floor.n == 60 and result.reference == 1000
    assert floor.fid < vae.fid and floor.kid < vae.kid  # a one-epoch VAE is far from real digits
    assert floor.score > 5.0 and 1.0 <= vae.score <= 10.0
    assert vae.histogram.sum() == 60 and vae.samples.shape == (60, 28, 28)
    assert 0.0 <= vae.samples.min() and vae.samples.max() <= 1.0
    assert "test accuracy" in result.classifier


def test_the_same_seed_gives_the_same_scores(tiny_vae_checkpoint):
    def scores(seed):
        _, result = collect(evaluate_models(["vae"], n=50, seed=seed, device="cpu", reference_limit=500,
                                        checkpoints={"vae": tiny_vae_checkpoint}))
        return [(r.fid, r.kid) for r in result.rows]

    assert scores(1) == scores(1) and scores(1) != scores(2)


def test_bad_requests_are_refused_before_any_work():
    with pytest.raises(ExplorerError, match="-n must be between"):
        next(evaluate_models(["vae"], n=5))
    with pytest.raises(ExplorerError, match="Unknown model"):
        next(evaluate_models(["flow"], n=100))


def test_eval_of_a_model_without_checkpoint_exits_2_with_a_message(no_shipped_models, capsys):
    assert main(["eval", "gan", "-n", "100"]) == 2
    err = capsys.readouterr().err
    assert "no checkpoint" in err and "gen-explorer train gan" in err
    assert main(["eval", "vae", "-n", "10"]) == 2
    assert "-n must be between" in capsys.readouterr().err


def test_eval_all_scores_what_is_there_and_names_what_is_missing(no_shipped_models, tiny_vae_checkpoint, capsys):
    shutil.copy(tiny_vae_checkpoint, no_shipped_models / "vae.safetensors")
    assert main(["eval", "all", "-n", "60", "--seed", "1", "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "vae " in out and "floor " in out and out.count("no checkpoint") >= 2
    table_line = next(line for line in out.splitlines() if line.startswith("vae "))
    assert float(table_line.split()[1]) > 0  # the FID column


def test_format_table_lists_each_row_and_its_histogram(tiny_vae_checkpoint):
    _, result = collect(evaluate_models(["vae"], n=50, device="cpu", reference_limit=500,
                                    checkpoints={"vae": tiny_vae_checkpoint}))
    lines = format_table(result).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("class histogram"))
    floor_hist = next(line for line in lines[start:] if line.startswith("floor"))
    assert sum(float(v) for v in floor_hist.split()[1:]) == pytest.approx(100.0, abs=0.1)
    assert np.isfinite(result.row("vae").fid)


def test_the_ddpm_is_drawn_with_the_chosen_eta(tmp_path, capsys):
    from explorer.core.diffusion import DDPMConfig, SamplerConfig, train_ddpm
    from explorer.core.runtime.checkpoints import save_checkpoint
    from explorer.core.runtime.jobs import run_to_end

    ckpt = save_checkpoint(tmp_path / "ddpm.safetensors", run_to_end(train_ddpm(
        DDPMConfig(base_channels=8, steps=2, train_limit=64, timesteps=20), device="cpu")))
    fids = {}
    for eta in (0.0, 1.0):
        _, result = collect(evaluate_models(["ddpm"], n=50, device="cpu", reference_limit=200,
                                        checkpoints={"ddpm": ckpt}, ddpm_sampler=SamplerConfig(eta=eta)))
        fids[eta] = result.row("ddpm").fid
        assert f"drawn by DDIM in 50 steps with η = {eta:g}." in format_table(result)
    assert fids[0.0] != fids[1.0]  # η = 0 and η = 1 draw different digits from the same seed
    assert main(["eval", "ddpm", "-n", "50", "--eta", "2"]) == 2
    assert "--eta must be a number from 0 to 1" in capsys.readouterr().err
