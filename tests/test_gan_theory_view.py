"""The toy game's theory beside it, driven as a learner would: switch it on, step the game, read D* and JS."""

import numpy as np
import pytest

from explorer.core.gan.theory import equilibrium_d_loss, toy_theory
from explorer.ui.panels.gan import GANPanel
from explorer.ui.panels.gan.theory_overlay import NO_POINTS


@pytest.fixture
def panel(open_panel):
    return open_panel(GANPanel)


@pytest.fixture
def snapshots(panel, monkeypatch):
    seen = []
    original = panel.on_snapshot
    monkeypatch.setattr(panel, "on_snapshot", lambda snap: (seen.append(snap), original(snap)))
    return seen


def js_shown(panel) -> float:
    """The JS number the overlay's text shows."""
    line = next(line for line in panel.theory.numbers.text().splitlines() if line.startswith("JS("))
    return float(line.split("≈ ")[1].split(" ")[0])


def test_the_overlay_shows_d_star_beside_d_and_its_js_follows_the_steps(panel, qtbot, snapshots):
    panel.controls.settings.mode.setCurrentIndex(panel.controls.settings.mode.findData("toy"))
    panel.controls.settings.batch_size.setValue(32)
    panel.controls.settings.label_smoothing.setValue(0.2)
    assert not panel.theory.d_star.isVisible() and panel.theory.frame is None  # off until asked for
    panel.theory.toggle.setChecked(True)
    assert panel.theory.d_star.isVisible() and panel.theory.gradient.isVisible()
    assert panel.theory.numbers.text() == NO_POINTS  # no G yet: nothing to estimate p_g from

    panel.controls.step_buttons["both"].click()
    qtbot.waitUntil(lambda: len(snapshots) == 2, timeout=60000)
    panel.refresh.flush()
    snap = snapshots[-1]
    frame = panel.theory.frame
    expected = toy_theory(snap.points_fake, 3.0, 64, smoothing=0.2, heatmap=snap.heatmap)
    np.testing.assert_allclose(panel.theory.d_star.heat.image, expected.d_star, atol=1e-6)
    assert frame.js == pytest.approx(expected.js) and js_shown(panel) == pytest.approx(frame.js, abs=5e-4)
    assert frame.d_star.max() <= 0.8 + 1e-6  # one-sided smoothing s = 0.2 caps D* at 1 - s
    assert f"{frame.value:.3f}".replace("-", "−") in panel.theory.numbers.text()
    # the dashed equilibrium lines stand where smoothing puts them
    assert panel.dashboard.output_equilibrium.value() == pytest.approx(0.4)
    assert panel.dashboard.loss_equilibrium.value() == pytest.approx(equilibrium_d_loss(0.2))
    assert panel.theory.gradient.points.labels().tolist().count(0) == len(snap.points_fake)

    for count in range(3, 6):
        panel.controls.step_buttons["g"].click()
        qtbot.waitUntil(lambda count=count: len(snapshots) == count, timeout=20000)
    panel.refresh.flush()
    moved = toy_theory(snapshots[-1].points_fake, 3.0, 64, smoothing=0.2)
    assert moved.js != pytest.approx(frame.js, abs=1e-6)  # G moved, and so did JS
    assert js_shown(panel) == pytest.approx(moved.js, abs=5e-4)

    panel.theory.toggle.setChecked(False)
    assert not panel.theory.d_star.isVisible() and panel.theory.frame is None
