"""The VAE's training loop (maximise the ELBO), as a generator of snapshots for the panel and the CLI."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass
from typing import Generic, TypeVar

import numpy as np
import torch
from torch import nn

from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.training import Every, RunningMeans, epoch_run_info, training_images, training_labels
from explorer.core.vae.model import PIXELS, VAE, VAEConfig, binarized, elbo_means, elbo_terms


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


def _state_numpy(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


M = TypeVar("M", bound=nn.Module)


@dataclass(frozen=True)
class ElboModel(Generic[M]):
    """What the ELBO loop needs of a (conditional) VAE: how to build it, and its ELBO terms and posterior
    means given the images' labels (which a plain VAE ignores)."""

    kind: str  # the checkpoint's
    build: Callable[[VAEConfig], M]
    terms: Callable[[M, torch.Tensor, torch.Tensor, torch.Generator], tuple[torch.Tensor, torch.Tensor]]
    encode: Callable[[M, torch.Tensor, torch.Tensor], torch.Tensor]  # (model, x, labels) -> mu


PLAIN_VAE: ElboModel[VAE] = ElboModel(
    "vae",
    lambda cfg: VAE(cfg.latent_dim, cfg.hidden),
    lambda model, x, _, g: elbo_terms(model, x, g),
    lambda model, x, _: model.encode(x)[0],
)


def train_vae(
    cfg: VAEConfig, device: str | None = None, yield_every_s: float = 0.25, latents_every_s: float = 3.0
) -> Generator[VAESnapshot, None, Checkpoint]:
    """Train a VAE on MNIST, yielding snapshots a few times a second; return the checkpoint.

    Losses are yielded at most every ``yield_every_s`` seconds, the encoded test set
    and the weights at most every ``latents_every_s`` seconds and at each epoch's end.
    """
    return (yield from train_elbo(cfg, PLAIN_VAE, device, yield_every_s, latents_every_s))


def train_elbo(
    cfg: VAEConfig,
    vae: ElboModel[M],
    device: str | None = None,
    yield_every_s: float = 0.25,
    latents_every_s: float = 3.0,
) -> Generator[VAESnapshot, None, Checkpoint]:
    """The ELBO's training loop, for the VAE and the conditional VAE alike (``vae`` says how to call it)."""
    started = time.time()
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    train_images = training_images(cfg.train_limit)
    x_train = torch.tensor(train_images.reshape(-1, PIXELS), dtype=torch.float32, device=dev) / 255.0
    y_train = torch.from_numpy(training_labels(cfg.train_limit)).to(dev)
    test_split = load_mnist("test")
    x_test = binarized(test_split.images, seed=0).to(dev)
    y_test = torch.from_numpy(test_split.labels.astype(np.int64)).to(dev)
    x_test_grey = torch.tensor(test_split.images.reshape(-1, PIXELS), dtype=torch.float32, device=dev) / 255.0
    model = vae.build(cfg).to(dev)

    def terms_of(x: torch.Tensor, labels: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        return vae.terms(model, x, labels, g)

    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps_per_epoch = math.ceil(len(x_train) / cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=cfg.lr * 0.05)
    g_cpu = torch.Generator().manual_seed(cfg.seed)
    g_dev = torch.Generator(device=dev).manual_seed(cfg.seed)
    terms = RunningMeans(("recon", "kl"), dev)  # -log p(x|z) and KL per image since the last snapshot
    step = 0
    snapshots, latent_views = Every(yield_every_s), Every(latents_every_s)
    test_metrics: dict[str, float] = {}
    history: list[dict[str, float]] = []  # test terms at each epoch's end, kept in the checkpoint
    for epoch in range(cfg.epochs):
        order = torch.randperm(len(x_train), generator=g_cpu).to(dev)
        for i in range(steps_per_epoch):
            batch = order[i * cfg.batch_size : (i + 1) * cfg.batch_size]
            # Dynamic binarisation: a fresh Bernoulli draw of every image at every visit.
            x = torch.bernoulli(x_train[batch], generator=g_dev)
            log_px, kl = terms_of(x, y_train[batch], g_dev)
            loss = -(log_px - cfg.beta * kl).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            terms.add(len(x), recon=-log_px.sum(), kl=kl.sum())
            step += 1
            epoch_end = i == steps_per_epoch - 1
            if not snapshots.due(force=epoch_end):
                continue
            means = terms.take(step, cfg.lr)
            test: dict[str, float] | None = None
            latents: np.ndarray | None = None
            state: dict[str, np.ndarray] | None = None
            if epoch_end:
                model.eval()
                test_metrics = elbo_means(terms_of, x_test, y_test)
                test = test_metrics
                history.append({"epoch": epoch + 1, **test_metrics})
            if latent_views.due(force=epoch_end):
                model.eval()
                with torch.no_grad():
                    latents = vae.encode(model, x_test_grey, y_test).cpu().numpy()
                state = _state_numpy(model)
            model.train()
            yield VAESnapshot(
                step=step,
                total_steps=total,
                epoch=step / steps_per_epoch,
                train={**means, "neg_elbo": means["recon"] + means["kl"]},
                test=test,
                latents=latents,
                state=state,
            )
    model.eval()
    train_metrics = elbo_means(terms_of, binarized(train_images[:10000], seed=1).to(dev), y_train[:10000])
    info = epoch_run_info(total, cfg.epochs, test_metrics, train_metrics, history, dev, started)
    return Checkpoint(kind=vae.kind, config=asdict(cfg), state=model.state_dict(), info=info)
