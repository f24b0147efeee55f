"""The Likelihood tab: sections follow their states, controls drive them, and every section lays out at
1280×720 and at the default size. Tests set and read the states, not widgets by name."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, Qt

from explorer.core.likelihood.evented import Running
from explorer.core.likelihood.states import OPENING_DRAWS
from explorer.core.plane.lab_state import DRAWING
from explorer.ui.panels.likelihood import LikelihoodPanel
from explorer.ui.panels.likelihood.look import FormulaLabel


@pytest.fixture
def panel(qtbot):
    def open_(size=(1280, 720)):
        widget = LikelihoodPanel(runner=None, device="cpu")
        qtbot.addWidget(widget)
        widget.resize(*size)
        widget.show()
        qtbot.waitExposed(widget)
        return widget

    return open_


def fake_mnist_result():
    """An MnistKDE of the shape the precomputation returns, without its minute of work."""
    from explorer.core.likelihood.mnist_kde import FLIPS, GAUSSIAN_H, MnistKDE, MnistKDEConfig

    curve = 300.0 - 100 * np.exp(-(np.log(FLIPS / 0.05) ** 2))
    picks = {"bernoulli_samples": 20, "bernoulli_train": 22, "gaussian_samples": 10, "gaussian_train": 12}
    return MnistKDE(
        MnistKDEConfig(), 84.62, curve, curve - 60, -400.0 + 0 * GAUSSIAN_H, -450.0 + 0 * GAUSSIAN_H, picks, 61.0
    )


@pytest.mark.parametrize("size", [(1280, 720), (1500, 950)], ids=["1280x720", "1500x950"])
def test_every_section_lays_out_cleanly(panel, qtbot, size):
    from layout_audit import layout_problems

    widget = panel(size)
    qtbot.waitUntil(lambda: widget.states["kde"].curve is not None, timeout=30000)
    widget.states["kde"].update(mnist=fake_mnist_result())  # the longest text the KDE section shows
    for index in range(widget.tabs.count()):
        widget.tabs.setCurrentIndex(index)
        qtbot.wait(30)
        assert widget.size().toTuple() == size
        assert layout_problems(widget) == [], widget.tabs.tabText(index)
        for formula in widget.tabs.widget(index).findChildren(FormulaLabel):
            if formula.isVisible():
                assert formula.needed_height() <= formula.height(), (widget.tabs.tabText(index), formula.text()[:60])
    widget.tabs.setCurrentIndex(2)
    widget.variational.show_toy(True)  # the VI tab's second posterior
    qtbot.wait(30)
    assert layout_problems(widget) == []
    assert widget.vi_toy.formula.needed_height() <= widget.vi_toy.formula.height()


def test_ball_section_follows_its_state_and_its_buttons(panel, qtbot):
    widget = panel()
    state = widget.states["bayes"]
    assert state.draws == OPENING_DRAWS  # the tab opens on a bag already drawn from
    qtbot.mouseClick(widget.bayes.clear_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(widget.bayes.red_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(widget.bayes.red_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(widget.bayes.blue_button, Qt.MouseButton.LeftButton)
    assert state.draws == (1, 1, 0)
    state.set_prior(a=1.0, b=1.0)
    assert widget.bayes.form.boxes["a"].value() == 1.0  # the form shows the state
    assert "θ<sub>ML</sub> = k/n = 2/3 = <b>0.667</b>" in widget.bayes.formula.text()
    assert "MAP = (a + k − 1)/(a + b + n − 2) = <b>0.667</b>" in widget.bayes.formula.text()
    widget.bayes.form.boxes["b"].setValue(5.0)  # an edit reaches the state
    assert state.prior.b == 5.0


def test_em_steps_alternate_and_close_the_gap(panel, qtbot):
    widget = panel()
    widget.tabs.setCurrentIndex(1)
    state = widget.states["em"]
    qtbot.mouseClick(widget.em.e_button, Qt.MouseButton.LeftButton)
    assert state.current.step == "E" and abs(state.current.gap) < 1e-6
    assert not widget.em.e_button.isEnabled() and widget.em.m_button.isEnabled()
    assert "the gap is closed" in widget.em.formula.text()
    qtbot.mouseClick(widget.em.m_button, Qt.MouseButton.LeftButton)
    assert state.current.step == "M" and state.current.iteration == 1
    for _ in range(20):  # their speed is measured by benchmarks/likelihood_speed.py, not here
        before = state.current
        state.step()
        widget.em.repaint()
        assert state.current.step != before.step
    widget.em.form.boxes["components"].setValue(2)
    assert state.request.components == 2 and state.current.theta.K == 2 and len(state.history) == 1


def test_em_sweep_runs_off_the_gui_thread(panel, qtbot):
    widget = panel()
    state = widget.states["em"]
    rng = np.random.default_rng(0)
    state.set_points(np.concatenate([rng.normal(c, 0.3, (100, 2)) for c in ((-2, 0), (2, 0), (0, 3))]), "blobs")
    state.set_request(iterations=40)
    widget.em.sweep()
    assert state.running is Running.COMPUTING
    qtbot.waitUntil(lambda: state.running is Running.IDLE, timeout=60000)
    assert [c.K for c in state.sweep] == list(range(1, 9))
    assert min(state.sweep, key=lambda c: c.bic).K == 3
    assert "by BIC" in widget.em.message.text()


def test_em_formula_fits_its_two_lines_at_the_smallest_window(panel, qtbot):
    from explorer.core.likelihood.gmm import EMConfig
    from explorer.core.plane.data import MAX_POINTS, make_preset
    from explorer.core.runtime.limits import declared_range

    widget = panel((1024, 600))
    widget.tabs.setCurrentIndex(1)
    state = widget.states["em"]
    state.set_points(make_preset("mixture", MAX_POINTS, 0), "mixture")  # the longest numbers the identity shows
    state.set_request(components=int(declared_range(EMConfig, "components")[1]))
    state.step()
    state.step()  # after an M-step: the longest sentence
    qtbot.wait(30)
    text = widget.em.formula.text()
    assert f"K = {state.current.theta.K}" in text and f"N = {MAX_POINTS}" in text
    assert widget.em.formula.needed_height() <= widget.em.formula.height(), text[:80]


def test_em_refuses_a_bad_csv_in_one_line(panel, qtbot, tmp_path):
    widget = panel()
    state = widget.states["em"]
    before = state.points
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\nnot,a number\n")
    widget.em.load_csv(str(bad))
    assert state.points is before
    assert "line 3" in widget.em.message.text()
    good = tmp_path / "good.csv"
    good.write_text("x,y\n" + "\n".join(f"{i % 7},{i % 5}" for i in range(40)))
    widget.em.load_csv(str(good))
    assert state.points.shape == (40, 2) and state.source == DRAWING


def _at(widget, x, y):
    return widget.em.plane.mapFromScene(widget.em.plane.view_point(x, y))


def test_em_draws_points_with_the_brush_and_restarts_on_them_with_its_settings(panel, qtbot, every_mouse_move):
    widget = panel()
    widget.tabs.setCurrentIndex(1)
    state, data = widget.states["em"], widget.states["em data"]
    state.set_request(components=2, floor=0.01)
    qtbot.mouseClick(widget.em.data_section.clear, Qt.MouseButton.LeftButton)
    assert len(state.points) == 0 and state.current is None and state.missing_points == 2
    assert "draw 2 more" in widget.em.formula.text()
    widget.em.data_section.draw.setChecked(True)
    assert data.drawing
    view = widget.em.plane.viewport()
    start, end = _at(widget, -1.5, 0.0), _at(widget, 1.5, 0.0)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=start)
    for f in np.linspace(0, 1, 12):
        qtbot.mouseMove(view, start + (end - start) * f)
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=end)
    drawn = state.points
    assert len(drawn) >= 30 and np.abs(drawn[:, 1]).max() <= data.brush + 0.02  # along the stroke, in the brush
    assert state.source == DRAWING and state.current.step == "start" and state.current.theta.K == 2
    assert state.request.components == 2 and state.request.floor == 0.01  # the settings survived the new data
    state.step()
    state.step()
    assert state.current.iteration == 1
    qtbot.mouseClick(view, Qt.MouseButton.RightButton, pos=_at(widget, 1.5, 0.0))  # erase one end
    left = state.points
    assert 0 < len(left) < len(drawn) and not (np.hypot(left[:, 0] - 1.5, left[:, 1]) <= data.brush - 0.02).any()
    assert state.current.step == "start" and len(state.history) == 1  # EM restarted on what is left
    widget.em.data_section.preset.setCurrentIndex(0)
    widget.em.data_section.preset.activated.emit(0)  # a preset as the learner picks it
    assert state.source == "ring" and len(state.points) == 2000 and state.current.theta.K == 2


def test_vi_plays_and_the_plane_moves_the_observation(panel, qtbot):
    widget = panel()
    widget.tabs.setCurrentIndex(2)
    state = widget.states["vi"]
    gap0 = state.current.gap
    qtbot.mouseClick(widget.vi.play_button, Qt.MouseButton.LeftButton)
    assert state.running is Running.PLAYING
    qtbot.waitUntil(lambda: state.current.step >= 40, timeout=20000)
    qtbot.mouseClick(widget.vi.play_button, Qt.MouseButton.LeftButton)
    assert state.running is Running.IDLE and state.current.gap < gap0
    state.set_observation((-2.0, 1.0))
    assert state.current.step == 0 and state.fitter.x.tolist() == [-2.0, 1.0]
    widget.vi.form.boxes["family"].setCurrentText("diagonal")
    assert state.request.family == "diagonal"


def test_vi_toy_fits_q_and_clicks_set_the_observations(panel, qtbot):
    from layout_audit import layout_problems

    from explorer.ui.panels.likelihood.look import num

    widget = panel((1024, 600))
    widget.tabs.setCurrentIndex(2)
    qtbot.mouseClick(widget.variational.choices[1], Qt.MouseButton.LeftButton)
    assert widget.variational.stack.currentWidget() is widget.vi_toy
    qtbot.wait(30)
    assert layout_problems(widget) == []  # the smallest window
    assert widget.vi_toy.formula.needed_height() <= widget.vi_toy.formula.height()
    state = widget.states["vi toy"]
    kl0 = state.current.kl
    qtbot.mouseClick(widget.vi_toy.play_button, Qt.MouseButton.LeftButton)
    assert state.running is Running.PLAYING
    qtbot.waitUntil(lambda: state.current.step >= 40, timeout=20000)
    qtbot.mouseClick(widget.vi_toy.play_button, Qt.MouseButton.LeftButton)
    assert state.running is Running.IDLE and state.current.kl < kl0
    c = state.current
    assert c.elbo + c.kl == pytest.approx(c.log_px, abs=1e-6)
    tips = _formula_tips(widget.vi_toy.formula)
    assert any(t.startswith(f"KL(q ‖ p(z | x)) = {num(c.kl, 6)} nats") for t in tips)
    assert any(t.startswith(f"log p(x) = {num(c.log_px, 4)} nats") for t in tips)
    # a click on the plot adds an observation there, a right-click removes the nearest
    plot = widget.vi_toy.plot
    box = plot.getPlotItem().getViewBox()
    at = plot.mapFromScene(box.mapViewToScene(pg.Point(3.0, 0.2)))
    before = state.xs
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=at)
    assert len(state.xs) == len(before) + 1 and state.xs[-1] == pytest.approx(3.0, abs=0.05)
    assert state.current.step == 0 and f"n = {len(state.xs)}" in widget.vi_toy.formula.text()
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.RightButton, pos=at)
    assert state.xs == before
    widget.vi_toy.form.boxes["family"].setCurrentText("truncated normal")
    assert state.request.family == "truncated normal" and "on z &lt; 0" in widget.vi_toy.formula.text()


def test_kde_slider_reads_the_precomputed_curve(panel, qtbot):
    widget = panel()
    widget.tabs.setCurrentIndex(3)
    state = widget.states["kde"]
    qtbot.waitUntil(lambda: state.curve is not None, timeout=30000)
    widget.kde.h_slider.setValue(5)
    assert state.bandwidth_index == 5 and state.estimate() == state.curve[5]
    assert state.estimate() < state.exact  # a tiny bandwidth is far below the truth
    assert "vs exact" in widget.kde.formula.text()


def test_markov_edits_keep_rows_stochastic_and_converge(panel, qtbot):
    widget = panel()
    widget.tabs.setCurrentIndex(4)
    state = widget.states["markov"]
    widget.markov.table.item(0, 0).setText("0.1")
    np.testing.assert_allclose(state.P.sum(1), 1.0)
    assert state.P[0, 0] == pytest.approx(0.1)
    widget.markov.table.item(1, 1).setText("abc")
    assert "not 'abc'" in widget.markov.note.text() and state.P[1, 1] == pytest.approx(0.4)
    state.update(steps=50)
    np.testing.assert_allclose(state.trajectory()[-1], state.stationary(), atol=1e-8)
    widget.markov.t_slider.setValue(1000)
    assert state.t == 1000 and "t = 1000" in widget.markov.diffusion_formula.text()


def _formula_tips(formula):
    """Every tip the formula shows under the mouse, found by scanning its box."""
    return {
        formula.tooltip_at(QPoint(x, y)) for x in range(0, formula.width(), 3) for y in range(2, formula.height(), 4)
    } - {""}


def test_hovering_a_term_or_a_bar_shows_it_with_its_live_value(panel, qtbot, every_mouse_move):
    from explorer.ui.panels.likelihood.look import num

    widget = panel()
    widget.tabs.setCurrentIndex(1)
    state = widget.states["em"]
    state.step()
    state.step()  # after an M-step the gap is open, so every part of the bar has a height
    c, n = state.current, len(state.points)
    tips = _formula_tips(widget.em.formula)
    assert any(t.startswith(f"log p(X | θ) = {num(c.log_likelihood, 2)} nats") for t in tips)
    assert any(t.startswith(f"ELBO(q, θ) = {num(c.elbo, 2)} nats") for t in tips)
    assert any(t.startswith(f"KL(q ‖ p(Z | X, θ)) = {num(c.gap, 6)} nats") for t in tips)
    plot = widget.em.gap_plot
    ll, lb = c.log_likelihood / n, c.elbo / n
    box = plot.getPlotItem().getViewBox()
    bottom = box.viewRange()[1][0]
    at = plot.mapFromScene(box.mapViewToScene(pg.Point(1.0, (bottom + lb) / 2)))  # the middle of the ELBO bar
    qtbot.mouseMove(plot.viewport(), at + QPoint(3, 0))
    qtbot.mouseMove(plot.viewport(), at)
    assert widget.em.gap.tips.shown.startswith(f"ELBO(q, θ) = {num(c.elbo, 2)} nats")
    assert widget.em.gap.tips.text_at(0.0, (bottom + ll) / 2).startswith("log p(X | θ)")
    assert widget.em.gap.tips.text_at(1.0, lb + c.gap / n / 2).startswith("KL(q ‖ p(Z | X, θ))")
    qtbot.mouseMove(plot.viewport(), plot.mapFromScene(box.mapViewToScene(pg.Point(0.5, (bottom + lb) / 2))))
    assert widget.em.gap.tips.shown == ""  # between the bars: nothing

    widget.tabs.setCurrentIndex(0)
    f = widget.states["bayes"].fit()
    tips = _formula_tips(widget.bayes.formula)
    assert any(t.startswith(f"KL(p_D ‖ p_θ) = {num(f.kl_at)} nats") for t in tips)
    assert widget.bayes.bar_tips.text_at(f.theta_probe, f.empirical_entropy / 2).startswith(
        f"H(p_D) = {num(f.empirical_entropy)} nats"
    )

    widget.tabs.setCurrentIndex(2)
    v = widget.states["vi"].current
    assert any(t.startswith(f"KL(q ‖ p(z | x)) = {num(v.gap, 4)} nats") for t in _formula_tips(widget.vi.formula))


def _tabs_with_likelihood_behind_another():
    from PySide6.QtWidgets import QLabel

    from explorer.ui.panel_tabs import PanelTabs

    tabs = PanelTabs(
        {"first": QLabel, "likelihood": lambda: LikelihoodPanel(runner=None, device="cpu")},
        {"first": "1", "likelihood": "L"},
    )
    tabs.panel("first")
    return tabs


SECTION_TITLES = ["1 · ML and Bayes", "2 · EM", "3 · Variational", "4 · KDE", "5 · Markov"]


def test_the_tab_built_in_the_background_builds_a_section_per_turn(qtbot):
    tabs = _tabs_with_likelihood_behind_another()
    qtbot.addWidget(tabs)
    tabs.build_the_rest()  # one turn: the panel and its first section
    panel = tabs.built["likelihood"]
    counts = [panel.tabs.count()]
    for _ in range(4):
        tabs.build_the_rest()  # each later turn: one more section
        counts.append(panel.tabs.count())
    assert counts == [1, 2, 3, 4, 5] and tabs.settled
    assert all(panel.tabs.tabText(i).startswith(title) for i, title in enumerate(SECTION_TITLES))


def test_the_tab_opened_mid_build_is_whole_at_once(qtbot):
    tabs = _tabs_with_likelihood_behind_another()
    qtbot.addWidget(tabs)
    tabs.build_the_rest()
    assert tabs.built["likelihood"].tabs.count() == 1
    tabs.setCurrentIndex(1)  # the learner opens it
    panel = tabs.built["likelihood"]
    assert panel.tabs.count() == 5 and tabs.settled
    assert all(panel.tabs.tabText(i).startswith(title) for i, title in enumerate(SECTION_TITLES))
    assert panel.variational.stack.count() == 2
