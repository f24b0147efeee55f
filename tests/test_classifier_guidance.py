"""Classifier guidance (Dhariwal & Nichol 2021): the noisy classifier trains and records its accuracy by t; the
guided noise is ε − s√(1−ᾱ_t)∇log p(y|x_t) with the true gradient; s = 0 is the plain DDPM from the same x_T."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.core.conditional.classifier_guidance import (
    check_classifier_scale,
    check_pair,
    classifier_guided_epsilon,
    log_prob_gradient,
    sample_classifier_guided,
)
from explorer.core.conditional.noisy_classifier import (
    NoisyClassifier,
    NoisyClassifierConfig,
    noisy_classifier_from_checkpoint,
    train_noisy_classifier,
)
from explorer.core.diffusion.model import DDPMConfig, build_ddpm
from explorer.core.diffusion.sampler import SamplerConfig
from explorer.core.diffusion.schedule import make_schedule
from explorer.core.runtime.checkpoints import load_checkpoint, save_checkpoint
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.jobs import run_to_end
from explorer.core.runtime.limits import ConfigError


def _tiny_ddpm():
    torch.manual_seed(0)
    return build_ddpm(DDPMConfig(base_channels=8, timesteps=10)).eval()


def test_the_gradient_is_the_gradient_of_log_p_y_given_x():
    torch.manual_seed(0)
    classifier = NoisyClassifier(8).double().eval()
    x = torch.randn(2, 1, 28, 28, dtype=torch.float64)
    t, y = torch.tensor([3, 7]), torch.tensor([4, 1])
    grad = log_prob_gradient(classifier, x, t, y)
    for b, (i, j) in ((0, (5, 9)), (1, (20, 14))):
        bump = torch.zeros_like(x)
        bump[b, 0, i, j] = 1e-6

        def log_p(z, b=b):
            return torch.log_softmax(classifier(z, t), 1)[b, y[b]].item()

        numeric = (log_p(x + bump) - log_p(x - bump)) / 2e-6
        assert grad[b, 0, i, j].item() == pytest.approx(numeric, rel=1e-4, abs=1e-8)


def test_the_guided_noise_follows_the_formula():
    schedule = make_schedule("linear", 10)
    eps, grad, t = torch.randn(2, 1, 28, 28), torch.randn(2, 1, 28, 28), torch.tensor([0, 9])
    out = classifier_guided_epsilon(eps, grad, schedule, t, 3.0)
    for b in range(2):
        sigma = (1 - schedule.alphas_cumprod[t[b]]).sqrt()
        assert torch.allclose(out[b], eps[b] - 3.0 * sigma * grad[b], atol=1e-6)
    assert torch.equal(classifier_guided_epsilon(eps, grad, schedule, t, 0.0), eps)


def test_scale_zero_draws_exactly_the_plain_ddpm_from_the_same_noise():
    model, classifier = _tiny_ddpm(), NoisyClassifier(8).eval()
    sampler = SamplerConfig("ddim", 5, 0.0)
    guided = run_to_end(sample_classifier_guided(model, classifier, np.array([3, 7]), 0.0, sampler, seed=4))
    assert np.array_equal(guided, model.sample(2, seed=4, sampler=sampler))
    pushed = run_to_end(sample_classifier_guided(model, classifier, np.array([3, 7]), 10.0, sampler, seed=4))
    assert pushed.shape == (2, 28, 28) and not np.allclose(pushed, guided)


@pytest.mark.parametrize("scale", [-1.0, 101.0, float("nan"), True, "2"])
def test_a_scale_outside_its_range_is_refused(scale):
    with pytest.raises(ConfigError, match="classifier_scale"):
        check_classifier_scale(scale)


def test_a_classifier_of_another_schedule_is_refused():
    with pytest.raises(CheckpointError, match="T = 100; this DDPM uses linear with T = 10"):
        check_pair(make_schedule("linear", 10), NoisyClassifierConfig(timesteps=100))
    check_pair(make_schedule("linear", 10), NoisyClassifierConfig(timesteps=10))


def test_training_records_accuracy_by_t_and_the_checkpoint_loads(tmp_path):
    cfg = NoisyClassifierConfig(channels=8, timesteps=10, steps=150, batch_size=32, train_limit=512, lr=5e-3)
    snaps, job = [], train_noisy_classifier(cfg, device="cpu", yield_every_s=0.0)
    try:
        while True:
            snaps.append(next(job))
    except StopIteration as done:
        ckpt = done.value
    assert snaps[-1].by_t is not None and snaps[-1].step == 150 and "t0 " in snaps[-1].summary()
    accuracy = ckpt.info["metrics"]
    assert set(accuracy) == {f"accuracy_t{t}" for t in (0, 1, 2, 5, 8, 9)}
    assert accuracy["accuracy_t0"] > 20.0  # well above chance on clean digits after 150 steps
    model, loaded_cfg = noisy_classifier_from_checkpoint(
        load_checkpoint(save_checkpoint(tmp_path / "c.safetensors", ckpt), kind="noisy-classifier")
    )
    assert loaded_cfg == cfg and isinstance(model, NoisyClassifier)


def test_the_cli_trains_a_noisy_classifier_and_prints_its_accuracy_by_t(tmp_path, capsys):
    from explorer.cli import main

    out = tmp_path / "n.safetensors"
    argv = ["train", "noisy-classifier", "--channels", "8", "--steps", "3", "--train-limit", "64", "--timesteps", "10"]
    assert main([*argv, "--out", str(out), "--device", "cpu"]) == 0
    assert "metrics: accuracy_t0" in capsys.readouterr().out
    assert load_checkpoint(out, kind="noisy-classifier").info["steps"] == 3


@pytest.fixture(scope="module")
def tiny_pair(tmp_path_factory):
    """A DDPM and a noisy classifier of T = 10, saved as the app saves them."""
    from explorer.core.diffusion.training import train_ddpm

    folder = tmp_path_factory.mktemp("pair")
    ddpm = run_to_end(
        train_ddpm(DDPMConfig(base_channels=8, timesteps=10, steps=1, batch_size=8, train_limit=64), device="cpu")
    )
    noisy = run_to_end(
        train_noisy_classifier(
            NoisyClassifierConfig(channels=8, timesteps=10, steps=2, batch_size=8, train_limit=64), device="cpu"
        )
    )
    return save_checkpoint(folder / "d.safetensors", ddpm), save_checkpoint(folder / "n.safetensors", noisy)


def test_sample_ddpm_with_a_classifier_scale_draws_the_asked_digits(tiny_pair, tmp_path, capsys):
    from explorer.cli import main

    ddpm, noisy = tiny_pair
    out = tmp_path / "g.npy"
    argv = ["sample", "ddpm", "-n", "5", "--nfe", "3", "--checkpoint", str(ddpm), "--classifier-checkpoint", str(noisy)]
    assert main([*argv, "--classifier-scale", "4", "--digit", "3", "--out", str(out), "--device", "cpu"]) == 0
    images = np.load(out)
    assert images.shape == (5, 28, 28) and "Wrote 5 samples" in capsys.readouterr().out
    assert main([*argv, "--classifier-scale", "0", "--out", str(tmp_path / "p.npy"), "--device", "cpu"]) == 0
    plain = tmp_path / "q.npy"
    assert main(["sample", "ddpm", "-n", "5", "--nfe", "3", "--checkpoint", str(ddpm), "--out", str(plain)]) == 0
    assert np.array_equal(np.load(tmp_path / "p.npy"), np.load(plain))  # s = 0: the plain DDPM, the same noise


@pytest.mark.parametrize(
    "extra, says",
    [
        (["--classifier-scale", "-1"], "--classifier-scale must be a number from 0 to 100"),
        (["--classifier-scale", "2", "--digit", "12"], "--digit"),
        (["--classifier-checkpoint", "x.safetensors"], "--classifier-checkpoint goes with --classifier-scale"),
        (
            ["--classifier-scale", "2", "--classifier-checkpoint", "SHIPPED"],
            "T = 1000; this DDPM uses linear with T = 10",
        ),
    ],
)
def test_classifier_guidance_refusals_are_one_line(tiny_pair, tmp_path, capsys, extra, says):
    from explorer.cli import main
    from explorer.core.conditional.noisy_classifier import NOISY_CLASSIFIER_CHECKPOINT

    extra = [str(NOISY_CLASSIFIER_CHECKPOINT) if a == "SHIPPED" else a for a in extra]
    argv = ["sample", "ddpm", "-n", "2", "--checkpoint", str(tiny_pair[0]), "--out", str(tmp_path / "o.npy"), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err, err
    assert not (tmp_path / "o.npy").exists()


def test_only_an_unconditional_chain_takes_a_classifier_scale(tmp_path, capsys):
    from explorer.cli import main

    assert main(["sample", "vae", "--classifier-scale", "2", "--out", str(tmp_path / "v.npy")]) == 2
    assert "--classifier-scale steers an unconditional reverse chain (DDPM), not the VAE" in capsys.readouterr().err
