"""The Conditional tabs' and the Divergences panel's states, without Qt: the request a learner sets builds the
config or job the tab runs, and the runner's flags and the running job (an enum) say which buttons are open."""

import numpy as np
import pytest

from explorer.core.cgan.nets import CGANConfig
from explorer.core.cgan.panel_state import SCRATCH, CGANJob, CGANRequest, CGANState, StartFrom
from explorer.core.conditional.classifier_guidance import MAX_CLASSIFIER_SCALE
from explorer.core.conditional.classifier_state import ClassifierGuidanceState, ClassifierJob
from explorer.core.conditional.cvae import CVAEConfig
from explorer.core.conditional.cvae_state import CVAERequest, CVAEState
from explorer.core.conditional.jobs import classifier_sweep_job, guidance_comparison_job
from explorer.core.conditional.noisy_classifier import NoisyClassifierConfig
from explorer.core.conditional.sweep import CLASSIFIER_SWEEP
from explorer.core.diffusion import DDPMConfig, SamplerConfig
from explorer.core.divergence.view_state import BUMP_SIGMA, PRESETS, DivergenceState
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.limits import ConfigError, declared_range
from explorer.core.vae.panel_state import VAEJob

WEIGHTS = {"w": np.zeros(1, np.float32)}
MODELS = ((DDPMConfig(), WEIGHTS), (NoisyClassifierConfig(), WEIGHTS))


def test_the_cgan_request_builds_the_game_within_cgan_configs_limits():
    assert declared_range(CGANRequest, "steps") == declared_range(CGANConfig, "steps")
    state = CGANState()
    seen = []
    state.changed.connect(seen.append)
    state.update(steps=123, start_from=StartFrom.SCRATCH)
    assert seen == [frozenset({"steps", "start_from"})]
    assert state.training_config() == CGANConfig(steps=123, **SCRATCH)
    state.update(steps=0)
    with pytest.raises(ConfigError):
        state.training_config()


def test_a_cgan_game_from_the_gan_needs_the_shipped_gan(monkeypatch, tmp_path):
    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)
    with pytest.raises(CheckpointError, match="start from scratch"):
        CGANState(start_from=StartFrom.GAN).training_config()


def test_new_styles_draws_the_grid_from_the_next_seed():
    state = CGANState(seed=4)
    seen = []
    state.changed.connect(seen.append)
    state.new_styles()
    assert state.seed == 5 and seen == [frozenset({"seed"})]


@pytest.mark.parametrize(
    ("busy", "job", "has_model", "train", "stop", "styles"),
    [
        (False, None, False, True, False, False),
        (False, None, True, True, False, True),
        (True, None, True, False, False, True),  # another tab's job: the loaded G's grid may be redrawn
        (True, CGANJob.TRAINING, True, False, True, False),
    ],
)
def test_the_cgan_buttons_follow_the_runner_and_the_job(busy, job, has_model, train, stop, styles):
    state = CGANState(busy=busy, job=job, has_model=has_model)
    assert (state.can_train, state.can_stop, state.can_draw_styles) == (train, stop, styles)


def test_the_classifier_guidance_request_builds_both_jobs():
    assert declared_range(ClassifierGuidanceState, "scale") == (0.0, MAX_CLASSIFIER_SCALE)
    state = ClassifierGuidanceState()
    state.update(digit=3, scale=2.5, w=1.5, n=9, seed=11, sampler="ddim", steps=20, eta=0.5, sweep_n=40)
    cddpm = ("cddpm cfg", WEIGHTS)
    job = state.comparison_job(MODELS, cddpm, "cpu")
    assert job.func is guidance_comparison_job
    assert job.kwargs == {
        "ddpm": MODELS[0],
        "noisy": MODELS[1],
        "cddpm": cddpm,
        "n": 9,
        "digit": 3,
        "scale": 2.5,
        "guidance": 1.5,
        "sampler": SamplerConfig("ddim", 20, 0.5),
        "seed": 11,
        "device": "cpu",
    }
    assert "3s" in state.comparison_text() and "s = 2.5" in state.comparison_text()
    state.update(sampler="ddpm")  # the sweep draws by DDIM with the asked K and eta whichever sampler is chosen
    sweep = state.sweep_job(MODELS, None)
    assert sweep.func is classifier_sweep_job
    assert (sweep.kwargs["digit"], sweep.kwargs["n"], sweep.kwargs["seed"]) == (3, 40, 11)
    assert sweep.kwargs["scales"] == CLASSIFIER_SWEEP and sweep.kwargs["sampler"] == SamplerConfig("ddim", 20, 0.5)


@pytest.mark.parametrize("job", [None, ClassifierJob.COMPARISON, ClassifierJob.SWEEP])
def test_the_classifier_guidance_buttons_wait_for_a_free_runner(job):
    assert ClassifierGuidanceState(busy=False).can_draw
    busy = ClassifierGuidanceState(busy=True, job=job)
    assert not busy.can_draw and not busy.can_sweep


def test_the_cvae_request_builds_a_cvae_run_within_its_limits():
    for name in ("epochs", "beta", "lr", "batch_size"):
        assert declared_range(CVAERequest, name) == declared_range(CVAEConfig, name)
    state = CVAEState(busy=True)
    assert not state.can_train
    state.update(epochs=3, beta=0.5, lr=1e-3, batch_size=64, busy=False, job=VAEJob.TRAINING)
    cfg = state.training_config()
    assert type(cfg) is CVAEConfig and (cfg.epochs, cfg.beta, cfg.lr, cfg.batch_size) == (3, 0.5, 1e-3, 64)
    state.update(epochs=0)
    with pytest.raises(ConfigError):
        state.training_config()


def test_a_drag_sets_the_cvaes_style_to_the_markers_point():
    state = CVAEState(selected=12, z=(0.3, -0.2))
    seen = []
    state.changed.connect(seen.append)
    state.drag_to(1.5, -0.5)
    assert state.selected is None and state.z == (1.5, -0.5) and seen == [frozenset({"z", "selected"})]
    assert np.array_equal(state.point_z(4), np.array([1.5, -0.5, 0.0, 0.0], np.float32))
    assert np.array_equal(state.point_z(1), np.array([1.5], np.float32))  # a 1-D z takes z1


def test_the_divergence_state_opens_on_the_coin_preset_and_leaves_it_when_edited():
    state = DivergenceState()
    p, q, story = PRESETS[state.preset]
    assert list(state.p) == p and list(state.q) == q and state.note == story and state.units == "bits"
    seen = []
    state.changed.connect(seen.append)
    state.set_value("q", 0, 0.8)
    assert state.q == pytest.approx([0.8, 0.2]) and state.preset is None and state.note == ""
    state.resize(5)
    assert state.k == 5 and state.p.sum() == pytest.approx(1.0) and "K = 5" in state.note
    with pytest.raises(ValueError):
        state.resize(1)
    state.apply_preset("Disjoint supports")
    assert state.k == 4 and state.preset == "Disjoint supports"
    assert seen[0] == frozenset({"q", "preset", "note"})


def test_the_fit_target_has_its_bumps_d_apart_within_the_declared_range():
    low = declared_range(DivergenceState, "distance")[0]
    assert low > 2 * BUMP_SIGMA  # two bumps for every d offered
    state = DivergenceState(distance=3.0)
    p = state.target()
    assert p.means == (-1.5, 1.5) and p.sigmas == (BUMP_SIGMA, BUMP_SIGMA)
