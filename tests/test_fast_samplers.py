"""Heun on the probability-flow ODE and DPM-Solver++(2M) beside DDIM: seeds, the network evaluations
they spend, and the ODE they all solve, checked against its exact solution for Gaussian data."""

import numpy as np
import pytest
import torch

from explorer.cli import main
from explorer.core.diffusion import (
    DDPMConfig,
    SamplerConfig,
    build_ddpm,
    ddim_step,
    dpm_solver_2m_step,
    heun_step,
    make_schedule,
    sample_chain,
)
from explorer.core.families import FAMILIES
from explorer.core.runtime.jobs import run_to_end
from explorer.core.runtime.limits import ConfigError

SCHEDULE = make_schedule("linear", 1000)
MU, S = 0.1, 0.2  # the data: every pixel ~ N(MU, S^2), independently


class GaussianOracle(torch.nn.Module):
    """The exact noise predictor for data N(MU, S^2 I):
    eps* = sigma_t (x_t - alpha_t MU) / (alpha_t^2 S^2 + sigma_t^2)."""

    def __init__(self) -> None:
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(()))  # sample_chain reads the device from a parameter
        self.calls = 0

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        abar = SCHEDULE.alphas_cumprod[t][:, None, None, None].double()
        return ((x_t.double() - abar.sqrt() * MU) * (1 - abar).sqrt() / (abar * S**2 + 1 - abar)).float()


def exact_flow(seed: int, n: int = 2) -> np.ndarray:
    """Where the probability-flow ODE takes x_T for that data: in x^ = x / alpha, sigma^ = sigma / alpha, the
    flow keeps (x^ - MU) / sqrt(S^2 + sigma^2) fixed, so x_0 = MU + (x^_T - MU) S / sqrt(S^2 + sigma^_T^2)."""
    x_T = torch.randn(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)).double()
    abar = SCHEDULE.alphas_cumprod[-1].double()
    x0 = MU + (x_T / abar.sqrt() - MU) * S / (S**2 + (1 - abar) / abar).sqrt()
    return ((x0 + 1) / 2)[:, 0].numpy()


def solve(sampler: str, nfe: int, seed: int = 1) -> np.ndarray:
    return run_to_end(sample_chain(GaussianOracle(), SCHEDULE, 2, SamplerConfig(sampler, nfe, eta=0.0), seed=seed))


def test_heun_and_dpm_solver_agree_with_ddim_in_the_many_step_limit():
    exact = exact_flow(1)
    ddim = solve("ddim", 1000)
    assert np.abs(ddim - exact).max() < 5e-3  # DDIM (eta = 0) is Euler's method on the same ODE: first order
    for sampler, nfe in (("heun", 1999), ("dpm++2m", 1000)):
        images = solve(sampler, nfe)
        assert np.abs(images - ddim).max() < 5e-3
        assert np.abs(images - exact).max() < 1e-3  # second order: closer to the exact flow than DDIM


def test_at_ten_evaluations_dpm_solver_is_far_closer_to_the_flow_than_ddim():
    # On Karras et al.'s grid, which spends its steps where the noise is small (where digits are decided, not
    # where this Gaussian toy's flow bends most), still a quarter of DDIM's error on its even grid.
    exact = exact_flow(1)
    assert np.abs(solve("dpm++2m", 10) - exact).max() < 0.35 * np.abs(solve("ddim", 10) - exact).max()


@pytest.mark.parametrize("sampler", ["ddim", "heun", "dpm++2m"])
def test_the_network_is_called_exactly_nfe_times(sampler):
    T = 20
    for nfe in range(1, 2 * T):
        if sampler != "heun" and nfe > T:
            break
        config = SamplerConfig(sampler, nfe)
        oracle = GaussianOracle()
        run_to_end(sample_chain(oracle, make_schedule("linear", T), 1, config, seed=0))
        assert oracle.calls == config.nfe(T) == nfe, (sampler, nfe)
    assert SamplerConfig("heun", 9).chain_length(1000) == 5 and SamplerConfig("heun", 10).chain_length(1000) == 6
    assert SamplerConfig("ddpm", 7).nfe(T) == T


def test_first_order_steps_are_ddim_with_eta_zero():
    """DPM-Solver++(1) and Euler on the PF-ODE are DDIM with eta = 0 (Lu et al. 2022; Karras et al. 2022)."""
    g = torch.Generator().manual_seed(0)
    x_t, eps = torch.randn(3, 1, 28, 28, generator=g), torch.randn(3, 1, 28, 28, generator=g)
    for t, t_prev in ((999, 949), (400, 380), (10, 0), (5, -1)):
        ddim, x0 = ddim_step(SCHEDULE, eps, t, t_prev, x_t, eta=0.0)
        dpm, dpm_x0 = dpm_solver_2m_step(SCHEDULE, eps, t, t_prev, x_t, None)
        euler, euler_x0 = heun_step(SCHEDULE, eps, t, t_prev, x_t, None)
        assert torch.allclose(dpm, ddim, atol=1e-4) and torch.allclose(euler, ddim, atol=1e-4)
        assert torch.equal(dpm_x0, x0) and torch.equal(euler_x0, x0)


def test_the_second_order_steps_use_what_they_are_given():
    g = torch.Generator().manual_seed(0)
    x_t, eps = torch.randn(3, 1, 28, 28, generator=g), torch.randn(3, 1, 28, 28, generator=g)
    first, x0 = dpm_solver_2m_step(SCHEDULE, eps, 400, 380, x_t, None)
    second, _ = dpm_solver_2m_step(SCHEDULE, eps, 400, 380, x_t, (420, x0 * 0.5))
    assert not torch.allclose(first, second, atol=1e-3)
    # With the same x_0 remembered the multistep correction vanishes: D = (1 + 1/2r) x0 - 1/2r x0 = x0.
    same, _ = dpm_solver_2m_step(SCHEDULE, eps, 400, 380, x_t, (420, x0))
    assert torch.allclose(same, first, atol=1e-5)
    asked = []
    heun, _ = heun_step(SCHEDULE, eps, 400, 380, x_t, lambda x, t: asked.append(t) or eps)
    assert asked == [380] and torch.allclose(heun, first, atol=1e-4)  # a constant eps is a straight line in x^
    bent, _ = heun_step(SCHEDULE, eps, 400, 380, x_t, lambda x, t: 0.5 * eps)
    assert not torch.allclose(bent, first, atol=1e-3)


@pytest.mark.parametrize("sampler", ["heun", "dpm++2m"])
def test_the_ode_solvers_are_seeded_and_deterministic_after_x_T(sampler):
    torch.manual_seed(0)
    model = build_ddpm(DDPMConfig(timesteps=20, base_channels=8, depth=1)).eval()
    config = SamplerConfig(sampler, 6, eta=1.0)
    assert config.eta == 0.0 and config == SamplerConfig(sampler, 6)  # no noise after x_T, whatever eta said
    first = model.sample(3, seed=4, sampler=config)
    assert np.array_equal(first, model.sample(3, seed=4, sampler=config))
    assert not np.array_equal(first, model.sample(3, seed=5, sampler=config))
    assert first.shape == (3, 28, 28) and first.min() >= 0 and first.max() <= 1
    assert not np.array_equal(first, model.sample(3, seed=4, sampler=SamplerConfig("ddim", 6, 0.0)))
    with pytest.raises(ConfigError, match="sampler"):
        SamplerConfig("euler")


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    ckpt = tmp_path_factory.mktemp("ddpm") / "ddpm.safetensors"
    assert (
        main(
            [
                "train",
                "ddpm",
                "--steps",
                "2",
                "--timesteps",
                "10",
                "--base-channels",
                "8",
                "--batch-size",
                "8",
                "--train-limit",
                "64",
                "--out",
                str(ckpt),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    return ckpt


def test_sample_spends_the_nfe_asked_with_every_sampler(tiny_checkpoint, tmp_path):
    model, _, _ = FAMILIES["ddpm"].load(tiny_checkpoint)
    out = tmp_path / "s.npy"
    for options, expected in (
        (["--sampler", "dpm++2m", "--nfe", "4"], SamplerConfig("dpm++2m", 4)),
        (["--sampler", "heun", "--nfe", "7"], SamplerConfig("heun", 7)),
        (["--nfe", "3", "--eta", "0"], SamplerConfig("ddim", 3, 0.0)),
        (["--ddim-steps", "3", "--nfe", "3"], SamplerConfig("ddim", 3)),
        (["--sampler", "ddpm", "--nfe", "10"], SamplerConfig("ddpm")),
    ):
        argv = ["sample", "ddpm", "-n", "2", "--seed", "5", "--out", str(out), "--checkpoint", str(tiny_checkpoint)]
        assert main([*argv, *options]) == 0
        assert np.array_equal(np.load(out), run_to_end(FAMILIES["ddpm"].draw(model, 2, 5, sampler=expected)))


@pytest.mark.parametrize(
    "options, said",
    [
        (
            ["--sampler", "heun", "--ddim-steps", "4"],
            "--ddim-steps counts DDIM's steps; give heun its cost with --nfe.",
        ),
        (["--sampler", "dpm++2m", "--eta", "0.5"], "--eta is DDIM's noise; dpm++2m solves the probability-flow ODE"),
        (["--nfe", "4", "--ddim-steps", "5"], "--nfe 4 and --ddim-steps 5 disagree"),
        (["--nfe", "0"], "--nfe must be an integer from 1 to 4000, not 0."),
        (["--sampler", "ddpm", "--nfe", "5"], "ddpm walks all T = 10 steps of this model (--nfe 10)"),
        (
            ["--sampler", "dpm++2m", "--nfe", "11"],
            "--nfe for dpm++2m must be at most 10 for this model's T = 10, not 11.",
        ),
        (["--sampler", "heun", "--nfe", "20"], "--nfe for heun must be at most 19 for this model's T = 10, not 20."),
    ],
)
def test_sample_refuses_a_cost_it_cannot_spend_in_one_line(tiny_checkpoint, tmp_path, capsys, options, said):
    out = tmp_path / "s.npy"
    assert main(["sample", "ddpm", "--out", str(out), "--checkpoint", str(tiny_checkpoint), *options]) == 2
    err = capsys.readouterr().err
    assert said in err and err.count("\n") == 1 and not out.exists()


def test_eval_names_the_solver_and_its_nfe(tiny_checkpoint, capsys):
    assert (
        main(
            [
                "eval",
                "ddpm",
                "-n",
                "50",
                "--checkpoint",
                str(tiny_checkpoint),
                "--device",
                "cpu",
                "--sampler",
                "dpm++2m",
                "--nfe",
                "5",
            ]
        )
        == 0
    )
    assert "ddpm: drawn by DPM-Solver++(2M) at 5 NFE." in capsys.readouterr().out
    argv = ["eval", "ddpm", "-n", "50", "--checkpoint", str(tiny_checkpoint)]
    assert main([*argv, "--sampler", "ddpm", "--nfe", "5"]) == 2
    assert "ddpm walks all T = 10 steps of the DDPM (--nfe 10)" in capsys.readouterr().err
    assert main(["eval", "vae", "-n", "50", "--nfe", "5"]) == 2
    assert (
        "--sampler, --nfe, --ddim-steps and --eta apply to the DDPM and class-conditional DDPM only, not the VAE."
        in capsys.readouterr().err
    )


def test_dpm_solver_walks_karras_grid_of_noise_levels():
    """Karras et al.'s grid (eq. 5, rho = 7): K + 1 distinct timesteps from T - 1 to 0 whose sigma^(1/rho) are evenly
    spaced (to the rounding of t); DPM-Solver++(2M) evaluates at its first K; at K = T it walks every step."""
    from explorer.core.diffusion.sampler import KARRAS_RHO, karras_timesteps

    grid = karras_timesteps(SCHEDULE, 10)
    assert len(grid) == 11 and grid[0] == 999 and grid[-1] == 0 and bool(np.all(np.diff(grid) < 0))
    abar = SCHEDULE.alphas_cumprod.double().numpy()[grid]
    root = ((1 - abar) / abar) ** (0.5 / KARRAS_RHO)
    assert np.allclose(np.diff(root), np.diff(root).mean(), rtol=0.05)
    assert grid[-2] < 50  # the steps crowd where the noise is small
    assert SamplerConfig("dpm++2m", 10).grid(SCHEDULE) == grid[:-1]
    assert SamplerConfig("ddim", 10).grid(SCHEDULE) == SamplerConfig("ddim", 10).timesteps(1000)
    short = make_schedule("linear", 20)
    assert karras_timesteps(short, 19) == list(range(19, -1, -1))  # every step, still distinct
    assert SamplerConfig("dpm++2m", 20).grid(short) == list(range(19, -1, -1))
    with pytest.raises(ValueError, match="between 1 and 19"):
        karras_timesteps(short, 20)
