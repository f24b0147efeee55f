"""The Likelihood tab's state, one evented object per section: what the learner asked for (a validated
config), what is on show, and which job runs (``Running``). Sections bind to these; tests drive them.

Every change goes through a method here or ``update``, which checks it first: a config field outside
its limits raises ConfigError before anything is computed, so the view never shows a state that
could not exist.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from explorer.core.likelihood.ball import MAX_DRAWS, BallFit, BallPrior, fit
from explorer.core.likelihood.evented import Running
from explorer.core.likelihood.exponential_vi import MAX_OBSERVATIONS, ToyConfig, ToyFit, ToySnapshot
from explorer.core.likelihood.gmm import (
    EMConfig,
    EMSnapshot,
    KChoice,
    Mixture,
    e_step,
    initial_mixture,
    m_step,
    point_log_density,
    sample_mixture,
    snapshot,
)
from explorer.core.likelihood.kde import parzen_curve
from explorer.core.likelihood.markov import WEATHER, check_transition, propagate, stationary
from explorer.core.likelihood.mnist_kde import MnistKDE
from explorer.core.likelihood.variational import VariationalFit, VIConfig, VISnapshot
from explorer.core.plane.data import KNOWN_MIXTURE, make_preset
from explorer.core.runtime.errors import DataError
from explorer.core.runtime.evented import Evented

PRESET_POINTS = 2000  # EM's data when a preset is chosen
# The bag the tab opens on: 7 red balls in 10 draws, so every curve has something to show at first sight.
OPENING_DRAWS = (1, 0, 1, 1, 0, 1, 1, 1, 0, 1)


@dataclass(eq=False)
class BallState(Evented):
    """Section 1: the draws (1 = red), the Beta prior, and the θ where the KL bar is read."""

    prior: BallPrior = field(default_factory=BallPrior)
    draws: tuple[int, ...] = ()
    probe: float = 0.5

    def add_draw(self, red: bool) -> None:
        if len(self.draws) >= MAX_DRAWS:
            raise DataError(f"The bag example keeps at most {MAX_DRAWS} draws; clear them to start again.")
        self.update(draws=(*self.draws, int(red)))

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
    points: np.ndarray = field(default_factory=lambda: make_preset("mixture", PRESET_POINTS, 0).astype(np.float64))
    source: str = "mixture"
    current: EMSnapshot | None = None
    history: tuple[tuple[float, float], ...] = ()  # (log p(X | θ), ELBO) per step, per point
    sweep: tuple[KChoice, ...] = ()
    running: Running = Running.IDLE

    def __post_init__(self) -> None:
        self.restart()

    def set_request(self, **values: Any) -> None:  # checked by the config's own limits
        self.update(request=dataclasses.replace(self.request, **values), sweep=())
        self.restart()

    def set_points(self, points: np.ndarray, source: str) -> None:
        points = np.asarray(points, dtype=np.float64)
        self.update(points=points, source=source, sweep=())
        self.restart()

    @property
    def missing_points(self) -> int:
        """How many more distinct points EM needs before it can start (K means are K distinct points)."""
        K = self.request.components
        head = self.points[: 8 * K]  # K distinct points among the first few settle it without sorting them all
        distinct = len(np.unique(head, axis=0))
        if distinct < K and len(self.points) > len(head):
            distinct = len(np.unique(self.points, axis=0))
        return max(0, K - distinct)

    def restart(self) -> None:
        """θ back to the seeded start, q uniform (the gap open): step 0. While there are fewer distinct
        points than K (a drawing just begun) there is nothing to show: ``current`` is None."""
        if self.missing_points:
            self.update(current=None, history=())
            return
        theta = initial_mixture(self.points, self.request.components, self.request.seed)
        q = np.full((len(self.points), theta.K), 1.0 / theta.K)
        self._show(snapshot(self.points, q, theta, 0, "start"), restart=True)

    @property
    def next_step(self) -> str:
        """ "E" after the start or an M-step, else "M"."""
        return "M" if self.current is not None and self.current.step == "E" else "E"

    def step(self) -> EMSnapshot:
        """Take the next step, E or M, and show it."""
        s = self.current
        if s is None:
            raise DataError(
                f"Draw {self.missing_points} more distinct points: EM with K = "
                f"{self.request.components} starts its means on K of them."
            )
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
        self.update(current=s, history=(point,) if restart else (*self.history, point))


@dataclass(eq=False)
class VIState(Evented):
    """Section 3: the model and q's family, the observation x, q's start, and the fit as it goes."""

    request: VIConfig = field(default_factory=VIConfig)
    x: tuple[float, float] = (0.3, 0.5)
    start: tuple[float, float] = (1.5, -1.5)
    current: VISnapshot | None = None
    history: tuple[tuple[int, float], ...] = ()  # (Adam steps taken, ELBO) at every repaint
    running: Running = Running.IDLE
    fitter: VariationalFit | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.restart()

    def set_request(self, **values: Any) -> None:  # checked by the config's own limits
        self.update(request=dataclasses.replace(self.request, **values))
        self.restart()

    def set_observation(self, x: tuple[float, float]) -> None:
        self.restart(x=(float(x[0]), float(x[1])))

    def set_start(self, mu: tuple[float, float]) -> None:
        self.restart(start=(float(mu[0]), float(mu[1])))

    def restart(self, **where: tuple[float, float]) -> None:
        """A new fit from q's start, for the observation and start given (else the present ones); one
        update, so the view repaints once."""
        x, start = where.get("x", self.x), where.get("start", self.start)
        fitter = VariationalFit(self.request, np.array(x), np.array(start))
        s = fitter.snapshot()
        self.update(**where, fitter=fitter, current=s, history=((0, s.elbo),))

    def step(self, steps: int = 1) -> VISnapshot:
        """``steps`` Adam steps up the ELBO, then one repaint."""
        assert self.fitter is not None
        s = self.fitter.climb(steps)
        self.update(current=s, history=(*self.history, (s.step, s.elbo)))
        return s


@dataclass(eq=False)
class VIToyState(Evented):
    """Section 3's 1-D toy: the prior's rate, the noise and q's family, the observations x, q's start,
    and the fit as it goes."""

    request: ToyConfig = field(default_factory=ToyConfig)
    xs: tuple[float, ...] = (1.2, 0.4, 2.0)
    start: tuple[float, float] = (1.0, 1.0)  # q's (m, s) before the first step
    current: ToySnapshot | None = None
    history: tuple[tuple[int, float], ...] = ()  # (Adam steps taken, ELBO) at every repaint
    running: Running = Running.IDLE
    fitter: ToyFit | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.restart()

    def set_request(self, **values: Any) -> None:  # checked by the config's own limits
        self.update(request=dataclasses.replace(self.request, **values))
        self.restart()

    def add_observation(self, x: float) -> None:
        if len(self.xs) >= MAX_OBSERVATIONS:
            raise DataError(f"The toy keeps at most {MAX_OBSERVATIONS} observations; remove some first.")
        self.restart(xs=(*self.xs, float(x)))

    def remove_observation_near(self, x: float) -> None:
        """Remove the observation nearest ``x``; the last one stays (the posterior needs an x)."""
        if len(self.xs) == 1:
            raise DataError("Keep at least one observation x: add another before removing this one.")
        nearest = int(np.argmin(np.abs(np.asarray(self.xs) - x)))
        self.restart(xs=self.xs[:nearest] + self.xs[nearest + 1 :])

    def set_start(self, m: float, s: float) -> None:
        self.restart(start=(float(m), float(s)))

    def restart(self, **where: Any) -> None:
        """A new fit from q's start for the observations given (else the present ones); one update."""
        xs, start = where.get("xs", self.xs), where.get("start", self.start)
        fitter = ToyFit(self.request, xs, *start)
        s = fitter.snapshot()
        self.update(**where, fitter=fitter, current=s, history=((0, s.elbo),))

    def step(self, steps: int = 1) -> ToySnapshot:
        """``steps`` Adam steps up the ELBO, then one repaint."""
        assert self.fitter is not None
        s = self.fitter.climb(steps)
        self.update(current=s, history=(*self.history, (s.step, s.elbo)))
        return s


@dataclass(eq=False)
class MarkovState(Evented):
    """Section 5: the transition matrix P, the start π₀, how many steps are shown, and the diffusion chain's t."""

    P: np.ndarray = field(default_factory=lambda: WEATHER.copy())
    start: np.ndarray = field(default_factory=lambda: np.array([1.0, 0.0, 0.0]))
    steps: int = 20
    t: int = 0  # the DDPM forward chain's step on show (0..T)
    x0_mean: float = 2.5  # the forward chain starts from x₀ ~ N(m, s²)
    x0_sd: float = 0.3

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


def known_mixture() -> Mixture:
    """The 2-D Lab's known mixture (isotropic components) as a full-covariance ``Mixture``."""
    mix = KNOWN_MIXTURE
    return Mixture(
        mix.weights.astype(np.float64),
        mix.means.astype(np.float64),
        (mix.stds.astype(np.float64) ** 2)[:, None, None] * np.eye(2)[None],
    )


MAX_KDE_SAMPLES = 5000  # 2-D centres: the curve over every bandwidth takes about a second at most
KDE_HELD_OUT = 500  # held-out points of the known mixture the 2-D estimates are scored on
BANDWIDTHS = np.geomspace(0.02, 2.0, 41)  # the h the 2-D slider steps through
KDE_HELD_OUT_POINTS = sample_mixture(known_mixture(), KDE_HELD_OUT, np.random.default_rng(1))


def kde_curve(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` seeded samples of the known mixture and the Parzen estimate from them at every h in BANDWIDTHS
    (a computation of up to a second: the section runs it off the GUI thread)."""
    if not 1 <= n <= MAX_KDE_SAMPLES:
        raise DataError(f"Parzen takes 1 to {MAX_KDE_SAMPLES} samples of the model, not {n}.")
    centres = sample_mixture(known_mixture(), n, np.random.default_rng(2))
    return centres, parzen_curve(KDE_HELD_OUT_POINTS, centres, BANDWIDTHS)


@dataclass(eq=False)
class KDEState(Evented):
    """Section 4: Parzen estimates from a model's samples. In 2-D the model is the known mixture, so its
    exact held-out log-likelihood stands beside the estimate; on MNIST the PixelCNN's exact NLL does."""

    bandwidth_index: int = 20  # h = BANDWIDTHS[bandwidth_index], 2-D
    samples: int = 500  # the model's samples used as centres, 2-D
    centres: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    curve: np.ndarray | None = None  # mean log p̂_h on the held-out points for every h in BANDWIDTHS
    mnist: MnistKDE | None = None
    flip: float = 0.1  # ε of the Bernoulli kernel on MNIST
    running: Running = Running.IDLE

    @property
    def held_out(self) -> np.ndarray:
        return KDE_HELD_OUT_POINTS

    @property
    def bandwidth(self) -> float:
        return float(BANDWIDTHS[self.bandwidth_index])

    @property
    def exact(self) -> float:
        """(1/M) Σ log p(x_m) under the model itself: what the estimate tries to reach."""
        return float(point_log_density(KDE_HELD_OUT_POINTS, known_mixture()).mean())

    def show_samples(self, n: int, centres: np.ndarray, curve: np.ndarray) -> None:
        self.update(samples=n, centres=centres, curve=curve)

    def estimate(self) -> float | None:
        """(1/M) Σ log p̂_h(x_m) at the chosen h (None before the first curve)."""
        return None if self.curve is None else float(self.curve[self.bandwidth_index])

    def set_bandwidth_index(self, index: int) -> None:
        if not 0 <= index < len(BANDWIDTHS):
            raise DataError(f"The bandwidth index runs from 0 to {len(BANDWIDTHS) - 1}, not {index}.")
        self.update(bandwidth_index=int(index))

    def set_flip(self, flip: float) -> None:
        if not 0 < flip < 0.5:
            raise DataError(f"ε, the chance a pixel flips, must be above 0 and below 0.5, not {flip}.")
        self.update(flip=float(flip))
