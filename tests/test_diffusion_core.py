"""DDPM/DDIM maths against closed forms, the U-Net's shapes, and the loops on tiny configs."""

import dataclasses
import itertools
import math

import numpy as np
import pytest
import torch

from explorer.core.diffusion import (
    DDPMConfig,
    SamplerConfig,
    build_ddpm,
    ddim_step,
    ddim_timesteps,
    ddpm_from_checkpoint,
    ddpm_step,
    epsilon_loss,
    linear_betas,
    make_schedule,
    q_sample,
    sample_chain,
    sample_images,
    train_ddpm,
)
from explorer.core.diffusion import training as diffusion_training
from explorer.core.diffusion.unet import UNet, grow, timestep_embedding, widen
from explorer.core.runtime.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from explorer.core.runtime.data import load_mnist, to_model_range
from explorer.core.runtime.errors import TrainingError
from explorer.core.runtime.jobs import run_to_end
from explorer.core.runtime.limits import ConfigError

TINY = dict(timesteps=20, base_channels=8, depth=1)
LINEAR = make_schedule("linear", 1000)


def clean_images(n: int = 4, seed: int = 0) -> torch.Tensor:
    """(n, 1, 28, 28) images inside [-0.9, 0.9], so clipping x0_pred never bites."""
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 1.8 - 0.9


def noise_like(x: torch.Tensor, seed: int = 1) -> torch.Tensor:
    return torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))


def test_linear_schedule_runs_from_1e4_to_002():
    assert LINEAR.T == 1000
    assert LINEAR.betas[0].item() == pytest.approx(1e-4, rel=1e-6)
    assert LINEAR.betas[-1].item() == pytest.approx(0.02, rel=1e-6)
    assert LINEAR.betas[1].item() - LINEAR.betas[0].item() == pytest.approx((0.02 - 1e-4) / 999, rel=1e-4)


def test_alphas_cumprod_is_the_cumulative_product():
    betas = LINEAR.betas.double()
    abar = torch.cumprod(1 - betas, dim=0)
    assert torch.allclose(LINEAR.alphas_cumprod.double(), abar, rtol=1e-5, atol=0)
    assert torch.allclose(LINEAR.alphas_cumprod_prev[1:], LINEAR.alphas_cumprod[:-1])
    assert LINEAR.alphas_cumprod_prev[0].item() == 1.0
    assert torch.allclose(LINEAR.sqrt_alphas_cumprod.double() ** 2, abar, rtol=1e-5)
    assert torch.allclose(LINEAR.sqrt_one_minus_alphas_cumprod.double() ** 2, 1 - abar, rtol=1e-5)


@pytest.mark.parametrize("t", [0, 1, 10, 500, 999])
def test_posterior_variance_and_mean_coefficients_by_hand(t):
    beta = [1e-4 + (0.02 - 1e-4) * s / 999 for s in range(t + 1)]
    abar = math.prod(1 - b for b in beta)
    abar_prev = abar / (1 - beta[t])
    expected_var = beta[t] * (1 - abar_prev) / (1 - abar)
    assert LINEAR.posterior_variance[t].item() == pytest.approx(expected_var, rel=1e-5, abs=1e-12)
    assert LINEAR.posterior_mean_coef1[t].item() == pytest.approx(beta[t] * math.sqrt(abar_prev) / (1 - abar), rel=1e-5)
    assert LINEAR.posterior_mean_coef2[t].item() == pytest.approx(
        (1 - abar_prev) * math.sqrt(1 - beta[t]) / (1 - abar), rel=1e-5, abs=1e-12
    )


def test_posterior_at_t0_is_x0_itself():
    assert LINEAR.posterior_variance[0].item() == 0.0
    assert LINEAR.posterior_mean_coef1[0].item() == pytest.approx(1.0, rel=1e-6)
    assert LINEAR.posterior_mean_coef2[0].item() == 0.0


def test_cosine_schedule_matches_its_closed_form_and_decreases():
    T, s = 1000, 0.008
    cosine = make_schedule("cosine", T)

    def f(u: int) -> float:
        return math.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2

    for t in [0, 1, 100, 500, 900, 998]:  # code's t is the paper's t + 1; the last beta is clipped
        assert cosine.alphas_cumprod[t].item() == pytest.approx(f(t + 1) / f(0), rel=1e-5, abs=1e-9)
    abar = cosine.alphas_cumprod
    assert torch.all(abar[1:] < abar[:-1])
    assert cosine.betas.max().item() == pytest.approx(0.999, rel=1e-6)
    assert cosine.betas[-1].item() == pytest.approx(0.999, rel=1e-6)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_snr_is_abar_over_one_minus_abar_and_decreases(kind):
    sched = make_schedule(kind, 1000)
    snr = sched.snr(torch.arange(999))
    assert torch.all(snr[1:] < snr[:-1])
    abar = sched.alphas_cumprod[300].item()
    assert sched.snr(300).item() == pytest.approx(abar / (1 - abar), rel=1e-6)


def test_unknown_schedule_is_refused():
    with pytest.raises(ValueError, match="cosine"):
        make_schedule("quadratic")


def test_q_sample_is_eq4_exactly():
    x0, t = clean_images(), torch.tensor([0, 10, 500, 999])
    eps = noise_like(x0)
    x_t = q_sample(LINEAR, x0, t, eps)
    abar = torch.cumprod(1 - LINEAR.betas.double(), dim=0)  # float64: 1 - abar_0 would cancel in float32
    for i, ti in enumerate(t.tolist()):
        expected = abar[ti].sqrt() * x0[i].double() + (1 - abar[ti]).sqrt() * eps[i].double()
        assert torch.allclose(x_t[i].double(), expected, atol=1e-6)


def test_q_sample_has_the_forward_marginal_statistics():
    n, t = 4000, 300
    x0 = clean_images(1).expand(n, -1, -1, -1)
    x_t = q_sample(LINEAR, x0, torch.full((n,), t), noise_like(x0))
    abar = LINEAR.alphas_cumprod[t].item()
    tol = 4 / math.sqrt(n)
    assert torch.allclose(x_t.mean(0), math.sqrt(abar) * x0[0], atol=4 * tol)  # per pixel, (1, 28, 28)
    assert (x_t.mean(0) - math.sqrt(abar) * x0[0]).abs().mean().item() < tol
    assert x_t.std(0).mean().item() == pytest.approx(math.sqrt(1 - abar), abs=tol)


def test_ddpm_step_with_the_true_noise_recovers_x0_and_the_posterior():
    x0, t = clean_images(), 500
    eps = noise_like(x0)
    x_t = q_sample(LINEAR, x0, torch.full((4,), t), eps)
    x_prev, x0_pred = ddpm_step(LINEAR, eps, t, x_t, generator=torch.Generator().manual_seed(7))
    assert torch.allclose(x0_pred, x0, atol=1e-5)
    mean = LINEAR.posterior_mean_coef1[t] * x0 + LINEAR.posterior_mean_coef2[t] * x_t  # eq. 7
    z = torch.randn(x_t.shape, generator=torch.Generator().manual_seed(7))
    assert torch.allclose(x_prev, mean + LINEAR.posterior_variance[t].sqrt() * z, atol=1e-5)


def test_ddpm_step_adds_noise_except_at_t0():
    x_t, eps = clean_images(), noise_like(clean_images())
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(2)
    at0 = [ddpm_step(LINEAR, eps, 0, x_t, generator=g)[0] for g in (g1, g2)]
    assert torch.equal(at0[0], at0[1])
    assert torch.allclose(at0[0], ddpm_step(LINEAR, eps, 0, x_t)[1], atol=1e-6)  # x_{-1} = x0_pred
    at5 = [ddpm_step(LINEAR, eps, 5, x_t, generator=g)[0] for g in (g1, g2)]
    assert not torch.allclose(at5[0], at5[1])


def test_ddim_with_eta0_is_deterministic_and_moves_along_the_forward_marginal():
    x0, t, t_prev = clean_images(), 700, 300
    eps = noise_like(x0)
    x_t = q_sample(LINEAR, x0, torch.full((4,), t), eps)
    a = ddim_step(LINEAR, eps, t, t_prev, x_t, eta=0.0, generator=torch.Generator().manual_seed(1))
    b = ddim_step(LINEAR, eps, t, t_prev, x_t, eta=0.0, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a[0], b[0])
    assert torch.allclose(a[0], q_sample(LINEAR, x0, torch.full((4,), t_prev), eps), atol=1e-5)
    assert torch.allclose(a[1], x0, atol=1e-5)
    last, _ = ddim_step(LINEAR, eps, t, -1, x_t, eta=0.0)
    assert torch.allclose(last, x0, atol=1e-5)


def test_ddim_with_eta1_on_consecutive_steps_is_the_ddpm_step():
    x0, t = clean_images(), 400
    eps = noise_like(x0)
    x_t = q_sample(LINEAR, x0, torch.full((4,), t), eps)
    ddim, _ = ddim_step(LINEAR, eps, t, t - 1, x_t, eta=1.0, generator=torch.Generator().manual_seed(3))
    ddpm, _ = ddpm_step(LINEAR, eps, t, x_t, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(ddim, ddpm, atol=1e-4)


def test_ddim_walks_with_the_noise_of_the_clipped_x0():
    # An eps that implies an x_0 far outside the data range (3x the noise): x_0 is clipped, and the step must
    # walk with the noise that the clipped x_0 implies, or the clipped-off overshoot returns through eq. 12's
    # direction term (what ruined classifier-free guidance for w >= 1).
    x0, t, t_prev = clean_images(), 700, 300
    eps = noise_like(x0)
    x_t = q_sample(LINEAR, x0, torch.full((4,), t), eps)
    wild = 3.0 * eps
    x0_clipped = ((x_t - LINEAR.sqrt_one_minus_alphas_cumprod[t] * wild) / LINEAR.sqrt_alphas_cumprod[t]).clamp(-1, 1)
    assert (x0_clipped.abs() == 1).float().mean() > 0.2  # the clipping bites
    implied = (x_t - LINEAR.sqrt_alphas_cumprod[t] * x0_clipped) / LINEAR.sqrt_one_minus_alphas_cumprod[t]
    step, x0_pred = ddim_step(LINEAR, wild, t, t_prev, x_t, eta=0.0)
    assert torch.allclose(x0_pred, x0_clipped, atol=1e-5)
    assert torch.allclose(step, q_sample(LINEAR, x0_clipped, torch.full((4,), t_prev), implied), atol=1e-5)
    # With eta = 1 on consecutive steps it is still exactly the DDPM step, which only sees the clipped x_0.
    ddim, _ = ddim_step(LINEAR, wild, t, t - 1, x_t, eta=1.0, generator=torch.Generator().manual_seed(3))
    ddpm, _ = ddpm_step(LINEAR, wild, t, x_t, generator=torch.Generator().manual_seed(3))
    assert torch.allclose(ddim, ddpm, atol=1e-4)


def test_ddim_timesteps_are_evenly_spaced_and_descending():
    ts = ddim_timesteps(1000, 50)
    assert len(ts) == 50 and ts[0] == 999 and ts[-1] == 0
    gaps = np.diff(ts)
    assert np.all(gaps < 0) and set(gaps.tolist()) <= {-20, -21}
    assert ddim_timesteps(20, 20) == list(range(19, -1, -1))
    with pytest.raises(ValueError, match="steps"):
        ddim_timesteps(20, 21)


def test_timestep_embedding_is_the_transformer_sinusoid():
    emb = timestep_embedding(torch.tensor([0, 3]), 8)
    assert emb.shape == (2, 8)
    assert torch.equal(emb[0], torch.tensor([0.0] * 4 + [1.0] * 4))
    freqs = [10000 ** (-i / 4) for i in range(4)]
    assert emb[1].tolist() == pytest.approx(
        [math.sin(3 * w) for w in freqs] + [math.cos(3 * w) for w in freqs], abs=1e-6
    )


def test_unet_keeps_the_shape_and_listens_to_the_time():
    torch.manual_seed(0)
    default = UNet()
    count = sum(p.numel() for p in default.parameters())
    assert 300_000 <= count <= 3_000_000
    net = UNet(base_channels=8, depth=1)
    x = torch.randn(3, 1, 28, 28)
    with torch.no_grad():
        out = net(x, torch.tensor([0, 0, 0]))
        later = net(x, torch.tensor([15, 15, 15]))
    assert out.shape == (3, 1, 28, 28)
    assert (out - later).abs().mean().item() > 1e-3


REFERENCE = {"ddpm": (0.51637, 0.40451), "ddim": (0.49198, 0.49448)}  # (mean, std) recorded, torch 2.14 CPU, with the
# linear betas scaled by 1000 / T (at T = 20 the old unscaled schedule ended at abar_T ~ 0.8: no noise to walk back)


def _tiny_model(seed: int = 0):
    torch.manual_seed(seed)
    return build_ddpm(DDPMConfig(**TINY)).eval()


def test_seeded_sampling_chains_are_reproducible_and_match_the_reference():
    model = _tiny_model()
    ddpm_frames = list(sample_chain(model, model.schedule, 4, SamplerConfig("ddpm"), seed=3))
    ddim_chain = sample_chain(model, model.schedule, 4, SamplerConfig("ddim", 10, eta=0.0), seed=3)
    ddim_frames = [next(ddim_chain) for _ in range(10)]
    assert len(ddpm_frames) == 20 and [f.t for f in ddim_frames] == ddim_timesteps(20, 10)
    assert np.array_equal(ddpm_frames[0].x_t, ddim_frames[0].x_t)  # the same x_T for both samplers
    first = ddim_frames[0]
    assert first.x_t.shape == first.eps.shape == first.x0_pred.shape == (4, 28, 28)
    assert first.x_t.dtype == np.float32 and first.alpha_bar == pytest.approx(model.schedule.alphas_cumprod[19].item())
    assert ddim_frames[-1].progress == 1.0 and "t 0" in ddim_frames[-1].summary()
    ddpm = model.sample(4, seed=3, sampler=SamplerConfig("ddpm"))
    assert np.array_equal(ddpm, model.sample(4, seed=3, sampler=SamplerConfig("ddpm")))
    deterministic = SamplerConfig("ddim", 10, eta=0.0)
    ddim = run_to_end(sample_chain(model, model.schedule, 4, deterministic, seed=3))
    assert np.array_equal(ddim, model.sample(4, seed=3, sampler=deterministic))
    assert ddpm.shape == (4, 28, 28) and ddpm.dtype == np.float32 and ddpm.min() >= 0 and ddpm.max() <= 1
    assert float(ddpm.mean()) == pytest.approx(REFERENCE["ddpm"][0], abs=1e-4)
    assert float(ddpm.std()) == pytest.approx(REFERENCE["ddpm"][1], abs=1e-4)
    assert float(ddim.mean()) == pytest.approx(REFERENCE["ddim"][0], abs=1e-4)
    assert float(ddim.std()) == pytest.approx(REFERENCE["ddim"][1], abs=1e-4)


class PointMassOracle(torch.nn.Module):
    """The exact noise predictor when all data is one image x0*: eps = (x_t - sqrt(abar_t) x0*) / sqrt(1 - abar_t)."""

    def __init__(self, schedule, x0: torch.Tensor) -> None:
        super().__init__()
        self.schedule, self.x0 = schedule, x0
        self.anchor = torch.nn.Parameter(torch.zeros(()))  # sample_chain reads the device from a parameter

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        abar = self.schedule.alphas_cumprod[t][:, None, None, None]
        return (x_t - abar.sqrt() * self.x0) / (1 - abar).sqrt()


@pytest.mark.parametrize("sampler", ["ddpm", "ddim"])
def test_full_sampling_loop_with_the_exact_noise_lands_on_the_data(sampler):
    """With the true eps of a one-image data set, both full loops (1000 DDPM steps; DDIM-50) must end on that image."""
    schedule = make_schedule("linear", 1000)
    x0 = torch.linspace(-0.9, 0.9, 28 * 28).reshape(1, 1, 28, 28)
    images = run_to_end(
        sample_chain(PointMassOracle(schedule, x0), schedule, 3, SamplerConfig(sampler, 50, eta=0.0), seed=1)
    )
    assert np.allclose(images, ((x0[0, 0] + 1) / 2).numpy(), atol=1e-4)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_training_lowers_the_loss_and_round_trips_through_a_checkpoint(tmp_path, precision):
    steps = 30
    cfg = DDPMConfig(
        **TINY,
        steps=steps,
        batch_size=32,
        lr=3e-3,
        train_limit=256,
        ema=0.0,
        warmup=0,  # raw weights
        precision=precision,
    )
    dtypes = set()  # what the convolutions compute in, training and previewing
    watch = torch.nn.modules.module.register_module_forward_hook(
        lambda module, args, out: dtypes.add(out.dtype) if isinstance(module, torch.nn.Conv2d) else None
    )
    try:
        training = train_ddpm(cfg, device="cpu", yield_every_s=0.0, samples_every_s=1e9)
        snaps = list(itertools.islice(training, steps))  # yield_every_s=0: one snapshot a step
        ckpt = run_to_end(training)
    finally:
        watch.remove()
    assert (torch.bfloat16 in dtypes) == (precision == "bf16") and torch.float32 in dtypes  # the preview: fp32
    assert {t.dtype for t in ckpt.state.values() if t.is_floating_point()} == {torch.float32}
    assert [s.step for s in snaps] == list(range(1, steps + 1)) and snaps[-1].progress == 1.0
    assert [s.samples is not None for s in snaps] == [False] * (steps - 1) + [True]
    assert snaps[-1].samples.shape == (16, 28, 28)
    fixed = to_model_range(load_mnist("train").images[:64])

    def fixed_loss(model) -> float:
        with torch.no_grad():
            return epsilon_loss(model, model.schedule, fixed, torch.Generator().manual_seed(0)).item()

    trained, cfg_back = ddpm_from_checkpoint(load_checkpoint(save_checkpoint(tmp_path / "d.safetensors", ckpt), "ddpm"))
    assert cfg_back == cfg and ckpt.kind == "ddpm" and ckpt.info["steps"] == steps
    assert fixed_loss(trained) < 0.8 * fixed_loss(_tiny_model(cfg.seed))
    assert ckpt.info["metrics"]["final_loss"] == pytest.approx(np.mean([s.loss for s in snaps[-3:]]), rel=1e-6)
    assert sample_images(trained, 2, seed=1).shape == (2, 28, 28)


def test_a_continued_run_warms_its_learning_rate_up_and_so_keeps_what_was_learnt(tmp_path):
    assert [diffusion_training.warmup_factor(k, 4) for k in (1, 2, 4, 9)] == [0.25, 0.5, 1.0, 1.0]
    assert diffusion_training.warmup_factor(1, 0) == 1.0
    base = DDPMConfig(**TINY, steps=40, batch_size=32, lr=3e-3, train_limit=256, ema=0.0, warmup=0)
    trained = save_checkpoint(tmp_path / "t.safetensors", run_to_end(train_ddpm(base, device="cpu")))
    start = load_checkpoint(trained).state

    def drift(warmup: int) -> float:
        """How far 3 more steps move the weights, from a fresh Adam."""
        cfg = DDPMConfig(**{**base.__dict__, "steps": 3, "warmup": warmup, "init_from": str(trained), "seed": 1})
        state = run_to_end(train_ddpm(cfg, device="cpu", samples_every_s=1e9)).state
        return sum((state[k] - start[k]).abs().sum().item() for k in start)

    # Adam's first steps move every weight by about lr; warmed up over 100 steps they move it by lr / 100 .. 3 lr / 100.
    assert drift(100) < 0.05 * drift(0)


def test_a_deepened_unet_computes_what_the_shallow_one_did_and_its_new_blocks_learn():
    torch.manual_seed(0)
    shallow = UNet(8, depth=1)
    for param in shallow.parameters():  # trained-looking weights: no zero a bug could hide behind
        torch.nn.init.normal_(param, std=0.1)
    deep = grow(shallow, UNet(8, depth=3))
    x, t = torch.randn(3, 1, 28, 28), torch.tensor([0, 500, 999])
    torch.testing.assert_close(deep(x, t), shallow(x, t))
    added = [block for blocks in [*deep.down, *deep.up] for block in blocks[1:]]
    assert len(added) == 8 and all(block.conv1.weight.abs().sum() > 0 for block in added)  # only conv2 is zeroed
    deep(x, t).square().mean().backward()
    assert all(block.conv2.weight.grad.abs().sum() > 0 for block in added)
    with pytest.raises(ValueError):
        grow(UNet(8, depth=2), UNet(8, depth=1))
    with pytest.raises(ValueError):
        grow(UNet(8, depth=1), UNet(16, depth=2))


def test_attention_added_to_a_trained_unet_changes_nothing_at_first_then_learns():
    torch.manual_seed(0)
    plain = UNet(8, depth=1)
    for param in plain.parameters():
        torch.nn.init.normal_(param, std=0.1)
    attending = grow(plain, UNet(8, depth=2, attention="7x7"))
    x, t = torch.randn(3, 1, 28, 28), torch.tensor([0, 500, 999])
    torch.testing.assert_close(attending(x, t), plain(x, t))
    attending(x, t).square().mean().backward()
    assert attending.mid_attention.proj.weight.grad.abs().sum() > 0  # the zero projection is where it learns
    with torch.no_grad():
        attending.mid_attention.proj.weight.normal_(std=0.1)
    # In one step each of the 49 positions hears every other, which a 3x3 convolution cannot do.
    h = torch.randn(1, 16, 7, 7)
    h2 = h.clone()
    h2[:, :, 0, 0] += 1.0
    assert (attending.mid_attention(h2) - attending.mid_attention(h))[:, :, 6, 6].abs().sum() > 0
    with pytest.raises(ValueError):
        grow(attending, UNet(8, depth=2))  # attention cannot be taken away
    with pytest.raises(ValueError):
        UNet(8, attention="14x14")


def test_a_run_may_continue_a_shallower_net_deepened_but_not_a_deeper_or_narrower_one(tmp_path):
    base = DDPMConfig(**TINY, steps=5, batch_size=8, train_limit=64)
    shallow = save_checkpoint(tmp_path / "d1.safetensors", run_to_end(train_ddpm(base, device="cpu")))
    deeper = DDPMConfig(**{**base.__dict__, "depth": 2, "init_from": str(shallow), "steps": 3, "seed": 1})
    ckpt = run_to_end(train_ddpm(deeper, device="cpu", samples_every_s=1e9))
    assert ckpt.config["depth"] == 2 and ckpt.info["continues"]["depth"] == 1
    assert [run["steps"] for run in diffusion_training.training_runs(ckpt.info)] == [5, 3]
    model, _ = ddpm_from_checkpoint(ckpt)
    assert sum(len(blocks) for blocks in model.unet.down) == 4
    again = save_checkpoint(tmp_path / "d2.safetensors", ckpt)
    with pytest.raises(CheckpointError, match="has depth 2; a run continuing it needs depth 2 or more"):
        diffusion_training.earlier_run(DDPMConfig(**{**base.__dict__, "init_from": str(again)}))
    with pytest.raises(CheckpointError, match="trained with base_channels = 8; this run asks for 16"):
        diffusion_training.earlier_run(DDPMConfig(**{**base.__dict__, "base_channels": 16, "init_from": str(shallow)}))
    attending = DDPMConfig(**{**deeper.__dict__, "attention": "7x7", "init_from": str(again), "seed": 2})
    grown = run_to_end(train_ddpm(attending, device="cpu", samples_every_s=1e9))
    assert grown.info["continues"]["attention"] == "none" and "depth" not in grown.info["continues"]
    assert any(name.startswith("mid_attention.") for name in grown.state)
    with_attention = save_checkpoint(tmp_path / "a.safetensors", grown)
    with pytest.raises(CheckpointError, match="has attention at 7x7; a run continuing it needs --attention 7x7"):
        diffusion_training.earlier_run(DDPMConfig(**{**deeper.__dict__, "init_from": str(with_attention)}))


@pytest.mark.parametrize("depth", [1, 2])
def test_a_widened_unet_computes_what_the_narrow_one_did_and_its_new_channels_learn(depth):
    torch.manual_seed(0)
    narrow = UNet(16, depth=depth)
    for param in narrow.parameters():  # trained-looking weights: no zero a bug could hide behind
        torch.nn.init.normal_(param, std=0.1)
    wide = widen(narrow, UNet(20, depth=depth, widened_from=16))  # 16 -> 20: GroupNorm groups of 2, 10 of them
    assert wide.groups == 10 and wide.mid[0].norm1.num_groups == 10 and wide.up[0][0].norm1.num_channels == 80
    x, t = torch.randn(3, 1, 28, 28), torch.tensor([0, 500, 999])
    torch.testing.assert_close(wide(x, t), narrow(x, t))
    # The added channels listen to the old ones and are heard by no one yet; the gradient reaches that silence.
    assert wide.conv_in.weight[16:].abs().sum() > 0 and wide.conv_out.weight[:, 16:].abs().sum() == 0
    wide(x, t).square().mean().backward()
    assert wide.conv_out.weight.grad[:, 16:].abs().sum() > 0
    assert wide.up[0][0].conv1.weight.grad[:, 32:40].abs().sum() > 0  # the path's added channels, before the skip's
    wider = widen(wide, UNet(24, depth=depth, widened_from=16))  # widened again, from the first width's groups
    torch.testing.assert_close(wider(x, t), narrow(x, t))
    with pytest.raises(ValueError):
        widen(narrow, UNet(24, depth=depth))  # 8 groups of 3 channels would mix the old groups of 2
    with pytest.raises(ValueError):
        widen(UNet(16, depth=depth, attention="7x7"), UNet(24, depth=depth, attention="7x7", widened_from=16))
    with pytest.raises(ValueError):
        UNet(20, depth=depth, widened_from=24)


def test_a_run_may_continue_a_narrower_net_widened_with_its_first_width_named(tmp_path):
    base = DDPMConfig(**TINY, steps=4, batch_size=8, train_limit=64)
    narrow = save_checkpoint(tmp_path / "c8.safetensors", run_to_end(train_ddpm(base, device="cpu")))
    wider = DDPMConfig(**{**base.__dict__, "base_channels": 16, "widened_from": 8, "init_from": str(narrow)})
    model = build_ddpm(wider)
    diffusion_training.earlier_run(wider, model)
    before, _ = ddpm_from_checkpoint(load_checkpoint(narrow))
    np.testing.assert_allclose(model.eval().sample(4, seed=3), before.sample(4, seed=3), atol=1e-5)
    ckpt = run_to_end(
        train_ddpm(DDPMConfig(**{**wider.__dict__, "steps": 2, "seed": 1}), device="cpu", samples_every_s=1e9)
    )
    assert ckpt.info["continues"]["base_channels"] == 8 and ckpt.info["continues"]["widened_from"] == 0
    assert [run["steps"] for run in diffusion_training.training_runs(ckpt.info)] == [4, 2]
    assert ddpm_from_checkpoint(ckpt)[1].widened_from == 8
    widened = save_checkpoint(tmp_path / "c16.safetensors", ckpt)
    continued = DDPMConfig(**{**wider.__dict__, "init_from": str(widened)})
    diffusion_training.earlier_run(continued)  # the same widened width continues as it is
    with pytest.raises(CheckpointError, match="widened from 8 channels; a run continuing it needs --widened-from 8"):
        diffusion_training.earlier_run(DDPMConfig(**{**continued.__dict__, "base_channels": 16, "widened_from": 0}))
    with pytest.raises(CheckpointError, match=r"first built with 8 channels; .* needs --widened-from 8"):
        diffusion_training.earlier_run(
            DDPMConfig(**{**base.__dict__, "base_channels": 32, "widened_from": 16, "init_from": str(narrow)})
        )
    with pytest.raises(CheckpointError, match="widening keeps the depth"):
        diffusion_training.earlier_run(DDPMConfig(**{**wider.__dict__, "depth": 2}))


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"base_channels": 60}, r"base_channels must be a multiple of 8 \(GroupNorm's 8 groups\), not 60"),
        (
            {"base_channels": 62, "widened_from": 48},
            r"must be a multiple of 6, the GroupNorm group size of the 48-channel",
        ),
        ({"base_channels": 48, "widened_from": 48}, r"base_channels must be above widened_from \(48\)"),
        ({"base_channels": 64, "widened_from": 12}, r"widened_from must be 0 \(none\) or a multiple of 8"),
    ],
)
def test_a_widened_width_must_keep_the_group_size_of_the_net_it_widens(fields, message):
    with pytest.raises(ConfigError, match=message):
        DDPMConfig(**fields)
    assert DDPMConfig(base_channels=60, widened_from=48).widened_from == 48


def test_a_diverging_loss_stops_training_with_a_message(monkeypatch):
    # Gradient clipping keeps even the largest allowed learning rate finite, so make the loss diverge.
    loss = diffusion_training.epsilon_loss
    monkeypatch.setattr(diffusion_training, "epsilon_loss", lambda *args: loss(*args) * float("inf"))
    training = train_ddpm(DDPMConfig(**TINY, train_limit=256, batch_size=32), device="cpu", yield_every_s=0.0)
    with pytest.raises(TrainingError, match="NaN or infinite"):
        for _ in training:
            pass


def test_the_schedules_reach_noise_at_every_allowed_T():
    """x_T ~ N(0, I) needs abar_T ~ 0: the linear betas are scaled by 1000 / T, so this holds for every T."""
    low, high = dataclasses.fields(DDPMConfig)[1].metadata["range"]
    for T in range(int(low), int(high) + 1):
        assert np.prod(1 - linear_betas(T)) < 1e-3, T
    for T in (int(low), 100, 1000, int(high)):
        for kind in ("linear", "cosine"):
            schedule = make_schedule(kind, T)
            assert schedule.alphas_cumprod[-1] < 1e-3 and torch.all(schedule.betas < 1)
    # At T = 1000, the shipped models' T, it is Ho et al.'s schedule bit for bit.
    assert np.array_equal(linear_betas(1000), np.linspace(1e-4, 0.02, 1000, dtype=np.float64))
    assert linear_betas(100)[-1] == pytest.approx(0.2) and linear_betas(4000)[0] == pytest.approx(2.5e-5)
