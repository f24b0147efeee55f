"""The VAE panel, driven as a user would: drag, slide, click, train, fail, close."""

import multiprocessing

import numpy as np
import pytest
import torch
from layout_audit import layout_problems, plots_cut_off
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage, QPainter, qGray
from PySide6.QtWidgets import QLineEdit, QSizePolicy

from explorer.core.vae import VAEConfig
from explorer.ui.main_window import MainWindow
from explorer.ui.panels.vae import VAEPanel
from explorer.ui.widgets.point_cloud import PointCloud

TINY = VAEConfig(epochs=2, hidden=32, train_limit=1024)


@pytest.fixture
def panel(open_panel, tiny_vae_checkpoint):
    return open_panel(VAEPanel, lambda widget: widget.load_checkpoint(tiny_vae_checkpoint))


def marker_viewport_pos(panel) -> QPoint:
    plane = panel.plane
    scene = plane.plotItem.vb.mapViewToScene(panel.plane.marker.pos())
    return plane.mapFromScene(scene)


def viewport_pos(panel, z1, z2) -> QPoint:
    from PySide6.QtCore import QPointF

    return panel.plane.mapFromScene(panel.plane.plotItem.vb.mapViewToScene(QPointF(z1, z2)))


def test_dragging_the_marker_changes_the_decoded_digit_and_the_sliders(panel, qtbot, every_mouse_move):
    panel.set_z(0.0, 0.0)
    before = panel.decoder.decoded.pixels().copy()
    viewport = panel.plane.viewport()
    start, end = marker_viewport_pos(panel), viewport_pos(panel, 1.5, -1.0)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    images = []
    for t in np.linspace(0, 1, 6)[1:]:
        qtbot.mouseMove(viewport, start + (end - start) * t)
        images.append(panel.decoder.decoded.pixels().copy())
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)
    z1, z2 = panel.plane.marker_pos()
    assert z1 == pytest.approx(1.5, abs=0.1) and z2 == pytest.approx(-1.0, abs=0.1)
    assert not np.allclose(images[-1], before), "the decoded digit did not follow the drag"
    assert not np.allclose(images[0], images[-1]), "the digit only changed at the end, not during the drag"
    assert panel.decoder.sliders[0].value() == pytest.approx(z1, abs=0.01)
    assert panel.decoder.sliders[1].value() == pytest.approx(z2, abs=0.01)


def test_sliders_move_the_marker_and_decode(panel):
    panel.decoder.sliders[0].setValue(-2.0)
    panel.decoder.sliders[1].setValue(1.25)
    assert panel.plane.marker_pos() == pytest.approx((-2.0, 1.25))
    from explorer.core.vae import decode_images

    expected = decode_images(panel.model, np.array([[-2.0, 1.25]]))[0]
    np.testing.assert_allclose(panel.decoder.decoded.pixels(), expected, rtol=1e-6)


def test_the_manifold_follows_its_size(panel):
    panel.manifold_view.grid_n.setValue(20)
    assert panel.manifold_view.manifold.pixels().shape == (560, 560)
    panel.manifold_view.grid_n.setValue(7)
    assert panel.manifold_view.manifold.pixels().shape == (196, 196)


def test_clicking_a_test_digit_shows_its_posterior_and_reconstruction(panel, qtbot):
    index = 42
    z1, z2 = panel.latents[index]
    qtbot.mouseClick(panel.plane.viewport(), Qt.MouseButton.LeftButton, pos=viewport_pos(panel, z1, z2))
    assert panel.selected is not None
    chosen = panel.selected
    np.testing.assert_allclose(panel.decoder.original.pixels(), panel.test.images[chosen] / 255.0, rtol=1e-6)
    ring = panel.plane.sigma_curves[0].getData()
    centre = [(axis.max() + axis.min()) / 2 for axis in ring]
    assert centre == pytest.approx(panel.latents[chosen], abs=1e-3)
    assert f"a {panel.test.labels[chosen]}:" in panel.decoder.selected_info.text()
    assert panel.decoder.reconstruction.pixels().shape == (28, 28)


def test_the_training_form_and_the_train_button_follow_the_panels_state(panel):
    """An edit writes the state and the run is built from it; a change of the state shows in the form; Train is
    open while the runner is free."""
    panel.training.lr.setValue(0.002)
    panel.state.update(epochs=3, beta=2.5)
    assert panel.state.lr == 0.002 and (panel.training.epochs.value(), panel.training.beta.value()) == (3, 2.5)
    assert panel.training_config() == VAEConfig(epochs=3, beta=2.5, lr=0.002)
    panel.state.update(busy=True)
    assert not panel.training.train_button.isEnabled()
    panel.state.update(busy=False)
    assert panel.training.train_button.isEnabled()


def test_train_runs_to_the_end_through_the_real_worker_in_a_child_process(panel, qtbot):
    with qtbot.waitSignal(panel.runner.busy_changed, timeout=5000, check_params_cb=lambda busy: busy):
        panel.start_training(TINY)
    assert not panel.training.train_button.isEnabled()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=120000)
    assert panel.training.train_button.isEnabled()
    assert panel.training.curves["neg_elbo"].points("test") == 2 and panel.training.curves["kl"].points("train") >= 2
    assert panel.checkpoint.info["steps"] == 2 * 1024 // 128 and panel.checkpoint.config["hidden"] == 32
    assert "Not saved yet" in panel.model_info.text()
    assert multiprocessing.active_children() == []


def test_an_out_of_memory_error_ends_the_run_with_a_message_and_keeps_the_model(panel, qtbot, monkeypatch):
    def out_of_memory(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr("explorer.core.vae.training.elbo_terms", out_of_memory)
    panel.runner.in_child = False  # the patched function lives in this process
    model_before = panel.model
    with qtbot.waitSignal(panel.runner.failed, timeout=30000) as failure:
        panel.start_training(TINY)
    assert "GPU ran out of memory" in failure.args[0]
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=10000)
    assert panel.model is model_before and panel.training.train_button.isEnabled()
    panel.set_z(0.5, 0.5)  # still usable
    assert panel.decoder.decoded.pixels() is not None


def test_a_nan_loss_in_the_child_ends_the_run_with_a_message(panel, qtbot):
    model_before = panel.model
    with qtbot.waitSignal(panel.runner.failed, timeout=120000) as failure:
        panel.start_training(VAEConfig(epochs=2, hidden=32, train_limit=1024, lr=10.0, beta=100.0))
    assert "NaN or infinite" in failure.args[0]
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=10000)
    assert panel.model is model_before and "previous model is back" in panel.model_info.text()


def test_pause_holds_the_run_and_stop_discards_it(panel, qtbot):
    before = panel.checkpoint
    snapshots = []
    panel.start_training(VAEConfig(epochs=50, hidden=32, train_limit=1024))
    real = panel.runner._on_yield
    panel.runner._on_yield = lambda snap: (snapshots.append(snap.step), real(snap))
    qtbot.waitUntil(lambda: len(snapshots) >= 2, timeout=60000)
    with qtbot.waitSignal(panel.runner.held, timeout=20000):  # the child acknowledges: it has stopped stepping
        panel.runner.pause()
    paused_at = len(snapshots)
    qtbot.wait(1000)
    assert len(snapshots) == paused_at, "training went on while paused"
    panel.runner.resume()
    qtbot.waitUntil(lambda: len(snapshots) > paused_at, timeout=20000)
    panel.runner.stop()
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=20000)
    # Every view shows the model that is loaded again: its record, not the aborted run's curves.
    assert panel.checkpoint is before and panel.training.curves["neg_elbo"].points("train") == 0
    assert panel.training.curves["neg_elbo"].points("test") == len(before.info["history"])
    assert "previous model is back" in panel.model_info.text()


def test_the_panel_lays_out_cleanly_on_a_laptop_screen_and_in_the_default_window(qtbot):
    window = MainWindow(device="cpu")
    qtbot.addWidget(window)
    window.load_shipped_checkpoints()
    window.show_panel("vae")
    window.show()
    qtbot.waitExposed(window)
    for other in window.panels:  # their minimum sizes are their own tests' business
        if other != "vae":
            window.panels[other].setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
    panel = window.panels["vae"]
    panel.set_z(-3.99, 1.79)  # the widest values the sliders show
    for size in ((1280, 720), (1500, 950)):
        window.resize(*size)
        qtbot.wait(50)
        assert window.size().toTuple() == size
        assert layout_problems(panel) == [] and plots_cut_off(panel) == [], f"at {size}"
        for (
            slider
        ) in panel.decoder.sliders:  # their values are drawn in line edits, which layout_problems does not read
            value = slider.findChild(QLineEdit)
            text_width = value.fontMetrics().horizontalAdvance(value.text())
            assert value.contentsRect().width() >= text_width, f"{value.text()} is cut off at {size}"
    window.runner.shutdown()


def test_the_scatter_draws_its_dots_at_the_screens_device_pixel_ratio(qtbot):
    cloud = PointCloud(("#1f77b4",), size=5)
    cloud.set_points(np.zeros((1, 2)), np.array([0]))
    image = QImage(40, 40, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(2.0)  # a high-DPI screen: 20 x 20 logical pixels
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.translate(10, 10)  # the point at the centre
    cloud.paint(painter)
    painter.end()
    grey = np.array([[qGray(image.pixel(x, y)) for x in range(40)] for y in range(40)])
    ys, xs = np.nonzero(grey < 250)
    dot = grey[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    assert 7 <= dot.shape[1] <= 9  # the 4-pixel disc, 8 device pixels across
    # Drawn at ratio 1 and scaled up, every row and column would come twice: soft, blocky dots.
    assert not np.array_equal(dot[0::2], dot[1::2]) or not np.array_equal(dot[:, 0::2], dot[:, 1::2])


def test_the_marker_stays_where_the_sliders_can_read_it(panel):
    panel.set_z(-4.4, 5.0)  # beyond the sliders' ±4: the marker stops at their ends
    assert panel.plane.marker_pos() == pytest.approx((-4.0, 4.0))
    assert [s.value() for s in panel.decoder.sliders] == pytest.approx([-4.0, 4.0])
