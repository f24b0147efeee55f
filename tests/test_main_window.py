"""The main window: every panel opens, the shipped model loads, errors are shown, closing mid-run is clean."""

import multiprocessing
import subprocess
import sys

import pytest
from PySide6.QtCore import QThreadPool

from explorer.cli import MIN_SIZE
from explorer.core.vae import VAEConfig
from explorer.ui.main_window import MainWindow
from explorer.ui.panel_registry import PANEL_NAMES


@pytest.fixture
def window(qtbot):
    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.show_panel("vae")  # as the app opens (gen-explorer --panel vae is the default)
    win.resize(1500, 950)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_every_panel_opens_and_renders(window, qtbot):
    assert window.tabs.names == list(PANEL_NAMES)
    for name in PANEL_NAMES:
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
    qtbot.waitUntil(lambda: panel.training.curves["neg_elbo"].points("train") >= 1, timeout=60000)
    assert multiprocessing.active_children()
    window.close()
    assert not window.runner.busy or QThreadPool.globalInstance().activeThreadCount() == 0
    assert multiprocessing.active_children() == []


def test_screenshot_command_renders_the_window(tmp_path):
    out = tmp_path / "shot.png"
    result = subprocess.run(
        [sys.executable, "-m", "explorer", "--screenshot", str(out), "--panel", "divergences"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 20000


def test_the_status_bar_drives_pause_and_stop(window, qtbot, tiny_vae_checkpoint):
    panel = window.panels["vae"]
    panel.load_checkpoint(tiny_vae_checkpoint)
    assert not window.pause_button.isEnabled()
    panel.start_training(VAEConfig(epochs=50, hidden=32, train_limit=1024))
    qtbot.waitUntil(lambda: panel.training.curves["neg_elbo"].points("train") >= 1, timeout=60000)
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
    from explorer.ui.panel_tabs import UnavailablePanel
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
    from explorer.ui.panel_protocol import HoldsModel, HoldsModels, PanelProtocol, Trains
    from explorer.ui.panel_registry import PANELS
    from explorer.ui.panels.model_panel import ModelPanel

    for entry in PANELS:
        panel = window.panels[entry.name]
        assert isinstance(panel, PanelProtocol), entry.name
        assert panel.title == entry.title and type(panel) is entry.panel_class(), entry.name  # the registry is right
        models = panel.model_panels if isinstance(panel, HoldsModels) else (panel,)  # Conditional: several
        assert (panel.checkpoint_kind is not None) == all(isinstance(p, ModelPanel) for p in models), entry.name
        assert isinstance(panel, HoldsModel) == bool(entry.checkpoint_kinds), entry.name
        assert all(isinstance(p, Trains) for p in models) == bool(entry.checkpoint_kinds), entry.name
        # File ▸ Load takes a checkpoint of each kind the registry names to this panel, and no other kind
        assert {p.checkpoint_kind for p in models if isinstance(p, ModelPanel)} == set(entry.checkpoint_kinds)


def test_a_jobs_messages_belong_to_its_panel(window, qtbot, tiny_vae_checkpoint):
    panel = window.panels["vae"]
    panel.load_checkpoint(tiny_vae_checkpoint)
    panel.start_training(VAEConfig(epochs=50, hidden=32, train_limit=1024))
    qtbot.waitUntil(lambda: panel.training.curves["neg_elbo"].points("train") >= 1, timeout=60000)
    window.show_panel("gan")  # another tab: its own (empty) line, a note on the job running elsewhere
    assert window.job_label.text() == "also running: VAE"
    assert not window.stop_button.isEnabled()  # the status bar's buttons act on the tab on show
    window.show_panel("vae")
    assert window.job_label.text().startswith("Training VAE")
    window.stop_button.click()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=20000)
    assert window.job_label.text() == "Training VAE: stopped"
    window.show_panel("gan")
    assert "stopped" not in window.job_label.text()  # the GAN tab has no job line of its own


def test_a_long_job_says_how_long_it_has_run_and_has_left(window, qtbot, tiny_vae_checkpoint, monkeypatch):
    monkeypatch.setattr("explorer.core.runtime.progress.SHOW_AFTER_S", 0.0)
    panel = window.panels["vae"]
    panel.load_checkpoint(tiny_vae_checkpoint)
    panel.start_training(VAEConfig(epochs=50, hidden=32, train_limit=1024))
    qtbot.waitUntil(lambda: "left" in window.job_label.text(), timeout=60000)
    assert "elapsed, about" in window.job_label.text()
    window.stop_button.click()
    qtbot.waitUntil(lambda: not window.runner.busy, timeout=20000)


def test_letters_typed_on_the_menu_bar_run_no_command_and_shortcuts_work_anywhere(window, qtbot, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QKeySequence

    ran = []
    monkeypatch.setattr(window, "_on_save_triggered", lambda: ran.append("save"))
    window.save_action.triggered.disconnect()
    window.save_action.triggered.connect(window._on_save_triggered)
    for key in (Qt.Key.Key_S, Qt.Key.Key_L, Qt.Key.Key_Q):
        qtbot.keyClick(window.menuBar(), key)
    assert ran == [] and window.isVisible()
    for action, standard in (
        (window.load_action, QKeySequence.StandardKey.Open),
        (window.save_action, QKeySequence.StandardKey.Save),
    ):
        assert action.shortcut() == QKeySequence(standard)
        assert action.shortcutContext() == Qt.ShortcutContext.ApplicationShortcut and action in window.actions()
    assert "&" not in window.save_action.text()


def test_the_screenshot_size_option_is_checked():
    import argparse

    from explorer.cli import window_size

    assert window_size("1280x720") == (1280, 720)
    for bad in ("1280", "axb", "100x100", "9000x9000"):
        with pytest.raises(argparse.ArgumentTypeError):
            window_size(bad)


def test_a_long_error_fits_the_status_bar_and_moves_nothing(window, qtbot, tmp_path):
    before = window.progress.geometry()
    bad = tmp_path / ("a-checkpoint-with-a-very-long-name-" * 4 + ".safetensors")
    bad.write_bytes(b"\xff" * 64)
    window.show_panel("vae")
    assert not window.load_checkpoint(str(bad))
    shown = window.statusBar().currentMessage()
    assert shown.endswith("…") and shown.startswith("a-checkpoint-with")
    assert window.statusBar().fontMetrics().horizontalAdvance(shown) < window.progress.x()
    qtbot.wait(50)
    assert window.progress.geometry() == before
    window._error_box.close()


@pytest.mark.parametrize(
    "size", [(1280, 720), (1260, 650), (1500, 950), MIN_SIZE], ids=["1280x720", "1260x650", "1500x950", "minimum"]
)
def test_every_panel_lays_out_cleanly_on_a_laptop_screen_and_the_default_size(qtbot, size):
    """Nothing drawn over anything else and no text cut off (labels, spin boxes, combo boxes), in the whole
    window, on every tab, the GAN's toy game too: from the default size down to the smallest, where a
    panel too big scrolls rather than crushes."""
    from layout_audit import layout_problems

    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.load_shipped_checkpoints()
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    # every panel built (after the first paint) and its opening job done, side by side on a busy CPU
    qtbot.waitUntil(lambda: win.tabs.settled and not win.busy, timeout=300000)
    for name in PANEL_NAMES:
        win.show_panel(name)
        qtbot.wait(30)
        assert win.size().toTuple() == size, f"{name}: the window cannot be {size}"
        assert layout_problems(win) == [], name
    win.show_panel("gan")
    win.panels["gan"].controls.settings.set_mode("toy")
    qtbot.wait(30)
    assert layout_problems(win) == [], "gan, toy game"


def test_the_window_opens_within_the_screen(qtbot):
    from PySide6.QtCore import QRect, Qt

    from explorer.cli import DEFAULT_SIZE

    roomy = MainWindow(device="cpu")
    qtbot.addWidget(roomy)
    roomy.place_within(QRect(0, 0, 1920, 1040))
    assert roomy.size().toTuple() == DEFAULT_SIZE and not roomy.windowState() & Qt.WindowState.WindowMaximized
    assert QRect(0, 0, 1920, 1040).contains(roomy.frameGeometry())
    small = MainWindow(device="cpu")
    qtbot.addWidget(small)
    small.place_within(QRect(0, 0, 1280, 680))  # a 720p screen less its taskbar
    assert small.windowState() & Qt.WindowState.WindowMaximized
    assert small.width() <= 1280 and small.height() <= 680 - 60
    assert small.minimumWidth() <= 1260 and small.minimumHeight() <= 650


def test_every_tab_runs_its_opening_job_whichever_tab_opens_first(qtbot):
    # A normal launch shows the first tab (PixelCNN), which writes digits; the Diffusion tab, built a turn
    # later, must still sample its opening chain: each tab has its own runner.
    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.show_panel("pixelcnn")  # as a launch with --panel pixelcnn does
    win.load_shipped_checkpoints()
    assert win.runners["pixelcnn"].busy
    # built in the background, its model loaded at the next turn, and its opening chain started then
    qtbot.waitUntil(lambda: "diffusion" in win.tabs.built and win.panels["diffusion"].model is not None, timeout=30000)
    assert win.runners["diffusion"].busy  # not skipped while the PixelCNN tab's job runs
    assert win.runners["pixelcnn"].busy or win.panels["pixelcnn"].model is not None
    win.show_panel("diffusion")  # the status bar now speaks for the Diffusion tab
    assert win.runner is win.runners["diffusion"] and win.stop_button.isEnabled()

    def all_stopped() -> bool:  # a panel built meanwhile (Conditional) starts its own opening job
        for runner in win.runners.values():
            runner.stop()
        return not win.busy

    qtbot.waitUntil(all_stopped, timeout=60000)


def test_a_tab_can_train_while_another_tabs_job_runs(qtbot, tiny_vae_checkpoint):
    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.show_panel("vae")
    vae = win.panels["vae"]
    vae.load_checkpoint(tiny_vae_checkpoint)
    win.panels["pixelcnn"].load_shipped()  # writes its opening digits on the PixelCNN tab's runner
    assert win.runners["pixelcnn"].busy
    assert vae.training.train_button.isEnabled()
    vae.start_training(VAEConfig(epochs=50, hidden=32, train_limit=1024))
    assert win.runners["vae"].busy and win.runners["pixelcnn"].busy
    win.stop_button.click()  # the tab on show's job only
    qtbot.waitUntil(lambda: not win.runners["vae"].busy, timeout=20000)
    for runner in win.runners.values():
        runner.stop()
    qtbot.waitUntil(lambda: not win.busy, timeout=30000)


def test_the_app_collects_reference_cycles_on_its_event_loop_and_not_at_random(qapp, qtbot):
    import gc
    import weakref

    from explorer.app import collect_garbage_on_the_gui_thread

    class Node:
        pass

    collector = collect_garbage_on_the_gui_thread(qapp, interval_s=0.05)
    try:
        assert not gc.isenabled()  # no collection inside whatever Qt call happens to allocate
        cycle = Node()
        cycle.self = cycle
        alive = weakref.ref(cycle)
        del cycle
        keep = [[] for _ in range(5000)]  # allocations past the threshold: automatic collection would run here
        assert alive() is not None
        qtbot.waitUntil(lambda: alive() is None, timeout=5000)  # the event loop's timer collected it
        del keep
    finally:
        collector.timer.stop()
        del qapp.garbage_collector
        gc.enable()


def test_the_objects_of_start_up_leave_the_collectors_reach_once_every_panel_is_built(qtbot):
    import gc

    from explorer.app import freeze_when_built

    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    freeze_when_built(win)
    before = gc.get_freeze_count()
    try:
        win.tabs.build_the_rest()
        qtbot.waitUntil(lambda: len(win.tabs.built) == len(win.tabs.names), timeout=60000)
        assert gc.get_freeze_count() > before  # a full collection no longer scans them: no idle stall
    finally:
        gc.unfreeze()


def test_keys_open_the_tabs_and_the_help_and_quit_asks_while_a_model_trains(
    window, qtbot, tiny_vae_checkpoint, monkeypatch
):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    for index, name in enumerate(PANEL_NAMES):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_1 + index), Qt.KeyboardModifier.ControlModifier)
        assert window.tabs.current_name() == name
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert f"{window.current_panel().title} tab" in window._help_box.text() and "Ctrl+1" in window._help_box.text()
    window._help_box.close()
    assert not window.save_action.isEnabled() and "no model" in window.save_action.text()  # greyed, and says why
    window.show_panel("vae")
    panel = window.panels["vae"]
    panel.load_checkpoint(tiny_vae_checkpoint)
    panel.start_training(VAEConfig(epochs=50, hidden=32, train_limit=1024))
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *args: asked.append(args[2]) or QMessageBox.StandardButton.No)
    window.quit_action.trigger()
    assert asked and "VAE tab" in asked[0] and window.isVisible()  # the learner said no: training goes on
    assert window.runner.busy
    window.runner.stop()
    qtbot.waitUntil(lambda: not window.busy, timeout=20000)
    asked.clear()
    window.quit_action.trigger()  # nothing trains: it quits without asking
    assert asked == [] and not window.isVisible()


def test_only_the_panel_on_show_is_built_and_the_rest_wait_for_the_first_paint(qtbot):
    # A launch builds the panel it shows and nothing else (not the first tab) before the window paints;
    # the others follow, one per turn of the event loop, once the window has been painted.
    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    assert win.tabs.built == {}
    assert win.load_action.isEnabled()  # File ▸ Load asks the registry about the first tab, not built
    win.show_panel("vae")
    assert list(win.tabs.built) == ["vae"]
    painted_when_built = []
    win.tabs.panel_built.connect(lambda _name: painted_when_built.append(win._painted))
    win.load_shipped_checkpoints()
    win.show()
    qtbot.waitUntil(lambda: len(win.tabs.built) == len(win.tabs.names), timeout=120000)
    assert len(painted_when_built) == len(win.tabs.names) - 1 and all(painted_when_built)
    for runner in win.runners.values():
        runner.stop()
    qtbot.waitUntil(lambda: not win.busy, timeout=60000)


def test_a_status_line_too_long_for_the_bar_ends_in_an_ellipsis_and_keeps_it_all_in_its_tooltip(qtbot):
    from explorer.ui.widgets.elided_label import ElidedLabel

    label = ElidedLabel()
    qtbot.addWidget(label)
    label.resize(120, 20)
    label.show()
    line = "Sampling DDIM: DDIM step 1/50   · also running: PixelCNN, Diffusion, GAN, Conditional"
    label.setText(line)
    assert label.text() == line and label.toolTip() == line
    assert label.shown_text().endswith("…") and len(label.shown_text()) < len(line)
    assert label.fontMetrics().horizontalAdvance(label.shown_text()) <= label.contentsRect().width()
    label.resize(2000, 20)  # room for all of it: nothing cut
    assert label.shown_text() == line


def test_no_tab_is_built_in_the_background_while_a_mouse_button_is_held(qtbot):
    """A build holds the event loop for up to a second: started mid-drag it would freeze the drag, so the
    background builds wait for the button's release."""
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtWidgets import QLabel

    from explorer.ui.panel_tabs import PanelTabs

    tabs = PanelTabs({name: QLabel for name in ("a", "b", "c")}, {"a": "A", "b": "B", "c": "C"})
    qtbot.addWidget(tabs)
    tabs.show()
    qtbot.waitExposed(tabs)
    tabs.panel("a")  # the tab on show, as the window builds it before the first paint
    qtbot.mousePress(tabs, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    tabs.build_the_rest()
    qtbot.wait(300)
    assert list(tabs.built) == ["a"]
    qtbot.mouseRelease(tabs, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    qtbot.waitUntil(lambda: list(tabs.built) == ["a", "b", "c"], timeout=5000)


def test_what_a_background_build_defers_runs_at_its_own_turn_before_the_next_build(qtbot):
    """The window defers a background-built panel's model load: the build and the load each hold the event
    loop for a turn of their own (a panel built on demand loads at once: the window's other tests)."""
    from PySide6.QtWidgets import QLabel

    from explorer.ui.panel_tabs import PanelTabs

    tabs = PanelTabs({name: QLabel for name in ("a", "b", "c")}, {"a": "A", "b": "B", "c": "C"})
    qtbot.addWidget(tabs)
    events: list[str] = []

    def on_built(name: str) -> None:
        events.append(f"built {name}{' in the background' if tabs.in_background else ''}")
        if tabs.in_background:
            tabs.defer(lambda: events.append(f"loaded {name}"))

    tabs.panel_built.connect(on_built)
    tabs.panel("a")
    tabs.build_the_rest()
    assert events == ["built a", "built b in the background"] and not tabs.settled
    qtbot.waitUntil(lambda: tabs.settled, timeout=5000)
    assert events == ["built a", "built b in the background", "loaded b", "built c in the background", "loaded c"]
