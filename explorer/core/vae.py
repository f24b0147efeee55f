"""A variational auto-encoder with a 2-D latent space (Kingma & Welling, 2014).

Gaussian encoder q(z|x) = N(mu(x), diag sigma^2(x)), standard normal prior,
Bernoulli decoder p(x|z) over the 784 pixels. Training maximises the ELBO

    L(x) = E_q[log p(x|z)] - KL(q(z|x) || N(0, I))

with the reparameterisation z = mu + sigma * eps and the closed-form KL of
Appendix B. Pixels are binarised by sampling (x ~ Bernoulli(grey level)) so the
decoder's likelihood is a true probability and -ELBO is in nats.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from explorer.core.checkpoints import Checkpoint, config_from_dict, load_weights
from explorer.core.data import dataset_fingerprint, load_mnist
from explorer.core.devices import pick_device
from explorer.core.limits import SEED_MAX, TRAIN_IMAGES, bounded, validate
from explorer.core.training import check_finite, training_images, training_record

PIXELS = 28 * 28


@dataclass(frozen=True)
class VAEConfig:
    """Architecture and training settings; the defaults train the shipped model."""

    latent_dim: int = bounded(2, 1, 16)
    hidden: int = bounded(512, 8, 4096)
    epochs: int = bounded(60, 1, 1000)
    batch_size: int = bounded(128, 1, 4096)
    lr: float = bounded(1e-3, 0.0, 10.0, low_open=True)
    beta: float = bounded(1.0, 0.0, 100.0)
    seed: int = bounded(0, 0, SEED_MAX)
    train_limit: int = bounded(0, 1, TRAIN_IMAGES, zero_means="all")  # use only the first N training images

    def __post_init__(self) -> None:
        validate(self)


class VAE(nn.Module):
    """MLP encoder to (mu, log sigma^2) and MLP decoder to Bernoulli logits."""

    def __init__(self, latent_dim: int = 2, hidden: int = 512) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(nn.Linear(PIXELS, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.to_mu = nn.Linear(hidden, latent_dim)
        self.to_logvar = nn.Linear(hidden, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, PIXELS)
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 784) pixels -> posterior mean and log-variance, each (B, latent_dim)."""
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, latent_dim) -> (B, 784) Bernoulli logits."""
        return self.decoder(z)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + sigma * eps with eps ~ N(0, I): a sample that gradients flow through (eq. 10)."""
    eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


def kl_gaussian(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, I)) per sample, closed form (Appendix B):
    -1/2 * sum(1 + log sigma^2 - mu^2 - sigma^2)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)


def bernoulli_log_likelihood(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """log p(x|z) = sum_i x_i log p_i + (1 - x_i) log(1 - p_i), per sample, in nats."""
    return -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1)


def elbo_terms(model: VAE, x: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The ELBO's two terms per sample: reconstruction log p(x|z) (one z sample) and KL."""
    mu, logvar = model.encode(x)
    z = reparameterize(mu, logvar, generator)
    return bernoulli_log_likelihood(model.decode(z), x), kl_gaussian(mu, logvar)


@dataclass(frozen=True)
class VAESnapshot:
    """What the views need at one moment of training (CPU copies only)."""

    step: int
    total_steps: int
    epoch: float
    train: dict[str, float]  # recon, kl, neg_elbo: nats per image, mean since the last snapshot
    test: dict[str, float] | None = None  # same terms on the binarised test set, at each epoch's end
    latents: np.ndarray | None = None  # (N_test, latent_dim) posterior means of the (grey) test set
    state: dict[str, np.ndarray] | None = None  # weights, for decoding while training goes on

    @property
    def progress(self) -> float:
        return self.step / self.total_steps

    def summary(self) -> str:
        return f"epoch {self.epoch:.1f}  -ELBO {self.train['neg_elbo']:.1f} nats"


def binarized(images: np.ndarray, seed: int) -> torch.Tensor:
    """(N, 28, 28) grey levels -> (N, 784) float 0/1 pixels sampled with a fixed seed."""
    g = torch.Generator().manual_seed(seed)
    x = torch.from_numpy(images.reshape(len(images), PIXELS).astype(np.float32) / 255.0)
    return torch.bernoulli(x, generator=g)


@torch.no_grad()
def evaluate(model: VAE, x: torch.Tensor, batch_size: int = 2000, seed: int = 0) -> dict[str, float]:
    """Mean reconstruction NLL, KL and -ELBO (nats per image) over binarised images ``x``."""
    g = torch.Generator(device=x.device).manual_seed(seed)
    recon = kl = 0.0
    for start in range(0, len(x), batch_size):
        log_px, kl_b = elbo_terms(model, x[start : start + batch_size], g)
        recon -= log_px.sum().item()
        kl += kl_b.sum().item()
    n = len(x)
    return {"recon": recon / n, "kl": kl / n, "neg_elbo": (recon + kl) / n}


def _state_numpy(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def train_vae(
    cfg: VAEConfig, device: str | None = None, yield_every_s: float = 0.25, latents_every_s: float = 3.0
) -> Generator[VAESnapshot, None, Checkpoint]:
    """Train a VAE on MNIST, yielding snapshots a few times a second; return the checkpoint.

    Losses are yielded at most every ``yield_every_s`` seconds, the encoded test set
    and the weights at most every ``latents_every_s`` seconds and at each epoch's end.
    """
    started = time.time()
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    train_images = training_images(cfg.train_limit)
    x_train = torch.tensor(train_images.reshape(-1, PIXELS), dtype=torch.float32, device=dev) / 255.0
    test_images = load_mnist("test").images
    x_test = binarized(test_images, seed=0).to(dev)
    x_test_grey = torch.tensor(test_images.reshape(-1, PIXELS), dtype=torch.float32, device=dev) / 255.0
    model = VAE(cfg.latent_dim, cfg.hidden).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps_per_epoch = math.ceil(len(x_train) / cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=cfg.lr * 0.05)
    g_cpu = torch.Generator().manual_seed(cfg.seed)
    g_dev = torch.Generator(device=dev).manual_seed(cfg.seed)
    sums = torch.zeros(2, device=dev)  # running sums of -log p(x|z) and KL since the last snapshot
    count, step = 0, 0
    last_yield = last_latents = time.monotonic()
    test_metrics: dict[str, float] = {}
    history: list[dict[str, float]] = []  # test terms at each epoch's end, kept in the checkpoint
    for epoch in range(cfg.epochs):
        order = torch.randperm(len(x_train), generator=g_cpu).to(dev)
        for i in range(steps_per_epoch):
            # Dynamic binarisation: a fresh Bernoulli draw of every image at every visit.
            x = torch.bernoulli(x_train[order[i * cfg.batch_size : (i + 1) * cfg.batch_size]], generator=g_dev)
            log_px, kl = elbo_terms(model, x, g_dev)
            loss = -(log_px - cfg.beta * kl).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            sums += torch.stack([-log_px.sum(), kl.sum()]).detach()
            count += len(x)
            step += 1
            now = time.monotonic()
            epoch_end = i == steps_per_epoch - 1
            if not (epoch_end or now - last_yield >= yield_every_s):
                continue
            recon, kl_mean = (sums / count).tolist()
            check_finite(recon + kl_mean, step, cfg.lr)
            sums.zero_()
            count = 0
            test = latents = state = None
            if epoch_end:
                model.eval()
                test_metrics = evaluate(model, x_test)
                test = test_metrics
                history.append({"epoch": epoch + 1, **test_metrics})
            if epoch_end or now - last_latents >= latents_every_s:
                model.eval()
                with torch.no_grad():
                    latents = model.encode(x_test_grey)[0].cpu().numpy()
                state = _state_numpy(model)
                last_latents = now
            model.train()
            last_yield = now
            yield VAESnapshot(
                step=step,
                total_steps=total,
                epoch=step / steps_per_epoch,
                train={"recon": recon, "kl": kl_mean, "neg_elbo": recon + kl_mean},
                test=test,
                latents=latents,
                state=state,
            )
    train_metrics = evaluate(model.eval(), binarized(train_images[:10000], seed=1).to(dev))
    info = {
        "steps": total,
        "epochs": cfg.epochs,
        "dataset": dataset_fingerprint(),
        "metrics": {f"test_{k}": v for k, v in test_metrics.items()} | {f"train_{k}": v for k, v in train_metrics.items()},
        "history": history,
        "training": training_record(dev, started),
    }
    return Checkpoint(kind="vae", config=asdict(cfg), state=model.state_dict(), info=info)


def vae_from_checkpoint(ckpt: Checkpoint) -> tuple[VAE, VAEConfig]:
    """Rebuild the model a checkpoint describes, on the CPU, in eval mode."""
    cfg = config_from_dict(VAEConfig, ckpt.config)
    model = load_weights(VAE(cfg.latent_dim, cfg.hidden), ckpt)
    return model.eval(), cfg


@torch.inference_mode()
def decode_images(model: VAE, z: np.ndarray) -> np.ndarray:
    """(N, latent_dim) latent points -> (N, 28, 28) float32 Bernoulli means in [0, 1]."""
    device = next(model.parameters()).device
    logits = model.decode(torch.as_tensor(np.asarray(z, dtype=np.float32), device=device))
    return torch.sigmoid(logits).to("cpu", torch.float32).numpy().reshape(-1, 28, 28)


@torch.inference_mode()
def encode_images(model: VAE, images: np.ndarray, batch_size: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) uint8 or [0, 1] images -> posterior means and standard deviations, each (N, latent_dim)."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32).reshape(len(images), PIXELS))
    if images.dtype == np.uint8:
        x = x / 255.0
    mus, sigmas = [], []
    for start in range(0, len(x), batch_size):
        mu, logvar = model.encode(x[start : start + batch_size])
        mus.append(mu)
        sigmas.append(torch.exp(0.5 * logvar))
    return torch.cat(mus).numpy(), torch.cat(sigmas).numpy()


def grid_quantiles(n: int, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    """n latent coordinates at evenly spaced quantiles of N(0, 1): norm.ppf(linspace(low, high, n))."""
    ppf = NormalDist().inv_cdf
    return np.array([ppf(p) for p in np.linspace(low, high, n)], dtype=np.float32)


def latent_grid(model: VAE, n: int) -> np.ndarray:
    """The decoded manifold: an (n*28, n*28) image, z1 growing rightwards and z2 upwards."""
    q = grid_quantiles(n)
    z1, z2 = np.meshgrid(q, q[::-1])
    digits = decode_images(model, np.stack([z1.ravel(), z2.ravel()], axis=1))  # (n*n, 28, 28)
    return digits.reshape(n, n, 28, 28).transpose(0, 2, 1, 3).reshape(n * 28, n * 28)


def sample_images(model: VAE, n: int, seed: int = 0) -> np.ndarray:
    """n digits decoded from z ~ N(0, I): (n, 28, 28) float32 in [0, 1]."""
    z = torch.randn(n, model.latent_dim, generator=torch.Generator().manual_seed(seed)).numpy()
    return decode_images(model, z)
