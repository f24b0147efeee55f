"""The VAE, GAN, Evaluate and 2-D Lab tabs' states, without Qt: the request a learner sets builds the config or the job
the panel runs, the game's phase and the runner's flags say which buttons are open, and every limit is the
config's own."""

import dataclasses

import pytest

from explorer.core.evaluation.evaluate import FLOOR, MAX_N, MIN_N
from explorer.core.evaluation.panel_state import EvaluateJob, EvaluateState
from explorer.core.gan.nets import GANConfig, default_config
from explorer.core.gan.panel_state import DEFAULT_DELAY, GamePhase, GANPanelState, NextGame
from explorer.core.gan.session import MAX_DELAY_S
from explorer.core.plane.lab_state import LabState
from explorer.core.plane.models import DDPMConfig as PlaneDDPMConfig
from explorer.core.plane.models import ScoreConfig
from explorer.core.runtime.limits import ConfigError, declared_range
from explorer.core.vae.model import VAEConfig
from explorer.core.vae.panel_state import VAEJob, VAEState


def test_the_vae_request_builds_the_run_within_vae_configs_limits():
    declared = {f.name: f.metadata for f in dataclasses.fields(VAEConfig)}
    for f in dataclasses.fields(VAEState):
        if f.name in declared:
            assert f.metadata == declared[f.name]
    state = VAEState()
    heard = []
    state.changed.connect(heard.append)
    state.update(epochs=3, beta=4.0, lr=0.01, batch_size=32)
    assert heard == [frozenset({"epochs", "beta", "lr", "batch_size"})]
    cfg = state.training_config()
    assert (cfg.epochs, cfg.beta, cfg.lr, cfg.batch_size) == (3, 4.0, 0.01, 32)
    assert (cfg.latent_dim, cfg.hidden) == (VAEConfig().latent_dim, VAEConfig().hidden)  # the model's size stays
    state.update(epochs=declared_range(VAEConfig, "epochs")[1] + 1)
    with pytest.raises(ConfigError, match="epochs"):
        state.training_config()


def test_vae_training_waits_for_a_free_runner():
    state = VAEState()
    assert state.can_train
    state.update(busy=True, job=VAEJob.TRAINING)
    assert not state.can_train
    state.update(busy=True, job=None)  # another tab's job on the same runner
    assert not state.can_train


def test_the_game_request_builds_the_game_and_its_session():
    state = GANPanelState()
    assert state.game_config() == default_config("mnist", steps=state.steps)
    state.update(objective="minimax", lr_g=0.001, latent_dim=5, d_norm="spectral", label_smoothing=0.1, delay_s=0.5)
    cfg = state.game_config()
    assert (cfg.objective, cfg.lr_g, cfg.latent_dim, cfg.d_norm, cfg.label_smoothing) == (
        "minimax",
        0.001,
        5,
        "spectral",
        0.1,
    )
    base = GANConfig(seed=7, hidden=16)
    assert state.game_config(base).seed == 7 and state.game_config(base).hidden == 16  # what the form lacks stays
    job = state.session_job(cfg, "cpu")
    assert job.kwargs == {"cfg": cfg, "device": "cpu", "delay_s": 0.5}
    assert declared_range(GANPanelState, "delay_s") == (0.0, MAX_DELAY_S)  # the session's own check
    state.update(latent_dim=513)
    with pytest.raises(ConfigError, match="latent_dim"):
        state.game_config()


def test_choosing_a_game_fills_its_defaults_and_its_slow_motion_unless_one_is_played():
    state = GANPanelState()
    state.update(steps=300, lr_g=0.005)
    state.choose_game("toy")
    toy = default_config("toy")
    assert (state.mode, state.lr_g, state.latent_dim, state.steps) == ("toy", toy.lr_g, toy.latent_dim, 300)
    assert state.delay_s == DEFAULT_DELAY["toy"]
    state.update(lr_g=0.002)
    state.choose_game("toy")  # the same game: nothing changes
    assert state.lr_g == 0.002
    state.begin(state.game_config())
    state.update(delay_s=1.5)
    state.choose_game("mnist")  # while a game waits for its first move: its slow motion stays
    assert state.delay_s == 1.5 and state.lr_g == default_config("mnist").lr_g


def test_a_game_begun_shows_its_settings_and_ends_with_the_game_asked_next():
    state = GANPanelState()
    cfg = GANConfig(mode="toy", steps=40, latent_dim=3, lr_d=0.003, label_smoothing=0.2)
    state.begin(cfg)
    assert state.playing and state.game is cfg and state.phase is GamePhase.MOVED
    assert state.game_config(cfg) == cfg  # the form shows the game
    state.update(next_game=NextGame(cfg, paused=True))
    assert state.end() == NextGame(cfg, paused=True)
    assert not state.playing and state.game is None and state.next_game is None


def test_settings_changed_before_the_first_move_replace_the_game():
    state = GANPanelState()
    cfg = GANConfig(mode="toy", steps=40, hidden=16)
    state.begin(cfg)
    state.update(phase=GamePhase.UNTOUCHED, busy=True, paused=True)
    assert state.replacement(paused=True, first=("step", "d")) is None  # the form is as the game: it plays on
    assert state.after_reset() == NextGame(cfg, paused=True)
    state.update(latent_dim=3)
    new = state.replacement(paused=False)
    assert new is not None and not new.paused and new.first is None
    assert new.cfg.latent_dim == 3 and new.cfg.hidden == 16  # the game's other settings stay
    assert state.after_reset().cfg == new.cfg
    state.update(phase=GamePhase.MOVED)  # it has moved: its settings are fixed
    assert state.replacement(paused=True) is None and state.after_reset() == NextGame(cfg, paused=True)


def test_a_game_resumed_from_anywhere_has_moved():
    state = GANPanelState()
    state.begin(GANConfig(mode="toy"))
    state.update(phase=GamePhase.UNTOUCHED)
    state.follow_runner(busy=True, paused=True)
    assert state.phase is GamePhase.UNTOUCHED
    state.follow_runner(busy=True, paused=False)
    assert state.phase is GamePhase.MOVED
    state.end()
    state.follow_runner(busy=False, paused=False)
    assert state.phase is GamePhase.NONE


BUTTONS = ("can_start", "resumes", "can_pause", "can_stop", "can_reset", "can_step", "settings_open")


@pytest.mark.parametrize(
    ("busy", "paused", "phase", "open_"),
    [
        (False, False, GamePhase.NONE, {"can_start", "can_reset", "can_step", "settings_open"}),
        (True, False, GamePhase.NONE, {"settings_open"}),  # another tab's job
        (True, False, GamePhase.MOVED, {"can_pause", "can_stop", "can_reset"}),
        (True, True, GamePhase.MOVED, {"can_start", "resumes", "can_stop", "can_reset", "can_step"}),
        (
            True,
            True,
            GamePhase.UNTOUCHED,
            {"can_start", "resumes", "can_stop", "can_reset", "can_step", "settings_open"},
        ),
    ],
)
def test_the_games_buttons_follow_its_phase_and_the_runner(busy, paused, phase, open_):
    state = GANPanelState(busy=busy, paused=paused, phase=phase)
    assert {name for name in BUTTONS if getattr(state, name)} == open_


def test_the_evaluation_request_builds_the_job_of_the_ticked_models_with_a_checkpoint(tmp_path):
    state = EvaluateState(models=frozenset({"vae", "gan", "ddpm"}))
    state.update(n=600, seed=3)
    available = ["vae", "ddpm", "pixelcnn"]
    checkpoints = {name: tmp_path / f"{name}.safetensors" for name in ("vae", "gan", "ddpm", "pixelcnn")}
    job = state.evaluation_job(available, checkpoints, "cpu", reference_limit=100)
    assert job.kwargs["models"] == ["vae", "ddpm"]  # gan has no checkpoint; pixelcnn is not ticked
    assert (job.kwargs["n"], job.kwargs["seed"], job.kwargs["reference_limit"]) == (600, 3, 100)
    assert job.kwargs["checkpoints"] == {"vae": str(checkpoints["vae"]), "ddpm": str(checkpoints["ddpm"])}
    again = state.evaluation_job(available, checkpoints, None, n=50, seed=0)
    assert (again.kwargs["n"], again.kwargs["seed"]) == (50, 0)
    n = {f.name: f for f in dataclasses.fields(EvaluateState)}["n"]
    assert n.metadata["range"] == (MIN_N, MAX_N)


def test_an_evaluation_runs_the_floor_too_and_closes_the_form():
    state = EvaluateState()
    assert state.can_evaluate and state.can_tick("vae", ["vae"]) and not state.can_tick("gan", ["vae"])
    state.begin(["vae"])
    state.update(busy=True)
    assert state.job is EvaluateJob.EVALUATION and state.running == ("vae", FLOOR)
    assert not state.can_evaluate and not state.can_tick("vae", ["vae"])
    state.end()
    assert state.job is None and state.running == ()


def test_the_lab_builds_the_training_forms_run_on_its_data():
    state = LabState()
    state.update(train_steps=123, train_model="score")
    score, ddpm = state.training_config("score"), state.training_config("ddpm")
    assert isinstance(score, ScoreConfig) and isinstance(ddpm, PlaneDDPMConfig)
    assert score.steps == ddpm.steps == 123 and score == ScoreConfig(steps=123)  # the rest: each one's defaults
    job = state.training_job(ddpm)
    assert job.kwargs["cfg"] is ddpm and job.kwargs["points"] is state.points and job.kwargs["source"] == "ring"
