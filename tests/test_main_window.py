"""The main window: every panel opens, the shipped model loads, errors are shown, closing mid-run is clean."""

import multiprocessing
import subprocess
import sys

import pytest
from PySide6.QtCore import QThreadPool

from explorer.cli import PANELS
from explorer.core.vae import VAEConfig
from explorer.ui.main_window import PANEL_FACTORIES, MainWindow


@pytest.fixture
def window(qtbot):
    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.resize(1500, 950)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_every_panel_opens_and_renders(window, qtbot):
    assert set(PANEL_FACTORIES) == set(PANELS)
    for name in PANELS:
        window.show_panel(name)
        qtbot.wait(10)
        assert not window.grab().isNull()
        assert window.current_panel() is window.panels[name]


def test_loading_a_bad_checkpoint_shows_a_message_and_keeps_the_model(window, tmp_path, tiny_vae_checkpoint):
    window.show_panel("vae")
    assert window.load_checkpoint(str(tiny_vae_checkpoint))
    panel = window.panels["vae"]
    model = panel.model
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x80\x04not a checkpoint")
    assert not window.load_checkpoint(str(bad))
    assert "not a readable checkpoint" in window.last_error
    assert panel.model is model


def test_save_writes_a_checkpoint_that_loads_back(window, tmp_path, tiny_vae_checkpoint):
    window.load_checkpoint(str(tiny_vae_checkpoint))
    out = tmp_path / "mine.safetensors"
    assert window.save_checkpoint(str(out))
    window.panels["vae"].model = None
    assert window.load_checkpoint(str(out)) and window.panels["vae"].model is not None


def test_closing_the_window_mid_training_leaves_no_thread_or_process(window, qtbot, tiny_vae_checkpoint):
    panel = window.panels["vae"]
    panel.load_checkpoint(tiny_vae_checkpoint)
    panel.start_training(VAEConfig(epochs=50, hidden=32, train_limit=1024))
    qtbot.waitUntil(lambda: panel.curves["neg_elbo"].points("train") >= 1, timeout=60000)
    assert multiprocessing.active_children()
    window.close()
    assert not window.runner.busy or QThreadPool.globalInstance().activeThreadCount() == 0
    assert multiprocessing.active_children() == []


def test_screenshot_command_renders_the_window(tmp_path):
    out = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "explorer", "--screenshot", str(out), "--panel", "divergences"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20000


def test_the_status_bar_drives_pause_and_stop(window, qtbot, tiny_vae_checkpoint):
    panel = window.panels["vae"]
    panel.load_checkpoint(tiny_vae_checkpoint)
    assert not window.pause_button.isEnabled()
    panel.start_training(VAEConfig(epochs=50, hidden=32, train_limit=1024))
    qtbot.waitUntil(lambda: panel.curves["neg_elbo"].points("train") >= 1, timeout=60000)
    window.pause_button.click()
    assert window.runner.paused and window.pause_button.text() == "Resume"
    assert window.job_label.text().endswith("(paused)")
    window.pause_button.click()
    assert not window.runner.paused and not window.job_label.text().endswith("(paused)")
    window.stop_button.click()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=20000)
    assert not window.stop_button.isEnabled() and window.job_label.text().endswith("stopped")


@pytest.mark.parametrize("name", ["vae", "diffusion", "gan"])
def test_a_panels_training_controls_can_only_ask_for_supported_configs(window, name):
    """Every spin box of the training form, at its minimum and at its maximum, gives a config
    within the limits the config itself checks (so the panel never meets a ConfigError)."""
    from PySide6.QtWidgets import QAbstractSpinBox

    panel = window.panels[name]
    spins = [s for s in panel.findChildren(QAbstractSpinBox) if hasattr(s, "maximum")]
    assert spins
    for end in ("minimum", "maximum"):
        for spin in spins:
            spin.setValue(getattr(spin, end)())
        panel.training_config()  # raises ConfigError if a control's range passes a limit


def test_a_missing_data_file_or_bad_shipped_model_at_launch_is_one_dialog_and_the_rest_opens(qtbot, monkeypatch):
    from explorer.core.runtime.errors import CheckpointError, DataError
    from explorer.ui.main_window import UnavailablePanel
    from explorer.ui.panels.gan import GANPanel
    from explorer.ui.panels.vae import panel as vae_panel

    def missing(split):
        raise DataError("MNIST file missing: /somewhere/t10k-images-idx3-ubyte.gz. The app ships it; restore it.")

    def damaged(self):
        raise CheckpointError("gan.safetensors is not a readable checkpoint: it is corrupt.")

    monkeypatch.setattr(vae_panel, "load_mnist", missing)
    monkeypatch.setattr(GANPanel, "load_shipped", damaged)
    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.load_shipped_checkpoints()
    assert isinstance(win.panels["vae"], UnavailablePanel) and "t10k-images" in win.panels["vae"].text()
    assert not isinstance(win.panels["divergences"], UnavailablePanel)
    assert not isinstance(win.panels["gan"], UnavailablePanel)  # it opens, without a model
    assert "t10k-images-idx3-ubyte.gz" in win.last_error and "gan.safetensors" in win.last_error
    assert "git checkout -- checkpoints" in win.last_error  # and how to fix it
    assert win._error_box.isVisible()
    win.show_panel("vae")
    assert not win.save_action.isEnabled()  # nothing to save from a panel that did not open
    win._error_box.close()


def test_every_panel_speaks_the_protocol_the_window_uses(window):
    from explorer.ui.panels.model_panel import ModelPanel, PanelProtocol

    for name, panel in window.panels.items():
        assert isinstance(panel, PanelProtocol), name
        assert (panel.checkpoint_kind is not None) == isinstance(panel, ModelPanel), name
