"""The rational-quadratic spline of the lab's RealNVP couplings (Durkan et al. 2019), and checkpoints
saved before the spline couplings, the couplings' Fourier features and the DDPM's point-feature option: they
load as what they were; the RealNVP's training jitter."""

import math

import numpy as np
import pytest
import torch

from explorer.core.plane.data import make_preset
from explorer.core.plane.draw import model_from_checkpoint
from explorer.core.plane.flow_training import flow_from_checkpoint, nll_loss, train_realnvp
from explorer.core.plane.models import DDPMConfig, ScoreConfig
from explorer.core.plane.realnvp import AffineCoupling, RealNVP, RealNVPConfig, SplineCoupling
from explorer.core.plane.splines import rational_quadratic, spline_size
from explorer.core.plane.training import train_plane
from explorer.core.runtime.checkpoints import Checkpoint, load_checkpoint, save_checkpoint
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.jobs import run_to_end

BOUND = 3.0


def random_raw(n: int, bins: int, seed: int) -> torch.Tensor:
    return torch.randn(n, spline_size(bins), generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * 1.5


def test_zero_parameters_are_the_identity():
    x = torch.linspace(-5, 5, 101, dtype=torch.float64)
    y, log_slope = rational_quadratic(x, torch.zeros(101, spline_size(6), dtype=torch.float64), BOUND)
    assert torch.allclose(y, x, atol=1e-12) and torch.allclose(log_slope, torch.zeros_like(x), atol=1e-12)


def test_a_spline_is_increasing_onto_its_interval_and_the_identity_outside():
    x = torch.linspace(-BOUND, BOUND, 2001, dtype=torch.float64)[1:-1]
    raw = random_raw(1, 8, 0).expand(len(x), -1)  # one spline, evaluated along its whole interval
    y, _ = rational_quadratic(x, raw, BOUND)
    assert (y[1:] > y[:-1]).all()
    assert -BOUND < float(y[0]) < -BOUND + 0.05 and BOUND - 0.05 < float(y[-1]) < BOUND
    outside = torch.tensor([-7.0, -BOUND - 1e-3, BOUND + 1e-3, 9.0], dtype=torch.float64)
    y_out, log_out = rational_quadratic(outside, random_raw(4, 8, 1), BOUND)
    assert torch.equal(y_out, outside) and torch.equal(log_out, torch.zeros(4, dtype=torch.float64))


def test_log_slope_is_the_derivative_and_the_inverse_undoes_the_map():
    x = torch.empty(400, dtype=torch.float64).uniform_(-BOUND, BOUND, generator=torch.Generator().manual_seed(2))
    raw = random_raw(400, 8, 3)
    y, log_slope = rational_quadratic(x, raw, BOUND)
    h = 1e-6
    numeric = (rational_quadratic(x + h, raw, BOUND)[0] - rational_quadratic(x - h, raw, BOUND)[0]) / (2 * h)
    assert torch.allclose(log_slope, numeric.log(), atol=1e-5)
    assert (y - x).abs().max() > 0.1  # the spline moves the points
    back, log_back = rational_quadratic(y, raw, BOUND, inverse=True)
    assert torch.allclose(back, x, atol=1e-10)
    assert torch.allclose(log_back, log_slope, atol=1e-8)  # g' at g⁻¹(y), the same slope


def _saved_before(ckpt: Checkpoint, field: str, path) -> Checkpoint:
    """``ckpt`` as a file from before ``field`` existed: its config without it."""
    config = {k: v for k, v in ckpt.config.items() if k != field}
    return load_checkpoint(save_checkpoint(path, Checkpoint(ckpt.kind, config, ckpt.state, ckpt.info)))


def test_an_affine_realnvp_saved_before_splines_loads_as_affine(tmp_path):
    points = make_preset("ring", 300, 0)
    cfg = RealNVPConfig(coupling="affine", couplings=2, hidden=8, steps=3, batch_size=32)
    ckpt = run_to_end(train_realnvp(cfg, points, "ring"))
    old = flow_from_checkpoint(_saved_before(ckpt, "coupling", tmp_path / "old.safetensors"))
    assert all(isinstance(layer, AffineCoupling) for layer in old.couplings)
    new = flow_from_checkpoint(run_to_end(train_realnvp(RealNVPConfig(couplings=2, hidden=8, steps=3), points, "ring")))
    assert all(isinstance(layer, SplineCoupling) for layer in new.couplings)
    x = torch.as_tensor(points[:50])
    with torch.no_grad():
        assert torch.allclose(old.log_prob(x), flow_from_checkpoint(ckpt).log_prob(x))


def test_a_ddpm_saved_before_the_point_feature_option_loads_without_features(tmp_path):
    points = make_preset("ring", 300, 0)
    ckpt = run_to_end(train_plane(DDPMConfig(hidden=16, layers=1, point_frequencies=0, steps=3), points, "ring"))
    model = model_from_checkpoint(_saved_before(ckpt, "point_frequencies", tmp_path / "old.safetensors"))
    assert model.cfg.point_frequencies == 0
    with pytest.raises(CheckpointError, match="shape"):  # features widen the first layer: refused in one line
        model_from_checkpoint(Checkpoint(ckpt.kind, {**ckpt.config, "point_frequencies": 3}, ckpt.state, ckpt.info))
    x = np.zeros((4, 2), np.float32)
    assert model.net(torch.as_tensor(x), torch.zeros(4, dtype=torch.long)).shape == (4, 2)


def test_a_score_net_saved_before_its_point_features_loads_on_the_raw_point(tmp_path):
    points = make_preset("ring", 300, 0)
    ckpt = run_to_end(train_plane(ScoreConfig(hidden=16, layers=1, point_frequencies=0, steps=3), points, "ring"))
    model = model_from_checkpoint(_saved_before(ckpt, "point_frequencies", tmp_path / "old.safetensors"))
    assert model.cfg.point_frequencies == 0 and ScoreConfig().point_frequencies == 3  # the default has moved on
    x = torch.zeros((4, 2))
    assert torch.equal(model.net(x, torch.full((4,), 0.5)), model_from_checkpoint(ckpt).net(x, torch.full((4,), 0.5)))


def test_a_spline_realnvp_saved_before_the_coupling_features_loads_on_the_raw_coordinate(tmp_path):
    points = make_preset("moons", 300, 0)
    cfg = RealNVPConfig(couplings=2, hidden=8, frequencies=0, noise=0.0, steps=3, batch_size=32)
    ckpt = run_to_end(train_realnvp(cfg, points, "moons"))
    old = _saved_before(ckpt, "frequencies", tmp_path / "old.safetensors")
    old = Checkpoint(old.kind, {k: v for k, v in old.config.items() if k != "noise"}, old.state, old.info)
    flow = flow_from_checkpoint(old)
    assert isinstance(flow, RealNVP) and (flow.cfg.frequencies, flow.cfg.noise) == (0, 0.0)
    assert all(isinstance(layer, SplineCoupling) for layer in flow.couplings)
    x = torch.as_tensor(points[:50])
    with torch.no_grad():
        assert torch.allclose(flow.log_prob(x), flow_from_checkpoint(ckpt).log_prob(x))
    with pytest.raises(CheckpointError, match="shape") as refused:  # features widen each MLP's first layer
        flow_from_checkpoint(Checkpoint(ckpt.kind, {**ckpt.config, "frequencies": 2}, ckpt.state, ckpt.info))
    assert "\n" not in str(refused.value)


def test_the_couplings_see_the_kept_coordinates_features():
    flow = RealNVP(RealNVPConfig(couplings=2, hidden=8, frequencies=3))
    first = flow.couplings[0].net[0]
    assert isinstance(first, torch.nn.Linear) and first.in_features == 1 + 2 * 3


def test_the_training_jitter_is_gaussian_of_the_configured_sigma_and_none_at_zero():
    torch.manual_seed(0)
    x = torch.as_tensor(make_preset("mixture", 256, 0))
    plain = RealNVP(RealNVPConfig(couplings=2, hidden=8, noise=0.0))
    with torch.no_grad():
        assert torch.equal(nll_loss(plain, x, torch.Generator().manual_seed(1)), -plain.log_prob(x).mean())
        jittered = RealNVP(RealNVPConfig(couplings=2, hidden=8, noise=0.5))  # identity at initialisation
        losses = torch.stack([nll_loss(jittered, x, torch.Generator().manual_seed(s)) for s in range(200)])
    # the identity flow's NLL is E‖x + σε‖²/2 + log 2π, whose mean over the draws is ‖x‖²/2 + σ² + log 2π
    expected = float((x.double() ** 2).sum(1).mean() / 2 + 0.5**2 + math.log(2 * math.pi))
    assert abs(float(losses.mean()) - expected) < 0.02
    assert float(losses.std()) > 0.005  # the jitter is drawn afresh from the generator
