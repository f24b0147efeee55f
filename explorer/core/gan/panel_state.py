"""The GAN panel's state: the game the learner sets up, and where the game being played is in its life.

The settings form and the slow-motion slider write here as the learner edits them; the panel builds each game
(its ``GANConfig`` and its session's ``Job``) from this state, never from a spin box, and its buttons follow
the game's ``GamePhase`` and the runner's busy and paused flags mirrored here. So a test sets the state and
reads the game, the job and the buttons open without any widget. Each limit is declared once: the game's
numbers where ``GANConfig`` declares them, slow motion where the session checks it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from enum import Enum

from explorer.core.gan.nets import GANConfig, default_config
from explorer.core.gan.session import MAX_DELAY_S, gan_session
from explorer.core.runtime.evented import Evented
from explorer.core.runtime.jobs import Job
from explorer.core.runtime.limits import bounded, declared_as

GAME_ITERATIONS = 2000  # a game long enough to watch, short enough to wait for
# The numbers of a game the form shows (all but its length): choosing a game sets them to its defaults.
NUMBERS = ("objective", "lr_g", "lr_d", "batch_size", "d_steps_per_g", "latent_dim", "d_norm", "label_smoothing")
# Slow motion a game starts with, s per iteration: the toy game's 2,000 iterations would be over in seconds at
# full speed, too fast to watch G's points spread or collapse; an MNIST iteration is slow enough by itself.
DEFAULT_DELAY = {"mnist": 0.0, "toy": 0.02}
Command = tuple[str, object]  # a message to the session: ("step", "d" | "g" | "both"), ("delay", seconds) …


class GamePhase(Enum):
    """Where the panel's game is in its life: none is played (the runner may run another job); one waits,
    paused, before its first move (new settings replace it); or it has moved, and its settings are fixed."""

    NONE = "none"
    UNTOUCHED = "untouched"
    MOVED = "moved"


@dataclass(frozen=True)
class NextGame:
    """The game to start once the one played has ended (after Reset, or new settings before the first move):
    from ``cfg``, ``paused`` or not, its ``first`` command sent at once (None: none)."""

    cfg: GANConfig
    paused: bool
    first: Command | None = None


_LIVE = default_config("mnist")  # the form opens on the MNIST game a learner watches


@dataclass(eq=False)
class GameRequest(Evented):
    """The game asked for: which one (``mode``), G's objective, its length in ``steps`` and its numbers, and
    slow motion (``delay_s`` seconds before each iteration)."""

    mode: str = declared_as(GANConfig, "mode", default=_LIVE.mode)
    objective: str = declared_as(GANConfig, "objective", default=_LIVE.objective)
    steps: int = declared_as(GANConfig, "steps", default=GAME_ITERATIONS)
    lr_g: float = declared_as(GANConfig, "lr_g", default=_LIVE.lr_g)
    lr_d: float = declared_as(GANConfig, "lr_d", default=_LIVE.lr_d)
    batch_size: int = declared_as(GANConfig, "batch_size", default=_LIVE.batch_size)
    d_steps_per_g: int = declared_as(GANConfig, "d_steps_per_g", default=_LIVE.d_steps_per_g)
    latent_dim: int = declared_as(GANConfig, "latent_dim", default=_LIVE.latent_dim)
    d_norm: str = declared_as(GANConfig, "d_norm", default=_LIVE.d_norm)
    label_smoothing: float = declared_as(GANConfig, "label_smoothing", default=_LIVE.label_smoothing)
    delay_s: float = bounded(DEFAULT_DELAY[_LIVE.mode], 0.0, MAX_DELAY_S)

    def game_config(self, base: GANConfig | None = None) -> GANConfig:
        """The game asked for: ``base`` (default: its mode's defaults) with the request's settings; ConfigError
        outside a field's limits."""
        asked = {name: getattr(self, name) for name in NUMBERS}
        return replace(base or default_config(self.mode), mode=self.mode, steps=self.steps, **asked)


@dataclass(eq=False)
class GANPanelState(GameRequest):
    """The request; the runner's ``busy`` and ``paused`` (with any job, the panel's or not); the game being
    played (``game``, its config; None: none) and its ``phase``; the game to start when it ends."""

    busy: bool = False
    paused: bool = False
    game: GANConfig | None = None
    phase: GamePhase = GamePhase.NONE
    next_game: NextGame | None = None

    # ---- the request ----------------------------------------------------------------------------
    def choose_game(self, mode: str) -> None:
        """Another game: its defaults fill the numbers (not the length), and unless a game is played its slow
        motion; the same game changes nothing."""
        if mode == self.mode:
            return
        defaults = asdict(default_config(mode))
        delay = {} if self.playing else {"delay_s": DEFAULT_DELAY[mode]}
        self.update(mode=mode, **{name: defaults[name] for name in NUMBERS}, **delay)

    def session_job(self, cfg: GANConfig, device: str | None) -> Job:
        """The session that plays the game ``cfg`` on ``device`` at the request's slow motion."""
        return Job(gan_session, {"cfg": cfg, "device": device, "delay_s": self.delay_s})

    # ---- the game's life ------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        """Whether the runner's job is this panel's game."""
        return self.phase is not GamePhase.NONE

    def begin(self, cfg: GANConfig) -> None:
        """The game ``cfg`` starts: the form shows its settings (its game's, numbers and length)."""
        self.update(
            game=cfg,
            phase=GamePhase.MOVED,
            mode=cfg.mode,
            steps=cfg.steps,
            **{name: getattr(cfg, name) for name in NUMBERS},
        )

    def follow_runner(self, busy: bool, paused: bool) -> None:
        """The runner's flags; a game resumed (here or from the status bar) has moved."""
        moved = self.phase is GamePhase.UNTOUCHED and not paused
        self.update(busy=busy, paused=paused, phase=GamePhase.MOVED if moved else self.phase)

    def replacement(self, paused: bool, first: Command | None = None) -> NextGame | None:
        """The game that replaces the one waiting for its first move when the form's settings changed since it
        started (it starts ``paused`` with ``first``); None: the game plays on as it is."""
        if self.phase is not GamePhase.UNTOUCHED or self.game is None:
            return None
        cfg = self.game_config(self.game)
        return None if cfg == self.game else NextGame(cfg, paused, first)

    def after_reset(self) -> NextGame:
        """The game Reset starts, paused: the played one's untrained nets (same seed, same fixed noise), or
        before its first move the nets of the settings as the form now has them."""
        assert self.game is not None, "Reset restarts a game being played"
        return NextGame(self.game_config(self.game) if self.phase is GamePhase.UNTOUCHED else self.game, True)

    def end(self) -> NextGame | None:
        """The game has ended: none is played now; the game to start next, if one was asked for."""
        next_game = self.next_game
        self.update(game=None, phase=GamePhase.NONE, next_game=None)
        return next_game

    # ---- what the buttons may do ----------------------------------------------------------------
    @property
    def can_start(self) -> bool:
        """Start a game while the runner is free, or resume the panel's paused one (the button says Resume)."""
        return self.resumes or not self.busy

    @property
    def resumes(self) -> bool:
        return self.playing and self.paused

    @property
    def can_pause(self) -> bool:
        return self.playing and not self.paused

    @property
    def can_stop(self) -> bool:
        return self.playing

    @property
    def can_reset(self) -> bool:
        return self.playing or not self.busy

    @property
    def can_step(self) -> bool:
        """A step moves the paused game, or starts a new one while the runner is free."""
        return self.resumes or not self.busy

    @property
    def settings_open(self) -> bool:
        """The form takes new settings with no game played, or while one waits, paused, for its first move."""
        return not self.playing or (self.paused and self.phase is GamePhase.UNTOUCHED)
