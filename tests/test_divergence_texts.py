"""The Divergences panel's texts against the maths they state: the presets' figures in both units, the fit tab's d."""

import numpy as np

from explorer.core.divergence import entropy, kl_divergence
from explorer.core.divergence.view_state import BIMODAL_FROM
from explorer.ui.panels.divergences.discrete_tab import PRESETS


def test_the_coin_story_states_its_figures_in_bits_and_in_nats():
    p, q, story = PRESETS["Fair coin vs 0.2/0.8 coin"]
    for base, unit in (("bits", "bits"), ("nats", "nats")):
        for value in (entropy(np.array(q), base), kl_divergence(np.array(p), np.array(q), base)):
            assert f"{value:.3f} {unit}" in story
    assert BIMODAL_FROM > 2 * 0.6  # the fit tab's p has two bumps from its smallest d on
