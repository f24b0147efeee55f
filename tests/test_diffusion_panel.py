"""The Diffusion panel, driven as a user would: slide t, run chains, scrub, step, play, cancel, export, train;
and as a learner first meets it: on a laptop screen, opening on a chain of the shipped model."""

import shutil

import numpy as np
import pytest
from layout_audit import layout_problems
from PIL import Image
from PySide6.QtCore import QSize, Qt

from explorer.core.diffusion import (
    DDPMConfig,
    SamplerConfig,
    ddpm_from_checkpoint,
    make_schedule,
    sample_chain,
    train_ddpm,
)
from explorer.core.diffusion.chain_record import to_grey
from explorer.core.diffusion.panel_state import DiffusionJob
from explorer.core.runtime.checkpoints import load_checkpoint, save_checkpoint
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.jobs import run_to_end
from explorer.ui.panels.diffusion import DiffusionPanel
from explorer.ui.panels.diffusion.display import abar_text, grey
from explorer.ui.widgets.image_grid import tile

TINY = DDPMConfig(base_channels=8, steps=3, train_limit=256, timesteps=100)  # T = 100 keeps DDPM chains quick


@pytest.fixture(scope="session")
def tiny_ddpm_checkpoint(tmp_path_factory):
    """A tiny DDPM (8 channels) trained for three steps by the project's own loop."""
    ckpt = run_to_end(train_ddpm(TINY, device="cpu"))
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-ddpm.safetensors", ckpt)


@pytest.fixture
def bare_panel(open_panel):
    return open_panel(DiffusionPanel)


@pytest.fixture
def panel(bare_panel, tiny_ddpm_checkpoint):
    bare_panel.load_checkpoint(tiny_ddpm_checkpoint)
    return bare_panel


def run_chain(panel, qtbot, sampler="ddim", n=3, seed=5, k=10, samplers=None):
    panel.state.update(n=n, seed=seed, sampler=sampler, steps=k)
    with qtbot.waitSignal(panel.runner.busy_changed, timeout=60000, check_params_cb=lambda busy: not busy):
        panel.start_chain(samplers)


def assert_shows(panel, record, k, sample):
    """The large views show exactly the stored frame k of ``sample``."""
    for kind, view in panel.chain_section.player.big.items():
        stored = record.image(k, kind, sample)
        np.testing.assert_array_equal(view.pixels(), grey(stored))
        np.testing.assert_array_equal(np.rint(view.pixels() * 255).astype(np.uint8), stored)


def test_without_a_model_the_panel_says_so_and_still_shows_the_forward_process(bare_panel, monkeypatch, tmp_path):
    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)  # no shipped checkpoint here
    bare_panel.load_shipped()
    assert "No diffusion model yet" in bare_panel.chain_section.chain_info.text()
    assert (
        not bare_panel.chain_section.run_button.isEnabled() and not bare_panel.chain_section.compare_button.isEnabled()
    )
    assert (
        bare_panel.training_section.train_button.isEnabled()
        and not bare_panel.chain_section.export.gif_button.isEnabled()
    )
    assert not bare_panel.chain_section.player.timeline.play_button.isEnabled()
    bare_panel.start_chain()
    assert not bare_panel.runner.busy
    bare_panel.forward_section.forward_t.setValue(400)
    assert bare_panel.forward_section.forward_views[2].pixels().shape == (28, 28)


def test_a_bad_shipped_checkpoint_raises_a_clear_error(bare_panel, monkeypatch, tmp_path):
    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)
    (tmp_path / "ddpm.safetensors").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        bare_panel.load_shipped()


def test_the_schedule_plot_shows_beta_alpha_bar_and_snr(bare_panel):
    for kind in ("linear", "cosine"):
        bare_panel.schedule_section.schedule_kind.setCurrentText(kind)
        schedule = make_schedule(kind, 1000)
        beta, abar, snr = bare_panel.schedule_section.schedule_plot.values_at(300)
        assert beta == pytest.approx(float(schedule.betas[299]), rel=1e-6)
        assert abar == pytest.approx(float(schedule.alphas_cumprod[299]), rel=1e-6)
        assert snr == pytest.approx(float(schedule.snr(299)), rel=1e-4)
    assert (
        bare_panel.schedule_section.schedule_plot.curves[1].yData.min() >= 1e-6
    )  # the cosine ᾱ_T is drawn at the floor


def test_alpha_bar_stays_readable_when_tiny():
    assert abar_text(0.85114) == "0.8511" and abar_text(4.036e-05) == "4.04e-05"


def test_sliding_t_noises_the_test_digit_by_the_closed_form(bare_panel):
    bare_panel.forward_section.digit.setValue(12)
    x0 = bare_panel.test.images[12].astype(np.float32) / 127.5 - 1
    eps = bare_panel.forward_section.forward_noise[0, 0].numpy()
    abar = bare_panel.view_schedule.alphas_cumprod.numpy()
    bare_panel.forward_section.forward_t.setValue(0)
    np.testing.assert_allclose(bare_panel.forward_section.forward_views[2].pixels(), (x0 + 1) / 2, atol=1e-6)
    for t in (1, 250, 1000):
        bare_panel.forward_section.forward_t.setValue(t)
        expected = np.sqrt(abar[t - 1]) * x0 + np.sqrt(1 - abar[t - 1]) * eps
        np.testing.assert_allclose(
            bare_panel.forward_section.forward_views[2].pixels(), np.clip((expected + 1) / 2, 0, 1), atol=1e-5
        )
        assert f"ᾱ_t = {abar_text(abar[t - 1])}:" in bare_panel.forward_section.forward_numbers.text()
    assert bare_panel.schedule_section.schedule_plot.forward_marker.value() == 1000


def test_scrubbing_shows_exactly_the_stored_frame(panel, qtbot, tiny_ddpm_checkpoint):
    run_chain(panel, qtbot, "ddim", n=3, seed=5, k=10)
    record = panel.chain_section.chains["ddim"]
    assert record.count == 10 and panel.chain_section.player.timeline.count == 10
    assert panel.chain_section.player.timeline.frame() == 9, "the timeline followed the chain to its last frame"
    # The stored frames are the chain's own, as the core computes it in this process.
    model, _ = ddpm_from_checkpoint(load_checkpoint(tiny_ddpm_checkpoint))
    reference = list(sample_chain(model, model.schedule, 3, record.config, seed=5))
    for k in (0, 4, 9):  # the child may sum in another order: allow one grey level
        assert np.abs(record.images[k, 2].astype(int) - to_grey(reference[k].x0_pred)).max() <= 1
    panel.chain_section.player.state.select(2)
    for k in (3, 0, 9, 6):
        panel.chain_section.player.timeline.slider.setValue(k)
        assert_shows(panel, record, k, 2)
        np.testing.assert_array_equal(
            panel.chain_section.player.grid.pixels(),
            tile(grey(record.images[k, 0]), panel.chain_section.player.grid.columns),
        )
        assert f"t = {record.t[k] + 1}" in panel.chain_section.player.timeline.info.text()
        assert f"ᾱ_t = {abar_text(record.alpha_bar[k])}<" in panel.chain_section.player.timeline.info.text()
        assert panel.schedule_section.schedule_plot.chain_marker.value() == record.t[k] + 1


def test_step_buttons_move_one_timestep_of_a_ddpm_chain(panel, qtbot):
    run_chain(panel, qtbot, "ddpm", n=1, seed=1)
    record = panel.chain_section.chains["ddpm"]
    assert record.count == TINY.timesteps and record.t[0] == TINY.timesteps - 1 and record.t[-1] == 0
    panel.chain_section.player.timeline.set_frame(50)
    t = record.t[50]
    qtbot.mouseClick(panel.chain_section.player.timeline.forward_button, Qt.MouseButton.LeftButton)
    assert panel.chain_section.player.timeline.frame() == 51 and record.t[51] == t - 1
    assert_shows(panel, record, 51, 0)
    qtbot.mouseClick(panel.chain_section.player.timeline.back_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.chain_section.player.timeline.back_button, Qt.MouseButton.LeftButton)
    assert panel.chain_section.player.timeline.frame() == 49 and record.t[49] == t + 1
    assert_shows(panel, record, 49, 0)
    panel.chain_section.player.timeline.set_frame(0)
    assert not panel.chain_section.player.timeline.back_button.isEnabled()
    panel.chain_section.player.timeline.set_frame(TINY.timesteps - 1)
    assert not panel.chain_section.player.timeline.forward_button.isEnabled()


def test_play_runs_to_the_end_at_the_chosen_speed_and_pause_holds(panel, qtbot):
    run_chain(panel, qtbot, "ddim", n=2, k=40)
    panel.chain_section.player.timeline.fps.setValue(50)
    panel.chain_section.player.timeline.set_frame(0)
    qtbot.mouseClick(panel.chain_section.player.timeline.play_button, Qt.MouseButton.LeftButton)
    assert (
        panel.chain_section.player.timeline.playing
        and panel.chain_section.player.timeline.play_button.text() == "Pause"
    )
    qtbot.waitUntil(lambda: panel.chain_section.player.timeline.frame() >= 5, timeout=3000)
    qtbot.mouseClick(panel.chain_section.player.timeline.play_button, Qt.MouseButton.LeftButton)
    held = panel.chain_section.player.timeline.frame()
    qtbot.wait(150)
    assert panel.chain_section.player.timeline.frame() == held and not panel.chain_section.player.timeline.playing
    panel.chain_section.player.timeline.fps.setValue(240)
    panel.chain_section.player.timeline.play()
    qtbot.waitUntil(lambda: not panel.chain_section.player.timeline.playing, timeout=5000)
    assert panel.chain_section.player.timeline.frame() == 39
    assert_shows(panel, panel.chain_section.chains["ddim"], 39, panel.selected)


def test_a_new_model_blanks_the_chain_views_until_its_first_chain(panel, qtbot, tiny_ddpm_checkpoint):
    run_chain(panel, qtbot, "ddim", n=4, k=5)
    panel.chain_section.player.state.select(2)
    panel.load_checkpoint(tiny_ddpm_checkpoint)  # a new model: the old chain no longer belongs
    for view in (
        panel.chain_section.player.grid,
        *panel.chain_section.player.big.values(),
    ):  # blank (white), not black squares that look like digits
        assert view.pixels() is None
    assert panel.chain_section.player.grid.n == 0 and not panel.chain_section.player.grid.box.isVisible()
    run_chain(panel, qtbot, "ddim", n=4, k=5)
    assert panel.chain_section.player.grid.n == 4 and panel.chain_section.player.grid.pixels().shape == (58, 58)


def test_clicking_a_digit_in_the_grid_selects_it(panel, qtbot):
    run_chain(panel, qtbot, "ddim", n=4, k=5)
    record = panel.chain_section.chains["ddim"]
    centre = panel.chain_section.player.grid.cell_centre(3)  # bottom right of a 2 x 2 grid
    scene = panel.chain_section.player.grid.image.mapToScene(centre)
    qtbot.mouseClick(
        panel.chain_section.player.grid.viewport(),
        Qt.MouseButton.LeftButton,
        pos=panel.chain_section.player.grid.mapFromScene(scene),
    )
    assert panel.selected == 3 and panel.chain_section.player.grid.box.isVisible()
    assert_shows(panel, record, panel.chain_section.player.timeline.frame(), 3)
    gap = panel.chain_section.player.grid.image.mapToScene(centre.x() - 15, centre.y())  # the gap left of it
    qtbot.mouseClick(
        panel.chain_section.player.grid.viewport(),
        Qt.MouseButton.LeftButton,
        pos=panel.chain_section.player.grid.mapFromScene(gap),
    )
    assert panel.selected == 3


def test_ddpm_and_ddim_start_from_the_same_noise_side_by_side(panel, qtbot):
    run_chain(panel, qtbot, "ddim", n=2, seed=9, k=10, samplers=("ddpm", "ddim"))
    ddpm, ddim = panel.chain_section.chains["ddpm"], panel.chain_section.chains["ddim"]
    assert ddpm.complete and ddim.complete and panel.active == "ddim"
    np.testing.assert_array_equal(ddpm.images[0, 0], ddim.images[0, 0])  # the same x_T
    panel.chain_section.player.state.select(1)
    panel.chain_section.controls.sampler.setCurrentIndex(
        panel.chain_section.controls.sampler.findData("ddpm")
    )  # the timeline now scrubs the DDPM chain
    assert panel.active == "ddpm" and panel.chain_section.player.timeline.count == TINY.timesteps
    k_ddim = 3
    t = ddim.t[k_ddim] - 2  # DDPM passes t, which DDIM skips: DDIM shows its step just above
    panel.chain_section.player.timeline.set_frame(int(np.flatnonzero(ddpm.t == t)[0]))
    shown = panel.compare_section.compare_views["ddim"].pixels()
    np.testing.assert_array_equal(shown[:, :28], grey(ddim.image(k_ddim, "x_t", 1)))
    np.testing.assert_array_equal(shown[:, 30:], grey(ddim.image(k_ddim, "x0_pred", 1)))
    np.testing.assert_array_equal(
        panel.compare_section.compare_views["ddpm"].pixels()[:, :28],
        grey(ddpm.image(panel.chain_section.player.timeline.frame(), "x_t", 1)),
    )
    assert "Seed 9, sample #1" in panel.compare_section.compare_info.text()


def test_ddim_eta_adds_noise_to_the_chain_from_the_same_start(panel, qtbot):
    assert panel.chain_section.controls.eta.value() == 1.0  # the default: see SAMPLE_ETA
    panel.chain_section.controls.eta.setValue(0.0)
    run_chain(panel, qtbot, "ddim", n=2, seed=4, k=10)
    deterministic = panel.chain_section.chains["ddim"]
    panel.chain_section.controls.eta.setValue(1.0)
    run_chain(panel, qtbot, "ddim", n=2, seed=4, k=10)
    noisy = panel.chain_section.chains["ddim"]
    assert noisy is not deterministic and (deterministic.eta, noisy.eta) == (0.0, 1.0)
    np.testing.assert_array_equal(noisy.images[0], deterministic.images[0])  # the same x_T
    assert not np.array_equal(noisy.images[-1], deterministic.images[-1])  # then fresh noise at each step
    assert "DDIM (η = 1)" in panel.chain_section.player.timeline.info.text()


def test_cancelling_a_chain_keeps_its_frames_and_leaves_the_panel_usable(panel, qtbot):
    panel.chain_section.controls.n_samples.setValue(64)
    panel.chain_section.controls.sampler.setCurrentIndex(panel.chain_section.controls.sampler.findData("ddpm"))
    panel.start_chain()
    assert panel.chain_section.cancel_button.isEnabled() and not panel.chain_section.run_button.isEnabled()
    qtbot.waitUntil(lambda: panel.chain_section.chains["ddpm"].count >= 3, timeout=60000)
    with qtbot.waitSignal(panel.runner.busy_changed, timeout=20000, check_params_cb=lambda busy: not busy):
        qtbot.mouseClick(panel.chain_section.cancel_button, Qt.MouseButton.LeftButton)
    record = panel.chain_section.chains["ddpm"]
    assert 3 <= record.count < TINY.timesteps and "Stopped after" in panel.chain_section.chain_info.text()
    assert panel.chain_section.run_button.isEnabled() and not panel.chain_section.cancel_button.isEnabled()
    assert panel.chain_section.player.timeline.count == record.count
    panel.chain_section.player.timeline.set_frame(1)
    assert_shows(panel, record, 1, panel.selected)
    run_chain(panel, qtbot, "ddim", n=2, k=4)  # and it runs again
    assert panel.chain_section.chains["ddim"].complete


def test_a_cancelled_run_leaves_the_previous_chain_and_the_compare_pair_no_stale_noise(panel, qtbot):
    run_chain(panel, qtbot, "ddim", n=2, seed=5, k=10, samplers=("ddpm", "ddim"))  # a complete pair
    finished = panel.chain_section.chains["ddpm"]
    panel.chain_section.controls.sampler.setCurrentIndex(panel.chain_section.controls.sampler.findData("ddpm"))
    panel.chain_section.player.timeline.set_frame(7)
    panel.chain_section.controls.n_samples.setValue(64)
    panel.start_chain()
    qtbot.waitUntil(lambda: panel.chain_section.chains["ddpm"].count >= 3, timeout=60000)
    with qtbot.waitSignal(panel.runner.busy_changed, timeout=20000, check_params_cb=lambda busy: not busy):
        qtbot.mouseClick(panel.chain_section.cancel_button, Qt.MouseButton.LeftButton)
    assert panel.chain_section.chains["ddpm"] is finished and finished.complete  # not the 3 frames of the cancelled run
    assert (
        panel.chain_section.player.timeline.count == finished.count and panel.chain_section.player.timeline.frame() == 7
    )
    assert "previous chain is back" in panel.chain_section.chain_info.text()
    assert_shows(panel, finished, 7, panel.selected)
    panel.chain_section.controls.seed.setValue(
        9
    )  # a DDPM chain of other noise than the DDIM one: the pair is not shown
    panel.start_chain()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=60000)
    placeholder = np.full((28, 58), 0.94, dtype=np.float32)
    for view in panel.compare_section.compare_views.values():
        np.testing.assert_array_equal(view.pixels(), placeholder)


def test_export_writes_the_selected_sample_as_gif_and_png(panel, qtbot, tmp_path):
    with pytest.raises(ValueError, match="no chain to export"):
        panel.chain_section.export.export_gif(tmp_path / "none.gif")
    run_chain(panel, qtbot, "ddim", n=2, k=8)
    panel.chain_section.player.state.select(1)
    assert panel.chain_section.export.gif_button.isEnabled() and panel.chain_section.export.strip_button.isEnabled()
    gif = panel.chain_section.export.export_gif(tmp_path / "chain.gif")
    png = panel.chain_section.export.export_strip(tmp_path / "chain.png")
    record = panel.chain_section.chains["ddim"]
    with Image.open(gif) as image:
        assert image.n_frames == 8
        first = np.asarray(image.convert("L"))
    np.testing.assert_array_equal(first[::4, ::4][:28, :28], record.image(0, "x_t", 1))  # its t is written beneath
    strip = np.asarray(Image.open(png))
    np.testing.assert_array_equal(strip[::3, ::3][:28, :28], record.image(0, "x_t", 1))


def test_training_in_the_panel_plots_the_loss_and_installs_the_model(bare_panel, qtbot):
    panel = bare_panel
    with qtbot.waitSignal(panel.runner.busy_changed, timeout=120000, check_params_cb=lambda busy: not busy):
        panel.start_training(DDPMConfig(base_channels=8, steps=4, train_limit=256, timesteps=50))
        assert not panel.training_section.train_button.isEnabled()
    assert panel.training_section.loss_plot.points("train") >= 1
    assert panel.training_section.train_samples.pixels().shape == (4 * 30 - 2, 4 * 30 - 2)
    assert panel.model is not None and panel.checkpoint.info["steps"] == 4
    assert panel.chain_section.run_button.isEnabled() and "Not saved yet" in panel.model_info.text()
    assert panel.chain_section.controls.ddim_steps.maximum() == 50 and panel.forward_section.forward_t.maximum() == 50


def test_stopping_training_keeps_the_loaded_models_summary_curve_and_chains(panel, qtbot):
    run_chain(panel, qtbot, n=2, k=5)
    summary, chain, record = (
        panel.model_info.text(),
        panel.chain_section.chains["ddim"],
        panel.training_section.loss_plot.points("train"),
    )
    panel.start_training(DDPMConfig(base_channels=8, steps=100000, train_limit=256, timesteps=50))
    qtbot.waitUntil(lambda: panel.training_section.loss_plot.points("train") >= 1, timeout=60000)
    with qtbot.waitSignal(panel.runner.busy_changed, timeout=60000, check_params_cb=lambda busy: not busy):
        panel.runner.stop()
    assert panel.model_info.text().startswith(summary) and "previous model is back" in panel.model_info.text()
    assert (
        panel.training_section.loss_plot.points("train") == record
    )  # the loaded model's recorded losses, not the aborted run's
    assert (
        panel.chain_section.chains["ddim"] is chain and panel.chain_section.run_button.isEnabled()
    )  # the same model: its chains stay


def test_save_and_load_through_the_panel(panel, tmp_path):
    with pytest.raises(CheckpointError):
        panel.load_checkpoint(tmp_path / "missing.safetensors")
    out = tmp_path / "mine.safetensors"
    panel.save_checkpoint(out)
    panel.model = None
    panel.load_checkpoint(out)
    assert panel.model is not None and panel.chain_section.run_button.isEnabled()


def test_a_model_trained_in_two_runs_is_described_as_one(panel, tiny_ddpm_checkpoint, tmp_path):
    cfg = DDPMConfig(
        **{**TINY.__dict__, "steps": 2, "depth": 2, "attention": "7x7", "init_from": str(tiny_ddpm_checkpoint)}
    )  # grown: deepened, attention added
    more = save_checkpoint(tmp_path / "more.safetensors", run_to_end(train_ddpm(cfg, device="cpu")))
    panel.load_checkpoint(more)
    assert "Model: 5 steps in 2 runs" in panel.model_info.text()
    assert "2 blocks per resolution, attention at 7×7" in panel.model_info.text()
    steps = panel.training_section.loss_plot.x_values("train")
    assert (
        steps and min(steps) > TINY.steps and max(steps) == TINY.steps + 2
    )  # the last run's losses, after the first's


def test_a_failing_chain_reports_and_the_panel_stays_usable(panel, qtbot, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the U-Net fell over")

    monkeypatch.setattr("explorer.core.diffusion.chain_job.sample_chain", broken)
    panel.runner.in_child = False  # the patched function lives in this process
    with qtbot.waitSignal(panel.runner.failed, timeout=20000) as failure:
        panel.start_chain()
    assert "the U-Net fell over" in failure.args[0]
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=10000)
    assert panel.chain_section.run_button.isEnabled()


@pytest.mark.parametrize("size", [(1280, 720), (1500, 950)])
def test_the_panel_lays_out_cleanly_on_a_laptop_screen(qtbot, size):
    from explorer.ui.main_window import MainWindow

    window = MainWindow(device="cpu")
    qtbot.addWidget(window)
    window.load_shipped_checkpoints()
    window.show_panel("diffusion")
    window.resize(*size)
    window.show()
    qtbot.waitExposed(window)
    panel = window.panels["diffusion"]
    window.runners["pixelcnn"].stop()  # its opening digits, which would share the CPU with the chain
    qtbot.waitUntil(lambda: not window.busy, timeout=120000)  # the chain it opens on, drawn
    qtbot.wait(50)
    assert window.current_panel() is panel and panel.isVisible()
    assert window.size() == QSize(*size), "a panel asks for more room: " + ", ".join(
        f"{name} {p.minimumSizeHint().width()}x{p.minimumSizeHint().height()}" for name, p in window.panels.items()
    )
    assert layout_problems(panel) == []  # nothing of the panel overlaps, no text of it is cut


def test_the_shipped_model_opens_on_a_ddim_chain_to_scrub(
    bare_panel, qtbot, monkeypatch, tmp_path, tiny_ddpm_checkpoint
):
    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)
    shutil.copy(tiny_ddpm_checkpoint, tmp_path / "ddpm.safetensors")
    with qtbot.waitSignal(bare_panel.runner.busy_changed, timeout=60000, check_params_cb=lambda busy: not busy):
        bare_panel.load_shipped()
        assert bare_panel.runner.busy, "it samples in the background"
    record = bare_panel.chain_section.chains["ddim"]
    assert bare_panel.active == "ddim" and record.complete and (record.seed, record.n) == (0, 16)
    assert (
        bare_panel.chain_section.player.timeline.count == record.total_steps == 50
        and bare_panel.chain_section.player.timeline.frame() == 49
    )
    assert bare_panel.chain_section.player.timeline.play_button.isEnabled()
    assert_shows(bare_panel, record, 49, 0)


def test_the_shipped_model_waits_for_a_running_job_instead_of_sampling(
    bare_panel, monkeypatch, tmp_path, tiny_ddpm_checkpoint
):
    from explorer.ui.worker import Runner

    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)
    shutil.copy(tiny_ddpm_checkpoint, tmp_path / "ddpm.safetensors")
    with monkeypatch.context() as busy:
        busy.setattr(Runner, "busy", property(lambda runner: True))
        bare_panel.load_shipped()
    assert bare_panel.model is not None and bare_panel.chain_section.chains == {} and not bare_panel.runner.busy


def test_k_and_eta_apply_to_ddim_only(panel, qtbot):
    for sampler, enabled in (("ddpm", False), ("ddim", True), ("ddpm", False)):
        panel.chain_section.controls.sampler.setCurrentIndex(panel.chain_section.controls.sampler.findData(sampler))
        assert (
            panel.chain_section.controls.ddim_steps.isEnabled() == enabled
            and panel.chain_section.controls.eta.isEnabled() == enabled
        )
    run_chain(panel, qtbot, "ddim", n=1, k=4)
    panel.chain_section.show_chain(panel.chain_section.chains["ddim"])  # showing a stored chain picks its sampler
    assert (
        panel.chain_section.controls.sampler.currentData() == "ddim"
        and panel.chain_section.controls.ddim_steps.isEnabled()
        and panel.chain_section.controls.eta.isEnabled()
    )


def compare(panel, qtbot):
    """Press Compare and wait for what it runs (if anything)."""
    qtbot.mouseClick(panel.chain_section.compare_button, Qt.MouseButton.LeftButton)
    if panel.runner.busy:
        qtbot.waitUntil(lambda: not panel.runner.busy, timeout=60000)


def test_compare_runs_only_the_missing_chain_and_keeps_the_chosen_sampler(panel, qtbot):
    run_chain(panel, qtbot, "ddpm", n=2, seed=3, k=10)
    ddpm = panel.chain_section.chains["ddpm"]
    panel.chain_section.controls.sampler.setCurrentIndex(panel.chain_section.controls.sampler.findData("ddim"))
    compare(panel, qtbot)
    ddim = panel.chain_section.chains["ddim"]
    assert panel.chain_section.chains["ddpm"] is ddpm and ddim.complete, "the stored DDPM chain was not run again"
    assert panel.chain_section.controls.sampler.currentData() == "ddim" and panel.active == "ddim"
    assert "Seed 3, sample #0" in panel.compare_section.compare_info.text()

    compare(panel, qtbot)  # both stored: nothing runs, the comparison shows
    assert panel.chain_section.chains["ddpm"] is ddpm and panel.chain_section.chains["ddim"] is ddim
    assert "stored for these settings" in panel.chain_section.chain_info.text()

    panel.chain_section.controls.eta.setValue(0.5)  # another DDIM: only it runs
    compare(panel, qtbot)
    assert (
        panel.chain_section.chains["ddpm"] is ddpm
        and panel.chain_section.chains["ddim"] is not ddim
        and panel.chain_section.chains["ddim"].eta == 0.5
    )

    panel.chain_section.controls.sampler.setCurrentIndex(panel.chain_section.controls.sampler.findData("ddpm"))
    panel.chain_section.controls.seed.setValue(4)  # other noise: both run, and the timeline stays on the chosen DDPM
    compare(panel, qtbot)
    assert (
        panel.chain_section.chains["ddpm"] is not ddpm
        and panel.chain_section.chains["ddpm"].complete
        and panel.chain_section.chains["ddim"].seed == 4
    )
    assert panel.chain_section.controls.sampler.currentData() == "ddpm" and panel.active == "ddpm"
    assert panel.chain_section.player.timeline.count == TINY.timesteps


def test_space_plays_and_arrows_step_the_chain_wherever_the_focus_is(panel, qtbot):
    run_chain(panel, qtbot, "ddim", n=2, k=10)
    panel.activateWindow()
    qtbot.waitActive(panel)
    panel.chain_section.player.timeline.set_frame(5)
    for widget in (
        panel.chain_section.player.grid,
        panel.chain_section.run_button,
        panel.chain_section.player.timeline.slider,
    ):
        widget.setFocus()
        qtbot.keyClick(widget, Qt.Key.Key_Right)
        assert panel.chain_section.player.timeline.frame() == 6
        qtbot.keyClick(widget, Qt.Key.Key_Left)
        assert panel.chain_section.player.timeline.frame() == 5
    panel.chain_section.run_button.setFocus()
    qtbot.keyClick(panel.chain_section.run_button, Qt.Key.Key_Space)
    assert panel.chain_section.player.timeline.playing
    qtbot.keyClick(panel.chain_section.run_button, Qt.Key.Key_Space)
    assert not panel.chain_section.player.timeline.playing and not panel.runner.busy, (
        "Space played, it did not press Run chain"
    )
    held = panel.chain_section.player.timeline.frame()
    panel.chain_section.controls.seed.setFocus()  # a spin box keeps the keys it uses, and so does the forward t slider
    qtbot.keyClick(panel.chain_section.controls.seed, Qt.Key.Key_Right)
    panel.forward_section.forward_t.setFocus()
    qtbot.keyClick(panel.forward_section.forward_t, Qt.Key.Key_Right)
    assert panel.chain_section.player.timeline.frame() == held and panel.forward_section.forward_t.value() == 1


def test_the_state_shows_in_the_sampler_row_and_a_chain_runs_what_it_asks(panel, qtbot):
    controls = panel.chain_section.controls
    panel.state.update(n=2, seed=6, sampler="ddpm", steps=7, eta=0.5)
    assert (controls.n_samples.value(), controls.seed.value(), controls.sampler.currentData()) == (2, 6, "ddpm")
    assert (controls.ddim_steps.value(), controls.eta.value()) == (7, 0.5)
    assert not controls.ddim_steps.isEnabled() and not controls.eta.isEnabled()  # DDPM walks all T
    controls.sampler.setCurrentIndex(controls.sampler.findData("ddim"))  # and an edit writes the state
    controls.eta.setValue(0.0)
    assert (panel.state.sampler, panel.state.eta) == ("ddim", 0.0)
    with qtbot.waitSignal(panel.runner.busy_changed, timeout=60000, check_params_cb=lambda busy: not busy):
        panel.start_chain()
        assert panel.state.job is DiffusionJob.CHAIN
    record = panel.chain_section.chains["ddim"]
    assert (record.n, record.seed, record.config) == (2, 6, SamplerConfig("ddim", 7, 0.0)) and record.complete
    assert panel.state.job is None


def test_the_running_job_in_the_state_sets_the_buttons(panel):
    chain, train = panel.chain_section, panel.training_section.train_button
    assert chain.run_button.isEnabled() and train.isEnabled() and not chain.cancel_button.isEnabled()
    panel.state.update(busy=True, job=DiffusionJob.CHAIN)
    assert chain.cancel_button.isEnabled() and not chain.run_button.isEnabled() and not train.isEnabled()
    assert chain.run_button.toolTip() == "A job is running."
    panel.state.update(job=DiffusionJob.BOUND)  # Cancel stops chains; the bound has its own Stop
    assert not chain.cancel_button.isEnabled() and not chain.compare_button.isEnabled()
    panel.state.update(busy=False, job=None)
    assert chain.run_button.isEnabled() and chain.compare_button.isEnabled() and train.isEnabled()


def test_the_model_line_says_when_the_net_was_widened():
    from explorer.ui.panels.diffusion.training_section import width_text

    assert width_text({"base_channels": 48}) == "48 channels"
    assert width_text({"base_channels": 60, "widened_from": 48}) == "60 channels (widened from 48)"
    assert width_text({"base_channels": 48, "widened_from": 0}) == "48 channels"
