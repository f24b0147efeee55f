"""The VAE's own gap, by importance sampling: the IWAE bound (Burda, Grosse & Salakhutdinov, 2016).

With z_1 … z_K drawn from the encoder q(z|x) and the importance weights w_k = p(x, z_k) / q(z_k|x),

    log p(x) ≥ L_K = E[log (1/K) Σ_k w_k]                          (eq. 8)

L_1 is the ELBO, L_K never falls as K grows, and L_K → log p(x) as K → ∞ (Theorem 1). So
L_K − L_1 is a lower estimate of the gap log p(x) − ELBO = KL(q(z|x) || p(z|x)) that the ELBO leaves.
One set of S weights gives every L_K with K dividing S: the mean over the S / K groups of K.
"""

from __future__ import annotations

import math

import torch

from explorer.core.vae.model import VAE, bernoulli_log_likelihood

LOG_2PI = math.log(2 * math.pi)
IWAE_K = (1, 10, 100, 1000)  # the sample counts the panel shows, each dividing the samples drawn


def log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag exp(logvar)), summed over the last axis."""
    return -0.5 * torch.sum(LOG_2PI + logvar + (z - mu).pow(2) / logvar.exp(), dim=-1)


@torch.inference_mode()
def log_importance_weights(
    model: VAE, x: torch.Tensor, samples: int, generator: torch.Generator | None = None, chunk: int = 500
) -> torch.Tensor:
    """(B, 784) binarised pixels -> (B, samples) log w = log p(x|z) + log p(z) − log q(z|x), z ~ q(z|x).

    The samples are decoded ``chunk`` at a time, so a thousand of them cost a few batches."""
    mu, logvar = model.encode(x)  # (B, D) each
    zeros = torch.zeros_like(mu)
    parts = []
    for start in range(0, samples, chunk):
        k = min(chunk, samples - start)
        eps = torch.randn((k, *mu.shape), generator=generator, device=mu.device, dtype=mu.dtype)  # (k, B, D)
        z = mu + torch.exp(0.5 * logvar) * eps
        log_px_z = bernoulli_log_likelihood(model.decode(z), x.expand(k, *x.shape))  # (k, B)
        parts.append(log_px_z + log_normal(z, zeros, zeros) - log_normal(z, mu, logvar))
    return torch.cat(parts).T.contiguous()  # (B, samples)


def iwae_bound(log_w: torch.Tensor, k: int) -> torch.Tensor:
    """L_K per image from (B, S) log weights: log (1/K) Σ w over each of the S / K groups, averaged."""
    b, s = log_w.shape
    if k < 1 or s % k:
        raise ValueError(f"K = {k} must divide the {s} samples drawn")
    groups = log_w.reshape(b, s // k, k)
    return (torch.logsumexp(groups, dim=-1) - math.log(k)).mean(dim=-1)


def iwae_bounds(model: VAE, x: torch.Tensor, ks: tuple[int, ...] = IWAE_K, seed: int = 0) -> dict[int, float]:
    """The mean L_K over the images ``x`` (nats per image) for each K in ``ks``, from one set of samples."""
    samples = math.lcm(*ks)
    log_w = log_importance_weights(model, x, samples, torch.Generator(device=x.device).manual_seed(seed))
    return {k: iwae_bound(log_w, k).mean().item() for k in ks}
