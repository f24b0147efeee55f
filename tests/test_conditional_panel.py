"""The Conditional panel, driven as a user would: drag a style through the cVAE's plane, restyle a test
digit, turn the guidance weight w, scrub the guided chain, measure the sweep, train, load from the File
menu; and how it lays out on a laptop screen."""

import numpy as np
import pytest
from layout_audit import layout_problems, plots_cut_off
from PySide6.QtCore import QPointF, Qt

from explorer.core.conditional import (
    GUIDANCE,
    SWEEP,
    CDDPMConfig,
    CVAEConfig,
    SweepPoint,
    SweepProgress,
    all_digits,
    guided_chain,
    restyle,
    style_grid,
)
from explorer.core.conditional.cddpm_state import CDDPMJob
from explorer.core.diffusion.chain_record import EPS_RANGE, to_grey
from explorer.core.runtime.checkpoints import checkpoint_kind, save_checkpoint
from explorer.core.runtime.jobs import run_to_end
from explorer.ui.panels.conditional import ConditionalPanel
from explorer.ui.panels.conditional.sweep_section import REAL, SHOWN, SweepSection
from explorer.ui.widgets.image_grid import GAP, tile


@pytest.fixture(scope="session")
def tiny_cvae_checkpoint(tmp_path_factory):
    """A small cVAE trained for one epoch on 2,048 digits by the project's own loop."""
    from explorer.core.conditional import train_cvae

    ckpt = run_to_end(train_cvae(CVAEConfig(epochs=1, hidden=32, train_limit=2048), device="cpu"))
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-cvae.safetensors", ckpt)


@pytest.fixture(scope="session")
def tiny_cddpm_checkpoint(tmp_path_factory):
    """A small cDDPM (T = 50) trained for a few steps by the project's own loop, fast enough that its class
    embedding already moves away from zero (no weight average), so that guidance changes its samples."""
    from explorer.core.conditional import train_cddpm

    cfg = CDDPMConfig(timesteps=50, base_channels=8, steps=4, batch_size=16, lr=5e-3, ema=0, train_limit=256)
    ckpt = run_to_end(train_cddpm(cfg, device="cpu"))
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-cddpm.safetensors", ckpt)


def wait_for_job(panel, qtbot, start):
    with qtbot.waitSignal(panel.runner.busy_changed, timeout=60000, check_params_cb=lambda busy: not busy):
        start()


@pytest.fixture
def panel(open_panel):
    return open_panel(ConditionalPanel)


@pytest.fixture
def cvae(panel, qtbot, tiny_cvae_checkpoint):
    panel.load_checkpoint(tiny_cvae_checkpoint)
    assert panel.tabs.currentWidget() is panel.cvae
    qtbot.waitUntil(lambda: not panel.cvae.planes.encoding, timeout=60000)  # the planes encode off the GUI thread
    return panel.cvae


@pytest.fixture
def cddpm(panel, qtbot, tiny_cddpm_checkpoint):
    """The guidance tab with the tiny model, its opening chain (4 samples, DDIM-10) drawn."""
    sampler = panel.cddpm.controls.sampler
    sampler.n_samples.setValue(4)
    sampler.ddim_steps.setValue(10)
    wait_for_job(panel, qtbot, lambda: panel.load_checkpoint(tiny_cddpm_checkpoint))
    assert panel.tabs.currentWidget() is panel.cddpm and panel.cddpm.chain.record.complete
    return panel.cddpm


def marker_point(plane):
    """The marker's position in the plane's widget coordinates."""
    return plane.mapFromScene(plane.plotItem.vb.mapViewToScene(plane.marker.pos()))


def test_dragging_the_marker_draws_all_ten_digits_with_its_z(cvae, qtbot, every_mouse_move):
    plane = cvae.plane
    start = marker_point(plane)
    end = plane.mapFromScene(plane.plotItem.vb.mapViewToScene(QPointF(1.2, -0.8)))
    qtbot.mousePress(plane.viewport(), Qt.MouseButton.LeftButton, pos=start)
    for f in np.linspace(0, 1, 6)[1:]:
        qtbot.mouseMove(plane.viewport(), start + (end - start) * f)
    qtbot.mouseRelease(plane.viewport(), Qt.MouseButton.LeftButton, pos=end)
    z = np.array(plane.marker_pos(), dtype=np.float32)
    assert np.allclose(z, (1.2, -0.8), atol=0.1)
    assert np.allclose(cvae.style.digits.pixels(), tile(all_digits(cvae.model, z), 5), atol=1e-6)
    walk = cvae.walk.walk(z)
    assert np.allclose(walk[:, 1], z[1]) and walk[0, 0] < z[0] < walk[-1, 0]  # along z₁, through the marker
    expected = style_grid(cvae.model, walk)
    assert np.allclose(cvae.walk.grid.pixels(), tile(expected.reshape(-1, 28, 28), len(walk)), atol=1e-6)
    assert "at the marker" in cvae.style.info.text()
    assert cvae.style.source.pixels() is None and "marker" in cvae.style.source.label.text  # not an empty box


def test_set_z_and_the_walk_axis_redraw_every_view(cvae):
    cvae.set_z(-1.5, 0.5)
    z = np.array([-1.5, 0.5], dtype=np.float32)
    assert np.allclose(cvae.style.digits.pixels(), tile(all_digits(cvae.model, z), 5), atol=1e-6)
    cvae.walk.axis.setCurrentIndex(1)
    cvae.walk.columns.setValue(5)
    walk = cvae.walk.walk(z)
    assert walk.shape == (5, 2) and np.allclose(walk[:, 0], -1.5)
    assert cvae.walk.grid.pixels().shape == (10 * (28 + GAP) - GAP, 5 * (28 + GAP) - GAP)
    line_x, line_y = cvae.planes.walk_line.getData()
    assert np.allclose(line_x, -1.5) and np.allclose(line_y, walk[:, 1])


def test_picking_a_test_digit_redraws_its_style_as_every_digit(cvae):
    cvae.style.test_index.setValue(12)
    image, label = cvae.test.images[12], int(cvae.test.labels[12])
    z, digits = restyle(cvae.model, image, label)
    assert np.allclose(cvae.style.digits.pixels(), tile(digits, 5), atol=1e-6)
    assert np.allclose(cvae.plane.marker_pos(), z, atol=1e-5)
    assert np.allclose(cvae.style.source.pixels(), image / 255.0)
    assert "test digit" in cvae.style.source.label.text
    assert f"#12, a {label}" in cvae.style.info.text()
    cvae.style.random_button.click()
    assert cvae.selected is not None and cvae.style.test_index.value() == cvae.selected


def test_the_cvae_plane_sits_beside_the_plain_vaes(cvae):
    plain, conditional = cvae.planes.plain.points, cvae.planes.plane.points
    assert len(plain._xy) == len(conditional._xy) == len(cvae.test.labels)
    assert not cvae.planes.plain.marker.isVisible() and cvae.planes.plane.marker.isVisible()


def test_moving_the_w_slider_draws_again_with_the_new_w(cddpm, qtbot):
    first = cddpm.chain.record
    assert first.guidance == GUIDANCE and first.digit == 7
    wait_for_job(cddpm, qtbot, lambda: cddpm.controls.guidance.setValue(6.0))
    second = cddpm.chain.record
    assert second is not first and second.guidance == 6.0 and second.complete
    assert np.array_equal(second.images[0, 0], first.images[0, 0])  # the same x_T ...
    assert not np.array_equal(second.images[-1, 2], first.images[-1, 2])  # ... guided elsewhere
    shown = cddpm.chain.player.grid.pixels()
    assert np.allclose(shown, tile(second.images[-1, 0].astype(np.float32) / 255, 2))
    assert "w = 6" in cddpm.chain.info.text()


def test_a_change_while_a_chain_runs_wins_over_it(cddpm, qtbot):
    cddpm.controls.sampler.ddim_steps.setValue(50)  # a longer chain, to change w while it runs
    qtbot.waitUntil(lambda: cddpm.runner.busy, timeout=10000)
    cddpm.controls.guidance.setValue(0.5)
    cddpm.controls.set_digit(3)
    cddpm.request_samples()  # as the controls ask once they have been still a moment
    qtbot.waitUntil(lambda: not cddpm.runner.busy and cddpm.chain.record.guidance == 0.5, timeout=60000)
    record = cddpm.chain.record
    assert (record.digit, record.guidance, record.total_steps, record.complete) == (3, 0.5, 50, True)


def test_a_change_of_the_state_shows_in_the_controls_and_draws_what_it_asks(cddpm, qtbot):
    controls = cddpm.controls
    controls.sampler.seed.setValue(8)  # an edit writes the state
    assert cddpm.state.seed == 8
    wait_for_job(cddpm, qtbot, lambda: cddpm.state.update(digit=2, w=3.0))  # one draw, once the request settles
    record = cddpm.chain.record
    assert (record.digit, record.guidance, record.seed, record.n, record.total_steps) == (2, 3.0, 8, 4, 10)
    assert record.complete and controls.digit_buttons.checkedId() == 2
    assert controls.guidance.value() == pytest.approx(3.0)


def test_the_running_job_in_the_state_sets_the_buttons(cddpm):
    sample, measure, train = cddpm.chain.sample_button, cddpm.sweep.measure_button, cddpm.training.train_button
    cddpm.state.update(busy=True, job=CDDPMJob.CHAIN)
    assert sample.isEnabled() and not measure.isEnabled() and not train.isEnabled()  # a new request wins
    cddpm.state.update(busy=False, job=None)
    assert sample.isEnabled() and measure.isEnabled() and train.isEnabled()


def test_the_chain_shows_both_noise_predictions_at_the_scrubbed_step(cddpm):
    record = cddpm.chain.record
    cddpm.chain.player.state.select(2)
    frames = list(
        guided_chain(
            cddpm.model, cddpm.model.schedule, record.n, record.digit, record.guidance, record.config, seed=record.seed
        )
    )
    for k in (0, 4, record.count - 1):
        cddpm.timeline.set_frame(k)
        for kind in ("eps_cond", "eps_uncond", "eps"):
            stored = record.image(k, kind, 2)
            assert np.allclose(cddpm.chain.player.big[kind].pixels(), stored / 255.0)
            recomputed = to_grey(getattr(frames[k], kind)[2], EPS_RANGE)
            assert np.abs(recomputed.astype(int) - stored).max() <= 1  # the same numbers, up to a grey level
        assert f"step {k + 1} / {record.total_steps}" in cddpm.timeline.info.text()
    assert not np.array_equal(record.image(4, "eps_cond", 2), record.image(4, "eps_uncond", 2))


def test_the_sweep_plots_one_point_per_w(cddpm, qtbot):
    sweep = cddpm.sweep
    assert sweep.strip.pixels() is None  # nothing measured yet: a blank strip, not a black square
    sweep.n.setValue(4)
    cddpm.controls.sampler.ddim_steps.setValue(5)
    wait_for_job(cddpm, qtbot, cddpm.request_samples)  # the draw that change asks for
    wait_for_job(cddpm, qtbot, cddpm.start_sweep)
    assert sweep.accuracy.x_values("samples") == list(SWEEP) == sweep.diversity.x_values("samples")
    assert sweep.diversity.points(REAL) == 2
    assert sweep.strip.pixels().shape == (len(SWEEP) * (28 + GAP) - GAP, SHOWN * (28 + GAP) - GAP)
    assert "4 × 7 per w" in sweep.info.text()
    assert layout_problems(cddpm) == []  # its report fits its room


def test_a_sweep_plots_the_points_it_reports_and_a_stopped_one_says_how_far_it_got(qtbot):
    sweep = SweepSection(values=(0.0, 2.0, 4.0), symbol="s")
    qtbot.addWidget(sweep)
    ready = sweep.info.text()
    point = SweepPoint(2.0, accuracy=0.5, diversity=3.0, fid=10.0, samples=np.zeros((SHOWN, 28, 28), np.float32))
    sweep.follow(SweepProgress(0.1, "drawing"))  # a report without a point only moves the status bar
    sweep.follow(SweepProgress(0.5, "judged", point))
    assert sweep.accuracy.x_values("samples") == [2.0] and sweep.points == [point]
    sweep.end(True)
    assert sweep.info.text() == ready  # a finished sweep has said what it found
    sweep.end(False)
    assert sweep.info.text() == "Stopped after 1 of 3 values of s."


def test_training_a_tiny_cvae_installs_it_and_stop_brings_the_last_one_back(cvae, qtbot):
    cfg = CVAEConfig(epochs=1, hidden=16, batch_size=64, train_limit=512)
    wait_for_job(cvae, qtbot, lambda: cvae.start_training(cfg))
    assert cvae.model_cfg == cfg and "Not saved yet" in cvae.model_info.text()
    assert cvae.curves["neg_elbo"].points("test") == 1
    trained = cvae.model
    cvae.start_training(CVAEConfig(epochs=50, hidden=16, batch_size=64, train_limit=512))
    qtbot.waitUntil(lambda: cvae.model is not trained, timeout=60000)  # the views follow the run's model
    wait_for_job(cvae, qtbot, cvae.runner.stop)
    assert cvae.model is trained and "previous model is back" in cvae.model_info.text()
    z = np.array(cvae.plane.marker_pos(), dtype=np.float32)
    assert np.allclose(cvae.style.digits.pixels(), tile(all_digits(trained, z), 5), atol=1e-6)


def test_training_a_tiny_cddpm_installs_and_draws_it_and_stop_keeps_the_last_one(cddpm, qtbot):
    cfg = CDDPMConfig(timesteps=20, base_channels=8, steps=2, batch_size=8, ema=0, train_limit=64)
    wait_for_job(cddpm, qtbot, lambda: cddpm.start_training(cfg))
    assert cddpm.model_cfg == cfg and "Not saved yet" in cddpm.model_info.text()
    assert cddpm.training.loss_plot.points("train") >= 1
    assert cddpm.training.train_samples.pixels().shape == (2 * (28 + GAP) - GAP, 10 * (28 + GAP) - GAP)
    qtbot.waitUntil(
        lambda: not cddpm.runner.busy and cddpm.chain.record is not None and cddpm.chain.record.complete, timeout=60000
    )  # the new model is drawn at once
    assert cddpm.chain.record.total_steps == 10  # DDIM-10 on T = 20
    trained = cddpm.model
    cddpm.start_training(CDDPMConfig(timesteps=20, base_channels=8, steps=10_000, batch_size=8, train_limit=64))
    qtbot.waitUntil(lambda: cddpm.training.loss_plot.points("train") >= 1, timeout=60000)
    wait_for_job(cddpm, qtbot, cddpm.runner.stop)
    assert cddpm.model is trained and "previous model is back" in cddpm.model_info.text()


def test_the_training_forms_can_only_ask_for_supported_configs(panel):
    """Every spin box of both forms, at its minimum and at its maximum, gives a config within its limits."""
    from PySide6.QtWidgets import QAbstractSpinBox

    from explorer.core.families import FAMILIES
    from explorer.core.runtime.checkpoints import load_checkpoint
    from explorer.ui.panels.conditional.cddpm_training import FROM_DDPM, FROM_SCRATCH

    for tab in panel.model_panels:
        spins = [s for s in tab.training.findChildren(QAbstractSpinBox) if hasattr(s, "maximum")]
        assert spins
        for end in ("minimum", "maximum"):
            for spin in spins:
                spin.setValue(getattr(spin, end)())
            tab.training_config()  # raises ConfigError if a control's range passes a limit
    form = panel.cddpm.training
    form.start_from.setCurrentText(FROM_SCRATCH)
    assert form.training_config().init_from == ""
    form.start_from.setCurrentText(FROM_DDPM)
    ddpm = load_checkpoint(FAMILIES["ddpm"].default_checkpoint)
    cfg = form.training_config()  # the shipped DDPM's schedule and U-Net, which a run from it must share
    assert cfg.init_from.endswith("ddpm.safetensors") and cfg.timesteps == ddpm.config["timesteps"]


def test_without_models_each_tab_says_how_to_get_one(open_panel, monkeypatch, tmp_path):
    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)
    panel = open_panel(ConditionalPanel)
    panel.load_shipped()
    for tab, name in ((panel.cvae, "cvae"), (panel.cddpm, "cddpm")):
        assert tab.model is None
        assert f"{name}.safetensors is not there" in tab.model_info.text() and "Train" in tab.model_info.text()
    assert "No conditional VAE yet" in panel.cvae.style.info.text()
    assert "No conditional diffusion model yet" in panel.cddpm.chain.info.text()
    assert "no vae.safetensors" in panel.cvae.planes.plain.plotItem.titleLabel.text
    assert not panel.cddpm.sweep.measure_button.isEnabled()


def test_file_load_of_a_conditional_checkpoint_lands_in_its_tab(
    qtbot, tmp_path, tiny_cvae_checkpoint, tiny_cddpm_checkpoint
):
    from explorer.ui.main_window import MainWindow

    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.show_panel("vae")
    assert win.load_checkpoint(str(tiny_cvae_checkpoint))
    panel = win.panels["conditional"]
    assert win.tabs.current_name() == "conditional" and panel.tabs.currentWidget() is panel.cvae
    assert panel.cvae.model is not None and win.save_action.isEnabled()
    win.show_panel("gan")
    wait_for_job(panel, qtbot, lambda: win.load_checkpoint(str(tiny_cddpm_checkpoint)))
    assert win.tabs.current_name() == "conditional" and panel.checkpoint_kind == "cddpm"
    for tab, kind in ((panel.cddpm, "cddpm"), (panel.cvae, "cvae")):
        panel.tabs.setCurrentWidget(tab)
        out = tmp_path / f"{kind}-mine.safetensors"
        assert win.save_checkpoint(str(out)) and checkpoint_kind(out) == kind
    win.runner.shutdown()


def test_the_panel_fits_a_laptop_screen(open_panel, tiny_cvae_checkpoint, tiny_cddpm_checkpoint, qtbot):
    panel = open_panel(ConditionalPanel, size=(1260, 640))
    panel.load_checkpoint(tiny_cvae_checkpoint)
    wait_for_job(panel, qtbot, lambda: panel.load_checkpoint(tiny_cddpm_checkpoint))
    for tab in panel.model_panels:
        panel.tabs.setCurrentWidget(tab)
        qtbot.wait(20)
        assert layout_problems(panel) == [] and plots_cut_off(panel) == []


@pytest.fixture(scope="session")
def tiny_guidance_models():
    """A DDPM and a noisy classifier of the tiny cDDPM's schedule (T = 50), as (config, weights) pairs."""
    import torch

    from explorer.core.conditional.noisy_classifier import NoisyClassifierConfig, train_noisy_classifier
    from explorer.core.diffusion.model import DDPMConfig, build_ddpm
    from explorer.core.runtime.checkpoints import weights_of

    torch.manual_seed(0)
    ddpm_cfg = DDPMConfig(timesteps=50, base_channels=8)
    ddpm = build_ddpm(ddpm_cfg)
    noisy_cfg = NoisyClassifierConfig(channels=8, timesteps=50, steps=5, batch_size=16, train_limit=256)
    noisy = run_to_end(train_noisy_classifier(noisy_cfg, device="cpu"))
    return (ddpm_cfg, {k: v.numpy() for k, v in ddpm.unet.state_dict().items()}), (noisy_cfg, weights_of(noisy))


def test_classifier_guidance_draws_both_guidances_from_the_same_noise_and_sweeps_s(
    panel, qtbot, tiny_cddpm_checkpoint, tiny_guidance_models
):
    from explorer.core.conditional.sweep import CLASSIFIER_SWEEP
    from explorer.core.diffusion.model import build_ddpm
    from explorer.core.diffusion.sampler import SamplerConfig
    from explorer.core.runtime.checkpoints import model_from_weights

    tab = panel.classifier_guidance
    tab._models = tiny_guidance_models
    sampler = tab.controls.sampler
    sampler.n_samples.setValue(4)
    sampler.ddim_steps.setValue(5)
    wait_for_job(panel, qtbot, lambda: panel.load_checkpoint(tiny_cddpm_checkpoint))
    wait_for_job(panel, qtbot, lambda: panel.tabs.setCurrentWidget(tab))  # its first show draws both
    assert tab.pushed.n == 4 and tab.free.n == 4
    assert "% read as 7" in tab.info.text() and "classifier-free:" in tab.info.text()
    assert panel.current() is panel.cddpm  # File ▸ Save on this tab saves the cDDPM it compares
    tab.scale.setValue(0.0)  # s = 0: exactly the plain DDPM's digits from the same x_T
    wait_for_job(panel, qtbot, tab.draw)
    plain = model_from_weights(build_ddpm, *tiny_guidance_models[0], part="unet").sample(
        4, seed=sampler.seed.value(), sampler=SamplerConfig("ddim", 5, sampler.eta.value())
    )
    assert np.array_equal(tab.pushed.pixels(), tile(plain, tab.pushed.columns))
    tab.sweep.n.setValue(4)
    wait_for_job(panel, qtbot, tab.start_sweep)
    assert tab.sweep.accuracy.x_values("samples") == list(CLASSIFIER_SWEEP)
    assert "4 × 7 per s" in tab.sweep.info.text()


def test_the_cvae_tab_follows_its_state(cvae):
    state = cvae.state
    state.update(z=(-1.0, 0.75))
    assert cvae.plane.marker_pos() == (-1.0, 0.75)
    assert np.allclose(cvae.style.digits.pixels(), tile(all_digits(cvae.model, state.point_z(2)), 5), atol=1e-6)
    cvae.select_test_digit(12)
    assert state.selected == 12 and np.allclose(cvae.plane.marker_pos(), state.z)
    assert len(cvae.plane.selected.getData()[0]) == 1  # the posterior outlined
    state.drag_to(0.5, 0.5)
    assert cvae.selected is None and cvae.plane.marker_pos() == (0.5, 0.5)
    assert len(cvae.plane.selected.getData()[0]) == 0
    state.update(epochs=2, beta=0.5)
    assert (cvae.training.epochs.value(), cvae.training.beta.value()) == (2, 0.5)
    assert cvae.training_config() == CVAEConfig(epochs=2, beta=0.5)
    state.update(busy=True)
    assert not cvae.training.train_button.isEnabled()
    state.update(busy=False)
    assert cvae.training.train_button.isEnabled()


def test_the_classifier_guidance_tab_follows_its_state(panel):
    tab = panel.classifier_guidance
    state = tab.state
    state.update(digit=4, scale=7.5, sweep_n=40)
    assert tab.controls.digit_buttons.checkedId() == 4 and tab.scale.value() == 7.5 and tab.sweep.n.value() == 40
    tab.scale.setValue(2.0)  # an edit writes the state
    assert state.scale == 2.0
    state.update(busy=True)
    assert not tab.draw_button.isEnabled() and not tab.sweep.measure_button.isEnabled()
    state.update(busy=False)
    assert tab.draw_button.isEnabled() and tab.sweep.measure_button.isEnabled()
