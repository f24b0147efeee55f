"""Exact likelihood of an ODE flow by the instantaneous change of variables (Chen et al. 2018,
Theorem 1; Grathwohl et al. 2019; Lipman et al. 2023 §C):

    d/dt log p_t(x_t) = −div v(x_t, t),   so   log p₁(x) = log N(x₀; 0, I) − ∫₀¹ div v(x_t, t) dt,

where x_t is the ODE's path through x at t = 1, found by integrating dx/dt = v backwards to x₀.
In the plane the divergence ∂v₁/∂x₁ + ∂v₂/∂x₂ is computed exactly (two backward passes), not
estimated by Hutchinson's trace estimator as in high dimension.

The integral is taken by Heun's method (explicit trapezoid) on the joint state (x, ∫div), with
``steps`` steps; the test against a linear field with a closed-form density checks it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from explorer.core.plane.realnvp import base_log_density

Field = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
LIKELIHOOD_STEPS = 32  # Heun steps from t = 1 back to 0: 64 evaluations of v and of its divergence
# A heat map is a picture: 12 steps keep every pixel's log p within a few hundredths of a nat of 128 steps'
# (measured on a trained field) and take under half the time of LIKELIHOOD_STEPS on a 100 × 100 grid.
HEAT_MAP_STEPS = 12


def velocity_and_divergence(v: Field, x: torch.Tensor, t: float) -> tuple[torch.Tensor, torch.Tensor]:
    """v(x, t) (B, 2) and its exact divergence ∂v₁/∂x₁ + ∂v₂/∂x₂ (B,), by autograd."""
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        out = v(x, torch.full((len(x),), t))
        d1 = torch.autograd.grad(out[:, 0].sum(), x, retain_graph=True)[0][:, 0]
        d2 = torch.autograd.grad(out[:, 1].sum(), x)[0][:, 1]
    return out.detach(), (d1 + d2).detach()


def ode_log_likelihood(v: Field, points: np.ndarray, steps: int = LIKELIHOOD_STEPS) -> np.ndarray:
    """log p₁(x) in nats (float64, (N,)) of the flow dx/dt = v(x, t) from N(0, I) at t = 0, at points (N, 2)."""
    x = torch.as_tensor(np.asarray(points, np.float32))
    integral = torch.zeros(len(x))  # ∫_t^1 div v along the path, grown as t runs from 1 down to 0
    h = 1.0 / steps
    for i in range(steps):
        t = 1.0 - i * h
        # Heun backwards in time: predict with the slope at t, correct with the mean of both slopes.
        v1, div1 = velocity_and_divergence(v, x, t)
        x_pred = x - h * v1
        v2, div2 = velocity_and_divergence(v, x_pred, t - h)
        x = x - h * 0.5 * (v1 + v2)
        integral = integral + h * 0.5 * (div1 + div2)
    return (base_log_density(x.double()) - integral.double()).numpy()


def log_likelihood_grid(
    v: Field, box: tuple[float, float, float, float], size: int = 100, steps: int = HEAT_MAP_STEPS
) -> np.ndarray:
    """log p over a size × size grid of the box (x_min, x_max, y_min, y_max): (size, size) float32,
    rows along y (row-major, as the canvas's heat map takes it)."""
    xs = np.linspace(box[0], box[1], size, dtype=np.float32)
    ys = np.linspace(box[2], box[3], size, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    points = np.stack([gx.ravel(), gy.ravel()], 1)
    return ode_log_likelihood(v, points, steps).reshape(size, size).astype(np.float32)
