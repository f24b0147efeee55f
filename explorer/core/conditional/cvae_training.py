"""The cVAE's training loop (maximise the conditional ELBO), as a generator of snapshots for the panel and the CLI.

The same loop as the VAE's (explorer/core/vae/training.py), with each image's label beside it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator
from dataclasses import asdict

import numpy as np
import torch
from torch import nn

from explorer.core.conditional.cvae import CVAE, CVAEConfig, elbo_metrics, elbo_terms
from explorer.core.conditional.labels import training_labels
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.training import Every, RunningMeans, epoch_run_info, training_images
from explorer.core.vae.model import PIXELS, binarized
from explorer.core.vae.training import VAESnapshot


def _state_numpy(model: nn.Module) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def train_cvae(
    cfg: CVAEConfig, device: str | None = None, yield_every_s: float = 0.25, latents_every_s: float = 3.0
) -> Generator[VAESnapshot, None, Checkpoint]:
    """Train a cVAE on MNIST, yielding snapshots a few times a second; return the checkpoint.

    Snapshots are the VAE's: losses at most every ``yield_every_s`` seconds; the test set's
    posterior means (each digit encoded with its label) and the weights at most every
    ``latents_every_s`` seconds and at each epoch's end.
    """
    started = time.time()
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    train_images = training_images(cfg.train_limit)
    x_train = torch.tensor(train_images.reshape(-1, PIXELS), dtype=torch.float32, device=dev) / 255.0
    y_train = torch.from_numpy(training_labels(cfg.train_limit)).to(dev)
    test = load_mnist("test")
    x_test = binarized(test.images, seed=0).to(dev)
    y_test = torch.from_numpy(test.labels).to(dev)
    x_test_grey = torch.tensor(test.images.reshape(-1, PIXELS), dtype=torch.float32, device=dev) / 255.0
    model = CVAE(cfg.latent_dim, cfg.hidden).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    steps_per_epoch = math.ceil(len(x_train) / cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=cfg.lr * 0.05)
    g_cpu = torch.Generator().manual_seed(cfg.seed)
    g_dev = torch.Generator(device=dev).manual_seed(cfg.seed)
    terms = RunningMeans(("recon", "kl"), dev)  # -log p(x|z, y) and KL per image since the last snapshot
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
            log_px, kl = elbo_terms(model, x, y_train[batch], g_dev)
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
            test_now = latents = state = None
            if epoch_end:
                model.eval()
                test_metrics = elbo_metrics(model, x_test, y_test)
                test_now = test_metrics
                history.append({"epoch": epoch + 1, **test_metrics})
            if latent_views.due(force=epoch_end):
                model.eval()
                with torch.no_grad():
                    latents = model.encode(x_test_grey, y_test)[0].cpu().numpy()
                state = _state_numpy(model)
            model.train()
            yield VAESnapshot(
                step=step,
                total_steps=total,
                epoch=step / steps_per_epoch,
                train={**means, "neg_elbo": means["recon"] + means["kl"]},
                test=test_now,
                latents=latents,
                state=state,
            )
    model.eval()
    train_metrics = elbo_metrics(model, binarized(train_images[:10000], seed=1).to(dev), y_train[:10000])
    info = epoch_run_info(total, cfg.epochs, test_metrics, train_metrics, history, dev, started)
    return Checkpoint(kind="cvae", config=asdict(cfg), state=model.state_dict(), info=info)
