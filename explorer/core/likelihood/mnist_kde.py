"""Parzen estimates on binarised MNIST beside the PixelCNN's exact likelihood (Theis et al. 2016, §3.2).

For binary digits the squared distance between x and a centre c is their Hamming distance d, so one
(M, N) matrix of distances gives the estimate for any bandwidth, with either kernel:

    Gaussian (a density on ℝ⁷⁸⁴, as the GAN papers report it):
        log p̂_h(x) = logsumexp_i(−d_i / 2h²) − log N − 392 log 2πh²
    Bernoulli (a probability on {0, 1}⁷⁸⁴, in the PixelCNN's own units): each pixel flips with ε,
        log p̂_ε(x) = logsumexp_i(d_i log ε + (784 − d_i) log(1 − ε)) − log N

The job samples digits from the PixelCNN, scores test digits exactly, measures the distances from
the test digits (and from validation digits, which pick the bandwidth) to the samples and to training
digits, and returns the estimates over a grid of bandwidths. It is slow on a CPU (sampling takes 784
passes, scoring a full net per digit), so it runs once, off the GUI thread, on the stated counts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import torch

from explorer.core.likelihood.gmm import logsumexp
from explorer.core.pixelcnn.model import PIXELS, PixelCNNConfig, build_pixelcnn, nll
from explorer.core.pixelcnn.sampling import write_digits
from explorer.core.pixelcnn.training import test_digits
from explorer.core.runtime.checkpoints import model_from_weights
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.limits import SEED_MAX, bounded, validate
from explorer.core.vae.model import binarized


@dataclass(frozen=True)
class MnistKDEConfig:
    """How many digits the comparison costs: the defaults take about a minute on a busy 2-core CPU."""

    samples: int = bounded(200, 10, 2000)  # digits drawn from the PixelCNN as Parzen centres
    train_centres: int = bounded(10_000, 10, 50_000)  # training digits as the other set of centres
    test: int = bounded(100, 10, 2000)  # test digits scored exactly and by Parzen
    validation: int = bounded(100, 10, 5000)  # held-out training digits that pick the bandwidth
    seed: int = bounded(0, 0, SEED_MAX)

    def __post_init__(self) -> None:
        validate(self)


FLIPS = np.geomspace(0.002, 0.45, 40)  # ε of the Bernoulli kernel
GAUSSIAN_H = np.geomspace(0.05, 5.0, 40)  # h of the Gaussian kernel, in pixels (distances are pixel counts)


@dataclass(frozen=True)
class MnistKDE:
    """Exact NLLs and the Parzen NLL curves over both bandwidth grids, from the samples and from training digits.

    Every ``*_nll`` is a mean −log p̂ over the test digits, nats per digit; the ``*_pick`` are the grid
    indices whose estimate is best on the validation digits (the bandwidth a careful evaluator would use)."""

    cfg: MnistKDEConfig
    exact_nll: float  # the PixelCNN's mean −log p(x) over the same test digits
    bernoulli_samples: np.ndarray  # (len(FLIPS),)
    bernoulli_train: np.ndarray
    gaussian_samples: np.ndarray  # (len(GAUSSIAN_H),) −log of a density on ℝ⁷⁸⁴: not in the PixelCNN's units
    gaussian_train: np.ndarray
    picks: dict[str, int]  # "bernoulli_samples" … -> grid index chosen on the validation digits
    seconds: float


def nll_curves(test_d: np.ndarray, validation_d: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Mean −log p̂ on the test rows for every ε and every h, and the validation-best index of each."""
    bern = [
        (-bernoulli_log_probability(test_d, e).mean(), -bernoulli_log_probability(validation_d, e).mean())
        for e in FLIPS
    ]
    gauss = [
        (-gaussian_log_density(test_d, h).mean(), -gaussian_log_density(validation_d, h).mean()) for h in GAUSSIAN_H
    ]
    b, g = np.array(bern), np.array(gauss)
    return b[:, 0], g[:, 0], int(np.argmin(b[:, 1])), int(np.argmin(g[:, 1]))


@dataclass(frozen=True)
class KDEProgress:
    """How far the precomputation is, for the status bar (the runner reads ``progress`` and ``summary``)."""

    progress: float
    doing: str

    def summary(self) -> str:
        return self.doing


def hamming(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Hamming distances between binary rows: d = Σ x + Σ c − 2 x·c, (M, N) int16 (at most 784)."""
    x = np.asarray(x, dtype=np.float32)
    centres = np.asarray(centres, dtype=np.float32)
    d = x.sum(1)[:, None] + centres.sum(1)[None] - 2 * x @ centres.T
    return np.rint(d).astype(np.int16)


def gaussian_log_density(distances: np.ndarray, bandwidth: float, dims: int = PIXELS) -> np.ndarray:
    """log p̂_h per row of squared distances (M, N), nats."""
    N = distances.shape[1]
    return (
        logsumexp(-distances / (2 * bandwidth**2), axis=1)
        - math.log(N)
        - 0.5 * dims * math.log(2 * math.pi * bandwidth**2)
    )


def bernoulli_log_probability(distances: np.ndarray, flip: float, dims: int = PIXELS) -> np.ndarray:
    """log p̂_ε per row of Hamming distances (M, N): each centre's pixels flipped independently with ε."""
    N = distances.shape[1]
    per_centre = distances * math.log(flip) + (dims - distances) * math.log1p(-flip)
    return logsumexp(per_centre, axis=1) - math.log(N)


def parzen_on_mnist(
    cfg: MnistKDEConfig, model_cfg: PixelCNNConfig, weights: dict[str, np.ndarray], device: str | None = None
) -> Generator[KDEProgress, None, MnistKDE]:
    """Sample, score and measure, yielding how far it is; returns MnistKDE."""
    started = time.perf_counter()
    model = model_from_weights(build_pixelcnn, model_cfg, weights, device)
    writer = write_digits(model, cfg.samples, cfg.seed)
    while True:
        try:
            row = next(writer)
        except StopIteration as done:
            samples = done.value[0].reshape(cfg.samples, PIXELS)
            break
        yield KDEProgress(0.5 * (row + 1) / 28, f"drawing {cfg.samples} digits from the PixelCNN")
    test = test_digits(limit=cfg.test)  # (M, 1, 28, 28) binarised with seed 0, as the PixelCNN was scored
    scores = []
    with torch.no_grad():
        for start in range(0, cfg.test, 20):
            scores.append(nll(model, test[start : start + 20].to(next(model.parameters()).device)).cpu())
            yield KDEProgress(0.5 + 0.4 * min(1.0, (start + 20) / cfg.test), f"scoring {cfg.test} test digits exactly")
    exact = torch.cat(scores).double().numpy()
    train_images = load_mnist("train").images
    wanted = cfg.train_centres + cfg.validation
    pick = np.random.default_rng(cfg.seed).permutation(len(train_images))[:wanted]
    train = binarized(train_images[pick], seed=cfg.seed).reshape(wanted, PIXELS).numpy()
    centres, validation = train[: cfg.train_centres], train[cfg.train_centres :]
    test_flat = test.reshape(cfg.test, PIXELS).numpy()
    curves = {}
    for name, source in (("samples", samples), ("train", centres)):
        yield KDEProgress(0.9 if name == "samples" else 0.95, f"Parzen estimates from the {name}")
        curves[name] = nll_curves(
            hamming(test_flat, source).astype(np.float64), hamming(validation, source).astype(np.float64)
        )
    picks = {
        f"{kernel}_{name}": int(curves[name][2 + k])
        for name in curves
        for k, kernel in enumerate(("bernoulli", "gaussian"))
    }
    return MnistKDE(
        cfg,
        float(exact.mean()),
        curves["samples"][0],
        curves["train"][0],
        curves["samples"][1],
        curves["train"][1],
        picks,
        time.perf_counter() - started,
    )
