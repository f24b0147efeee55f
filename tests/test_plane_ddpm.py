"""The 2-D DDPM's training choices: what the network predicts (ε, x₀ or v), how training draws t, and a
checkpoint saved before these choices existed loading as the ε-network it is (tiny configs)."""

import dataclasses
import itertools

import numpy as np
import pytest
import torch

from explorer.core.plane.data import make_preset
from explorer.core.plane.draw import draw, load_plane_model, model_from_checkpoint
from explorer.core.plane.models import PREDICTIONS, DDPMConfig, build_net
from explorer.core.plane.samplers import grid
from explorer.core.plane.training import ddpm_loss, train_plane, training_steps
from explorer.core.runtime.checkpoints import Checkpoint, save_checkpoint
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.jobs import run_to_end

TINY = {"hidden": 32, "layers": 2, "T": 100}


@pytest.mark.parametrize("prediction", PREDICTIONS)
def test_every_parameterisation_gives_back_the_noise_the_samplers_need(prediction):
    net = build_net(DDPMConfig(**TINY, prediction=prediction))
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.randn((64, 2), generator=g, dtype=torch.float64), torch.randn((64, 2), generator=g).double()
    t = torch.randint(0, 100, (64,), generator=g)
    abar = net.alphas_cumprod[t][:, None]
    x_t = abar.sqrt() * x0 + (1 - abar).sqrt() * eps
    # The exact target of each parameterisation (Salimans & Ho 2022 for v), read back as ε.
    target = {"eps": eps, "x0": x0, "v": abar.sqrt() * eps - (1 - abar).sqrt() * x0}[prediction]
    assert torch.allclose(net.eps_from(x_t, target, abar), eps, atol=1e-8)


@pytest.mark.parametrize("changes", [{"prediction": "v"}, {"prediction": "x0", "t_sampling": "uniform"}])
def test_one_shared_step_gives_what_the_per_point_steps_give_whatever_is_predicted(changes):
    net = build_net(DDPMConfig(**TINY, point_frequencies=2, **changes)).eval()
    x = torch.randn((64, 2), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        for t in (0, 37, 99):
            assert torch.allclose(net.at_step(x, t), net(x, torch.full((64,), t, dtype=torch.long)), atol=1e-4)


def test_lognormal_steps_follow_the_log_normal_noise_level():
    cfg = DDPMConfig(T=1000, t_sampling="lognormal", p_mean=-0.4, p_std=1.4)
    net = build_net(cfg)
    t = training_steps(net, 20_000, torch.Generator().manual_seed(0))
    assert t.min() >= 0 and t.max() <= 999
    abar = net.alphas_cumprod[t]
    log_sigma = 0.5 * torch.log((1 - abar) / abar).numpy()
    # Inside the schedule's range (σ from 0.01 to 157) the steps' log σ is N(p_mean, p_std²) to within a step.
    assert np.median(log_sigma) == pytest.approx(cfg.p_mean, abs=0.05)
    assert np.quantile(log_sigma, 0.84) - np.quantile(log_sigma, 0.16) == pytest.approx(2 * cfg.p_std, rel=0.05)
    uniform = training_steps(
        build_net(DDPMConfig(T=1000, t_sampling="uniform")), 20_000, torch.Generator().manual_seed(0)
    )
    assert abs(float(uniform.float().mean()) - 499.5) < 10


def test_v_prediction_loss_falls_and_its_samples_find_the_data():
    cfg = DDPMConfig(**TINY, prediction="v", t_sampling="lognormal", steps=600, batch_size=256, lr=5e-3)
    points = make_preset("mixture", 1000)
    x0 = torch.as_tensor(points)
    model = model_from_checkpoint(run_to_end(train_plane(cfg, points, "mixture")))
    with torch.no_grad():  # the same t and noise for both: v's loss keeps the data's spread at large t
        before = float(ddpm_loss(build_net(cfg), x0, torch.Generator().manual_seed(1)))
        after = float(ddpm_loss(model.net, x0, torch.Generator().manual_seed(1)))
    assert after < 0.75 * before
    samples = draw(model, "heun", 500, 19, seed=0)[0].final
    nearest = np.linalg.norm(samples[:, None] - points[None, :500], axis=2).min(1)
    assert np.median(nearest) < 0.15  # on the data, not spread over the plane


@pytest.mark.parametrize(("T", "steps"), [(1000, 25), (1000, 50), (1000, 1000), (100, 99), (100, 1)])
def test_the_sampler_grid_is_distinct_descending_and_fine_near_the_data(T, steps):
    ts = grid(T, steps)
    assert ts[0] == T - 1 and ts[-1] == -1 and len(ts) == steps + 1
    assert all(a > b for a, b in itertools.pairwise(ts))
    if steps == 25:  # Heun 49's steps: the last one starts within the first 1 % of t, not at t = 39 as even spacing
        assert ts[-2] <= 5 and ts[1] < T - 60  # and the first, at high noise, longer


def _old_file(tmp_path, values):
    """An ε-network's checkpoint whose config is ``values`` (a file written before some fields existed)."""
    cfg = DDPMConfig(**TINY, prediction="eps", point_frequencies=0, seed=4)
    net = build_net(cfg)
    ckpt = Checkpoint(
        kind="plane-ddpm", config=values, state=net.state_dict(), info={"steps": 0, "dataset": {}, "metrics": {}}
    )
    return save_checkpoint(tmp_path / "old.safetensors", ckpt), net


def test_a_checkpoint_saved_before_these_fields_loads_as_the_eps_network_it_is(tmp_path):
    round_one = ("hidden", "layers", "T", "steps", "batch_size", "lr", "seed")  # the fields of the first release
    old = {k: v for k, v in dataclasses.asdict(DDPMConfig(**TINY, seed=4)).items() if k in round_one}
    path, net = _old_file(tmp_path, old)
    model = load_plane_model(path)
    assert (model.cfg.prediction, model.cfg.t_sampling) == ("eps", "uniform")
    assert model.cfg.point_frequencies == 0 and DDPMConfig().prediction == "v"  # the default has moved on
    x, t = torch.randn((16, 2)), torch.arange(16) * 6
    with torch.no_grad():
        assert torch.equal(model.net(x, t), net(x, t))
    bad = {**old, "prediction": "score"}
    with pytest.raises(CheckpointError, match="prediction") as refused:
        load_plane_model(_old_file(tmp_path, bad)[0])
    assert "\n" not in str(refused.value)
