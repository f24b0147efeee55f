"""The Likelihood tab's state, one evented object per section: what the learner asked for (a validated
config), what is on show, and which job runs (``Running``). Sections bind to these; tests drive them.

Every change goes through a method here or ``update``, which checks it first: a config field outside
its limits raises ConfigError before anything is computed, so the view never shows a state that
could not exist.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from explorer.core.likelihood.ball import MAX_DRAWS, BallFit, BallPrior, fit
from explorer.core.likelihood.evented import Evented, Running
from explorer.core.likelihood.gmm import EMConfig, EMSnapshot, KChoice, e_step, initial_mixture, m_step, snapshot
from explorer.core.likelihood.markov import WEATHER, check_transition, propagate, stationary
from explorer.core.likelihood.variational import VIConfig, VariationalFit, VISnapshot
from explorer.core.plane.data import make_preset
from explorer.core.runtime.errors import DataError


@dataclass(eq=False)
class BallState(Evented):
    """Section 1: the draws (1 = red), the Beta prior, and the θ where the KL bar is read."""

    prior: BallPrior = field(default_factory=BallPrior)
    draws: tuple[int, ...] = ()
    probe: float = 0.5

    def add_draw(self, red: bool) -> None:
        if len(self.draws) >= MAX_DRAWS:
            raise DataError(f"The bag example keeps at most {MAX_DRAWS} draws; clear them to start again.")
        self.update(draws=self.draws + (int(red),))

    def set_prior(self, **values: float) -> None:
        self.update(prior=dataclasses.replace(self.prior, **values))

    def set_probe(self, theta: float) -> None:
        self.update(probe=float(np.clip(theta, 0.0, 1.0)))

    def fit(self) -> BallFit:
        return fit(self.draws, self.prior, self.probe)


@dataclass(eq=False)
class EMState(Evented):
    """Section 2: the points, EM's settings, the current θ and q with their decomposition, the curve of
    log p(X | θ) and ELBO after every step, and the sweep over K."""

    request: EMConfig = field(default_factory=EMConfig)
    points: np.ndarray = field(default_factory=lambda: make_preset("mixture", 1000, 0).astype(np.float64))
    source: str = "mixture"
    current: EMSnapshot | None = None
    history: tuple[tuple[float, float], ...] = ()  # (log p(X | θ), ELBO) per step, per point
    sweep: tuple[KChoice, ...] = ()
    running: Running = Running.IDLE

    def __post_init__(self) -> None:
        self.restart()

    def set_request(self, **values: float) -> None:
        self.update(request=dataclasses.replace(self.request, **values), sweep=())
        self.restart()

    def set_points(self, points: np.ndarray, source: str) -> None:
        points = np.asarray(points, dtype=np.float64)
        self.update(points=points, source=source, sweep=())
        self.restart()

    def restart(self) -> None:
        """θ back to the seeded start, q uniform (the gap open): step 0."""
        theta = initial_mixture(self.points, self.request.components, self.request.seed)
        q = np.full((len(self.points), theta.K), 1.0 / theta.K)
        self._show(snapshot(self.points, q, theta, 0, "start"), restart=True)

    @property
    def next_step(self) -> str:
        """"E" after the start or an M-step, else "M"."""
        return "M" if self.current is not None and self.current.step == "E" else "E"

    def step(self) -> EMSnapshot:
        """Take the next step, E or M, and show it."""
        s = self.current
        assert s is not None
        if self.next_step == "E":
            shown = snapshot(self.points, e_step(self.points, s.theta), s.theta, s.iteration, "E")
        else:
            theta = m_step(self.points, s.q, s.theta, self.request.floor)
            shown = snapshot(self.points, s.q, theta, s.iteration + 1, "M")
        self._show(shown)
        return shown

    def _show(self, s: EMSnapshot, restart: bool = False) -> None:
        n = len(self.points)
        point = (s.log_likelihood / n, s.elbo / n)
        self.update(current=s, history=(point,) if restart else self.history + (point,))


@dataclass(eq=False)
class VIState(Evented):
    """Section 3: the model and q's family, the observation x, q's start, and the fit as it goes."""

    request: VIConfig = field(default_factory=VIConfig)
    x: tuple[float, float] = (0.3, 0.5)
    start: tuple[float, float] = (1.5, -1.5)
    current: VISnapshot | None = None
    history: tuple[float, ...] = ()  # ELBO per step
    running: Running = Running.IDLE
    fitter: VariationalFit | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.restart()

    def set_request(self, **values: object) -> None:
        self.update(request=dataclasses.replace(self.request, **values))
        self.restart()

    def set_observation(self, x: tuple[float, float]) -> None:
        self.update(x=(float(x[0]), float(x[1])))
        self.restart()

    def set_start(self, mu: tuple[float, float]) -> None:
        self.update(start=(float(mu[0]), float(mu[1])))
        self.restart()

    def restart(self) -> None:
        fitter = VariationalFit(self.request, np.array(self.x), np.array(self.start))
        s = fitter.snapshot()
        self.update(fitter=fitter, current=s, history=(s.elbo,))

    def step(self, steps: int = 1) -> VISnapshot:
        """``steps`` Adam steps up the ELBO, then one repaint."""
        assert self.fitter is not None
        for _ in range(steps):
            s = self.fitter.step()
        self.update(current=s, history=self.history + (s.elbo,))
        return s


@dataclass(eq=False)
class MarkovState(Evented):
    """Section 5: the transition matrix P, the start π₀, how many steps are shown, and the diffusion chain's t."""

    P: np.ndarray = field(default_factory=lambda: WEATHER.copy())
    start: np.ndarray = field(default_factory=lambda: np.array([1.0, 0.0, 0.0]))
    steps: int = 20
    t: int = 0  # the DDPM forward chain's step on show (0..T)

    def set_transition(self, P: np.ndarray) -> None:
        self.update(P=check_transition(P).copy())

    def set_start(self, pi0: np.ndarray) -> None:
        pi0 = np.asarray(pi0, dtype=np.float64)
        if pi0.shape != (len(self.P),) or np.any(pi0 < 0) or not np.isclose(pi0.sum(), 1.0):
            raise DataError("π₀ must hold one probability ≥ 0 per state, summing to 1.")
        self.update(start=pi0)

    def trajectory(self) -> np.ndarray:
        """π₀ Pⁿ for n = 0..steps, (steps + 1, S)."""
        return propagate(self.start, self.P, self.steps)

    def stationary(self) -> np.ndarray:
        return stationary(self.P)
