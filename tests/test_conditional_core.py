"""The conditional models' maths against closed forms, and their loops on tiny configs: the cVAE's ELBO,
classifier-free guidance, label dropout, starting from the unconditional DDPM, the sweep and the evaluation."""

import math

import numpy as np
import pytest
import torch
from generators import collect

from explorer.core.conditional import (
    CVAE,
    DIGITS,
    GUIDANCE,
    NULL_CLASS,
    CDDPMConfig,
    CVAEConfig,
    GuidedFrame,
    all_digits,
    build_cddpm,
    cddpm_training,
    check_digit,
    check_guidance,
    decode_digits,
    drop_labels,
    elbo_metrics,
    elbo_terms,
    encode_images,
    guidance_sweep,
    guided_chain,
    guided_epsilon,
    initial_checkpoint,
    load_unconditional_weights,
    paired_epsilon,
    restyle,
    sample_cvae,
    style_grid,
    train_cddpm,
    train_cvae,
)
from explorer.core.conditional.cddpm import ARCHITECTURE
from explorer.core.conditional.jobs import guided_chain_job, sweep_job
from explorer.core.diffusion import DDPMConfig, SamplerConfig, build_ddpm, sample_chain, training_runs
from explorer.core.evaluation.evaluate import evaluate_models, format_table
from explorer.core.evaluation.metrics import mean_pairwise_distance
from explorer.core.evaluation.record import read_record, write_record
from explorer.core.families import FAMILIES
from explorer.core.runtime.checkpoints import Checkpoint, load_checkpoint, save_checkpoint
from explorer.core.runtime.errors import CheckpointError, ExplorerError
from explorer.core.runtime.jobs import Job, run_to_end
from explorer.core.runtime.limits import ConfigError

TINY_UNET = {"timesteps": 20, "base_channels": 8, "depth": 1}
FEW_STEPS = SamplerConfig(steps=4)


@pytest.fixture(scope="module")
def tiny_cvae_checkpoint(tmp_path_factory):
    """A small cVAE trained for one epoch on 1,024 digits by the project's own loop."""
    ckpt = run_to_end(train_cvae(CVAEConfig(epochs=1, hidden=32, train_limit=1024), device="cpu"))
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-cvae.safetensors", ckpt)


@pytest.fixture(scope="module")
def tiny_ddpm_checkpoint(tmp_path_factory):
    """An unconditional tiny DDPM with random weights, saved as the project saves one."""
    torch.manual_seed(0)
    cfg = DDPMConfig(**TINY_UNET)
    info = {"steps": 7, "dataset": "test", "metrics": {}, "training": {"command": "by hand"}}
    ckpt = Checkpoint("ddpm", cfg.__dict__.copy(), build_ddpm(cfg).unet.state_dict(), info)
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny-ddpm.safetensors", ckpt)


def random_cddpm(seed: int = 0):
    """A tiny conditional model whose class embedding is random (not zero), so labels matter."""
    torch.manual_seed(seed)
    model = build_cddpm(CDDPMConfig(**TINY_UNET))
    torch.nn.init.normal_(model.unet.class_embedding.weight, std=1.0)
    return model.eval()


# ---- the cVAE --------------------------------------------------------------------------------


def test_cvae_elbo_terms_are_the_bernoulli_likelihood_and_the_gaussian_kl_by_hand():
    torch.manual_seed(0)
    model = CVAE(latent_dim=2, hidden=16)
    x = torch.bernoulli(torch.full((3, 784), 0.3), generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([0, 4, 9])
    log_px, kl = elbo_terms(model, x, labels, torch.Generator().manual_seed(5))
    # By hand: z = mu + sigma * eps with the same eps, then sum_i x_i log p_i + (1 - x_i) log(1 - p_i), and
    # KL(N(mu, sigma^2) || N(0, 1)) = 1/2 sum(mu^2 + sigma^2 - log sigma^2 - 1).
    with torch.no_grad():
        mu, logvar = model.encode(x, labels)
        eps = torch.randn(mu.shape, generator=torch.Generator().manual_seed(5))
        p = torch.sigmoid(model.decode(mu + torch.exp(0.5 * logvar) * eps, labels)).double()
    xd = x.double()
    expected_log_px = (xd * p.log() + (1 - xd) * (1 - p).log()).sum(1)
    var = logvar.double().exp()
    expected_kl = 0.5 * (mu.double() ** 2 + var - logvar.double() - 1).sum(1)
    assert torch.allclose(log_px.double(), expected_log_px, rtol=1e-5)
    assert torch.allclose(kl.double(), expected_kl, rtol=1e-5)


def test_cvae_kl_agrees_with_a_monte_carlo_estimate_of_its_posterior():
    torch.manual_seed(1)
    model = CVAE(latent_dim=2, hidden=16)
    x, labels = torch.rand(1, 784), torch.tensor([3])
    with torch.no_grad():
        _, kl = elbo_terms(model, x, labels)
        mu, logvar = model.encode(x, labels)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    z = q.sample((200_000,))
    mc = (q.log_prob(z) - torch.distributions.Normal(0.0, 1.0).log_prob(z)).sum(-1).mean().item()
    assert kl.item() == pytest.approx(mc, abs=0.01)


def test_the_cvae_reads_its_label():
    torch.manual_seed(2)
    model = CVAE(hidden=16).eval()
    z = np.zeros((1, 2), dtype=np.float32)
    assert not np.allclose(decode_digits(model, z, [1]), decode_digits(model, z, [7]))
    x = torch.rand(2, 784)
    with torch.no_grad():
        assert not torch.allclose(model.encode(x, torch.tensor([1, 1]))[0], model.encode(x, torch.tensor([7, 7]))[0])


def test_elbo_metrics_are_the_mean_terms_and_neg_elbo_is_their_sum():
    torch.manual_seed(3)
    model = CVAE(hidden=16).eval()
    x = torch.bernoulli(torch.full((10, 784), 0.2), generator=torch.Generator().manual_seed(0))
    labels = torch.arange(10)
    metrics = elbo_metrics(model, x, labels, batch_size=4, seed=7)
    _, kl = elbo_terms(model, x, labels)
    assert metrics["neg_elbo"] == pytest.approx(metrics["recon"] + metrics["kl"])
    assert metrics["kl"] == pytest.approx(kl.mean().item(), rel=1e-5)  # KL needs no sample: batch size is moot
    assert metrics["recon"] > 0


def test_all_digits_and_the_style_grid_draw_one_z_as_every_digit():
    torch.manual_seed(4)
    model = CVAE(hidden=16).eval()
    z = np.array([0.5, -1.0], dtype=np.float32)
    ten = all_digits(model, z)
    assert ten.shape == (10, 28, 28)
    for d in (0, 3, 9):
        np.testing.assert_allclose(ten[d], decode_digits(model, z[None], [d])[0], rtol=1e-5, atol=1e-6)
    zs = np.array([[0.0, 0.0], [0.5, -1.0], [2.0, 1.0]], dtype=np.float32)
    grid = style_grid(model, zs)
    assert grid.shape == (10, 3, 28, 28)
    np.testing.assert_allclose(grid[:, 1], ten, rtol=1e-5, atol=1e-6)  # rows: digits; columns: styles


def test_restyle_encodes_a_digit_with_its_label_and_draws_its_style_as_every_digit():
    torch.manual_seed(5)
    model = CVAE(hidden=16).eval()
    image = (np.random.default_rng(0).random((28, 28)) * 255).astype(np.uint8)
    z, ten = restyle(model, image, 4)
    mu, sigma = encode_images(model, image[None], np.array([4]))
    np.testing.assert_allclose(z, mu[0])
    assert (sigma > 0).all() and ten.shape == (10, 28, 28)
    np.testing.assert_allclose(ten, all_digits(model, mu[0]))


def test_cvae_samples_are_reproducible_and_cycle_through_the_digits():
    torch.manual_seed(6)
    model = CVAE(hidden=16).eval()
    a, b = sample_cvae(model, 12, seed=3, digit=5), sample_cvae(model, 12, seed=3, digit=5)
    c = sample_cvae(model, 12, seed=4, digit=5)
    assert a.shape == (12, 28, 28) and np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.min() >= 0.0 and a.max() <= 1.0
    mixed = sample_cvae(model, 12, seed=3)  # 0, 1, ..., 9, 0, 1 from the same z
    z = torch.randn(12, 2, generator=torch.Generator().manual_seed(3)).numpy()
    np.testing.assert_allclose(mixed, decode_digits(model, z, np.arange(12) % 10))


@pytest.mark.parametrize("digit", [10, -1, True, 2.5, "3"])
def test_a_digit_outside_0_to_9_is_refused(digit):
    with pytest.raises(ConfigError, match="digit must be an integer from 0 to 9"):
        check_digit(digit)


def test_cvae_training_lowers_the_loss_and_returns_a_checkpoint(tmp_path):
    snaps, ckpt = collect(
        train_cvae(CVAEConfig(epochs=2, hidden=32, train_limit=1024, batch_size=64), device="cpu", yield_every_s=0.0)
    )
    tests = [s.test for s in snaps if s.test]
    assert len(tests) == 2 and tests[-1]["neg_elbo"] < tests[0]["neg_elbo"]
    assert snaps[-1].step == snaps[-1].total_steps == 2 * 16
    assert [s.latents for s in snaps if s.latents is not None][-1].shape == (10000, 2)
    assert ckpt.kind == "cvae" and ckpt.info["steps"] == 32 and "dataset" in ckpt.info
    assert ckpt.info["metrics"]["test_neg_elbo"] == pytest.approx(tests[-1]["neg_elbo"])
    path = save_checkpoint(tmp_path / "cvae.safetensors", ckpt)
    model, cfg, _ = FAMILIES["cvae"].load(path)
    assert cfg.hidden == 32 and FAMILIES["cvae"].sample(model, 3, 0, digit=2).shape == (3, 28, 28)


# ---- classifier-free guidance -----------------------------------------------------------------


def test_guidance_at_w0_is_the_conditional_prediction_and_is_linear_in_w():
    g = torch.Generator().manual_seed(0)
    eps_c, eps_u = torch.randn(2, 1, 28, 28, generator=g), torch.randn(2, 1, 28, 28, generator=g)
    assert torch.equal(guided_epsilon(eps_c, eps_u, 0.0), eps_c)
    assert torch.allclose(guided_epsilon(eps_c, eps_u, 1.0), 2 * eps_c - eps_u)
    assert torch.allclose(guided_epsilon(eps_c, eps_u, 3.0), 4 * eps_c - 3 * eps_u)
    assert torch.allclose(guided_epsilon(eps_c, eps_c, 7.0), eps_c)  # no disagreement, nothing to extrapolate


def test_the_null_label_gives_the_unconditional_prediction():
    model = random_cddpm()
    x, t = torch.randn(3, 1, 28, 28), torch.tensor([3, 10, 19])
    with torch.no_grad():
        eps_c, eps_u = paired_epsilon(model, x, t, torch.full((3,), NULL_CLASS))
        unconditional = model(x, t, torch.full((3,), NULL_CLASS))
        asked = model(x, t, torch.tensor([7, 7, 7]))
    assert torch.allclose(eps_c, eps_u, atol=1e-6) and torch.allclose(eps_u, unconditional, atol=1e-6)
    assert not torch.allclose(asked, unconditional, atol=1e-3)  # a digit's label does change the prediction
    frames, _ = collect(guided_chain(model, model.schedule, 3, np.full(3, NULL_CLASS), 5.0, FEW_STEPS))
    for f in frames:
        np.testing.assert_allclose(f.eps, f.eps_uncond, atol=1e-5)


def test_both_predictions_come_from_one_batched_pass():
    model = random_cddpm()
    calls = []
    model.unet.register_forward_hook(lambda module, args, out: calls.append(len(args[0])))
    x, t, labels = torch.randn(4, 1, 28, 28), torch.full((4,), 12), torch.tensor([0, 1, 2, 3])
    with torch.no_grad():
        eps_c, eps_u = paired_epsilon(model, x, t, labels)
        assert calls == [8]
        assert torch.allclose(eps_c, model(x, t, labels), atol=1e-5)
        assert torch.allclose(eps_u, model(x, t, torch.full((4,), NULL_CLASS)), atol=1e-5)
    calls.clear()
    collect(guided_chain(model, model.schedule, 4, 3, GUIDANCE, FEW_STEPS))
    assert calls == [8] * 4  # DDIM-4: one pass of 2n images per step


def test_the_guided_chain_yields_both_predictions_and_their_combination():
    model = random_cddpm()
    frames, images = collect(guided_chain(model, model.schedule, 2, 4, 2.5, FEW_STEPS, seed=1))
    assert [f.step for f in frames] == [1, 2, 3, 4] and all(isinstance(f, GuidedFrame) for f in frames)
    f = frames[1]
    assert f.eps_cond.shape == f.eps_uncond.shape == f.eps.shape == f.x_t.shape == (2, 28, 28)
    np.testing.assert_allclose(f.eps, 3.5 * f.eps_cond - 2.5 * f.eps_uncond, atol=1e-5)
    assert f.guidance == 2.5 and images.shape == (2, 28, 28) and images.min() >= 0.0 and images.max() <= 1.0


def test_guided_sampling_is_reproducible_with_a_seed_and_w_changes_it():
    model = random_cddpm()
    cddpm = FAMILIES["cddpm"]
    for sampler in (FEW_STEPS, SamplerConfig("ddpm")):
        a = cddpm.sample(model, 3, 5, digit=7, guidance=2.0, sampler=sampler)
        assert np.array_equal(a, cddpm.sample(model, 3, 5, digit=7, guidance=2.0, sampler=sampler))
        assert not np.array_equal(a, cddpm.sample(model, 3, 6, digit=7, guidance=2.0, sampler=sampler))
        assert not np.array_equal(a, cddpm.sample(model, 3, 5, digit=7, guidance=4.0, sampler=sampler))


@pytest.mark.parametrize("w", [-0.5, 20.5, float("nan"), float("inf"), True, "2"])
def test_a_guidance_weight_outside_its_range_is_refused(w):
    with pytest.raises(ConfigError, match="guidance must be a number from 0 to 20"):
        check_guidance(w)
    with pytest.raises(ConfigError):
        next(guided_chain(random_cddpm(), random_cddpm().schedule, 1, 3, w))


# ---- training the conditional DDPM -----------------------------------------------------------


def test_drop_labels_replaces_labels_by_the_null_class_at_the_asked_rate():
    labels = torch.arange(200_000) % DIGITS
    for p in (0.1, 0.3):
        dropped = drop_labels(labels, p, torch.Generator().manual_seed(0))
        is_null = dropped == NULL_CLASS
        assert is_null.float().mean().item() == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / len(labels)))
        assert torch.equal(dropped[~is_null], labels[~is_null])  # the rest keep their label
    assert torch.equal(drop_labels(labels, 0.0), labels)
    assert (drop_labels(labels, 1.0) == NULL_CLASS).all()
    again = [drop_labels(labels[:100], 0.5, torch.Generator().manual_seed(3)) for _ in range(2)]
    assert torch.equal(*again)


def test_training_batches_drop_labels_at_p_uncond(monkeypatch):
    seen = []
    loss = cddpm_training.conditional_epsilon_loss

    def spy(model, schedule, x0, labels, generator=None):
        seen.append(labels.clone())
        return loss(model, schedule, x0, labels, generator)

    monkeypatch.setattr(cddpm_training, "conditional_epsilon_loss", spy)
    cfg = CDDPMConfig(**TINY_UNET, steps=40, batch_size=100, train_limit=500, p_uncond=0.25, ema=0)
    collect(train_cddpm(cfg, device="cpu", yield_every_s=60.0, samples_every_s=600.0))
    labels = torch.cat(seen)
    assert len(labels) == 4000
    assert (labels == NULL_CLASS).float().mean().item() == pytest.approx(0.25, abs=0.03)  # 4 standard errors
    assert set(labels.tolist()) == set(range(DIGITS + 1))


def test_a_tiny_conditional_model_trained_a_few_steps_lowers_its_loss():
    cfg = CDDPMConfig(**TINY_UNET, steps=60, batch_size=32, train_limit=256, lr=2e-3, ema=0.9, warmup=0)
    snaps, ckpt = collect(train_cddpm(cfg, device="cpu", yield_every_s=0.0, samples_every_s=600.0))
    losses = [s.loss for s in snaps]
    assert len(losses) == 60 and np.mean(losses[-10:]) < 0.8 * np.mean(losses[:5])
    assert snaps[-1].samples.shape == (20, 28, 28)  # the last snapshot's preview: 0..9 twice
    assert ckpt.kind == "cddpm" and ckpt.info["steps"] == 60 and "continues" not in ckpt.info
    assert {"dataset", "metrics", "training"} <= set(ckpt.info) and ckpt.info["metrics"]["final_loss"] > 0
    model, _ = FAMILIES["cddpm"].from_checkpoint(ckpt)
    assert FAMILIES["cddpm"].sample(model, 2, 0, digit=1, sampler=FEW_STEPS).shape == (2, 28, 28)


def test_starting_from_the_unconditional_ddpm_gives_its_noise_for_every_label(tiny_ddpm_checkpoint):
    ddpm, _, ckpt = FAMILIES["ddpm"].load(tiny_ddpm_checkpoint)
    model = build_cddpm(CDDPMConfig(**TINY_UNET))
    torch.nn.init.normal_(model.unet.class_embedding.weight)  # whatever it held is set to zero
    load_unconditional_weights(model.unet, ckpt)
    model.eval()
    x, t = torch.randn(DIGITS + 1, 1, 28, 28), torch.arange(DIGITS + 1)
    with torch.no_grad():
        assert torch.equal(model(x, t, torch.arange(DIGITS + 1)), ddpm(x, t))
    # So the guided chain walks the unconditional chain of the same seed, whatever w and digit.
    guided = model.sample(3, seed=2, digit=4, guidance=3.0, sampler=FEW_STEPS)
    plain = run_to_end(sample_chain(ddpm, ddpm.schedule, 3, FEW_STEPS, seed=2))
    np.testing.assert_allclose(guided, plain, atol=1e-4)


def test_the_shipped_ddpm_zero_initialised_predicts_the_same_noise_for_every_label():
    ddpm, cfg, ckpt = FAMILIES["ddpm"].load()
    model = build_cddpm(CDDPMConfig(**{key: getattr(cfg, key) for key in ARCHITECTURE}))
    load_unconditional_weights(model.unet, ckpt)
    x, t = torch.randn(DIGITS + 1, 1, 28, 28, generator=torch.Generator().manual_seed(0)), torch.full((11,), 400)
    with torch.no_grad():
        assert torch.equal(model.eval()(x, t, torch.arange(DIGITS + 1)), ddpm(x, t))


def test_training_from_a_ddpm_records_what_it_started_from(tiny_ddpm_checkpoint):
    cfg = CDDPMConfig(**TINY_UNET, steps=2, batch_size=8, train_limit=64, init_from=str(tiny_ddpm_checkpoint))
    _, ckpt = collect(train_cddpm(cfg, device="cpu"))
    assert ckpt.info["continues"]["kind"] == "ddpm"
    assert ckpt.info["continues"]["file"] == tiny_ddpm_checkpoint.name
    assert [r["steps"] for r in training_runs(ckpt.info)] == [7, 2]
    assert training_runs(ckpt.info)[0]["training"]["command"] == "by hand"


def test_a_start_from_another_model_or_architecture_is_refused_before_any_step(
    tiny_ddpm_checkpoint, tiny_cvae_checkpoint
):
    with pytest.raises(CheckpointError, match="holds a conditional VAE, not a class-conditional DDPM or a DDPM"):
        initial_checkpoint(CDDPMConfig(**TINY_UNET, init_from=str(tiny_cvae_checkpoint)))
    wider = {**TINY_UNET, "base_channels": 16}
    with pytest.raises(CheckpointError, match="base_channels = 8; this run asks for 16"):
        next(train_cddpm(CDDPMConfig(**wider, init_from=str(tiny_ddpm_checkpoint)), device="cpu"))
    assert initial_checkpoint(CDDPMConfig(**TINY_UNET)) is None


def test_the_panels_jobs_rebuild_the_model_from_its_config_and_weights():
    model, cfg = random_cddpm(), CDDPMConfig(**TINY_UNET)
    weights = {name: w.numpy() for name, w in model.unet.state_dict().items()}
    job = Job(
        guided_chain_job,
        {
            "cfg": cfg,
            "weights": weights,
            "n": 2,
            "digit": 5,
            "guidance": 1.5,
            "sampler": FEW_STEPS,
            "seed": 4,
            "device": "cpu",
        },
    )
    frames, images = collect(job.run())
    assert [f.step for f in frames] == [1, 2, 3, 4] and isinstance(frames[0], GuidedFrame)
    np.testing.assert_allclose(images, model.sample(2, 4, 5, 1.5, FEW_STEPS), atol=1e-6)
    _, result = collect(sweep_job(cfg, weights, 2, (1.0,), n=3, sampler=SamplerConfig(steps=2), device="cpu"))
    assert [p.guidance for p in result.points] == [1.0]
    with pytest.raises(ExplorerError, match="between 1 and 256 samples"):
        next(guided_chain_job(cfg, weights, 0))


# ---- the sweep and the evaluation --------------------------------------------------------------


def test_mean_pairwise_distance_by_hand():
    assert mean_pairwise_distance(np.array([[0.0, 0.0], [3.0, 4.0]])) == pytest.approx(5.0)
    triangle = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, math.sqrt(3) / 2]])
    assert mean_pairwise_distance(triangle) == pytest.approx(1.0)
    assert mean_pairwise_distance(np.ones((4, 3))) == 0.0


def test_the_guidance_sweep_scores_each_w_from_the_same_noise():
    model = random_cddpm()
    progress, result = collect(guidance_sweep(model, 3, (0.0, 4.0), n=6, seed=1, sampler=SamplerConfig(steps=3)))
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)
    points = [p.point for p in progress if p.point]
    assert points == result.points and [p.guidance for p in points] == [0.0, 4.0]
    for p in points:
        assert 0.0 <= p.accuracy <= 1.0 and p.diversity > 0 and np.isfinite(p.fid) and p.samples.shape == (6, 28, 28)
    assert result.digit == 3 and result.n == 6 and result.real_diversity > 0
    np.testing.assert_allclose(points[0].samples, model.sample(6, 1, 3, 0.0, SamplerConfig(steps=3)), atol=1e-6)
    with pytest.raises(ExplorerError, match="between 2 and 2000"):
        next(guidance_sweep(model, 3, n=1))


def test_a_conditional_model_is_evaluated_per_asked_digit_and_pooled(tiny_cvae_checkpoint, tmp_path):
    paths = {"cvae": tiny_cvae_checkpoint, "cddpm": tmp_path / "no.safetensors"}
    _, result = collect(
        evaluate_models(["cvae", "cddpm"], n=50, seed=1, device="cpu", reference_limit=500, checkpoints=paths)
    )
    row = result.row("cvae")
    assert "cddpm" in result.missing and row.n == 50 and row.histogram.sum() == 50
    assert row.digit_accuracy.shape == (10,) and ((row.digit_accuracy >= 0) & (row.digit_accuracy <= 100)).all()
    assert result.row("floor").digit_accuracy is None
    table = format_table(result)
    assert "accuracy on the asked digit" in table and "class-conditional DDPM: no checkpoint" in table
    record = tmp_path / "evaluation.json"
    write_record(record, result, {"cvae": tiny_cvae_checkpoint})
    np.testing.assert_allclose(read_record(record).result.row("cvae").digit_accuracy, row.digit_accuracy)
    assert read_record(record).result.guidance == GUIDANCE
    # The first images shown are 0, 1, ..., 9 as asked (each digit's draws seeded from the seed and the digit).
    seeds = np.random.SeedSequence(1).generate_state(10)
    model, _, _ = FAMILIES["cvae"].load(tiny_cvae_checkpoint)
    expected = [run_to_end(FAMILIES["cvae"].draw(model, 5, int(seeds[d]), digit=d))[0] for d in range(10)]
    np.testing.assert_allclose(row.samples[:10], np.stack(expected), atol=1e-6)
    assert load_checkpoint(tiny_cvae_checkpoint).kind == "cvae"


def test_the_cddpm_class_embedding_learns_at_label_lr_scale_times_the_rate():
    """The embedding starts at zero beside a U-Net that already knows its job: its rate is the config's
    label_lr_scale times the rest's (every other weight in the other group, none in both)."""
    from explorer.core.conditional.cddpm import CDDPMConfig, build_cddpm
    from explorer.core.conditional.cddpm_training import parameter_groups

    cfg = CDDPMConfig(base_channels=8, lr=3e-5, label_lr_scale=40.0)
    unet = build_cddpm(cfg).unet
    rest, embedding = parameter_groups(unet, cfg.lr, cfg.label_lr_scale)
    assert rest["lr"] == 3e-5 and embedding["lr"] == pytest.approx(3e-5 * 40.0)
    named = dict(unet.named_parameters())
    assert {id(p) for p in embedding["params"]} == {id(p) for n, p in named.items() if n.startswith("class_embedding")}
    assert len(rest["params"]) + len(embedding["params"]) == len(named)
    with pytest.raises(ConfigError):
        CDDPMConfig(label_lr_scale=0.5)
