"""The evaluation generator and `gen-explorer eval`: rows, the floor, progress, missing checkpoints."""

import shutil
from dataclasses import replace

import numpy as np
import pytest
from generators import collect

from explorer.cli import main
from explorer.core.evaluation.evaluate import FLOOR, EvalResult, evaluate_models, format_duration, format_table
from explorer.core.evaluation.record import RECORDED_SAMPLES, file_digest, read_record, stale_rows, write_record
from explorer.core.families import FAMILIES
from explorer.core.runtime.errors import ExplorerError


@pytest.fixture
def no_shipped_models(tmp_path, monkeypatch):
    """Point every model's shipped checkpoint into an empty folder (the lead's real ones may appear any time)."""
    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)
    return tmp_path


def test_a_model_is_scored_against_the_test_set_next_to_the_floor(tiny_vae_checkpoint, tmp_path):
    progress, result = collect(
        evaluate_models(
            ["vae", "gan"],
            n=60,
            seed=3,
            device="cpu",
            reference_limit=1000,
            checkpoints={"vae": tiny_vae_checkpoint, "gan": tmp_path / "no.safetensors"},
        )
    )
    assert isinstance(result, EvalResult) and [r.name for r in result.rows] == ["vae", FLOOR]
    assert "gan" in result.missing and "no checkpoint" in result.missing["gan"]
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    assert [p.row.name for p in progress if p.row] == ["vae", FLOOR]
    vae, floor = result.row("vae"), result.row(FLOOR)
    assert vae.n == floor.n == 60 and result.reference == 1000
    assert floor.fid < vae.fid and floor.kid < vae.kid  # a one-epoch VAE is far from real digits
    assert floor.score > 5.0 and 1.0 <= vae.score <= 10.0
    assert floor.confidence > 0.95 and 0.1 <= vae.confidence < floor.confidence  # real digits read surely
    assert vae.histogram.sum() == 60 and vae.samples.shape == (60, 28, 28)
    assert vae.samples.min() >= 0.0 and vae.samples.max() <= 1.0
    assert "test accuracy" in result.classifier


def test_the_same_seed_gives_the_same_scores(tiny_vae_checkpoint):
    def scores(seed):
        _, result = collect(
            evaluate_models(
                ["vae"], n=50, seed=seed, device="cpu", reference_limit=500, checkpoints={"vae": tiny_vae_checkpoint}
            )
        )
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
    _, result = collect(
        evaluate_models(["vae"], n=50, device="cpu", reference_limit=500, checkpoints={"vae": tiny_vae_checkpoint})
    )
    lines = format_table(result).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("class histogram"))
    floor_hist = next(line for line in lines[start:] if line.startswith("floor"))
    assert sum(float(v) for v in floor_hist.split()[1:]) == pytest.approx(100.0, abs=0.1)
    assert np.isfinite(result.row("vae").fid)


def test_the_ddpm_is_drawn_with_the_chosen_eta(tmp_path, capsys):
    from explorer.core.diffusion import DDPMConfig, SamplerConfig, train_ddpm
    from explorer.core.runtime.checkpoints import save_checkpoint
    from explorer.core.runtime.jobs import run_to_end

    ckpt = save_checkpoint(
        tmp_path / "ddpm.safetensors",
        run_to_end(train_ddpm(DDPMConfig(base_channels=8, steps=2, train_limit=64, timesteps=20), device="cpu")),
    )
    fids = {}
    for eta in (0.0, 1.0):
        _, result = collect(
            evaluate_models(
                ["ddpm"],
                n=50,
                device="cpu",
                reference_limit=200,
                checkpoints={"ddpm": ckpt},
                ddpm_sampler=SamplerConfig(eta=eta),
            )
        )
        fids[eta] = result.row("ddpm").fid
        assert f"drawn by DDIM in 50 steps with η = {eta:g}." in format_table(result)
    assert fids[0.0] != fids[1.0]  # η = 0 and η = 1 draw different digits from the same seed
    assert main(["eval", "ddpm", "-n", "50", "--eta", "2"]) == 2
    assert "--eta must be a number from 0 to 1" in capsys.readouterr().err


def test_draw_times_below_a_second_are_in_milliseconds():
    assert [format_duration(s) for s in (0.0004, 0.0123, 0.9994, 0.9996, 1.0, 12.34)] == [
        "0 ms",
        "12 ms",
        "999 ms",
        "1.0 s",
        "1.0 s",
        "12.3 s",
    ]


def test_the_table_prints_every_score_to_two_decimals(tiny_vae_checkpoint):
    _, result = collect(
        evaluate_models(["vae"], n=50, device="cpu", reference_limit=500, checkpoints={"vae": tiny_vae_checkpoint})
    )
    for name in ("vae", FLOOR):
        line = next(line for line in format_table(result).splitlines() if line.startswith(f"{name} "))
        fid_text, kid_text, _, kid_std, is_text, _, is_std, confidence, *draw = line.split()[1:]
        assert all(len(t.split(".")[1]) == 2 for t in (fid_text, kid_text, kid_std, is_text, is_std))
        # conf. to 4 decimals: a target of "within 0.03 of the floor's" needs the fourth to be read
        assert float(confidence) == pytest.approx(result.row(name).confidence, abs=5e-5)
        assert draw[-1] in ("ms", "s")
    assert float(is_std) > 0  # the floor's IS at N = 50, one split: it used to be ± 0.00


def _record_of_a_tiny_run(tiny_vae_checkpoint, path, classifier=None):
    from explorer.core.evaluation.classifier import CLASSIFIER_CHECKPOINT

    _, result = collect(
        evaluate_models(
            ["vae"], n=60, seed=2, device="cpu", reference_limit=500, checkpoints={"vae": tiny_vae_checkpoint}
        )
    )
    write_record(path, result, {"vae": tiny_vae_checkpoint}, classifier or CLASSIFIER_CHECKPOINT)
    return result


def test_a_record_reads_back_as_it_was_written(tiny_vae_checkpoint, tmp_path):
    result = _record_of_a_tiny_run(tiny_vae_checkpoint, tmp_path / "evaluation.json")
    recorded = read_record(tmp_path / "evaluation.json")
    assert recorded.result.n == 60 and recorded.result.seed == 2 and recorded.result.reference == 500
    assert recorded.result.classifier == result.classifier and "test accuracy" in recorded.result.classifier
    assert recorded.result.ddpm_sampler == result.ddpm_sampler and recorded.day == recorded.date[:10]
    assert recorded.result.embed_seconds == result.embed_seconds > 0  # the next run's plan weighs embedding by it
    for mine, back in zip(result.rows, recorded.result.rows, strict=True):
        assert (
            back.name,
            back.n,
            back.fid,
            back.kid,
            back.kid_std,
            back.score,
            back.score_std,
            back.seconds,
            back.confidence,
        ) == (
            mine.name,
            mine.n,
            mine.fid,
            mine.kid,
            mine.kid_std,
            mine.score,
            mine.score_std,
            mine.seconds,
            mine.confidence,
        )
        assert back.histogram.tolist() == mine.histogram.tolist()
        assert back.samples.shape == (RECORDED_SAMPLES, 28, 28)  # as uint8: within half a grey level
        np.testing.assert_allclose(back.samples, mine.samples[:RECORDED_SAMPLES], atol=0.5 / 255 + 1e-6)
    assert len(recorded.digests["vae"]) == 16 and recorded.digests["vae"] == file_digest(tiny_vae_checkpoint)
    assert stale_rows(recorded, {"vae": tiny_vae_checkpoint}) == set()


def test_a_row_is_stale_once_its_checkpoint_changes_and_every_row_once_the_judge_does(tiny_vae_checkpoint, tmp_path):
    from explorer.core.evaluation.classifier import CLASSIFIER_CHECKPOINT

    model, judge = tmp_path / "vae.safetensors", tmp_path / "classifier.safetensors"
    shutil.copy(tiny_vae_checkpoint, model)
    shutil.copy(CLASSIFIER_CHECKPOINT, judge)
    _record_of_a_tiny_run(model, tmp_path / "evaluation.json", classifier=judge)
    recorded = read_record(tmp_path / "evaluation.json")
    assert stale_rows(recorded, {"vae": model}, judge) == set()
    with open(model, "ab") as f:
        f.write(b"retrained")
    assert stale_rows(recorded, {"vae": model}, judge) == {"vae"}
    shutil.copy(tiny_vae_checkpoint, model)
    with open(judge, "ab") as f:
        f.write(b"retrained")
    assert stale_rows(recorded, {"vae": model}, judge) == {"vae", FLOOR}


def test_no_record_is_none_and_a_damaged_one_says_so(tmp_path):
    assert read_record(tmp_path / "evaluation.json") is None
    (tmp_path / "evaluation.json").write_text('{"format": 1, "rows": [')
    with pytest.raises(ExplorerError, match="not a readable evaluation record"):
        read_record(tmp_path / "evaluation.json")


def test_eval_all_record_writes_the_record_and_only_with_the_flag(
    no_shipped_models, tiny_vae_checkpoint, monkeypatch, capsys
):
    from explorer.cli import build_parser

    assert build_parser().parse_args(["eval", "all"]).record is False  # tests and users do not overwrite it
    record = no_shipped_models / "evaluation.json"
    monkeypatch.setattr("explorer.core.evaluation.record.RECORD", record)
    shutil.copy(tiny_vae_checkpoint, no_shipped_models / "vae.safetensors")
    assert main(["eval", "vae", "-n", "60", "--record"]) == 2
    assert "eval all --record" in capsys.readouterr().err and not record.exists()
    assert main(["eval", "all", "-n", "60", "--seed", "1", "--device", "cpu", "--record"]) == 0
    assert f"Recorded in {record}" in capsys.readouterr().out
    recorded = read_record(record)
    assert [r.name for r in recorded.result.rows] == ["vae", FLOOR] and set(recorded.result.missing) == set(
        FAMILIES
    ) - {"vae"}
    assert recorded.result.n == 60 and recorded.result.reference == 10000
    assert stale_rows(recorded, {"vae": no_shipped_models / "vae.safetensors"}) == set()


def test_the_run_is_weighted_by_what_each_part_is_expected_to_cost_and_its_time_left_follows():
    from explorer.core.evaluation.plan import DRAW, EMBED, EMBED_KEY, TEST, plan_evaluation
    from explorer.core.runtime.progress import time_left

    costs = {"vae": 1.0, "ddpm": 8.0, FLOOR: 0.5, EMBED_KEY: 0.1}  # seconds per image
    plan = plan_evaluation(["vae", "ddpm", FLOOR], n=10, reference=100, costs=costs)
    # test 10, vae 10 + 1, ddpm 80 + 1, floor 5 + 1: 108 in all
    assert plan.total == pytest.approx(108.0)
    assert plan.fraction(TEST, EMBED, 0.5) == pytest.approx(5 / 108)
    assert plan.after("vae") == pytest.approx(21 / 108)
    assert plan.fraction("ddpm", DRAW, 0.5) == pytest.approx(61 / 108)
    assert plan.after(FLOOR) == 1.0
    # At the pace the weights foretell (one cost unit a second), the time left is what the parts still cost.
    assert time_left(plan.after("vae"), 21.0) == "0:21 elapsed, about 1:27 left"
    assert time_left(plan.fraction("ddpm", DRAW, 0.5), 61.0) == "1:01 elapsed, about 0:47 left"


def test_expected_costs_come_from_the_record_scaled_by_the_sampler():
    from explorer.core.diffusion.sampler import SamplerConfig
    from explorer.core.evaluation.evaluate import EvalRow
    from explorer.core.evaluation.plan import EMBED_KEY, expected_costs

    def row(name, seconds):
        return EvalRow(name, 1000, 1.0, 0.1, 0.01, 9.0, 0.1, np.full(10, 100), np.zeros((1, 28, 28)), seconds)

    recorded = EvalResult(
        [row("vae", 0.1), row("ddpm", 40.0), row("gan", 2.0), row(FLOOR, 1.0)], {}, 1000, 0, 10000, "judge", 60.0
    )
    ddim50 = recorded.ddpm_sampler
    assert ddim50 == SamplerConfig("ddim", 50)
    costs = expected_costs(["vae", "ddpm", "pixelcnn", FLOOR], recorded, ddim50)
    assert costs == pytest.approx({"vae": 1e-4, "ddpm": 0.04, "pixelcnn": 0.002, FLOOR: 1e-3, EMBED_KEY: 1e-4})
    ancestral = expected_costs(["ddpm"], recorded, SamplerConfig("ddpm"))  # all T = 1000 steps, not 50
    assert ancestral["ddpm"] == pytest.approx(0.04 * 1000 / 50)
    assert set(expected_costs(["vae", FLOOR], None, ddim50).values()) == {1.0}  # no record: alike
    timed = replace(recorded, embed_seconds=3e-4)  # a record that measured its embedding
    assert expected_costs(["vae"], timed, ddim50)[EMBED_KEY] == pytest.approx(3e-4)


def test_a_run_weighted_by_its_costs_reports_one_growing_fraction_that_ends_at_one(tiny_vae_checkpoint, tmp_path):
    from explorer.core.evaluation.plan import EMBED_KEY, plan_evaluation

    costs = {"vae": 1.0, "gan": 50.0, FLOOR: 0.01, EMBED_KEY: 0.01}
    progress, _ = collect(
        evaluate_models(
            ["vae", "gan"],
            n=1200,  # three chunks of the VAE's draws, of 500, 500 and 200
            device="cpu",
            reference_limit=500,
            checkpoints={"vae": tiny_vae_checkpoint, "gan": tmp_path / "none.safetensors"},
            costs=costs,
        )
    )
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    plan = plan_evaluation(["vae", "gan", FLOOR], 1200, 500, costs)
    drawing = [p for p in progress if p.model == "vae" and "drew" in p.stage]
    assert [p.fraction for p in drawing] == pytest.approx(
        [plan.fraction("vae", "draw", d / 1200) for d in (500, 1000, 1200)]
    )
    skipped = next(p for p in progress if p.missing)  # the GAN's share passes at once: it has no checkpoint
    assert skipped.fraction == pytest.approx(plan.after("gan")) and skipped.fraction > 0.9
    assert drawing[0].summary().startswith(f"{100 * drawing[0].fraction:.0f}% of the run · VAE, row 1 of 3: drew 500")
