"""A fitted Gaussian mixture as a 2-D Lab model: train by EM, save and load it as a checkpoint (kind
"gmm"), sample from it, and score points by its exact negative log-likelihood, as the flows are scored.

The checkpoint holds θ as three float64 tensors ("weights" (K,), "means" (K, 2), "covariances"
(K, 2, 2)), the EMConfig as its config, and in its record the data as the 2-D Lab records it (source,
fingerprint, points), the iterations and the training NLL per point.
"""

from __future__ import annotations

import numpy as np
import torch

from explorer.core.kinds import a_kind
from explorer.core.likelihood.gmm import (
    EMConfig,
    Mixture,
    check_points,
    fit_mixture,
    log_likelihood,
    point_log_density,
    sample_mixture,
)
from explorer.core.plane.data import PointSet
from explorer.core.runtime.checkpoints import Checkpoint, config_from_dict, load_weights
from explorer.core.runtime.errors import CheckpointError

KIND = "gmm"


def train_gmm(data: PointSet, cfg: EMConfig) -> Checkpoint:
    """EM on ``data`` for ``cfg.iterations`` steps from the seeded start; the checkpoint of the fit."""
    x = check_points(data.points)
    theta = fit_mixture(x, cfg)
    info = {
        "steps": cfg.iterations,
        "dataset": {"source": data.source, "fingerprint": data.fingerprint, "points": len(x)},
        "metrics": {"train_nll": -log_likelihood(x, theta) / len(x)},
    }
    state = {
        "weights": torch.from_numpy(theta.weights),
        "means": torch.from_numpy(theta.means),
        "covariances": torch.from_numpy(theta.covariances),
    }
    return Checkpoint(KIND, {f: getattr(cfg, f) for f in cfg.__dataclass_fields__}, state, info)


class MixtureTensors(torch.nn.Module):
    """θ's three float64 tensors for K components, as buffers: load_weights then compares a file's
    tensor names, shapes and dtypes from its header, as for every other model, before reading any."""

    def __init__(self, components: int) -> None:
        super().__init__()
        K = components
        for name, shape in (("weights", (K,)), ("means", (K, 2)), ("covariances", (K, 2, 2))):
            self.register_buffer(name, torch.zeros(shape, dtype=torch.float64))


def mixture_from_checkpoint(ckpt: Checkpoint) -> tuple[Mixture, EMConfig]:
    """θ and the EMConfig a "gmm" checkpoint holds, checked: the tensors are the three float64 ones its
    config's K needs, the weights sum to 1, every Σ_k symmetric positive definite (CheckpointError otherwise)."""
    if ckpt.kind != KIND:
        raise CheckpointError(f"This checkpoint holds {a_kind(ckpt.kind)}, not {a_kind(KIND)}.")
    cfg = config_from_dict(EMConfig, ckpt.config)
    held = load_weights(MixtureTensors(cfg.components), ckpt)
    theta = Mixture(*(getattr(held, name).numpy() for name in ("weights", "means", "covariances")))
    if np.any(theta.weights < 0) or not np.isclose(theta.weights.sum(), 1.0):
        raise CheckpointError("The gmm checkpoint's weights are not a probability vector.")
    covs = theta.covariances
    if not np.allclose(covs, covs.transpose(0, 2, 1)) or np.any(np.linalg.eigvalsh(covs) <= 0):
        raise CheckpointError("The gmm checkpoint's covariances are not symmetric positive definite.")
    return theta, cfg


def sample_gmm(ckpt: Checkpoint, n: int, seed: int = 0) -> np.ndarray:
    """``n`` points (n, 2) float32 drawn from the checkpoint's mixture."""
    theta, _ = mixture_from_checkpoint(ckpt)
    return sample_mixture(theta, n, np.random.default_rng(seed)).astype(np.float32)


def gmm_nll(ckpt: Checkpoint, points: np.ndarray) -> float:
    """The exact mean −log p(x | θ) over ``points``, nats per point."""
    theta, _ = mixture_from_checkpoint(ckpt)
    return -float(point_log_density(check_points(points), theta).mean())
