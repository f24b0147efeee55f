"""The 2-D Lab tab: drawing, the field, Langevin particles on a timeline, live training, and the layout."""

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from explorer.core.plane.data import PRESET_POINTS, make_preset, save_points_csv
from explorer.core.plane.lab_state import DRAWING, LabJob
from explorer.ui.panels.plane import PlanePanel
from explorer.ui.panels.plane.panel import FORWARD_POINTS
from tests.layout_audit import layout_problems


@pytest.fixture
def panel(open_panel):
    lab = open_panel(PlanePanel, size=(1280, 660))
    lab.runner.in_child = False
    lab.errors = []
    lab.show_error = lab.errors.append
    return lab


def _at(lab, x, y):
    scene = lab.canvas.view_point(x, y)
    return lab.canvas.mapFromScene(scene)


def test_drawing_adds_and_erases_points(panel, qtbot, every_mouse_move):
    panel.state.update(drawing=True, points=np.zeros((0, 2), np.float32), source=DRAWING)
    view = panel.canvas.viewport()
    start = _at(panel, -1.0, 0.0)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    for f in np.linspace(0, 1, 10):
        qtbot.mouseMove(view, start + (_at(panel, 1.0, 0.0) - start) * f)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=_at(panel, 1.0, 0.0))
    drawn = panel.state.points
    assert len(drawn) >= 30 and np.abs(drawn[:, 1]).max() <= panel.state.brush + 0.02  # a pixel of rounding
    assert len(panel.canvas.data.data) + len(panel.canvas.strokes.data) == len(drawn)
    qtbot.mouseClick(view, Qt.MouseButton.RightButton, pos=_at(panel, 1.0, 0.0))
    left = panel.state.points
    assert 0 < len(left) < len(drawn) and not (np.hypot(left[:, 0] - 1.0, left[:, 1]) <= panel.state.brush - 0.02).any()


def _grey(widget):
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width()].astype(int)


def test_a_preset_shows_every_training_point_through_the_cached_picture(panel, qtbot):
    """The data are painted from a cached picture: a new preset, a pan or a stroke must not leave an old one on show."""
    panel.canvas.repaint()  # the ring, cached
    panel.data_section.preset.setCurrentIndex(3)
    panel.data_section.preset.activated.emit(3)  # as the learner picks it
    assert panel.state.source == "checkerboard" and len(panel.state.points) == PRESET_POINTS
    assert np.array_equal(panel.state.points, make_preset("checkerboard"))
    assert len(panel.canvas.data.data) == PRESET_POINTS
    panel.canvas.getViewBox().translateBy(x=0.3, y=-0.2)
    brushed = np.array([[-3.0, 3.0], [3.0, -3.0], [-3.0, -3.0]], np.float32)  # as a stroke adds them
    panel.state.update(points=np.concatenate([panel.state.points, brushed]), source=DRAWING)
    assert len(panel.canvas.data.data) == PRESET_POINTS and len(panel.canvas.strokes.data) == len(brushed)
    cached = _grey(panel.canvas)
    panel.canvas.data.setCacheMode(panel.canvas.data.CacheMode.NoCache)
    assert np.abs(cached - _grey(panel.canvas)).max() <= 8  # the same points; rounding where they blend


def test_the_field_follows_sigma_and_bad_csv_files_are_refused(panel, qtbot, tmp_path):
    panel.refresh_field()
    small = panel.canvas.arrows.getData()[1].copy()
    panel.state.update(sigma=3.0)
    panel.refresh_field()
    assert not np.allclose(small, panel.canvas.arrows.getData()[1])
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n3,\n")
    panel.data_section.load_file(str(bad))
    assert panel.errors and "line 3" in panel.errors[0] and panel.state.source == "ring"
    good = save_points_csv(tmp_path / "good.csv", np.array([[0.5, 0.5], [1, 1]]))
    panel.data_section.load_file(str(good))
    assert panel.state.source == DRAWING and len(panel.state.points) == 2


def test_langevin_particles_scrub_to_the_stored_step(panel, qtbot):
    panel.state.update(source="mixture", points=panel.state.points)
    panel.state.with_request("langevin", particles=200, steps=5)
    panel.run_langevin(annealed=True)
    qtbot.waitUntil(lambda: panel.state.trajectory is not None, timeout=20000)
    trajectory = panel.state.trajectory
    assert trajectory.frames.shape[1:] == (200, 2) and panel.timeline.count == len(trajectory.frames)
    panel.timeline.set_frame(3)
    assert panel.state.frame == 3
    assert np.allclose(panel.canvas.particles.data["x"], trajectory.frames[3][:, 0])
    assert "annealed" in panel.state.shares and f"step {trajectory.steps[3]}" in panel.timeline.info.text()


@pytest.mark.parametrize("denoise", [True, False])
def test_the_denoising_switch_reaches_annealed_langevin_only(panel, qtbot, denoise):
    panel.state.with_request("langevin", particles=100, steps=3)
    panel.state.update(langevin_denoise=denoise)
    for annealed in (True, False):
        panel.state.update(trajectory=None)
        panel.run_langevin(annealed=annealed)
        qtbot.waitUntil(lambda: panel.state.trajectory is not None, timeout=20000)
        ends_denoised = panel.state.trajectory.sigmas[-1] == 0
        assert ends_denoised == (denoise and annealed)
        assert ("denoised" in panel.state.trajectory_title) == ends_denoised


def test_training_installs_the_model_and_stop_restores(panel, qtbot):
    panel.state.update(train_model="ddpm", train_steps=100)  # the fewest the form allows
    panel.state.with_request("sampler", particles=100, nfe=5)
    panel.train()
    assert panel.state.job is LabJob.TRAINING
    qtbot.waitUntil(lambda: panel.state.job is LabJob.IDLE, timeout=60000)
    model = panel.state.ddpm_model
    assert model is not None and panel.state.losses["ddpm"][-1][0] == 100
    qtbot.waitUntil(lambda: "DDPM by ddpm" in panel.state.quality, timeout=20000)
    qtbot.waitUntil(lambda: "ddpm" in panel.flow_state.family, timeout=120000)  # its row of the family table
    assert panel.flow_state.family["ddpm"].likelihood == "bound" and panel.flow_state.family["ddpm"].nfe == 49
    panel.show_forward()  # on the preset's 8,000 points: an evenly spread 2,000 of them, as particles
    frames, points = panel.state.trajectory.frames, panel.state.points
    assert frames.shape[1] == FORWARD_POINTS < len(points) and np.array_equal(frames[0], points[::4])
    panel.state.update(train_model="score", train_steps=100_000)
    panel.train()
    qtbot.waitUntil(lambda: len(panel.state.losses.get("score", [])) > 1, timeout=20000)
    assert "score net: step" in panel.state.progress and "s left" in panel.state.progress
    panel.stop()
    qtbot.waitUntil(lambda: panel.state.job is LabJob.IDLE, timeout=20000)
    assert panel.state.score_model is None and panel.state.ddpm_model is model


def test_the_tab_fits_1280x720(panel, qtbot):
    panel.resize(1280, 660)  # the window's 720 less its menu and status bars
    qtbot.wait(20)
    assert layout_problems(panel) == []
