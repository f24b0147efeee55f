"""The Conditional GAN tab, driven as a user would: without a model it says how to get one; a loaded model's
style × digit grid keeps z along a row and y along a column; Train plays the game live and installs G; Stop
brings the last model back; File ▸ Load of a cgan checkpoint lands in its tab; it fits a laptop screen."""

import numpy as np
import pytest
from layout_audit import layout_problems, plots_cut_off

from explorer.core.cgan.model import asked_digits_read, style_digit_grid
from explorer.core.cgan.nets import CGANConfig
from explorer.core.cgan.training import train_cgan
from explorer.core.runtime.checkpoints import checkpoint_kind, save_checkpoint
from explorer.core.runtime.jobs import run_to_end
from explorer.ui.panels.conditional.cgan_panel import GRID_ROWS, CGANPanel
from explorer.ui.widgets.image_grid import tile

TINY = {"channels": 4, "latent_dim": 8, "depth": 0, "batch_size": 16, "train_limit": 256, "ema": 0.0}


@pytest.fixture(scope="module")
def tiny_cgan_checkpoint(tmp_path_factory):
    """A tiny cGAN trained for a few steps, its label pathways moved off zero (label_lr_scale at 100)."""
    ckpt = run_to_end(train_cgan(CGANConfig(steps=4, label_lr_scale=100.0, **TINY), "cpu"))
    return save_checkpoint(tmp_path_factory.mktemp("cgan") / "tiny-cgan.safetensors", ckpt)


@pytest.fixture
def panel(open_panel):
    return open_panel(CGANPanel)


def wait_for_job(panel, qtbot, start):
    with qtbot.waitSignal(panel.runner.busy_changed, timeout=60000, check_params_cb=lambda busy: not busy):
        start()


def test_without_a_model_the_tab_says_how_to_get_one(open_panel, monkeypatch, tmp_path):
    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)
    panel = open_panel(CGANPanel)
    panel.load_shipped()
    assert panel.model is None and panel.missing_shipped() == []  # not shipped: no launch dialog, the tab says
    text = panel.model_info.text()
    assert "cgan.safetensors is not shipped" in text and "Train" in text and "gen-explorer train cgan" in text
    assert "drawn here once a model is trained or loaded" in panel.grid.label.text
    assert not panel.new_styles.isEnabled() and panel.grid.pixels() is None


def test_the_loaded_grid_is_each_style_as_every_digit_and_new_styles_draws_others(panel, qtbot, tiny_cgan_checkpoint):
    panel.load_checkpoint(tiny_cgan_checkpoint)
    qtbot.waitUntil(lambda: panel.meter.pending == 0, timeout=30000)  # the share read as asked, counted off-thread
    assert np.allclose(panel.asked.shares, np.nan_to_num(asked_digits_read(panel.model, panel.model_cfg)))
    expected = style_digit_grid(panel.model, GRID_ROWS, panel.seed).reshape(-1, 28, 28)
    assert np.allclose(panel.grid.pixels(), tile(expected, 10))
    columns = expected.reshape(GRID_ROWS, 10, 28, 28)
    assert not np.allclose(columns[0, 0], columns[0, 1])  # one z, two digits: two pictures
    assert "Model: 4 steps" in panel.model_info.text()
    before = panel.grid.pixels().copy()
    panel.new_styles.click()
    assert not np.allclose(panel.grid.pixels(), before)


def test_train_plays_the_game_live_installs_g_and_stop_keeps_the_last_one(panel, qtbot, tiny_cgan_checkpoint):
    panel.load_checkpoint(tiny_cgan_checkpoint)
    loaded = panel.model
    cfg = CGANConfig(steps=3, **TINY)
    wait_for_job(panel, qtbot, lambda: panel.start_training(cfg))
    assert panel.model is not loaded and panel.model_cfg == cfg and "Not saved yet" in panel.model_info.text()
    assert panel.dashboard.losses.points("D loss") >= 1 and panel.checkpoint.kind == "cgan"
    trained = panel.model
    panel.start_training(CGANConfig(steps=100_000, **TINY))
    qtbot.waitUntil(lambda: panel.dashboard.losses.points("D loss") >= 1, timeout=60000)
    assert panel.training.stop_button.isEnabled() and not panel.new_styles.isEnabled()
    wait_for_job(panel, qtbot, panel.training.stop_button.click)
    assert panel.model is trained and "previous model is back" in panel.model_info.text()
    assert not panel.training.stop_button.isEnabled()


def test_the_form_starts_from_the_shipped_gan_with_its_nets(panel):
    from explorer.core.families import FAMILIES
    from explorer.core.runtime.checkpoints import load_checkpoint
    from explorer.ui.panels.conditional.cgan_training import FROM_GAN, FROM_SCRATCH

    panel.training.start_from.setCurrentText(FROM_GAN)
    cfg = panel.training_config()
    gan = load_checkpoint(FAMILIES["gan"].default_checkpoint)
    assert cfg.init_from.endswith("gan.safetensors")
    assert (cfg.channels, cfg.depth, cfg.latent_dim) == (gan.config["channels"], gan.config["depth"], 64)
    panel.training.start_from.setCurrentText(FROM_SCRATCH)
    assert panel.training_config().init_from == ""


def test_file_load_of_a_cgan_checkpoint_lands_in_its_tab(qtbot, tmp_path, tiny_cgan_checkpoint):
    from explorer.ui.main_window import MainWindow

    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.show_panel("gan")
    assert win.load_checkpoint(str(tiny_cgan_checkpoint))
    panel = win.panels["conditional"]
    assert win.tabs.current_name() == "conditional" and panel.tabs.currentWidget() is panel.cgan
    out = tmp_path / "cgan-mine.safetensors"
    assert win.save_checkpoint(str(out)) and checkpoint_kind(out) == "cgan"
    win.runner.shutdown()


@pytest.mark.parametrize("size", [(1260, 640), (1004, 580)])
def test_the_tab_fits_a_laptop_screen(open_panel, tiny_cgan_checkpoint, qtbot, size):
    panel = open_panel(CGANPanel, size=size)
    panel.load_checkpoint(tiny_cgan_checkpoint)
    qtbot.wait(20)
    assert layout_problems(panel) == [] and plots_cut_off(panel) == []


def test_the_form_and_the_buttons_follow_the_tabs_state(panel, qtbot, tiny_cgan_checkpoint):
    from explorer.core.cgan.panel_state import SCRATCH, StartFrom
    from explorer.ui.panels.conditional.cgan_training import FROM_SCRATCH

    panel.state.update(steps=7, start_from=StartFrom.SCRATCH)
    assert panel.training.train_steps.value() == 7 and panel.training.start_from.currentText() == FROM_SCRATCH
    assert panel.training_config() == CGANConfig(steps=7, **SCRATCH)
    panel.training.train_steps.setValue(9)  # an edit writes the state
    assert panel.state.steps == 9
    assert not panel.new_styles.isEnabled()
    panel.load_checkpoint(tiny_cgan_checkpoint)
    assert panel.new_styles.isEnabled()
    before = panel.grid.pixels().copy()
    panel.state.new_styles()
    assert not np.allclose(panel.grid.pixels(), before)
    panel.state.update(busy=True)
    assert not panel.training.train_button.isEnabled() and panel.new_styles.isEnabled()
