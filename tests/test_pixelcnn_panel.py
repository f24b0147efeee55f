"""The PixelCNN panel, driven as a user would: write and scrub, click a pixel for its field, draw and
complete a digit, score a test digit, train; and how it opens on a laptop screen."""

import numpy as np
import pytest
import torch
from layout_audit import layout_problems, plots_cut_off
from PySide6.QtCore import QPoint, QPointF, Qt

from explorer.core.pixelcnn.field import blind_spot, receptive_field
from explorer.core.pixelcnn.model import PIXELS, SIDE, PixelCNNConfig
from explorer.core.pixelcnn.panel_state import PixelCNNJob
from explorer.core.pixelcnn.sampling import next_pixel_map
from explorer.ui.panels.pixelcnn import PixelCNNPanel
from explorer.ui.panels.pixelcnn.field_section import BLIND, SEEN, TARGET
from explorer.ui.panels.pixelcnn.next_maps import distinct_steps
from explorer.ui.panels.pixelcnn.write_section import JUST_WRITTEN, OPENING_STEP, UNWRITTEN


@pytest.fixture
def panel(open_panel, tiny_pixelcnn_checkpoint):
    p = open_panel(PixelCNNPanel)
    p.load_checkpoint(tiny_pixelcnn_checkpoint)
    return p


def wait_for_job(panel, qtbot, start):
    with qtbot.waitSignal(panel.runner.busy_changed, timeout=60000, check_params_cb=lambda busy: not busy):
        start()


def colour(rgb_image, row, col):
    return tuple(np.round(rgb_image[row, col] * 255).astype(int))


def widget_point(canvas, row, col) -> QPoint:
    """The widget position of the centre of pixel (row, col) of a canvas."""
    scene = canvas.image.mapToScene(QPointF(col + 0.5, row + 0.5))
    return canvas.mapFromScene(scene)


def test_writing_shows_the_stored_step_wherever_the_timeline_is_scrubbed(panel, qtbot):
    panel.write_section.n_digits.setValue(3)
    wait_for_job(panel, qtbot, panel.start_writing)
    written = panel.write_section.written
    assert written.images.shape == (3, SIDE, SIDE) and panel.timeline.count == PIXELS + 1
    assert panel.timeline.frame() == OPENING_STEP
    samples = panel.training_section.train_samples  # no empty box before a run: the model's own digits
    assert samples.pixels() is not None and "the loaded model's digits" in samples.label.text
    panel.write_section.select(2)
    for t in (0, 1, 200, 500, PIXELS):
        panel.timeline.set_frame(t)
        shown = panel.write_section.canvas.pixels().reshape(PIXELS, 3)
        grey = shown[:, 1]  # green: equal to grey except at the orange pixel just written
        flat = written.images[2].reshape(PIXELS)
        assert np.allclose(grey[: max(t - 1, 0)], flat[: max(t - 1, 0)])
        assert np.allclose(grey[t:], UNWRITTEN)
        if t:
            assert colour(shown.reshape(SIDE, SIDE, 3), *divmod(t - 1, SIDE)) != (0, 0, 0)
            p = written.probs[2].reshape(PIXELS)[t - 1]
            assert f"step {t} / 784" in panel.timeline.info.text() and f"{p:.2f}" in panel.timeline.info.text()
        next_map = panel.write_section.next_view.values.reshape(PIXELS)
        assert np.isnan(next_map[:t]).all() and not np.isnan(next_map[t:]).any()
    panel.timeline.step(-1)
    assert panel.timeline.frame() == PIXELS - 1
    assert JUST_WRITTEN  # the marker colour is the grid's selection colour


def test_a_digits_kept_maps_are_the_nets_own_and_a_scrub_then_runs_no_pass(panel, qtbot):
    panel.write_section.n_digits.setValue(2)
    wait_for_job(panel, qtbot, panel.start_writing)
    section = panel.write_section
    section.select(1)
    image = section.written.images[1]
    qtbot.waitUntil(lambda: section.maps.kept(1, image), timeout=60000)
    passes = []
    section.maps.compute = lambda image, t: passes.append(t)  # the net, were it asked again
    for t in range(PIXELS):
        panel.timeline.set_frame(t)
        with torch.inference_mode():
            direct = next_pixel_map(panel.model, image, t)
        assert np.array_equal(section.next_view.values, direct, equal_nan=True), t
    assert passes == []
    assert distinct_steps(image)[0] == 0 and len(distinct_steps(image)) <= 1 + int(image.sum())


def test_writing_again_with_the_same_seed_gives_the_same_digits(panel, qtbot):
    panel.write_section.n_digits.setValue(2)
    wait_for_job(panel, qtbot, panel.start_writing)
    first = panel.write_section.written.images
    wait_for_job(panel, qtbot, panel.start_writing)
    assert np.array_equal(first, panel.write_section.written.images)


def test_clicking_a_pixel_shows_the_field_it_may_look_at(panel, qtbot):
    field = panel.field_section
    panel.tabs.setCurrentWidget(field)
    qtbot.wait(50)
    layers = panel.model_cfg.layers
    qtbot.mouseClick(field.canvas.viewport(), Qt.MouseButton.LeftButton, pos=widget_point(field.canvas, 9, 20))
    assert field.target == (9, 20)
    expected = receptive_field(9, 20, layers, panel.model_cfg.kernel)
    shown = field.canvas.pixels()
    assert colour(shown, 9, 20) == TARGET
    seen = np.array(
        [
            [colour(shown, r, c) != tuple(np.round(shown[r, c, :1].repeat(3) * 255).astype(int)) for c in range(SIDE)]
            for r in range(SIDE)
        ]
    )
    assert (seen & ~expected).sum() == 1  # only the target itself is tinted outside the field
    assert (expected & ~seen).sum() == 0
    assert f"sees {int(expected.sum())} of the" in field.info.text()
    field.plain.setChecked(True)  # the plain masked net of the same depth: its blind spot appears
    blind = blind_spot(9, 20, layers, panel.model_cfg.kernel)
    if blind.any():
        r, c = np.argwhere(blind)[0]
        assert colour(field.canvas.pixels(), r, c) != colour(shown, r, c)
        assert "Blind spot" in field.info.text()
    assert SEEN and BLIND


def test_drawing_with_the_mouse_sets_and_erases_pixels(panel, qtbot):
    complete = panel.complete_section
    panel.tabs.setCurrentWidget(complete)
    qtbot.wait(50)
    complete.clear_button.click()
    canvas = complete.canvas.viewport()
    start, end = widget_point(complete.canvas, 5, 4), widget_point(complete.canvas, 5, 12)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    for col in range(4, 13):
        qtbot.mouseMove(canvas, widget_point(complete.canvas, 5, col))
    with qtbot.waitSignal(complete.canvas.drawn):
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end)
    drawn = complete.canvas.pixels_drawn
    assert drawn[5, 4:13].all() and drawn[:5].sum() == 0
    qtbot.mousePress(canvas, Qt.MouseButton.RightButton, pos=widget_point(complete.canvas, 5, 8))
    qtbot.mouseRelease(canvas, Qt.MouseButton.RightButton, pos=widget_point(complete.canvas, 5, 8))
    assert complete.canvas.pixels_drawn[5, 8] == 0 and complete.canvas.pixels_drawn[5, 7] == 1


def test_completions_keep_the_given_rows(panel, qtbot):
    complete = panel.complete_section
    complete.test_index.setValue(3)
    complete.keep_rows.setValue(13)
    complete.n_completions.setValue(4)
    given = complete.canvas.pixels_drawn.copy()
    wait_for_job(panel, qtbot, panel.start_completing)
    images = tile_back(complete.grid.pixels(), 4)
    assert np.array_equal(images[:, :14], np.repeat(given[None, :14], 4, axis=0))
    assert "4 completions" in complete.info.text()


def test_the_state_drives_the_forms_and_its_running_job_the_buttons(panel, qtbot):
    write, complete, train = panel.write_section, panel.complete_section, panel.training_section.train_button
    panel.state.update(n=2, seed=3, keep_rows=5, completions=2)
    assert (write.n_digits.value(), write.seed.value()) == (2, 3)
    assert (complete.keep_rows.value(), complete.n_completions.value()) == (5, 2)
    complete.keep_rows.setValue(6)  # an edit writes the state
    assert panel.state.keep_rows == 6
    wait_for_job(panel, qtbot, panel.start_writing)
    assert write.written.images.shape[0] == 2 and write.written.seed == 3 and panel.state.job is None
    panel.state.update(busy=True, job=PixelCNNJob.COMPLETE)
    assert write.cancel_button.isEnabled() and not write.write_button.isEnabled()
    assert not complete.complete_button.isEnabled() and not train.isEnabled()
    panel.state.update(job=PixelCNNJob.TRAINING)  # training has its own Stop
    assert not write.cancel_button.isEnabled()
    panel.state.update(busy=False, job=None)
    assert write.write_button.isEnabled() and complete.complete_button.isEnabled() and train.isEnabled()
    assert not write.cancel_button.isEnabled()


def tile_back(picture: np.ndarray, n: int) -> np.ndarray:
    """The digits an ImageGrid tiled, read back from its picture (2 x 2 grid for 4)."""
    from explorer.ui.widgets.image_grid import GAP, grid_columns

    columns = grid_columns(n)
    return np.stack(
        [
            picture[r * (28 + GAP) : r * (28 + GAP) + 28, c * (28 + GAP) : c * (28 + GAP) + 28]
            for r, c in (divmod(i, columns) for i in range(n))
        ]
    )


def test_the_likelihood_view_scores_the_chosen_test_digit(panel):
    section = panel.likelihood_section
    section.test_index.setValue(7)
    from explorer.core.pixelcnn import surprise

    expected = surprise(panel.model, panel.test_binary[7])
    assert f"{expected.nll:.1f} nats" in section.score_info.text()
    assert np.allclose(section.heat.values, expected.per_pixel)
    nll = panel.checkpoint.info["metrics"]["test_nll"]
    assert f"{nll:.1f} nats" in section.compare_info.text() and "−ELBO" in section.compare_info.text()


def test_the_likelihood_view_shows_the_vaes_own_gap_closing_with_k(panel):
    import torch

    from explorer.core.vae import iwae_bounds

    section = panel.likelihood_section
    section.test_index.setValue(3)
    x = torch.from_numpy(panel.test_binary[3].reshape(1, -1).astype(np.float32))
    bounds = iwae_bounds(panel._shipped_vae(), x, seed=3)
    text = section.gap_info.text()
    for k, bound in bounds.items():
        assert f"{-bound:.1f} (K = {k}" in text
    assert f"{bounds[1000] - bounds[1]:.1f} nats" in text
    assert "Difference between the two models" in section.compare_info.text()


def test_measuring_the_sampling_time_reports_each_model(panel, qtbot):
    wait_for_job(panel, qtbot, panel.start_measuring)
    text = panel.likelihood_section.costs_info.text()
    assert "PixelCNN (784 sequential steps)" in text and "VAE decoder (1 pass)" in text and "DDIM-50" in text


def test_training_draws_its_curves_and_installs_the_model(panel, qtbot):
    panel.training_section.train_steps.setValue(3)
    cfg = PixelCNNConfig(channels=8, layers=2, steps=3, batch_size=8, train_limit=64)
    wait_for_job(panel, qtbot, lambda: panel.start_training(cfg))
    assert panel.model_cfg == cfg
    assert panel.training_section.nll_plot.points("test") >= 1
    assert "Not saved yet" in panel.model_info.text()


def test_the_panel_fits_a_laptop_screen(open_panel, tiny_pixelcnn_checkpoint, qtbot):
    p = open_panel(PixelCNNPanel, size=(1260, 640))
    p.load_checkpoint(tiny_pixelcnn_checkpoint)
    for index in range(p.tabs.count()):
        p.tabs.setCurrentIndex(index)
        qtbot.wait(20)
        assert layout_problems(p) == [] and plots_cut_off(p) == []


def test_stop_says_stopping_at_once_and_the_aborted_runs_samples_go(panel, qtbot):
    panel.preview_every_s = 0.0  # samples with every snapshot
    lines = []
    panel.runner.progress.connect(lambda _fraction, text: lines.append(text))
    panel.start_training(PixelCNNConfig(channels=8, layers=2, steps=100000, batch_size=8, train_limit=64))
    samples = panel.training_section.train_samples
    qtbot.waitUntil(lambda: samples.pixels() is not None, timeout=60000)
    assert "appear here" not in samples.label.text
    panel.runner.stop()
    assert panel.model_info.text().startswith("Stopping…") and lines[-1].endswith("stopping…")  # before it ends
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=30000)
    assert "previous model is back" in panel.model_info.text()
    assert samples.pixels() is None and "shown while Train runs" in samples.label.text  # not the aborted run's


def test_a_continued_runs_record_fills_the_axis_from_where_it_started(qtbot):
    """The shipped model's last run continues two earlier ones: its curves span the x axis from the step it
    started at, not the last third of an axis from 0; a new run's curves start at 0 again."""
    from explorer.core.families import FAMILIES
    from explorer.ui.panels.pixelcnn.training_section import TrainingSection
    from explorer.ui.panels.run_record import earlier_steps

    _, _, ckpt = FAMILIES["pixelcnn"].load()
    first = earlier_steps(ckpt.info)
    assert first > 0
    section = TrainingSection()
    qtbot.addWidget(section)
    section.show_record(ckpt)
    low, high = section.plot.viewRange()[0]
    xs = section.plot.x_values("test")
    assert xs[0] >= first and low <= xs[0] and xs[0] - low < 0.1 * (high - low)
    section.start_curves(500)
    assert section.plot.viewRange()[0][0] <= 0 < section.plot.viewRange()[0][1] <= 520
