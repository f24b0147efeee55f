"""Divergences ▸ Discrete while a bar is held: the plots' y ranges hold still (so a drag seldom redraws an axis),
every bar and value stays inside them, and they fit tightly again when the bar is let go."""

import itertools

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from explorer.ui.panels.divergences import DivergencePanel
from explorer.ui.panels.divergences.message_label import ERROR_STYLE, INFO_STYLE
from explorer.ui.panels.divergences.style import HELD_FILL, held_range


@pytest.fixture
def panel(qtbot):
    widget = DivergencePanel()
    qtbot.addWidget(widget)
    widget.resize(1270, 620)  # the panel's size in a 1280x720 window
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_a_held_range_stays_while_the_data_fill_it_and_grows_or_shrinks_with_room_to_spare():
    assert held_range((0.0, 2.0), 0.0, 1.5) == (0.0, 2.0)  # inside, filling 3/4: it stays
    assert held_range((0.0, 2.0), 0.0, 3.0) == pytest.approx((0.0, 4.5))  # left it: half the span to spare above
    assert held_range((0.0, 8.0), 0.0, 1.0) == pytest.approx((0.0, 1.5))  # fills 1/8: fitted again, with room
    assert held_range((-0.5, 1.0), -0.8, 1.2) == pytest.approx((-2.0, 2.5))  # left both sides, rounded out
    # a range just fitted holds the same data: it is not fitted again at the next step
    for a, span, low, size in itertools.product((-1.0, 0.0), (0.3, 2.0, 15.0), (-0.7, 0.0, 0.2), (0.05, 0.9, 7.0)):
        fitted = held_range((a, a + span), low, low + size)
        assert fitted[0] <= low and low + size <= fitted[1]
        assert size >= HELD_FILL * (fitted[1] - fitted[0])
        assert held_range(fitted, low, low + size) == fitted


def _y_range(plot) -> tuple[float, float]:
    low, high = plot.getPlotItem().getViewBox().viewRange()[1]
    return round(low, 9), round(high, 9)


def _texts_inside(plot, texts) -> bool:
    """Whether every shown text is drawn inside the plot (its item's empty margin left out)."""
    inside = plot.getPlotItem().getViewBox().sceneBoundingRect()
    for text in (t for t in texts if t.isVisible()):
        m = text.textItem.document().documentMargin()
        if not inside.contains(text.mapRectToScene(text.boundingRect()).adjusted(m, m, -m, -m)):
            return False
    return True


def test_a_held_bar_keeps_the_plots_ranges_true_and_they_fit_tightly_when_let_go(panel, qtbot, every_mouse_move):
    tab = panel.discrete
    editor, ce, kl = tab.p_editor, tab.identity_plot, tab.contrib_plot
    q = tab.q
    viewport = editor.viewport()
    heights = [*np.linspace(0.5, 0.95, 16), *np.linspace(0.95, 0.3, 21)[1:]]  # up and back down, as a mouse
    points = [editor.bar_top_viewport_pos(0, h).toPoint() for h in heights]
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=points[0])
    shown, ranges = [], []
    for point in points[1:]:
        qtbot.mouseMove(viewport, QPoint(point))  # pyqtgraph handles it at once (every_mouse_move)
        if shown and tab.p[0] == shown[-1]:
            continue  # within the drag threshold, or the same pixel row as the last step
        shown.append(tab.p[0])
        qtbot.wait(5)  # the plots place their texts for the new ranges when they paint
        ranges.append((_y_range(ce), _y_range(kl)))
        v = {name: float(label.text().split()[0]) for name, label in tab.value_labels.items()}
        assert max(v["H(p,q)"], v["H(q,p)"]) <= ranges[-1][0][1], "a cross-entropy bar is above its plot"
        terms = kl._bars.opts["height"]
        assert ranges[-1][1][0] <= min(terms) and max(terms) <= ranges[-1][1][1], "a KL term is outside its plot"
        assert _texts_inside(ce, [*ce._texts, *ce._totals]) and _texts_inside(kl, kl._texts), "a value is cut off"
        # the bars and the table show the values dragged; q's bars stay as they were
        assert editor.values() == pytest.approx(tab.p) and tab.q_editor.values() == pytest.approx(q)
        assert [tab.table.item(0, c).text() for c in range(2)] == [f"{x:.3f}" for x in tab.p]
    assert shown[0] < shown[len(points) // 3] and shown[-1] == pytest.approx(0.3, abs=0.02)  # a drag up and down
    held_at_the_end = ranges[-1]
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=points[-1])
    let_go = (_y_range(ce), _y_range(kl))
    assert let_go != held_at_the_end, "letting go fits the ranges to the values again"

    # The same values set one by one, with no bar held: the tight ranges, as a click or a typed value has them.
    tight = []
    for h in shown:
        editor.valueDragged.emit(0, h)
        tight.append((_y_range(ce), _y_range(kl)))
    assert let_go == tight[-1]
    changes = sum(a != b for a, b in itertools.pairwise(ranges))
    assert changes < sum(a != b for a, b in itertools.pairwise(tight)), "holding a bar redraws the axes less often"


def test_the_message_is_restyled_only_when_its_kind_changes(panel):
    tab = panel.discrete
    tab.table.item(0, 1).setText("abc")
    assert tab.message.styleSheet() == ERROR_STYLE
    tab.p_editor.valueDragged.emit(0, 0.4)
    assert tab.message.styleSheet() == INFO_STYLE and "rescaled" in tab.message.text()
