"""The lab's flows as models: the log-likelihood each one reports exactly, and draws from them.

The RealNVP's is its change of variables, one pass; the flow-matching field's (first or reflowed)
is the instantaneous change of variables along its ODE (``ode_likelihood.py``). The part-1 models
report none: the DDPM has only a bound, the score network none at all.
"""

from __future__ import annotations

import numpy as np
import torch

from explorer.core.plane.flow_matching import SAMPLERS as FM_SAMPLERS
from explorer.core.plane.flow_matching import VelocityNet, integrate
from explorer.core.plane.langevin import Trajectory
from explorer.core.plane.mixture import GaussianMixture, mixture_log_density, sample_mixture
from explorer.core.plane.ode_likelihood import ode_log_likelihood
from explorer.core.plane.realnvp import RealNVP
from explorer.core.plane.samplers import starting_noise

REALNVP_SAMPLERS = ("inverse",)  # x = f⁻¹(z): one pass through the layers
ENTROPY_DRAWS = 400_000  # Monte Carlo draws for a mixture's entropy: its standard error is about 0.002 nats


def flow_samplers(net: RealNVP | VelocityNet) -> tuple[str, ...]:
    return REALNVP_SAMPLERS if isinstance(net, RealNVP) else FM_SAMPLERS


def flow_log_likelihood(net: RealNVP | VelocityNet, points: np.ndarray) -> np.ndarray:
    """log p(x) in nats (float64, (N,)) at points (N, 2), exactly (up to the ODE solver's error for a field)."""
    if isinstance(net, RealNVP):
        with torch.no_grad():
            return net.log_prob(torch.as_tensor(np.asarray(points, np.float32))).double().numpy()
    return ode_log_likelihood(net, points)


def draw_flow(net: RealNVP | VelocityNet, sampler: str, n: int, nfe: int, seed: int) -> tuple[Trajectory, int]:
    """``n`` samples from the noise ``seed`` gives (the same as every lab sampler's); the trajectory
    (for the RealNVP: the layer-by-layer pushes) and the evaluations spent."""
    x0 = starting_noise(n, seed)
    if isinstance(net, VelocityNet):
        return integrate(net, x0, sampler, nfe), nfe
    with torch.no_grad():
        stages = net.pushes(torch.as_tensor(x0))
    k = len(stages) - 1
    index = np.arange(k + 1)
    return Trajectory(torch.stack(stages).numpy().astype(np.float32), index, 1.0 - index / k), 1


def mixture_entropy(mix: GaussianMixture, draws: int = ENTROPY_DRAWS, seed: int = 0) -> float:
    """H(p) = −E_p log p(x) in nats, by Monte Carlo: the least mean NLL any model can reach on fresh data."""
    return float(-mixture_log_density(mix, sample_mixture(mix, draws, np.random.default_rng(seed))).mean())
