"""The Evaluate panel, driven as a user would: models without checkpoints, a run to the end, a stop."""

import multiprocessing
import shutil
from datetime import datetime, timezone

import numpy as np
import pytest
from layout_audit import layout_problems
from layout_watch import layout_requests

from explorer.core.diffusion.sampler import SamplerConfig
from explorer.core.evaluation.evaluate import FLOOR, EvalResult, EvalRow
from explorer.core.evaluation.record import record_json
from explorer.ui.panels.evaluate import EvaluatePanel
from explorer.ui.panels.evaluate.score_table import STATUS


@pytest.fixture
def no_record(tmp_path, monkeypatch):
    """The panel opens on no recorded evaluation (the shipped one may or may not be there)."""
    monkeypatch.setattr("explorer.ui.panels.evaluate.panel.RECORD", tmp_path / "no-evaluation.json")


@pytest.fixture
def panel(open_panel, tiny_vae_checkpoint, tmp_path, no_record):
    def point_at_test_checkpoints(widget):
        widget.checkpoints = {
            "vae": tiny_vae_checkpoint,
            "ddpm": tmp_path / "ddpm.safetensors",
            "gan": tmp_path / "gan.safetensors",
        }
        widget.reference_limit = 1000
        widget.refresh_availability()

    return open_panel(EvaluatePanel, point_at_test_checkpoints, size=(1500, 900))


def test_models_without_a_checkpoint_are_shown_as_such(panel):
    for name in ("ddpm", "gan"):
        assert (
            not panel.controls.model_boxes[name].isEnabled()
            and "no checkpoint" in panel.controls.model_boxes[name].text()
        )
        assert panel.cell(name, STATUS) == "no checkpoint"
    assert panel.controls.model_boxes["vae"].isEnabled() and panel.cell("vae", STATUS) == "not evaluated"


def test_a_checkpoint_that_appears_later_is_offered(panel, tiny_vae_checkpoint):
    shutil.copy(tiny_vae_checkpoint, panel.checkpoints["gan"].with_name("vae-copy.safetensors"))
    panel.checkpoints["ddpm"] = panel.checkpoints["gan"].with_name("vae-copy.safetensors")
    panel.refresh_availability()
    assert panel.controls.model_boxes["ddpm"].isEnabled() and panel.controls.model_boxes["ddpm"].isChecked()
    assert panel.cell("ddpm", STATUS) == "not evaluated" and "no checkpoint" not in panel.cards.grids["ddpm"].label.text


def test_the_form_and_the_evaluate_button_follow_the_panels_state(panel):
    """The boxes and spin boxes write the state and show its changes; the run is built from the state."""
    boxes = panel.controls.model_boxes
    assert panel.state.models >= {"vae"} and boxes["vae"].isChecked()  # ticked: it has a checkpoint
    assert "ddpm" not in panel.state.models and not boxes["ddpm"].isChecked()  # no checkpoint: not ticked
    boxes["vae"].setChecked(False)
    assert "vae" not in panel.state.models
    panel.state.update(models=panel.state.models | {"vae"}, n=700, seed=5)
    assert boxes["vae"].isChecked() and (panel.controls.n.value(), panel.controls.seed.value()) == (700, 5)
    panel.controls.n.setValue(900)
    job = panel.state.evaluation_job(panel.available(), panel.checkpoints, "cpu")
    assert job.kwargs["models"] == ["vae"] and (job.kwargs["n"], job.kwargs["seed"]) == (900, 5)
    panel.state.update(busy=True)
    assert not panel.controls.evaluate_button.isEnabled() and not boxes["vae"].isEnabled()
    panel.state.update(busy=False)
    assert panel.controls.evaluate_button.isEnabled() and boxes["vae"].isEnabled()


def test_evaluate_runs_in_the_background_and_fills_the_table_grids_and_histograms(panel, qtbot):
    with qtbot.waitSignal(panel.runner.busy_changed, timeout=5000, check_params_cb=lambda busy: busy):
        panel.start_evaluation(n=60, seed=0)
    assert not panel.controls.evaluate_button.isEnabled() and not panel.controls.model_boxes["vae"].isEnabled()
    assert panel.cell("vae", STATUS) in ("waiting…", "running…")
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=120000)
    assert panel.controls.evaluate_button.isEnabled() and panel.result is not None
    for name in ("vae", FLOOR):
        assert float(panel.cell(name, 0)) == pytest.approx(panel.result.row(name).fid, abs=0.01)
        assert panel.cell(name, STATUS) == "done, N = 60"
        assert panel.cards.grids[name].pixels() is not None and panel.cards.grids[name].n == 36
        assert panel.cards.histograms[name].percentages().sum() == pytest.approx(100.0)
    assert float(panel.cell(FLOOR, 0)) < float(panel.cell("vae", 0))
    np.testing.assert_allclose(
        panel.cards.histograms["vae"].percentages(), panel.result.row("vae").histogram / 60 * 100
    )
    assert panel.cell("gan", STATUS) == "no checkpoint" and "Done" in panel.controls.status.text()
    assert multiprocessing.active_children() == []


def test_stop_ends_the_run_and_says_so(panel, qtbot):
    panel.start_evaluation(n=20000, seed=0)
    qtbot.waitUntil(
        lambda: panel.cell("vae", STATUS) == "running…" or "drew" in panel.controls.status.text(), timeout=60000
    )
    panel.runner.stop()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=20000)
    assert panel.cell(FLOOR, STATUS) == "stopped" and "did not finish" in panel.controls.status.text()
    assert panel.controls.evaluate_button.isEnabled() and multiprocessing.active_children() == []


def test_progress_lines_change_without_laying_out_the_window_again(panel, qtbot):
    from explorer.core.evaluation.evaluate import EvalProgress

    def progress():
        for i in range(5):  # as each step of an evaluation does
            panel._on_progress(EvalProgress(i / 5, f"DDPM, row 2 of 7: drew {32 * i} of 5000 digits", model="ddpm"))
            qtbot.wait(10)

    box = panel.controls.status.parentWidget()
    assert (
        layout_requests(box, progress, qtbot) == 0
        and panel.controls.status.text() == "80% of the run · DDPM, row 2 of 7: drew 128 of 5000 digits"
    )
    assert panel.controls.status.width() <= box.contentsRect().width()


def _row(name, seconds, confidence=None):
    histogram = np.array([500, 480, 520, 510, 490, 500, 505, 495, 500, 500])
    return EvalRow(
        name,
        5000,
        12.345,
        1.2345,
        0.0512,
        9.456,
        0.187,
        histogram,
        np.random.default_rng(0).random((64, 28, 28), dtype=np.float32),
        seconds,
        confidence=confidence,
    )


def test_the_panel_opens_on_the_recorded_evaluation_and_marks_a_changed_model_stale(
    open_panel, tiny_vae_checkpoint, tmp_path, monkeypatch
):
    model = tmp_path / "vae.safetensors"
    shutil.copy(tiny_vae_checkpoint, model)
    result = EvalResult(
        [_row("vae", 0.0123, 0.93214), _row(FLOOR, 2.04)],
        {},
        5000,
        0,
        10000,
        "MNIST classifier (test accuracy 99.08%)",
        321.0,
        SamplerConfig(),
    )
    record = tmp_path / "evaluation.json"
    record.write_bytes(record_json(result, {"vae": model}, date=datetime(2025, 11, 29, 20, 0, tzinfo=timezone.utc)))
    monkeypatch.setattr("explorer.ui.panels.evaluate.panel.RECORD", record)

    def point_at(widget):
        widget.checkpoints = {"vae": model, "ddpm": tmp_path / "ddpm.safetensors", "gan": tmp_path / "gan.safetensors"}
        widget.refresh_availability()

    panel = open_panel(EvaluatePanel, point_at, size=(1500, 900))
    assert "recorded on 2025-11-29 with N = 5000" in panel.controls.status.text()
    for name in ("vae", FLOOR):
        assert [panel.cell(name, c) for c in range(STATUS)] == [  # a record from before confidence: a dash
            "12.35",
            "1.23 ± 0.05",
            "9.46 ± 0.19",
            "0.932" if name == "vae" else "—",
            "12 ms" if name == "vae" else "2.0 s",
        ]
        assert panel.cell(name, STATUS) == "recorded, N = 5000"
        assert panel.cards.grids[name].n == 36 and panel.cards.histograms[name].percentages().sum() == pytest.approx(
            100.0
        )
    assert panel.cell("gan", STATUS) == "no checkpoint" and panel.result is None  # the record is not the learner's run
    with open(model, "ab") as f:
        f.write(b"trained on")
    panel.refresh_availability()  # as on showing the tab again
    assert panel.cell("vae", STATUS) == "stale: file changed" and panel.cell("vae", 0) == "12.35"
    assert panel.cell(FLOOR, STATUS) == "recorded, N = 5000"


def test_evaluate_keeps_the_recorded_rows_until_new_ones_replace_them(
    open_panel, tiny_vae_checkpoint, tmp_path, monkeypatch, qtbot
):
    model = tmp_path / "vae.safetensors"
    shutil.copy(tiny_vae_checkpoint, model)
    result = EvalResult(
        [_row("vae", 0.0123, 0.93214), _row(FLOOR, 2.04)],
        {},
        5000,
        0,
        10000,
        "MNIST classifier (test accuracy 99.08%)",
        321.0,
        SamplerConfig(),
    )
    record = tmp_path / "evaluation.json"
    record.write_bytes(record_json(result, {"vae": model}, date=datetime(2025, 11, 29, 20, 0, tzinfo=timezone.utc)))
    monkeypatch.setattr("explorer.ui.panels.evaluate.panel.RECORD", record)

    def point_at(widget):
        widget.checkpoints = {"vae": model, "ddpm": tmp_path / "ddpm.safetensors", "gan": tmp_path / "gan.safetensors"}
        widget.reference_limit = 1000
        widget.refresh_availability()

    panel = open_panel(EvaluatePanel, point_at, size=(1500, 900))
    panel.start_evaluation(n=20000, seed=0)  # too long to finish: stopped below
    assert panel.cell("vae", 0) == "12.35" and panel.cell("vae", STATUS) == "N = 5000; new run waiting…"
    qtbot.waitUntil(lambda: panel.cell("vae", STATUS) == "N = 5000; running…", timeout=60000)
    assert panel.cell("vae", 0) == "12.35" and panel.cards.grids["vae"].n == 36  # still the recorded numbers
    panel.runner.stop()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=30000)
    for name in ("vae", FLOOR):  # Stop leaves what was there
        assert panel.cell(name, 0) == "12.35" and panel.cell(name, STATUS) == "recorded, N = 5000"
    assert "keep what they showed before" in panel.controls.status.text()
    panel.start_evaluation(n=60, seed=0)  # a complete run replaces them, each row marked by its N
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=120000)
    for name in ("vae", FLOOR):
        assert panel.cell(name, STATUS) == "done, N = 60" and panel.cell(name, 0) != "12.35"


@pytest.fixture
def window(window_showing):
    return window_showing("evaluate")


@pytest.mark.parametrize("size", [(1280, 720), (1500, 950)])
def test_the_panel_lays_out_cleanly_on_a_laptop_screen_and_the_default_window(window, qtbot, size):
    window.resize(*size)
    qtbot.wait(50)
    assert window.size().toTuple() == size
    assert layout_problems(window.panels["evaluate"]) == []


def test_on_a_small_window_the_cards_and_the_table_scroll_instead_of_cutting_text(open_panel, no_record, qtbot):
    """At the window's minimum the panel is lower than its cards: they scroll, so nothing below them
    (the help's end) is cut off; and the table scrolls sideways rather than eliding its numbers."""
    panel = open_panel(EvaluatePanel, size=(1024, 520))
    qtbot.wait(50)
    assert panel.minimumSizeHint().height() <= 520 and panel.height() == 520
    table = panel.table
    row = EvalRow(FLOOR, 5000, 123.45, 124.57, 5.65, 6.69, 0.05, np.zeros(10), np.zeros((1, 28, 28)), 1.0)
    table.show_row(row)
    qtbot.wait(50)
    for column in range(table.columnCount()):
        assert table.columnWidth(column) >= table.sizeHintForColumn(column), f"column {column} cuts its text"
    rows_bottom = table.rowViewportPosition(table.rowCount() - 1) + table.rowHeight(table.rowCount() - 1)
    assert rows_bottom <= table.viewport().height(), "the floor's row is hidden"
    assert layout_problems(panel) == []
