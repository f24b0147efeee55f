"""The GAN's losses against hand-computed values and gradients, its nets, single steps and training loop."""

import math

import numpy as np
import pytest
import torch
from generators import collect

from explorer.core.gan import (
    DCGANDiscriminator,
    DCGANGenerator,
    GANConfig,
    d_step,
    discriminator_from_checkpoint,
    discriminator_heatmap,
    discriminator_loss,
    g_step,
    game,
    gan_from_checkpoint,
    generator_loss,
    init_gan,
    interpolate,
    ring_of_gaussians,
    sample_images,
    train_gan,
)
from explorer.core.runtime.errors import TrainingError
from explorer.core.runtime.jobs import run_to_end

TINY = {"channels": 4, "latent_dim": 8, "batch_size": 16, "train_limit": 512}
TINY_TOY = {"mode": "toy", "hidden": 16, "latent_dim": 4, "batch_size": 32}


def logit(p: float) -> float:
    return math.log(p / (1 - p))


def loss_and_grad(objective: str, p: float) -> tuple[float, float]:
    """G's loss and its derivative with respect to the logit l of D(G(z)) = p = sigmoid(l)."""
    logits = torch.tensor([logit(p)], dtype=torch.float64, requires_grad=True)
    loss = generator_loss(logits, objective)
    loss.backward()
    return loss.item(), logits.grad.item()


@pytest.mark.parametrize("p", [0.01, 0.5])
def test_minimax_generator_loss_is_log_one_minus_d_with_gradient_minus_sigmoid(p):
    value, grad = loss_and_grad("minimax", p)
    assert value == pytest.approx(math.log(1 - p), rel=1e-9)
    assert grad == pytest.approx(-p, rel=1e-9)  # d/dl log(1 - sigmoid(l)) = -sigmoid(l)


@pytest.mark.parametrize("p", [0.01, 0.5])
def test_non_saturating_generator_loss_is_minus_log_d_with_gradient_minus_one_minus_sigmoid(p):
    value, grad = loss_and_grad("non_saturating", p)
    assert value == pytest.approx(-math.log(p), rel=1e-9)
    assert grad == pytest.approx(-(1 - p), rel=1e-9)  # d/dl -log sigmoid(l) = -(1 - sigmoid(l))


def test_minimax_gradient_vanishes_when_d_rejects_fakes_but_non_saturating_does_not():
    _, minimax = loss_and_grad("minimax", 0.01)
    _, non_saturating = loss_and_grad("non_saturating", 0.01)
    assert abs(minimax) == pytest.approx(0.01)
    assert abs(non_saturating) == pytest.approx(0.99)
    assert abs(non_saturating) > 90 * abs(minimax)


def test_losses_stay_finite_at_extreme_logits():
    logits = torch.tensor([-200.0, 200.0])
    assert torch.isfinite(discriminator_loss(logits, logits))
    for objective in ("minimax", "non_saturating"):
        assert torch.isfinite(generator_loss(logits, objective))


def test_unknown_objective_is_refused():
    with pytest.raises(ValueError, match="objective"):
        generator_loss(torch.zeros(1), "wasserstein")


def test_discriminator_loss_by_hand():
    # D(x) = 0.8 and 0.6 on two real images, D(G(z)) = 0.3 and 0.1 on two fakes.
    real = torch.tensor([logit(0.8), logit(0.6)])
    fake = torch.tensor([logit(0.3), logit(0.1)])
    expected = -(math.log(0.8) + math.log(0.6)) / 2 - (math.log(0.7) + math.log(0.9)) / 2
    assert discriminator_loss(real, fake).item() == pytest.approx(expected, rel=1e-5)
    # At D = 1/2 everywhere (the game's equilibrium) the loss is 2 log 2 (Goodfellow et al., Theorem 1).
    assert discriminator_loss(torch.zeros(3), torch.zeros(3)).item() == pytest.approx(2 * math.log(2), rel=1e-6)


def test_one_sided_label_smoothing_aims_d_of_real_digits_below_one():
    real, fake = torch.tensor([logit(0.8)]), torch.tensor([logit(0.3)])
    expected = -(0.9 * math.log(0.8) + 0.1 * math.log(0.2)) - math.log(0.7)  # fakes keep the target 0
    assert discriminator_loss(real, fake, smoothing=0.1).item() == pytest.approx(expected, rel=1e-5)
    # The smoothed loss is least at D(x) = 0.9, not 1: D gains nothing by being certain of real digits.
    probs = torch.linspace(0.5, 0.999, 500)
    losses = torch.stack([discriminator_loss(torch.logit(p)[None], fake, smoothing=0.1) for p in probs])
    assert probs[losses.argmin()].item() == pytest.approx(0.9, abs=2e-3)


def test_a_spectrally_normalised_discriminator_has_unit_spectral_norms_and_survives_a_checkpoint():
    cfg = GANConfig(d_norm="spectral", **TINY)
    state = init_gan(cfg, "cpu")
    for _ in range(3):
        d_step(state)
        g_step(state)
    d = state.discriminator
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in d.modules())
    convs = [m for m in d.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 3
    d.eval()
    for conv in convs:  # power iteration's estimate: the largest singular value of W reshaped to (out, rest) is ~1
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2).item()
        assert sigma == pytest.approx(1.0, abs=0.15)
    _, ckpt = collect(
        train_gan(GANConfig(steps=3, d_norm="spectral", label_smoothing=0.1, **TINY), device="cpu", yield_every_s=1e9)
    )
    generator, loaded = gan_from_checkpoint(ckpt)
    assert (loaded.d_norm, loaded.label_smoothing) == ("spectral", 0.1)
    x = torch.from_numpy(sample_images(generator, 4, seed=0))[:, None] * 2 - 1
    assert discriminator_from_checkpoint(ckpt)(x).shape == (4,)


def test_a_game_continued_from_a_checkpoint_starts_from_its_nets_and_records_it(tmp_path):
    from explorer.core.runtime.checkpoints import save_checkpoint
    from explorer.core.runtime.errors import CheckpointError
    from explorer.core.runtime.training import training_runs

    _, first = collect(train_gan(GANConfig(steps=2, **TINY), device="cpu", yield_every_s=1e9))
    path = save_checkpoint(tmp_path / "first.safetensors", first)
    state = init_gan(GANConfig(steps=3, seed=7, init_from=str(path), **TINY), "cpu")
    for name, tensor in {
        **{f"generator.{k}": v for k, v in state.generator.state_dict().items()},
        **{f"discriminator.{k}": v for k, v in state.discriminator.state_dict().items()},
    }.items():
        assert torch.equal(tensor, first.state[name]), name
    _, second = collect(
        train_gan(GANConfig(steps=3, seed=7, init_from=str(path), **TINY), device="cpu", yield_every_s=1e9)
    )
    assert [r["steps"] for r in training_runs(second.info)] == [2, 3]
    with pytest.raises(CheckpointError, match="has shape"):  # other nets: refused before any step
        init_gan(GANConfig(**{**TINY, "channels": 8}, init_from=str(path)), "cpu")


def test_a_deeper_game_grown_from_a_checkpoint_computes_what_it_did_and_records_the_growth(tmp_path):
    from explorer.core.runtime.checkpoints import save_checkpoint
    from explorer.core.runtime.errors import CheckpointError

    _, first = collect(train_gan(GANConfig(steps=2, **TINY), device="cpu", yield_every_s=1e9))
    path = save_checkpoint(tmp_path / "first.safetensors", first)
    small, _ = gan_from_checkpoint(first)
    small_d = discriminator_from_checkpoint(first)
    state = init_gan(GANConfig(depth=2, init_from=str(path), **TINY), "cpu")
    g, d = state.generator.eval(), state.discriminator.eval()
    assert len(g.at7) == len(g.at14) == len(d.at7) == len(d.at14) == 2
    z = torch.randn(6, TINY["latent_dim"])
    x = g(z)
    assert torch.equal(x, small(z))  # every added block starts as the identity
    assert torch.equal(d(x), small_d(x))
    assert state.continues["depth"] == 0
    # The gate gets a gradient at once, so training can open the blocks.
    g.train()
    g(z).square().sum().backward()
    assert all(block.alpha.grad is not None and block.alpha.grad.abs() > 0 for block in [*g.at7, *g.at14])
    _, grown = collect(
        train_gan(GANConfig(steps=2, depth=1, init_from=str(path), **TINY), device="cpu", yield_every_s=1e9)
    )
    assert grown.info["continues"]["depth"] == 0 and grown.config["depth"] == 1
    assert float(grown.state["generator.at7.0.alpha"]) != 0.0  # two steps already opened the gate
    deeper = save_checkpoint(tmp_path / "grown.safetensors", grown)
    with pytest.raises(CheckpointError, match="has depth 1; a game continuing it needs depth 1 or more"):
        init_gan(GANConfig(init_from=str(deeper), **TINY), "cpu")


@pytest.mark.parametrize("norm", ["batch", "spectral"])
def test_residual_blocks_keep_the_shapes_and_change_the_output_once_opened(norm):
    torch.manual_seed(0)
    g, d = DCGANGenerator(latent_dim=8, channels=4, depth=1), DCGANDiscriminator(channels=4, norm=norm, depth=1)
    g.eval(), d.eval()
    z = torch.randn(3, 8)
    before = g(z), d(g(z))
    assert before[0].shape == (3, 1, 28, 28) and before[1].shape == (3,)
    with torch.no_grad():
        for block in [*g.at7, *g.at14, *d.at7, *d.at14]:
            block.alpha.fill_(1.0)
    assert not torch.allclose(g(z), before[0]) and not torch.allclose(d(before[0]), before[1])


def test_generator_and_discriminator_shapes():
    torch.manual_seed(0)
    g, d = DCGANGenerator(latent_dim=8, channels=4), DCGANDiscriminator(channels=4)
    x = g(torch.randn(5, 8))
    assert x.shape == (5, 1, 28, 28)
    assert x.min() >= -1 and x.max() <= 1
    assert d(x).shape == (5,)


def test_ring_of_gaussians_lies_on_the_ring_in_all_modes():
    points = ring_of_gaussians(4000, torch.Generator().manual_seed(0))
    assert points.shape == (4000, 2)
    radii = points.norm(dim=1)
    assert radii.min() > 1.85 and radii.max() < 2.15
    angles = torch.atan2(points[:, 1], points[:, 0])
    modes = torch.round(angles / (2 * math.pi / 8)).remainder(8)
    assert len(torch.unique(modes)) == 8


def test_discriminator_heatmap_covers_the_ring_with_probabilities():
    state = init_gan(GANConfig(**TINY_TOY), "cpu")
    heat = discriminator_heatmap(state.discriminator, extent=3.0, resolution=24)
    assert heat.shape == (24, 24)
    assert heat.min() > 0 and heat.max() < 1
    points = ring_of_gaussians(10000, torch.Generator().manual_seed(1))
    assert points.abs().max() < 3.0


def test_heatmap_rows_follow_y_and_columns_follow_x():
    right = torch.nn.Linear(2, 1)  # D(x) = sigmoid(10 x): high where x > 0, blind to y
    with torch.no_grad():
        right.weight.copy_(torch.tensor([[10.0, 0.0]]))
        right.bias.zero_()
    heat = discriminator_heatmap(right, extent=1.0, resolution=5)
    assert heat[0, -1] > 0.99 and heat[0, 0] < 0.01
    np.testing.assert_allclose(heat[0], heat[-1])


def parameters(module):
    return [p.detach().clone() for p in module.parameters()]


def changed(before, module):
    return [not torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True)]


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_d_step_changes_only_d_and_g_step_only_g(precision):
    state = init_gan(GANConfig(**TINY, precision=precision), "cpu")
    dtypes = set()  # what the convolutions compute in
    for net in (state.generator, state.discriminator):
        for module in net.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)):
                module.register_forward_hook(lambda module, args, out: dtypes.add(out.dtype))
    g0, d0 = parameters(state.generator), parameters(state.discriminator)
    result = d_step(state)
    assert not any(changed(g0, state.generator)) and all(changed(d0, state.discriminator))
    assert result.real_probs.shape == result.fake_probs.shape == (16,)
    assert 0 < result.d_real < 1 and 0 < result.d_fake < 1
    g1, d1 = parameters(state.generator), parameters(state.discriminator)
    result = g_step(state)
    assert all(changed(g1, state.generator)) and not any(changed(d1, state.discriminator))
    assert result.real_probs is None and result.loss > 0
    assert dtypes == {torch.bfloat16 if precision == "bf16" else torch.float32}
    assert {p.dtype for p in [*state.generator.parameters(), *state.discriminator.parameters()]} == {torch.float32}


def test_init_gan_with_the_same_seed_resets_weights_and_noise():
    cfg = GANConfig(**TINY)
    first = init_gan(cfg, "cpu")
    initial = first.generator.state_dict() | first.discriminator.state_dict()
    initial = {k: v.clone() for k, v in initial.items()}
    d_step(first)
    g_step(first)
    again = init_gan(cfg, "cpu")
    for name, tensor in (again.generator.state_dict() | again.discriminator.state_dict()).items():
        assert torch.equal(tensor, initial[name]), name
    assert torch.equal(again.fixed_noise, first.fixed_noise)
    other = init_gan(GANConfig(**TINY, seed=1), "cpu")
    assert not torch.equal(other.fixed_noise, first.fixed_noise)


def test_reset_replays_the_same_steps():
    cfg = GANConfig(**TINY)
    a, b = init_gan(cfg, "cpu"), init_gan(cfg, "cpu")
    assert d_step(a).loss == d_step(b).loss
    assert g_step(a).loss == g_step(b).loss


def test_the_generator_average_follows_g_and_is_what_the_checkpoint_keeps():
    state = init_gan(GANConfig(ema=0.5, **TINY), "cpu")
    iterates = []
    for _ in range(3):
        d_step(state)
        g_step(state)
        iterates.append({k: v.clone() for k, v in state.generator.state_dict().items()})
    averaged = state.saved_generator.state_dict()
    # The first update copies G; then avg <- 0.5 avg + 0.5 G: 1/4 w1 + 1/4 w2 + 1/2 w3, BatchNorm's statistics too.
    for name in ("net.0.weight", "net.1.running_mean"):
        expected = 0.25 * iterates[0][name] + 0.25 * iterates[1][name] + 0.5 * iterates[2][name]
        assert torch.allclose(averaged[name], expected, atol=1e-6), name
        assert not torch.allclose(averaged[name], iterates[2][name])
    assert init_gan(GANConfig(**TINY), "cpu").saved_generator is not None  # ema = 0: G itself
    _, ckpt = collect(train_gan(GANConfig(steps=3, ema=0.9, **TINY), device="cpu", yield_every_s=1e9))
    generator, cfg = gan_from_checkpoint(ckpt)
    assert cfg.ema == 0.9 and sample_images(generator, 2, seed=0).shape == (2, 28, 28)


def test_mnist_training_yields_snapshots_and_a_checkpoint_that_samples():
    cfg = GANConfig(steps=4, d_steps_per_g=2, **TINY)
    training = train_gan(cfg, device="cpu", yield_every_s=0.0, samples_every_s=1e9)
    snaps, ckpt = collect(training)
    assert [s.step for s in snaps] == [1, 2, 3, 4] and snaps[-1].progress == 1.0
    last = snaps[-1]
    assert 0 < last.d_real < 1 and 0 < last.d_fake < 1 and last.d_loss > 0
    assert last.d_real_hist.shape == last.d_fake_hist.shape == (20,)
    assert last.d_real_hist.sum() == last.d_fake_hist.sum() == 16
    assert [s.samples is not None for s in snaps] == [False, False, False, True]  # only at the end here
    assert last.samples.shape == (16, 28, 28) and last.samples.min() >= 0 and last.samples.max() <= 1
    assert last.heatmap is None and "D loss" in last.summary()
    assert ckpt.kind == "gan" and ckpt.info["steps"] == 4
    assert {k.split(".")[0] for k in ckpt.state} == {"generator", "discriminator"}
    assert ckpt.info["metrics"]["d_real"] == pytest.approx(last.d_real)
    generator, loaded = gan_from_checkpoint(ckpt)
    assert loaded == cfg
    images = sample_images(generator, 5, seed=3)
    assert images.shape == (5, 28, 28) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 1
    np.testing.assert_array_equal(images, sample_images(generator, 5, seed=3))
    path = interpolate(generator, np.zeros(8), np.ones(8), 4)
    assert path.shape == (4, 28, 28)
    np.testing.assert_allclose(path[-1], interpolate(generator, np.ones(8), np.zeros(8), 4)[0], atol=1e-6)


def test_toy_training_yields_points_and_heatmaps():
    training = train_gan(GANConfig(steps=3, **TINY_TOY), device="cpu", yield_every_s=0.0)
    snaps, ckpt = collect(training)
    last = snaps[-1]
    assert last.points_real.shape == last.points_fake.shape == (512, 2)
    assert last.heatmap.shape == (64, 64) and last.samples is None
    assert ckpt.info["dataset"] == "ring-of-8-gaussians"
    generator, cfg = gan_from_checkpoint(ckpt)
    assert cfg.mode == "toy" and generator(torch.zeros(1, 4)).shape == (1, 2)


def test_a_diverging_loss_stops_training_with_a_message(monkeypatch):
    # The toy nets stay finite at the largest allowed learning rate, so make D's loss diverge.
    loss = game.discriminator_loss
    monkeypatch.setattr(game, "discriminator_loss", lambda *args: loss(*args) * float("inf"))
    training = train_gan(GANConfig(steps=30, **TINY_TOY), device="cpu", yield_every_s=0.0)
    with pytest.raises(TrainingError, match="NaN or infinite"):
        run_to_end(training)
