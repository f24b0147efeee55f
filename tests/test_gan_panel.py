"""The GAN panel, driven as a user would: play a game to the end, pause it, step it, reset it, sample."""

import itertools
import math

import numpy as np
import pyqtgraph as pg
import pytest
from generators import collect
from layout_audit import layout_problems, plots_cut_off
from layout_watch import layout_requests
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QComboBox, QSizePolicy

from explorer.core.gan import GANConfig, default_config, drawn_classes, train_gan
from explorer.core.gan.nets import LIVE_MNIST_DEFAULTS
from explorer.core.gan.panel_state import GamePhase
from explorer.core.runtime.checkpoints import load_checkpoint, save_checkpoint
from explorer.core.runtime.errors import CheckpointError
from explorer.ui.main_window import MainWindow
from explorer.ui.panels.gan import GANPanel
from explorer.ui.widgets.filmstrip import Filmstrip

TINY = {"channels": 8, "latent_dim": 8, "batch_size": 16, "train_limit": 512}
TINY_TOY = {"mode": "toy", "hidden": 16, "latent_dim": 4, "batch_size": 32}


@pytest.fixture(scope="module")
def tiny_gan_checkpoint(tmp_path_factory):
    """A tiny MNIST GAN trained for two iterations by the project's own loop."""
    _, ckpt = collect(train_gan(GANConfig(steps=2, **TINY), device="cpu"))
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-gan.safetensors", ckpt)


def main_window_on(qtbot, name: str) -> MainWindow:
    """The app's window on panel ``name``, its shipped models loaded. The other panels' minimum
    sizes are set aside: each panel's own tests check that it fits."""
    window = MainWindow(device="cpu")
    qtbot.addWidget(window)
    window.load_shipped_checkpoints()
    window.show_panel(name)
    window.show()
    qtbot.waitExposed(window)
    for other in window.panels:
        if other != name:
            window.panels[other].setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
    return window


@pytest.fixture
def panel(open_panel):
    return open_panel(GANPanel)


@pytest.fixture
def snapshots(panel, monkeypatch):
    """Every snapshot the panel receives, in order (the runner calls the patched method)."""
    seen = []
    original = panel.on_snapshot
    monkeypatch.setattr(panel, "on_snapshot", lambda snap: (seen.append(snap), original(snap)))
    return seen


def test_a_tiny_game_runs_to_the_end_through_the_real_worker(panel, qtbot, snapshots):
    with qtbot.waitSignal(panel.runner.busy_changed, timeout=5000, check_params_cb=lambda busy: busy):
        panel.start_training(GANConfig(steps=5, **TINY))
    assert not panel.controls.settings.isEnabled() and not panel.controls.start_button.isEnabled()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=60000)
    assert snapshots[0].step == 0 and snapshots[-1].step == 5
    assert panel.checkpoint.info["steps"] == 5 and panel.checkpoint.config["channels"] == 8
    assert (
        panel.generator is not None
        and panel.digits.sampler.sample_button.isEnabled()
        and panel.controls.settings.isEnabled()
    )
    assert panel.dashboard.losses.points("D loss") >= 1 and panel.dashboard.outputs.points("D(G(z))") >= 1
    assert panel.digits.filmstrip.steps()[0] == 0 and panel.digits.filmstrip.steps()[-1] == 5
    assert panel.digits.grid.pixels().shape == (4 * 30 - 2, 4 * 30 - 2)
    assert "Iteration 5 of 5" in panel.controls.status.text() and "Not saved yet" in panel.model_info.text()
    fractions = panel.dashboard.histogram.fractions("D(x), real")
    assert fractions.sum() == pytest.approx(1.0)
    # The mode-collapse meter shows the installed G's digits, counted off the GUI thread once the game ends
    qtbot.waitUntil(lambda: panel.meter.pending == 0, timeout=20000)
    counts = drawn_classes(panel.generator, panel.model_cfg)
    assert panel.dashboard.classes.percentages() == pytest.approx(100 * counts / counts.sum())


def test_pause_really_pauses_and_stop_ends_the_game(panel, qtbot, snapshots):
    panel.start_training(GANConfig(steps=100000, **TINY_TOY))
    qtbot.waitUntil(lambda: len(snapshots) >= 3, timeout=60000)
    with qtbot.waitSignal(panel.runner.held, timeout=20000):  # the game acknowledges: it has stopped playing
        panel.controls.pause_button.click()
        assert (
            panel.runner.paused
            and panel.controls.start_button.text() == "Resume"
            and panel.controls.step_buttons["d"].isEnabled()
        )
    paused_at = len(snapshots)
    qtbot.wait(1200)
    assert len(snapshots) == paused_at, "training went on while paused"
    panel.controls.start_button.click()
    qtbot.waitUntil(lambda: len(snapshots) > paused_at, timeout=20000)
    assert snapshots[-1].step > snapshots[paused_at - 1].step
    panel.controls.stop_button.click()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=20000)
    assert "Stopped" in panel.controls.status.text() and panel.checkpoint is None


def test_single_steps_from_the_buttons_move_one_net_at_a_time(panel, qtbot, snapshots):
    panel.controls.settings.mode.setCurrentIndex(1)  # toy: no data to load
    panel.controls.settings.batch_size.setValue(32)
    panel.controls.settings.latent_dim.setValue(4)
    panel.controls.settings.d_steps_per_g.setValue(2)
    panel.controls.step_buttons["d"].click()  # from no game: start one, paused, and take the step
    qtbot.waitUntil(lambda: len(snapshots) == 2, timeout=60000)
    assert panel.runner.paused
    untrained, d = snapshots
    assert (untrained.step, untrained.d_steps, d.step, d.d_steps) == (0, 0, 0, 1)
    assert panel.dashboard.losses.points("D loss") == 1 and panel.dashboard.losses.points("G loss") == 0
    panel.refresh.flush()
    assert "(1 D steps)" in panel.controls.status.text()
    panel.controls.step_buttons["g"].click()
    qtbot.waitUntil(lambda: len(snapshots) == 3, timeout=20000)
    g = snapshots[-1]
    assert (g.step, g.d_steps) == (1, 1) and g.d_loss == d.d_loss
    assert panel.dashboard.losses.points("D loss") == 1 and panel.dashboard.losses.points("G loss") == 1
    panel.controls.step_buttons["both"].click()
    qtbot.waitUntil(lambda: len(snapshots) == 4, timeout=20000)
    assert (snapshots[-1].step, snapshots[-1].d_steps) == (2, 3)  # k = 2 D steps and one G step
    assert panel.dashboard.losses.points("D loss") == 2 and panel.dashboard.losses.points("G loss") == 2
    panel.runner.send(("step", "d"))  # the next snapshot is this step's: the game did not run on meanwhile
    qtbot.waitUntil(lambda: len(snapshots) == 5, timeout=20000)
    assert (snapshots[-1].step, snapshots[-1].d_steps) == (2, 4) and panel.runner.paused, "a step let the game run on"


def test_reset_restores_the_untrained_nets_and_fixed_noise(panel, qtbot, snapshots):
    panel.start_training(GANConfig(steps=100000, **TINY_TOY))
    qtbot.waitUntil(lambda: len(snapshots) >= 3 and snapshots[-1].step >= 3, timeout=60000)
    initial = snapshots[0]
    assert initial.step == 0
    panel.controls.reset_button.click()
    qtbot.waitUntil(lambda: panel.playing and panel.snapshot is not None and panel.snapshot.step == 0, timeout=60000)
    qtbot.wait(300)
    again = panel.snapshot
    assert panel.runner.paused and again.step == again.d_steps == 0
    assert not np.array_equal(snapshots[-2].heatmap, initial.heatmap), "the game had not moved: a weak test"
    np.testing.assert_array_equal(again.heatmap, initial.heatmap)  # D's weights are back
    np.testing.assert_array_equal(again.points_fake, initial.points_fake)  # G's weights and the fixed noise too
    panel.refresh.flush()
    assert panel.dashboard.losses.points("D loss") == 0 and panel.dashboard.losses.points("G loss") == 0
    np.testing.assert_array_equal(panel.plane.heat.image, initial.heatmap)


def test_the_toy_heat_map_covers_the_data_the_right_way_up(panel, qtbot, snapshots):
    panel.start_training(GANConfig(steps=3, **TINY_TOY))
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=60000)
    assert panel.pages.currentWidget() is panel.toy_page
    panel.refresh.flush()
    last = snapshots[-1]
    rect = panel.plane.heatmap_rect()
    real = last.points_real
    assert rect.left() <= real[:, 0].min() and real[:, 0].max() <= rect.right()
    assert rect.top() <= real[:, 1].min() and real[:, 1].max() <= rect.bottom()
    heat = panel.plane.heat
    np.testing.assert_array_equal(heat.image, last.heatmap)
    # Row i is at y_i and column j at x_j: (-3, -3) lies in pixel (0, 0), (3, -3) in pixel (col -1, row 0).
    for x, y, col, row in ((-3, -3, 0, 0), (3, -3, 63, 0), (-3, 3, 0, 63)):
        pixel = heat.mapFromView(QPointF(x, y))
        assert (math.floor(pixel.x()), math.floor(pixel.y())) == (col, row)


def test_slow_motion_shows_every_iteration_and_can_be_changed_while_playing(panel, qtbot, snapshots):
    panel.controls.delay.setValue(0.25)
    panel.start_training(GANConfig(steps=100000, **TINY_TOY))
    qtbot.waitUntil(lambda: len(snapshots) >= 4, timeout=60000)
    assert [s.step for s in snapshots[:4]] == [0, 1, 2, 3]
    panel.controls.delay.setValue(0.0)
    qtbot.waitUntil(lambda: any(b.step - a.step > 1 for a, b in itertools.pairwise(snapshots)), timeout=60000)
    panel.runner.stop()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=20000)


def test_without_a_shipped_generator_the_panel_says_so_and_still_trains(panel, tmp_path, monkeypatch):
    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)
    panel.load_shipped()
    assert "No shipped generator yet" in panel.model_info.text()
    assert panel.controls.start_button.isEnabled() and not panel.digits.sampler.sample_button.isEnabled()
    with pytest.raises(RuntimeError, match="no model to save yet"):
        panel.save_checkpoint(tmp_path / "x.safetensors")


def test_a_loaded_generator_samples_interpolates_and_saves(panel, tmp_path, monkeypatch, tiny_gan_checkpoint):
    (tmp_path / "gan.safetensors").write_bytes(tiny_gan_checkpoint.read_bytes())
    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)
    panel.load_shipped()
    assert panel.generator is not None and "2 iterations" in panel.model_info.text()
    first = panel.digits.grid.pixels().copy()
    panel.digits.sampler.sample_button.click()
    assert not np.array_equal(panel.digits.grid.pixels(), first), "a new seed drew the same digits"
    panel.digits.sampler.interpolate_button.click()
    strip = panel.digits.sampler.strip.pixels()
    assert strip.shape == (28, 10 * 30 - 2) and not np.array_equal(strip[:, :28], strip[:, -28:])
    out = tmp_path / "mine.safetensors"
    panel.save_checkpoint(out)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint")
    generator = panel.generator
    with pytest.raises(CheckpointError):
        panel.load_checkpoint(bad)
    assert panel.generator is generator
    panel.load_checkpoint(out)
    assert panel.checkpoint.info["steps"] == 2


def test_a_toy_checkpoint_is_shown_on_the_plane(panel, qtbot, tmp_path, snapshots):
    panel.start_training(GANConfig(steps=2, **TINY_TOY))
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=60000)
    panel.save_checkpoint(tmp_path / "toy.safetensors")
    panel.controls.settings.mode.setCurrentIndex(0)
    panel.load_checkpoint(tmp_path / "toy.safetensors")
    assert panel.pages.currentWidget() is panel.toy_page and panel.generator is None
    assert panel.dashboard.classes.isHidden()  # no digits to classify in the toy game
    panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData("mnist"))
    assert not panel.dashboard.classes.isHidden()
    assert panel.plane.point_counts() == (512, 512)  # the ring's real points, and G's
    np.testing.assert_allclose(panel.plane.heat.image, snapshots[-1].heatmap, atol=1e-6)  # D(x), from its checkpoint


def test_the_filmstrip_keeps_the_first_and_latest_frames_spread_over_the_run(qtbot):
    strip = Filmstrip(4, frame_shape=(2, 2))
    qtbot.addWidget(strip)
    for step in range(0, 100, 10):
        strip.add_frame(step, np.full((2, 2), step / 100, dtype=np.float32))
    assert strip.steps() == [0, 40, 70, 90]  # each time, the frame whose loss leaves the smallest gap goes
    strip.redraw()
    assert [view.label.text for view in strip.views] == ["step 0", "step 40", "step 70", "step 90"]
    assert strip.views[1].pixels()[0, 0] == pytest.approx(0.4)
    strip.clear()
    strip.redraw()
    assert strip.steps() == [] and strip.views[0].pixels()[0, 0] == 1.0


def test_the_status_lines_change_without_laying_out_the_window_again(panel, qtbot):
    box = panel.controls.status.parentWidget()

    def snapshots():
        for text in (
            "Iteration 1 of 9\nD loss 1.2",
            "Iteration 22 of 9000 (22 D steps)\nD loss 1.234   G loss 0.9\nD(x) 0.5",
        ):
            panel.controls.status.setText(text)  # as every snapshot does
            panel.model_info.setText(text)
            qtbot.wait(20)

    assert layout_requests(box, snapshots, qtbot) == 0  # a relayout repaints the whole window (~8 ms)
    assert panel.controls.status.width() <= box.contentsRect().width()  # and the pinned labels still fit their column


def test_on_open_the_shipped_generator_draws_digits_and_its_record_is_plotted(
    panel, tmp_path, monkeypatch, tiny_gan_checkpoint
):
    if not panel.family.default_checkpoint.is_file():
        pytest.skip("no shipped generator")
    panel.load_shipped()
    assert (
        panel.digits.grid.pixels().shape == (4 * 30 - 2, 4 * 30 - 2)
        and "trained generator" in panel.digits.grid.label.text
    )
    history = panel.checkpoint.info.get("history", [])
    assert panel.dashboard.losses.points("D loss") == len(history)
    if not history:  # trained before GANs kept their record: the plots say so
        assert "no recorded history" in panel.dashboard.losses.plotItem.titleLabel.text
    panel.load_checkpoint(tiny_gan_checkpoint)  # trained by this version: its record is kept and plotted
    history = panel.checkpoint.info["history"]
    assert history and set(history[-1]) == {"step", "d_loss", "g_loss", "d_real", "d_fake"}
    assert history[-1]["step"] == 2 and history[-1]["d_loss"] == panel.checkpoint.info["metrics"]["d_loss"]
    assert panel.dashboard.losses.points("G loss") == panel.dashboard.outputs.points("D(G(z))") == len(history)
    assert "no recorded history" not in panel.dashboard.outputs.plotItem.titleLabel.text


def test_the_meter_counts_a_loaded_generators_digits_and_a_game_takes_it_over(panel, qtbot, snapshots):
    if not panel.family.default_checkpoint.is_file():
        pytest.skip("no shipped generator")
    panel.load_shipped()
    assert panel.dashboard.classes.percentages().sum() == 0  # counted in a pool thread: the GUI goes on meanwhile
    counts = drawn_classes(panel.generator, panel.model_cfg)
    qtbot.waitUntil(lambda: panel.dashboard.classes.percentages().sum() > 0, timeout=20000)
    np.testing.assert_allclose(panel.dashboard.classes.percentages(), 100 * counts / counts.sum())
    assert (panel.dashboard.classes.percentages() > 3).all()  # the shipped G draws every digit
    panel.load_shipped()  # counted again, and a game starts before the count arrives: the game's meter wins
    panel.start_training(GANConfig(steps=100000, mode="mnist", seed=5, **TINY), paused=True)
    qtbot.waitUntil(lambda: len(snapshots) >= 1, timeout=60000)
    qtbot.waitUntil(lambda: panel.meter.pending == 0, timeout=20000)  # the stale count has arrived, and is dropped
    panel.refresh.flush()
    game = snapshots[-1].class_counts
    np.testing.assert_allclose(panel.dashboard.classes.percentages(), 100 * game / game.sum())
    panel.controls.stop_button.click()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=20000)
    assert panel.meter.pending == 0  # no new count: the stopped game's meter stays for review
    np.testing.assert_allclose(panel.dashboard.classes.percentages(), 100 * game / game.sum())


def test_a_continued_generator_is_described_and_plotted_after_its_earlier_runs(panel, tmp_path, tiny_gan_checkpoint):
    from explorer.core.runtime.jobs import run_to_end

    ckpt = run_to_end(train_gan(GANConfig(steps=3, init_from=str(tiny_gan_checkpoint), **TINY), device="cpu"))
    panel.load_checkpoint(save_checkpoint(tmp_path / "continued.safetensors", ckpt))
    assert "5 iterations in 2 runs" in panel.model_info.text() and "8 channels" in panel.model_info.text()
    assert "residual" not in panel.model_info.text()  # Radford et al.'s nets, no blocks added
    xs = panel.dashboard.losses.x_values("D loss")
    assert xs and xs[0] > 2 and xs[-1] == 5  # the second run's curve follows the first run's two iterations
    for plot in (
        panel.dashboard.losses,
        panel.dashboard.outputs,
    ):  # over its own range, not squeezed into the end of 0..5
        low, high = plot.viewRange()[0]
        assert 1.9 < low < 2.1 and 4.9 < high < 5.1 and "last run" in plot.getAxis("bottom").labelText


def test_a_generator_with_residual_blocks_says_so(panel, tmp_path):
    from explorer.core.runtime.jobs import run_to_end

    ckpt = run_to_end(train_gan(GANConfig(steps=1, depth=1, **TINY), device="cpu"))
    panel.load_checkpoint(save_checkpoint(tmp_path / "deeper.safetensors", ckpt))
    assert "8 channels + 1 residual block," in panel.model_info.text()
    assert len(panel.generator.at7) == 1 and panel.digits.grid.pixels().std() > 0  # it draws from the deeper G


def test_without_a_toy_generator_the_plane_shows_the_ring(panel):
    panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData("toy"))
    assert panel.pages.currentWidget() is panel.toy_page
    assert panel.plane.point_counts() == (512, 0) and panel.plane.heat.image is None


def test_choosing_a_game_sets_its_defaults_and_the_help_speaks_of_its_data(panel):
    panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData("toy"))
    toy = default_config("toy")
    assert (
        panel.controls.settings.lr_g.value(),
        panel.controls.settings.lr_d.value(),
        panel.controls.settings.latent_dim.value(),
    ) == (
        toy.lr_g,
        toy.lr_d,
        toy.latent_dim,
    )
    help_text = panel.controls.explanation.text()
    assert "digit" not in help_text and "ring" in help_text and "learning rate to 0.005" in help_text
    assert panel.controls.delay.value() > 0  # a toy game at a pace one can watch, not over in seconds
    panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData("mnist"))
    assert panel.controls.delay.value() == 0
    assert (
        panel.controls.settings.latent_dim.value() == GANConfig().latent_dim
        and "real digit" in panel.controls.explanation.text()
    )
    # The game a learner watches is narrower than the shipped G (fast enough on a CPU); the CLI trains the shipped one.
    live = panel.training_config()
    assert live.channels == LIVE_MNIST_DEFAULTS["channels"] < GANConfig().channels and live.mode == "mnist"


def test_the_form_and_the_buttons_follow_the_panels_state(panel):
    """An edit writes the state and the game is built from it; a change of the state shows in the form; the
    buttons follow the game's phase and the runner's flags as the state holds them."""
    settings, controls, state = panel.controls.settings, panel.controls, panel.state
    settings.latent_dim.setValue(7)
    settings.objective.setCurrentIndex(settings.objective.findData("minimax"))
    controls.delay.setValue(0.5)
    assert (state.latent_dim, state.objective, state.delay_s) == (7, "minimax", 0.5)
    cfg = panel.training_config()
    assert (cfg.latent_dim, cfg.objective) == (7, "minimax") and panel.training_job(cfg).kwargs["delay_s"] == 0.5
    state.update(lr_d=0.003, steps=77, d_norm="spectral")
    assert (settings.lr_d.value(), settings.steps.value(), settings.d_norm.currentData()) == (0.003, 77, "spectral")
    state.choose_game("toy")
    assert panel.pages.currentWidget() is panel.toy_page and not settings.d_norm.isEnabled()
    assert "ring" in controls.explanation.text() and controls.delay.value() == state.delay_s > 0
    state.update(busy=True, paused=True, phase=GamePhase.UNTOUCHED)  # as a game waiting for its first move
    assert controls.start_button.text() == "Resume" and settings.isEnabled() and controls.stop_button.isEnabled()
    assert not controls.pause_button.isEnabled() and not panel.digits.sampler.sample_button.isEnabled()
    state.update(paused=False, phase=GamePhase.MOVED)
    assert controls.pause_button.isEnabled() and not settings.isEnabled() and not controls.start_button.isEnabled()
    state.update(busy=False, paused=False, phase=GamePhase.NONE)
    assert controls.start_button.text() == "Start" and controls.start_button.isEnabled() and settings.isEnabled()


def test_after_stop_the_views_show_the_loaded_generator_not_the_stopped_game(
    panel, qtbot, snapshots, tiny_gan_checkpoint
):
    panel.load_checkpoint(tiny_gan_checkpoint)
    loaded = panel.digits.grid.pixels().copy()
    panel.start_training(GANConfig(steps=100000, mode="mnist", **TINY), paused=True)
    qtbot.waitUntil(lambda: len(snapshots) >= 1, timeout=60000)
    panel.refresh.flush()
    assert "iteration 0" in panel.digits.grid.label.text and "2 iterations" not in panel.model_info.text()
    panel.controls.stop_button.click()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=20000)
    assert "iteration" not in panel.digits.grid.label.text
    np.testing.assert_array_equal(panel.digits.grid.pixels(), loaded)  # the loaded generator's samples, same seed
    assert "previous model is back" in panel.model_info.text()


def test_after_stop_without_a_generator_the_views_say_there_is_none(panel, qtbot, snapshots, tmp_path, monkeypatch):
    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)
    panel.load_shipped()
    panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData("toy"))
    panel.start_training(GANConfig(steps=100000, **TINY_TOY))
    qtbot.waitUntil(lambda: len(snapshots) >= 2, timeout=60000)
    panel.controls.stop_button.click()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=20000)
    assert panel.plane.point_counts() == (512, 0) and panel.plane.heat.image is None  # the ring alone
    assert panel.digits.grid.pixels() is None and "no digit generator" in panel.digits.grid.label.text
    assert panel.dashboard.histogram.fractions("D(x), real").sum() == pytest.approx(1.0)  # the game's, kept for review
    assert "stay until the next game" in panel.controls.status.text()


def test_stop_keeps_the_games_curves_filmstrip_and_histograms_until_the_next_game(
    panel, qtbot, snapshots, tiny_gan_checkpoint
):
    panel.load_checkpoint(tiny_gan_checkpoint)
    panel.start_training(GANConfig(steps=100000, mode="mnist", **TINY), paused=True)
    for which in ("both", "both"):
        count = len(snapshots)
        panel.step(which)
        qtbot.waitUntil(lambda count=count: len(snapshots) > count, timeout=60000)
    panel.refresh.flush()
    frames, losses = panel.digits.filmstrip.steps(), panel.dashboard.losses.points("D loss")
    histogram = panel.dashboard.histogram.fractions("D(x), real").copy()
    assert frames and losses >= 1 and histogram.sum() == pytest.approx(1.0)
    panel.controls.stop_button.click()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=20000)
    assert panel.digits.filmstrip.steps() == frames and panel.dashboard.losses.points("D loss") == losses
    np.testing.assert_array_equal(panel.dashboard.histogram.fractions("D(x), real"), histogram)
    assert "previous model is back" in panel.model_info.text() and panel.checkpoint.info["steps"] == 2
    panel.start_training(GANConfig(steps=100000, mode="mnist", **TINY), paused=True)  # the next game clears them
    panel.refresh.flush()
    assert panel.digits.filmstrip.steps() == [] and panel.dashboard.losses.points("D loss") == 0
    panel.runner.stop()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=20000)


def test_each_game_keeps_its_own_generator(panel, qtbot, snapshots, tiny_gan_checkpoint, tmp_path):
    panel.load_checkpoint(tiny_gan_checkpoint)
    digits = panel.generator
    panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData("toy"))
    assert panel.checkpoint is None and "No toy generator yet" in panel.model_info.text()
    panel.start_training(GANConfig(steps=2, **TINY_TOY))
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=60000)
    toy = panel.model
    assert panel.model_cfg.mode == "toy" and panel.generator is digits  # the toy game left the digits' G be
    panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData("mnist"))
    assert panel.model is digits and panel.checkpoint.info["steps"] == 2 and "MNIST GAN" in panel.model_info.text()
    assert panel.digits.grid.pixels() is not None and "no digit generator" not in panel.digits.grid.label.text
    assert panel.digits.sampler.sample_button.isEnabled()
    panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData("toy"))
    assert panel.model is toy and "toy GAN" in panel.model_info.text()
    panel.save_checkpoint(tmp_path / "toy.safetensors")  # File ▸ Save keeps the generator of the game on show
    assert load_checkpoint(tmp_path / "toy.safetensors").config["mode"] == "toy"


def test_after_a_reset_while_paused_new_settings_apply_to_the_next_move(panel, qtbot, snapshots):
    panel.start_training(GANConfig(steps=100000, **TINY_TOY))
    qtbot.waitUntil(lambda: len(snapshots) >= 3, timeout=60000)
    with qtbot.waitSignal(panel.runner.held, timeout=20000):
        panel.controls.pause_button.click()
    assert not panel.controls.settings.isEnabled()  # the game has moved: its settings are fixed
    panel.controls.reset_button.click()
    qtbot.waitUntil(lambda: panel.playing and panel.snapshot is not None and panel.snapshot.step == 0, timeout=60000)
    assert panel.runner.paused and panel.controls.settings.isEnabled(), "the form stayed greyed after a reset"
    panel.controls.settings.latent_dim.setValue(3)
    panel.controls.step_buttons["both"].click()  # the game of the new settings takes that move
    qtbot.waitUntil(lambda: panel.snapshot is not None and panel.snapshot.step == 1, timeout=60000)
    assert panel.state.game.latent_dim == 3 and panel.state.game.hidden == TINY_TOY["hidden"]
    assert panel.runner.paused and not panel.controls.settings.isEnabled()
    panel.runner.stop()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=20000)


def test_an_mnist_game_does_not_describe_a_loaded_toy_generator(panel, qtbot, tmp_path, snapshots):
    panel.start_training(GANConfig(steps=2, **TINY_TOY))
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=60000)
    assert "toy GAN" in panel.model_info.text()
    panel.start_training(GANConfig(steps=100000, mode="mnist", **TINY), paused=True)
    assert "toy" not in panel.model_info.text() and "MNIST" in panel.model_info.text()
    panel.runner.stop()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=20000)
    assert "toy GAN" in panel.model_info.text()  # the loaded generator again


def test_both_pages_lay_out_cleanly_on_a_laptop_screen_and_in_the_default_window(qtbot):
    window = main_window_on(qtbot, "gan")
    panel = window.panels["gan"]
    for mode, theory in (("mnist", False), ("toy", False), ("toy", True)):
        panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData(mode))
        panel.theory.toggle.setChecked(theory)  # D*'s plane beside D's, the numbers and the gradient below
        for size in ((1024, 600), (1280, 660), (1280, 720), (1500, 950)):
            window.resize(*size)
            qtbot.wait(50)
            assert window.size().toTuple() == size
            where = f"{mode} page at {size}, {theory=}"
            assert layout_problems(panel) == [] and plots_cut_off(panel) == [], where
            assert all(box.width() >= box.sizeHint().width() for box in panel.findChildren(QComboBox)), (
                "a combo box cuts its text off"
            )
            # The dashboard is not squeezed by the page beside it: every plot keeps a readable width, and the
            # whole panel is on screen (no sideways scrolling) at the smallest window too, the theory aside.
            assert min(plot.width() for plot in panel.dashboard.findChildren(pg.PlotWidget)) >= 280, where
            if not theory:  # two planes side by side: the smallest window scrolls sideways to them
                assert panel.width() <= window.width(), where
    window.runner.shutdown()


def test_a_narrow_filmstrip_shows_the_first_and_the_latest_frames_and_evenly_between(qtbot):
    strip = Filmstrip(8, frame_shape=(4, 4))
    qtbot.addWidget(strip)
    strip.resize(8 * 70, 100)
    strip.show()
    for step in range(0, 800, 100):
        strip.add_frame(step, np.full((4, 4), step / 800, dtype=np.float32))
    strip.redraw()
    assert strip.shown == 8 and [v.label.text for v in strip.views] == [f"step {s}" for s in range(0, 800, 100)]
    strip.resize(strip.minimumWidth(), 100)  # as narrow as it goes: three frames
    qtbot.waitUntil(lambda: strip.shown == 3)
    shown = [v for v in strip.views if v.isVisible()]
    assert [v.label.text for v in shown] == ["step 0", "step 400", "step 700"]
    assert strip.minimumWidth() < 8 * 68
    qtbot.waitUntil(lambda: all(v.width() >= 60 for v in shown))  # each frame still readable


def test_the_form_sets_the_stabilisers_and_the_game_names_them(panel, qtbot, snapshots):
    settings = panel.controls.settings
    settings.d_norm.setCurrentIndex(settings.d_norm.findData("spectral"))
    settings.label_smoothing.setValue(0.1)
    cfg = panel.training_config()
    assert (cfg.d_norm, cfg.label_smoothing) == ("spectral", 0.1)
    panel.start_training(
        GANConfig(
            **{**TINY, "d_norm": "spectral", "label_smoothing": 0.1, "lr_g": 1e-4, "lr_d": 4e-4, "ema": 0.999},
            steps=100000,
        ),
        paused=True,
    )
    qtbot.waitUntil(lambda: len(snapshots) >= 1, timeout=60000)
    assert (
        "with spectral norm in D, real labels 0.9, D's rate 4× G's, G averaged (EMA 0.999)" in panel.model_info.text()
    )
    panel.runner.stop()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=60000)
    # The toy game's MLPs have no normalisation to choose; choosing it resets the smoothing to its default.
    panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData("toy"))
    assert not settings.d_norm.isEnabled() and settings.label_smoothing.value() == 0.0
    panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData("mnist"))
    assert settings.d_norm.isEnabled() and settings.d_norm.currentData() == "batch"


def test_the_plots_name_their_curves_in_their_titles_and_the_empty_filmstrip_says_what_will_come(
    panel, qtbot, snapshots
):
    for plot, names in ((panel.dashboard.losses, ("D", "G")), (panel.dashboard.outputs, ("D(x)", "D(G(z))"))):
        assert plot.getPlotItem().legend is None and plot.legend() == []  # no legend box, no second key list
        assert all(f"━ {name}" in plot.plotItem.titleLabel.text for name in names)
    box = panel.digits.filmstrip_box
    assert box.currentWidget() is panel.digits.empty_filmstrip and "appear here" in panel.digits.empty_filmstrip.text()
    panel.start_training(GANConfig(steps=1, **TINY))
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=60000)
    panel.refresh.flush()
    assert box.currentWidget() is panel.digits.filmstrip and panel.digits.filmstrip.steps()
