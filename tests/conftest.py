"""Test set-up: Qt runs headless, torch stays on one thread, and no test leaves a thread or process behind."""

import gc
import multiprocessing
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
import torch

torch.set_num_threads(1)  # tiny models: more threads only fight each other on a 2-core machine


@pytest.fixture(autouse=True)
def _no_dangling_workers(request):
    """Fail a test that leaves a running pool thread or child process (napari's guard)."""
    yield
    if "qapp" not in request.fixturenames and "qtbot" not in request.fixturenames:
        assert multiprocessing.active_children() == [], "a test left a child process running"
        return
    from PySide6.QtCore import QThreadPool

    pool = QThreadPool.globalInstance()
    finished = pool.waitForDone(30000)  # a loaded CPU (CI beside a training) needs more than 10 s
    # Free this test's Qt objects now, between tests. Left to the cyclic collector, a pyqtgraph ViewBox's QMenu
    # was once destroyed in the middle of the next test's signal disconnect, and Qt's connection lock deadlocked.
    gc.collect()
    assert finished and pool.activeThreadCount() == 0, "a test left a worker thread running"
    assert multiprocessing.active_children() == [], "a test left a child process running"


@pytest.fixture
def open_panel(qtbot):
    """open_panel(PanelClass, before_show=None): the panel on its own Runner, shown at 1400x900;
    ``before_show(panel)`` runs first. Every runner is shut down after the test."""
    from explorer.ui.worker import Runner

    runners = []

    def open_(panel_cls, before_show=None, size=(1400, 900)):
        runners.append(Runner())
        widget = panel_cls(runners[-1], device="cpu")
        if before_show:
            before_show(widget)
        qtbot.addWidget(widget)
        widget.resize(*size)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    yield open_
    for runner in runners:
        runner.shutdown()


@pytest.fixture
def every_mouse_move():
    """Let pyqtgraph see every synthetic move: by default it drops moves closer than 10 ms apart."""
    import pyqtgraph as pg

    old = pg.getConfigOption("mouseRateLimit")
    pg.setConfigOption("mouseRateLimit", -1)
    yield
    pg.setConfigOption("mouseRateLimit", old)


@pytest.fixture(scope="session")
def tiny_vae_checkpoint(tmp_path_factory):
    """A small VAE trained for one epoch on 2,048 digits by the project's own loop."""
    from explorer.core.runtime.checkpoints import save_checkpoint
    from explorer.core.vae import VAEConfig, train_vae

    training = train_vae(VAEConfig(epochs=1, hidden=32, train_limit=2048), device="cpu")
    try:
        while True:
            next(training)
    except StopIteration as done:
        return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-vae.safetensors", done.value)


@pytest.fixture
def window_showing(qtbot):
    """window_showing(name): the app's window with the shipped models and every panel built, showing
    panel ``name``; the other panels' minimum sizes are set aside, so that only this one can keep
    the window from the size a test asks for."""
    from PySide6.QtWidgets import QSizePolicy

    from explorer.ui.main_window import MainWindow

    def show(name):
        win = MainWindow(device="cpu")
        qtbot.addWidget(win)
        win.load_shipped_checkpoints()
        for other in win.panels:
            if other != name:
                win.panels[other].setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        win.show_panel(name)
        win.show()
        qtbot.waitExposed(win)
        return win

    return show


@pytest.fixture(scope="session")
def tiny_pixelcnn_checkpoint(tmp_path_factory):
    """A small PixelCNN trained for 30 steps on 512 digits by the project's own loop."""
    from explorer.core.pixelcnn import PixelCNNConfig, train_pixelcnn
    from explorer.core.runtime.checkpoints import save_checkpoint
    from explorer.core.runtime.jobs import run_to_end

    cfg = PixelCNNConfig(channels=8, layers=3, steps=30, batch_size=32, lr=5e-3, train_limit=512)
    ckpt = run_to_end(train_pixelcnn(cfg, device="cpu"))
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-pixelcnn.safetensors", ckpt)
