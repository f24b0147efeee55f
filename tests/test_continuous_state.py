"""The Continuous tab's state, without Qt: its densities, what a change announces, and the limits it declares."""

import subprocess
import sys

import pytest

from explorer.core.divergence.view_state import ContinuousState, DivergenceState, MixtureSettings
from explorer.core.runtime.limits import ConfigError


def test_the_default_densities_are_a_gaussian_p_and_a_standard_normal_q():
    state = ContinuousState()
    p, q = state.continuous_p.mixture(), state.continuous_q.mixture()
    assert (p.weights, p.means, p.sigmas) == ((1.0,), (1.0,), (0.5,))
    assert (q.weights, q.means, q.sigmas) == ((1.0,), (0.0,), (1.0,))


def test_setting_one_density_announces_it_alone_and_keeps_its_other_settings():
    state = DivergenceState()
    seen: list[frozenset[str]] = []
    state.changed.connect(seen.append)
    state.set_density("p", two_bumps=True, w2=0.25)
    assert seen == [frozenset({"continuous_p"})]
    p = state.continuous_p.mixture()
    assert p.weights == pytest.approx((0.75, 0.25)) and p.means == (1.0, -2.0) and p.sigmas == (0.5, 0.6)
    state.set_density("p", w2=0.25)  # the same value: nothing to redraw
    assert len(seen) == 1
    state.set_density("q", mu1=-1.5)
    assert seen[-1] == frozenset({"continuous_q"}) and state.continuous_q.mixture().means == (-1.5,)
    assert state.continuous_p.two_bumps  # q's change left p as it was


def test_a_setting_outside_its_declared_limit_is_refused_with_the_limit():
    state = ContinuousState()
    with pytest.raises(ConfigError, match=r"sigma1 must be a number from 0\.2 to 3"):
        state.set_density("q", sigma1=0.1)
    assert state.continuous_q.sigma1 == 1.0
    with pytest.raises(ConfigError, match="w2"):
        MixtureSettings(w2=1.5)


def test_the_state_needs_no_qt():
    code = (
        "import sys; from explorer.core.divergence.view_state import DivergenceState; DivergenceState();"
        "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'superqt'))]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_switch_field_takes_only_true_or_false():
    from explorer.core.divergence.view_state import MixtureSettings
    from explorer.core.runtime.limits import ConfigError

    assert MixtureSettings(two_bumps=True).two_bumps is True
    with pytest.raises(ConfigError, match=r"two_bumps.*true or false"):
        MixtureSettings(two_bumps=1)  # type: ignore[arg-type]
