"""The 2-D Lab's flows: RealNVP couplings and their change of variables, flow matching's paths and
pairings, the ODE likelihood, the samplers' NFE, reflow and straightness, checkpoints."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from explorer.core.plane.bound import ddpm_nll_bound
from explorer.core.plane.data import make_preset
from explorer.core.plane.family import lab_sweep
from explorer.core.plane.flow_matching import (
    FlowMatchingConfig,
    VelocityNet,
    conditional_path,
    fm_loss,
    integrate,
    ot_pairing,
    point_features,
    target_velocity,
)
from explorer.core.plane.flow_training import flow_from_checkpoint, train_flow_matching, train_realnvp, train_reflow
from explorer.core.plane.models import DDPMConfig, EpsNet
from explorer.core.plane.ode_likelihood import log_likelihood_grid, ode_log_likelihood
from explorer.core.plane.realnvp import RealNVP, RealNVPConfig, base_log_density, ledger
from explorer.core.plane.reflow import ReflowConfig, straightness
from explorer.core.plane.samplers import starting_noise
from explorer.core.runtime.checkpoints import load_checkpoint, save_checkpoint
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.limits import ConfigError


def drain(job):
    snaps = []
    try:
        while True:
            snaps.append(next(job))
    except StopIteration as stop:
        return snaps, stop.value


def random_flow(seed: int = 0, coupling: str = "spline") -> RealNVP:
    """A RealNVP with every coupling's last layer randomised, so no layer is the identity."""
    torch.manual_seed(seed)
    flow = RealNVP(RealNVPConfig(coupling=coupling, couplings=4, hidden=16, layers=2)).double()
    for layer in flow.couplings:
        nn.init.normal_(layer.net[-1].weight, std=0.3)
        nn.init.normal_(layer.net[-1].bias, std=0.3)
    return flow


@pytest.mark.parametrize("coupling", ["spline", "affine"])
def test_couplings_invert_to_1e_5(coupling):
    flow = random_flow(coupling=coupling).float()
    x = torch.randn(500, 2) * 1.5
    with torch.no_grad():
        z, _ = flow(x)
        assert (z - x).abs().max() > 0.1  # the flow moves the points
        assert torch.allclose(flow.inverse(z), x, atol=1e-5)


@pytest.mark.parametrize("coupling", ["spline", "affine"])
def test_log_det_equals_numerical_jacobian(coupling):
    flow = random_flow(1, coupling)
    for point in ([0.3, -1.2], [2.0, 1.5], [-0.7, 0.1]):
        x = torch.tensor(point, dtype=torch.float64)
        jac = torch.autograd.functional.jacobian(lambda p: flow(p[None])[0][0], x)  # (2, 2)
        h = 1e-6  # and by central differences, not autograd at all
        fd = torch.stack(
            [
                (flow((x + h * e)[None])[0][0] - flow((x - h * e)[None])[0][0]) / (2 * h)
                for e in torch.eye(2, dtype=torch.float64)
            ],
            1,
        )
        logdet = flow(x[None])[1].sum()
        assert math.isclose(float(torch.linalg.slogdet(jac)[1]), float(logdet.detach()), abs_tol=1e-9)
        assert math.isclose(float(torch.linalg.slogdet(fd.detach())[1]), float(logdet.detach()), abs_tol=1e-6)


@pytest.mark.parametrize("coupling", ["spline", "affine"])
def test_ledger_sums_to_log_prob_and_stages_go_from_base_to_model(coupling):
    flow = random_flow(2, coupling).float()
    book = ledger(flow, (0.5, -0.25))
    assert len(book.logdets) == 4 and len(book.lines()) == 6
    with torch.no_grad():
        x = torch.tensor([[0.5, -0.25]])
        assert math.isclose(book.log_p, float(flow.log_prob(x)[0]), abs_tol=1e-5)
        assert math.isclose(book.base, float(base_log_density(flow(x)[0])[0]), abs_tol=1e-5)
        z = torch.randn(50, 2)
        stages = flow.pushes(z)
        assert len(stages) == 5 and torch.equal(stages[0], z)
        assert torch.allclose(stages[-1], flow.inverse(z))
        assert torch.allclose(flow.stage_log_prob(x, 0), base_log_density(x))
        assert torch.allclose(flow.stage_log_prob(x, 4), flow.log_prob(x))


def test_realnvp_nll_falls_in_a_few_steps():
    points = make_preset("mixture", 1000, 0)
    snaps, ckpt = drain(
        train_realnvp(
            RealNVPConfig(couplings=4, hidden=32, steps=60, batch_size=256), points, "mixture", snapshot_s=0.0
        )
    )
    assert snaps[-1].loss < snaps[0].loss - 0.3
    assert ckpt.kind == "plane-realnvp" and ckpt.info["dataset"]["source"] == "mixture"


def test_conditional_path_and_its_target_velocity():
    x0, x1 = torch.randn(100, 2), torch.randn(100, 2) + 3
    t = torch.rand(100)
    assert torch.allclose(conditional_path(x0, x1, torch.zeros(100)), x0)
    assert torch.allclose(conditional_path(x0, x1, torch.ones(100)), x1)
    h = 1e-3  # the path's time derivative, numerically, at every t: x₁ − x₀
    slope = (conditional_path(x0, x1, t + h) - conditional_path(x0, x1, t - h)) / (2 * h)
    assert torch.allclose(slope, target_velocity(x0, x1), atol=1e-3)
    assert torch.equal(target_velocity(x0, x1), x1 - x0)


def test_point_features_keep_the_point_and_pair_sines_with_cosines_at_doubling_frequencies():
    x = torch.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=torch.float64)
    f = point_features(x)
    p = (f.shape[1] - 2) // 4
    assert p >= 1 and f.shape == (2, 2 + 4 * p)
    assert torch.equal(f[:, :2], x)
    sines, cosines = f[:, 2 : 2 + 2 * p], f[:, 2 + 2 * p :]
    assert torch.allclose(sines**2 + cosines**2, torch.ones_like(sines))
    # x's first frequency is π/2: sin(π/2 · 0.5), then y's first (−1.0 · π/2), each doubling after.
    assert sines[0, 0] == pytest.approx(math.sin(math.pi / 4))
    assert sines[0, 1] == pytest.approx(math.sin(math.pi / 2))
    assert sines[0, p] == pytest.approx(-1.0)
    net = VelocityNet(FlowMatchingConfig(hidden=16, layers=1))
    assert net(x.float(), torch.zeros(2)).shape == (2, 2)


def test_flow_matching_loss_is_zero_for_the_exact_field_of_one_pair():
    x0, x1 = torch.tensor([[0.0, 0.0]]), torch.tensor([[1.0, 2.0]])
    net = VelocityNet(FlowMatchingConfig(hidden=16, layers=1))
    for p in net.parameters():
        nn.init.zeros_(p)
    net.net[-1].bias.data = torch.tensor([1.0, 2.0])  # v ≡ x₁ − x₀
    assert float(fm_loss(net, x0, x1, torch.Generator().manual_seed(0)).detach()) == 0.0


def test_ot_pairing_lowers_the_mean_pair_distance_and_keeps_the_points():
    g = torch.Generator().manual_seed(0)
    x1 = torch.as_tensor(make_preset("ring", 512, 0))
    x0 = torch.randn((512, 2), generator=g)
    paired = ot_pairing(x0, x1, block=64)
    assert torch.equal(paired.sort(0).values, x0.sort(0).values)  # a reordering of the same noise
    independent = (x0 - x1).norm(dim=1).mean()
    assert (paired - x1).norm(dim=1).mean() < 0.7 * independent


def test_samplers_honour_nfe_and_are_reproducible():
    calls = []

    class Counting(VelocityNet):
        def forward(self, x, t):
            calls.append(1)
            return super().forward(x, t)

    net = Counting(FlowMatchingConfig(hidden=16, layers=1))
    x0 = starting_noise(10, 3)
    assert np.array_equal(x0, starting_noise(10, 3))
    for sampler, nfe, steps in (("euler", 7, 7), ("heun", 1, 1), ("heun", 2, 1), ("heun", 7, 4), ("heun", 10, 5)):
        calls.clear()
        path = integrate(net, x0, sampler, nfe)
        assert len(calls) == nfe and path.frames.shape == (steps + 1, 10, 2) and path.steps[-1] == steps
        assert np.array_equal(path.frames[0], x0) and path.sigmas[0] == 1.0 and path.sigmas[-1] == 0.0
        assert np.array_equal(path.final, integrate(net, x0, sampler, nfe).final)


class Linear(nn.Module):
    """v(x, t) = c x: x₁ = e^c x₀, so p₁ = N(0, e^{2c} I) exactly."""

    def __init__(self, c: float) -> None:
        super().__init__()
        self.c = c

    def forward(self, x, t):
        return self.c * x


def test_ode_likelihood_of_the_identity_flow_is_the_base_density():
    points = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32) * 2
    got = ode_log_likelihood(Linear(0.0), points)
    assert np.allclose(got, -0.5 * (points.astype(np.float64) ** 2).sum(1) - math.log(2 * math.pi), atol=1e-5)


def test_ode_likelihood_of_a_linear_flow_matches_its_closed_form():
    points = np.random.default_rng(1).normal(size=(200, 2)).astype(np.float32)
    c = 0.7
    var = math.exp(2 * c)
    exact = -0.5 * (points.astype(np.float64) ** 2).sum(1) / var - math.log(2 * math.pi * var)
    assert np.allclose(ode_log_likelihood(Linear(c), points), exact, atol=1e-3)
    grid = log_likelihood_grid(Linear(c), (-1, 1, -2, 2), size=5)
    assert grid.shape == (5, 5) and math.isclose(
        float(grid[0, 4]), -0.5 * (1 + 4) / var - math.log(2 * math.pi * var), abs_tol=1e-3
    )  # row 0 is y = −2, column 4 is x = 1


def test_flow_matching_trains_and_reflow_lowers_straightness(tmp_path):
    points = make_preset("moons", 1000, 0)
    cfg = FlowMatchingConfig(hidden=32, layers=2, steps=300, batch_size=256, pairing="ot", ot_block=32)
    snaps, first = drain(train_flow_matching(cfg, points, "moons", snapshot_s=0.0))
    assert snaps[-1].loss < snaps[0].loss
    path = save_checkpoint(tmp_path / "fm.safetensors", first)
    first = load_checkpoint(path)
    net = flow_from_checkpoint(first)
    reflow_cfg = ReflowConfig(hidden=32, layers=2, steps=200, batch_size=256, pairs=1000, pair_nfe=20)
    _, second = drain(train_reflow(reflow_cfg, first))
    assert second.kind == "plane-reflow" and second.info["reflow_of"]["generation"] == 2
    assert second.info["dataset"] == first.info["dataset"]
    assert straightness(flow_from_checkpoint(second), n=500) < 0.5 * straightness(net, n=500)


def test_reflow_refuses_what_it_cannot_reflow():
    points = make_preset("mixture", 200, 0)
    _, ckpt = drain(train_realnvp(RealNVPConfig(couplings=2, hidden=8, steps=2, batch_size=16), points, "mixture"))
    with pytest.raises(CheckpointError, match="flow-matching model"):
        next(train_reflow(ReflowConfig(), ckpt))
    with pytest.raises(ConfigError, match="pairing"):
        FlowMatchingConfig(pairing="greedy")


def test_learned_density_integrates_to_one():
    """A trained flow-matching model's ODE density is a density: its grid integral is near 1."""
    points = make_preset("mixture", 1000, 0)
    _, ckpt = drain(
        train_flow_matching(FlowMatchingConfig(hidden=32, layers=2, steps=200, batch_size=256), points, "mixture")
    )
    grid = log_likelihood_grid(flow_from_checkpoint(ckpt), (-6, 6, -6, 6), size=60, steps=16)
    cell = (12 / 59) ** 2
    assert abs(float(np.exp(grid.astype(np.float64)).sum() * cell) - 1) < 0.1


def test_ot_pairing_trains_a_straighter_field_than_independent_pairing():
    points = make_preset("moons", 1000, 0)
    s = {}
    for pairing in ("independent", "ot"):
        cfg = FlowMatchingConfig(hidden=32, layers=2, steps=300, batch_size=256, pairing=pairing, ot_block=32)
        _, ckpt = drain(train_flow_matching(cfg, points, "moons", snapshot_s=0.0))
        s[pairing] = straightness(flow_from_checkpoint(ckpt), n=500)
    assert s["ot"] < 0.5 * s["independent"]


class ExactEps(EpsNet):
    """The exact ε-prediction for data N(0, I): every x_t is N(0, I) too, and E[ε | x_t] = √(1 − ᾱ_t) x_t."""

    def forward(self, x_t, t):
        return (1 - self.alphas_cumprod[t].float()).sqrt()[:, None] * x_t


def test_ddpm_bound_lies_just_above_the_exact_nll_of_an_exact_model():
    x = np.random.default_rng(0).normal(size=(2000, 2))
    exact = 0.5 * (x**2).sum(1) + math.log(2 * math.pi)  # −log N(x; 0, I)
    bound = ddpm_nll_bound(ExactEps(DDPMConfig()), x)
    gap = float(bound.mean() - exact.mean())
    assert 0.0 < gap < 0.1  # a bound, and a tight one when the model is exact
    wrong = ddpm_nll_bound(ExactEps(DDPMConfig()), 2 * x)  # data twice as wide as the model's
    assert wrong.mean() > (0.5 * (4 * x**2).sum(1) + math.log(2 * math.pi)).mean()


def test_the_flows_sweep_names_each_field_and_sampler_and_honours_the_ladder():
    points = make_preset("ring", 500, 0)
    cfg = FlowMatchingConfig(hidden=16, layers=1, steps=5, batch_size=32)
    _, ckpt = drain(train_flow_matching(cfg, points, "ring"))
    swept = list(lab_sweep(None, {"FM": ckpt, "reflow": ckpt}, points, "ring", flow_ladder=(1, 3), n=200))
    assert [(p.sampler, p.nfe) for p in swept[:4]] == [("FM euler", 1), ("FM euler", 3), ("FM heun", 1), ("FM heun", 3)]
    assert {p.sampler for p in swept} == {"FM euler", "FM heun", "reflow euler", "reflow heun"} and len(swept) == 8
    assert swept[-1].progress == 1.0 and all(p.mmd2 >= 0 for p in swept)
    same = [p.mmd2 for p in swept if p.sampler == "FM heun"] == [p.mmd2 for p in swept if p.sampler == "reflow heun"]
    assert same  # the same field from the same noise
