"""The Divergences panel: dragging, typing, presets, units and the forward/reverse fit, headless."""

import math

import numpy as np
import pytest
from layout_audit import layout_problems
from PySide6.QtCore import QPoint, Qt

from explorer.core.divergence import kl_numeric
from explorer.ui.panels.divergences import DivergencePanel
from explorer.ui.panels.divergences.discrete_tab import PRESETS
from explorer.ui.panels.divergences.fit_tab import FIT_STEPS
from explorer.ui.panels.divergences.style import format_value


@pytest.fixture
def panel(qtbot):
    widget = DivergencePanel()
    qtbot.addWidget(widget)
    widget.resize(1300, 820)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def number(label) -> float:
    """The leading number of a value label such as '0.322 bits'."""
    return float(label.text().split()[0])


def test_panel_constructs_with_tabs_and_metadata(panel):
    assert DivergencePanel.title == "Divergences"
    assert DivergencePanel.checkpoint_kind is None
    assert [panel.tabs.tabText(i) for i in range(panel.tabs.count())] == [
        "Discrete",
        "Continuous",
        "Forward vs reverse KL",
    ]


def test_coin_preset_shows_seed_numbers(panel):
    tab = panel.discrete
    tab.preset_combo.setCurrentText("Uniform vs peaked")
    tab.preset_combo.setCurrentText("Fair coin vs 0.2/0.8 coin")
    labels = tab.value_labels
    assert labels["H(p)"].text() == "1.000 bits"
    assert labels["H(q)"].text() == "0.722 bits"
    assert labels["H(p,q)"].text() == "1.322 bits"
    assert labels["KL(p‖q)"].text() == "0.322 bits"


def test_disjoint_preset_shows_infinity_with_category_and_js_one_bit(panel):
    tab = panel.discrete
    tab.preset_combo.setCurrentText("Disjoint supports")
    assert tab.k_spin.value() == len(PRESETS["Disjoint supports"][0])
    assert tab.value_labels["KL(p‖q)"].text() == "∞  (category 1, 2)"
    assert tab.value_labels["KL(q‖p)"].text() == "∞  (category 3, 4)"
    assert tab.value_labels["JS(p,q)"].text() == "1.000 bits"
    assert "q is 0 in category 1 where p is 0.5" in tab.message.text()


def test_dragging_a_bar_top_changes_p_and_kl(panel, qtbot, every_mouse_move):
    tab = panel.discrete
    editor = tab.p_editor
    before_kl = tab.value_labels["KL(p‖q)"].text()
    start = editor.bar_top_viewport_pos(0).toPoint()
    end = editor.bar_top_viewport_pos(0, 0.8).toPoint()
    viewport = editor.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    heights = []
    for t in np.linspace(0.0, 1.0, 6)[1:]:
        qtbot.mouseMove(viewport, QPoint(start.x(), round(start.y() + t * (end.y() - start.y()))))
        qtbot.waitUntil(lambda: not heights or tab.p[0] != heights[-1])
        heights.append(tab.p[0])
    # the bar followed the mouse up while the button was still down: a live drag, not a click
    assert heights == sorted(heights) and heights[0] < heights[-1]
    assert tab.p[0] == pytest.approx(0.8, abs=0.03)
    assert tab.value_labels["KL(p‖q)"].text() != before_kl
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)
    assert tab.p.sum() == pytest.approx(1.0)
    assert editor.values() == pytest.approx(tab.p)
    assert tab.table.item(0, 0).text() == f"{tab.p[0]:.3f}"
    assert number(tab.value_labels["H(p)"]) < 1.0


def test_a_typed_value_follows_the_drag_rule(panel):
    tab = panel.discrete
    tab.table.item(1, 0).setText("0.8")
    # q was (0.2, 0.8): category 1 takes 0.8 exactly and the other is rescaled to keep the sum 1
    assert tab.q == pytest.approx([0.8, 0.2])
    tab.apply_preset("Uniform vs peaked")
    tab.table.item(0, 0).setText("0.1")
    assert tab.p[0] == pytest.approx(0.1) and tab.p.sum() == pytest.approx(1.0)
    assert tab.p[1:] == pytest.approx([0.9 / 5] * 5)  # the others keep their proportions
    assert tab.table.item(0, 0).text() == "0.100"
    assert "others are rescaled" in tab.message.text()


@pytest.mark.parametrize(
    ("typed", "message"),
    [("-0.2", "not a probability"), ("1.5", "not a probability"), ("nan", "not a number"), ("abc", "not a number")],
)
def test_bad_typed_values_are_refused_with_a_message(panel, typed, message):
    tab = panel.discrete
    tab.table.item(0, 1).setText(typed)
    assert tab.p == pytest.approx([0.5, 0.5])
    assert f"'{typed}' is {message}" in tab.message.text()
    assert tab.table.item(0, 1).text() == "0.500"


def test_typing_zero_where_the_rest_is_empty_shares_the_mass_out(panel):
    tab = panel.discrete
    tab.table.item(0, 0).setText("1")
    assert tab.p == pytest.approx([1.0, 0.0])
    tab.table.item(0, 0).setText("0")
    assert tab.p == pytest.approx([0.0, 1.0])


def test_units_switch_scales_numbers_by_ln2(panel):
    tab = panel.discrete
    bits = number(tab.value_labels["H(q)"])
    panel.nats_button.click()
    assert panel.units == "nats"
    assert tab.value_labels["H(q)"].text().endswith("nats")
    assert number(tab.value_labels["H(q)"]) == pytest.approx(bits * math.log(2), abs=1e-3)
    mc_nats = panel.continuous.value_labels[("numeric integral", "KL(p‖q)")].text()
    panel.bits_button.click()
    mc_bits = panel.continuous.value_labels[("numeric integral", "KL(p‖q)")].text()
    assert float(mc_nats.split()[0]) == pytest.approx(float(mc_bits.split()[0]) * math.log(2), abs=1e-3)


def test_changing_k_keeps_distributions_normalised(panel):
    tab = panel.discrete
    tab.k_spin.setValue(5)
    assert tab.p.size == tab.q.size == 5 == tab.table.columnCount()
    assert tab.p.sum() == pytest.approx(1.0) and tab.q.sum() == pytest.approx(1.0)
    assert tab.preset_combo.currentIndex() == -1


def test_continuous_tab_closed_form_numeric_and_monte_carlo(panel):
    tab = panel.continuous
    labels = tab.value_labels
    closed = float(labels[("closed form", "KL(p‖q)")].text().split()[0])
    numeric = float(labels[("numeric integral", "KL(p‖q)")].text().split()[0])
    mc, _, stderr = labels[("Monte Carlo", "KL(p‖q)")].text().split()[:3]
    # default p = N(1, 0.5²), q = N(0, 1): the seed's ½(−log σ² + μ² + σ² − 1), in bits
    assert closed == pytest.approx(0.5 * (-math.log(0.25) + 1 + 0.25 - 1) / math.log(2), abs=1e-3)
    assert numeric == pytest.approx(closed, abs=1e-3)
    assert abs(float(mc) - closed) < 4 * float(stderr) + 1e-3
    tab.p_controls.two_bumps.setChecked(True)
    assert labels[("closed form", "KL(p‖q)")].text() == "n/a — no closed form for mixtures"
    tab.p_controls.mean1.setValue(3.0)
    assert float(labels[("numeric integral", "KL(p‖q)")].text().split()[0]) != pytest.approx(numeric)


def test_continuous_numbers_are_the_full_integrals_and_fit_their_labels_at_the_sliders_extremes(panel):
    tab = panel.continuous
    p, q = tab.p_controls, tab.q_controls
    settings = [
        (p.mean1, 5.0),
        (p.sigma1, 0.2),
        (q.mean1, -5.0),
        (q.sigma1, 0.2),  # KL of about 900 nats, some 1,300 bits: the widest numbers
        (q.two_bumps, True),  # "n/a — no closed form for mixtures": the widest text
        (q.sigma2, 3.0),
    ]
    for units in ("bits", "nats"):
        panel.set_units(units)
        for widget, value in settings:
            if isinstance(value, bool):
                widget.setChecked(value)
            else:
                widget.setValue(value)
            for column, (a, b) in zip(tab.COLUMNS, ((p, q), (q, p)), strict=True):
                shown = tab.value_labels[("numeric integral", column)].text()
                assert shown == format_value(kl_numeric(a.mixture(), b.mixture(), base=units), units)  # 20,001 points
            for label in tab.value_labels.values():
                assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width(), label.text()


def test_fit_animation_runs_to_the_end_and_reverse_locks_on(panel, qtbot):
    fit = panel.fit
    panel.tabs.setCurrentWidget(fit)
    fit.run_button.click()
    assert fit.is_running()
    qtbot.waitUntil(lambda: not fit.is_running(), timeout=120_000)  # a wait, not a timing: a loaded CPU crawls
    forward, reverse = fit.last["forward"], fit.last["reverse"]
    assert forward.step == reverse.step == FIT_STEPS
    assert abs(forward.mu) < 0.1 and forward.sigma > 1.5
    assert reverse.mu == pytest.approx(fit.distance.value() / 2, abs=0.1)
    assert f"step {FIT_STEPS}/{FIT_STEPS}" in fit.status["reverse"].text()


def test_a_bar_dragged_to_zero_shows_zero_not_minus_zero(panel):
    tab = panel.discrete
    tab.p_editor.valueDragged.emit(1, 0.0)  # what dragging bar 2 of p to the bottom emits
    assert tab.p == pytest.approx([1.0, 0.0])
    assert tab.value_labels["H(p)"].text() == "0.000 bits"  # −1·log 1 is −0.0 in floating point
    assert tab.identity_plot._texts[0].textItem.toPlainText() == "H(p) = 0.000"


def _scene_rect(text):
    """Where a TextItem's text is drawn, in scene coordinates, without its item's empty margin."""
    margin = text.textItem.document().documentMargin()
    return text.mapRectToScene(text.boundingRect()).adjusted(margin, margin, -margin, -margin)


@pytest.mark.parametrize("size", [(1270, 620), (1300, 820)])  # the panel's size in a 1280x720 window, and roomy
def test_no_stacked_bar_label_is_cut_off_or_covers_another(panel, qtbot, size):
    tab = panel.discrete
    panel.resize(*size)
    qtbot.wait(20)
    plot = tab.identity_plot
    inside = plot.getPlotItem().getViewBox().sceneBoundingRect()
    for p, q in (
        ([1.0, 0.0], [0.2, 0.8]),
        ([0.5, 0.5], [0.5, 0.5]),
        ([0.0, 1.0], [0.0, 1.0]),
        ([0.5, 0.5], [0.2, 0.8]),
    ):
        tab.p_editor.valueDragged.emit(0, p[0])
        tab.q_editor.valueDragged.emit(0, q[0])
        qtbot.wait(20)  # the plots apply their new ranges when they paint
        texts = [*plot._texts, *plot._totals]
        for text in texts:
            assert inside.contains(_scene_rect(text)), f"{text.textItem.toPlainText()} is cut off at p={p}, q={q}"
        for a, b in ((a, b) for i, a in enumerate(texts) for b in texts[i + 1 :]):
            overlap = _scene_rect(a).intersected(_scene_rect(b))
            assert overlap.height() <= 0 or overlap.width() <= 0, (
                f"{a.textItem.toPlainText()} covers {b.textItem.toPlainText()} at p={p}, q={q}"
            )
    tab.p_editor.valueDragged.emit(1, 0.0)
    assert plot.thin_parts()[0].tolist() == [True, False], "H(p) = 0 has no room in its bar: its label is above"
    editor = tab.p_editor  # a bar at 1 keeps its value label below the plot's title
    editor.valueDragged.emit(0, 1.0)
    qtbot.wait(20)
    assert editor.getPlotItem().getViewBox().sceneBoundingRect().contains(_scene_rect(editor._labels[0]))


def test_the_js_bound_is_given_in_the_units_shown(panel):
    note = panel.discrete.note_labels["JS(p,q)"]
    assert "≤ 1 bit" in note.text()
    panel.nats_button.click()
    assert "≤ ln 2 nats" in note.text() and "bit" not in note.text()
    panel.bits_button.click()
    assert "≤ 1 bit" in note.text()


def test_the_typed_value_table_fills_its_width_after_k_shrinks(panel, qtbot):
    tab = panel.discrete
    tab.preset_combo.setCurrentText("Disjoint supports")
    tab.preset_combo.setCurrentText("Fair coin vs 0.2/0.8 coin")
    qtbot.wait(20)
    widths = [tab.table.columnWidth(c) for c in range(tab.table.columnCount())]
    assert len(widths) == 2 and sum(widths) == pytest.approx(tab.table.viewport().width(), abs=2)


def test_many_infinite_categories_are_summed_up_and_the_values_keep_their_width(panel, qtbot):
    tab = panel.discrete
    tab.k_spin.setValue(12)
    for i in range(1, 12):
        tab.q_editor.valueDragged.emit(i, 0.0)
    assert tab.value_labels["KL(p‖q)"].text() == "∞  (categories 2–12)"
    assert "category 2, 3, 4" in tab.value_labels["KL(p‖q)"].toolTip()
    qtbot.wait(20)
    assert layout_problems(panel) == []


@pytest.fixture
def window(window_showing):
    return window_showing("divergences")


@pytest.mark.parametrize("size", [(1280, 720), (1500, 950)])
def test_every_tab_lays_out_cleanly_on_a_laptop_screen_and_the_default_window(window, qtbot, size):
    panel = window.panels["divergences"]
    window.resize(*size)
    for index in range(panel.tabs.count()):
        panel.tabs.setCurrentIndex(index)
        qtbot.wait(50)
        assert window.size().toTuple() == size
        assert layout_problems(panel) == [], panel.tabs.tabText(index)


def test_the_continuous_views_hold_their_range_while_the_data_fit():
    from explorer.ui.panels.divergences.continuous_tab import steady_range

    assert steady_range(None, 0.0, 1.0) == pytest.approx((-0.1, 1.1))
    assert steady_range((-0.1, 1.1), 0.05, 1.0) == (-0.1, 1.1)  # inside and filling it: the axes stay
    assert steady_range((-0.1, 1.1), 0.0, 1.5) == pytest.approx((-0.15, 1.65))  # left it: re-ranged
    assert steady_range((-0.1, 1.1), 0.0, 0.5) == pytest.approx((-0.05, 0.55))  # fills too little: re-ranged


def test_an_opaque_area_has_the_colour_a_translucent_fill_shows_over_white_and_over_another():
    from PySide6.QtGui import QColor, QImage, QPainter

    from explorer.ui.panels.divergences.area_fills import over
    from explorer.ui.panels.divergences.style import P_COLOUR, Q_COLOUR, transparent

    image = QImage(2, 1, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.fillRect(0, 0, 2, 1, transparent(P_COLOUR, 50))  # as the translucent fills drew p, then q over it
    painter.fillRect(1, 0, 1, 1, transparent(Q_COLOUR, 50))
    painter.end()
    for x, expected in ((0, over(P_COLOUR, 50)), (1, over(Q_COLOUR, 50, over(P_COLOUR, 50)))):
        drawn = image.pixelColor(x, 0)
        assert max(abs(a - b) for a, b in zip(drawn.getRgb()[:3], expected.getRgb()[:3], strict=True)) <= 1


def test_the_densities_areas_follow_the_sliders_and_their_overlap_is_the_smaller_density(panel):
    tab = panel.continuous
    tab.p_controls.two_bumps.setChecked(True)
    tab.p_controls.mean1.setValue(0.4)
    areas = tab._density_areas
    x, first = areas.first.getData()
    p, q = tab.p_controls.mixture(), tab.q_controls.mixture()
    np.testing.assert_allclose(first, p.pdf(x))
    np.testing.assert_allclose(areas.second.getData()[1], q.pdf(x))
    np.testing.assert_allclose(areas.both.getData()[1], np.minimum(p.pdf(x), q.pdf(x)))
    assert min(a.zValue() for a in (areas.first, areas.second, areas.both)) < tab._p_curve.zValue()


def test_the_tabs_follow_the_panels_state(panel):
    state = panel.state
    state.apply_preset("Uniform vs peaked")
    tab = panel.discrete
    assert tab.k_spin.value() == 6 and tab.preset_combo.currentText() == "Uniform vs peaked"
    assert tab.p_editor.values() == pytest.approx(PRESETS["Uniform vs peaked"][0])
    state.set_value("p", 0, 0.4)
    assert tab.preset_combo.currentIndex() == -1 and tab.table.item(0, 0).text() == "0.400"
    tab.k_spin.setValue(3)  # an edit writes the state
    assert state.k == 3
    state.update(units="nats")
    assert panel.nats_button.isChecked() and "nats" in tab.value_labels["H(p)"].text()
    panel.bits_button.setChecked(True)
    assert state.units == "bits"
    fit = panel.fit
    state.update(distance=6.0, start_mu=-2.0)
    assert fit.distance.value() == 6.0 and fit.start_mu.value() == -2.0
    assert fit.last["forward"].step == 0 and fit.last["forward"].mu == pytest.approx(-2.0)


def test_the_continuous_tab_follows_the_panels_state_and_its_sliders_write_it(panel):
    state, tab = panel.state, panel.continuous
    state.set_density("p", mu1=2.0, sigma1=1.0)  # against q = N(0, 1): KL(p‖q) = ½μ² = 2 nats, both ways
    assert tab.p_controls.mean1.value() == 2.0 and tab.p_controls.sigma1.value() == 1.0
    for column in tab.COLUMNS:
        assert number(tab.value_labels[("closed form", column)]) == pytest.approx(2.0 / math.log(2), abs=1e-3)
        assert number(tab.value_labels[("numeric integral", column)]) == pytest.approx(2.0 / math.log(2), abs=1e-3)
    state.set_density("q", two_bumps=True)
    assert tab.q_controls.two_bumps.isChecked() and tab.q_controls.weight2.isEnabled()
    assert tab.value_labels[("closed form", "KL(p‖q)")].text() == "n/a — no closed form for mixtures"
    tab.q_controls.mean2.setValue(-1.0)  # a slider writes the state
    assert state.continuous_q.mu2 == -1.0
    shown = tab.value_labels[("numeric integral", "KL(p‖q)")].text()
    assert shown == format_value(
        kl_numeric(state.continuous_p.mixture(), state.continuous_q.mixture(), base="bits"), "bits"
    )
