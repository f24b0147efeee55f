"""Training the PixelCNN (maximise the exact log-likelihood), as a generator of snapshots for the panel and the CLI."""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from explorer.core.pixelcnn.model import SIDE, PixelCNNConfig, build_pixelcnn, evaluate, nll
from explorer.core.pixelcnn.sampling import sample_images
from explorer.core.runtime.checkpoints import Checkpoint, continued_checkpoint
from explorer.core.runtime.data import dataset_fingerprint, load_mnist
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.training import (
    Every,
    RunningMeans,
    cpu_copy,
    mixed_precision,
    training_images,
    training_record,
)
from explorer.core.vae.model import binarized

SAMPLE_GRID = 16  # digits in the preview grid yielded while training
TRAIN_SCORED = 2000  # training digits scored at the end, to show the gap between train and test NLL
TEST_SUBSET = 500  # test digits scored at each preview (a few seconds on one core); the whole test set at the end


@dataclass(frozen=True)
class PixelCNNSnapshot:
    """What the views need at one moment of training (CPU copies only)."""

    step: int
    total_steps: int
    train_nll: float  # mean -log p(x) per training image since the last snapshot, nats
    test_nll: float | None = None  # on the first TEST_SUBSET binarised test digits, at each preview
    samples: np.ndarray | None = None  # (SAMPLE_GRID, 28, 28) in {0, 1}, drawn with a fixed seed
    checkpoint: Checkpoint | None = None  # the run so far, every ``save_every`` steps: what a killed run keeps

    @property
    def progress(self) -> float:
        return self.step / self.total_steps

    def summary(self) -> str:
        return f"step {self.step}/{self.total_steps}  NLL {self.train_nll:.1f} nats"


def test_digits(device: torch.device | str = "cpu", limit: int = 0) -> torch.Tensor:
    """MNIST's test digits binarised exactly as the VAE's are (seed 0): (N, 1, 28, 28) in {0, 1}."""
    images = load_mnist("test").images
    images = images[:limit] if limit else images
    return binarized(images, seed=0).reshape(-1, 1, SIDE, SIDE).to(device)


def earlier_run(cfg: PixelCNNConfig, model: nn.Module | None = None) -> Checkpoint | None:
    """The checkpoint ``cfg.init_from`` names, its weights loaded into ``model`` (default: a fresh one, to
    check that it fits before any step); None for a fresh start."""
    return continued_checkpoint(cfg.init_from, "pixelcnn", model or build_pixelcnn(cfg))


def train_pixelcnn(
    cfg: PixelCNNConfig,
    device: str | None = None,
    yield_every_s: float = 0.25,
    samples_every_s: float = 120.0,
    save_every: int = 0,
) -> Generator[PixelCNNSnapshot, None, Checkpoint]:
    """Train a PixelCNN on dynamically binarised MNIST, yielding snapshots; return the checkpoint.

    The training NLL is yielded at most every ``yield_every_s`` seconds; the test NLL on a
    subset and a grid of samples at most every ``samples_every_s`` seconds and at the end. With
    ``save_every`` (steps; 0: never) a snapshot also carries the run so far as a checkpoint, so that a run
    stopped midway keeps its work: ``--init-from`` it to go on.
    """
    started = time.time()
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    model = build_pixelcnn(cfg)
    earlier = earlier_run(cfg, model)
    x_train = torch.tensor(training_images(cfg.train_limit), dtype=torch.float32, device=dev)[:, None] / 255.0
    x_test = test_digits(dev)
    model = model.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.steps, eta_min=cfg.lr * 0.05)
    g_cpu = torch.Generator().manual_seed(cfg.seed)
    g_dev = torch.Generator(device=dev).manual_seed(cfg.seed)
    losses = RunningMeans(("nll",), dev)
    history: list[dict[str, float]] = []  # train and test NLL at each preview, kept in the checkpoint
    snapshots, previews = Every(yield_every_s), Every(samples_every_s)
    for step in range(1, cfg.steps + 1):
        batch = torch.randint(0, len(x_train), (cfg.batch_size,), generator=g_cpu).to(dev)
        # Dynamic binarisation: a fresh Bernoulli draw of every image at every visit (as the VAE's).
        x = torch.bernoulli(x_train[batch], generator=g_dev)
        with mixed_precision(dev, cfg.precision):
            loss = nll(model, x).float().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        sched.step()
        losses.add(nll=loss)
        last = step == cfg.steps
        if save_every and step % save_every == 0 and not last:
            yield PixelCNNSnapshot(
                step=step,
                total_steps=cfg.steps,
                train_nll=loss.item(),
                checkpoint=_run_so_far(cfg, model, step, loss.item(), history, started, dev, earlier),
            )
        if not snapshots.due(force=last):
            continue
        mean = losses.take(step, cfg.lr)["nll"]
        test = samples = None
        if previews.due(force=last):
            model.eval()
            test = evaluate(model, x_test[:TEST_SUBSET])["nll"]
            samples = sample_images(model, SAMPLE_GRID, seed=cfg.seed)
            model.train()
            history.append({"step": step, "train_nll": mean, "test_nll": test})
        yield PixelCNNSnapshot(step=step, total_steps=cfg.steps, train_nll=mean, test_nll=test, samples=samples)
    model.eval()
    # The whole test set for a full run; a run on a subset of the training digits (a demo, a test)
    # is scored on as many test digits, so that scoring does not outlast its training.
    scored = x_test[: max(TEST_SUBSET, cfg.train_limit)] if cfg.train_limit else x_test
    test_metrics = evaluate(model, scored) | {"digits": len(scored)}
    train_metrics = evaluate(
        model, binarized(training_images(cfg.train_limit)[:TRAIN_SCORED], seed=1).reshape(-1, 1, SIDE, SIDE).to(dev)
    )
    info = {
        "steps": cfg.steps,
        "dataset": dataset_fingerprint(),
        "metrics": (
            {f"test_{k}": v for k, v in test_metrics.items()} | {f"train_{k}": v for k, v in train_metrics.items()}
        ),
        "history": history,
        "training": training_record(dev, started),
    }
    if earlier:  # the run this one continued, with its own record
        info["continues"] = {k: earlier.info.get(k) for k in ("steps", "training", "continues")}
    return Checkpoint(kind="pixelcnn", config=asdict(cfg), state=model.state_dict(), info=info)


def _run_so_far(
    cfg: PixelCNNConfig,
    model: nn.Module,
    step: int,
    train_nll: float,
    history: list[dict[str, float]],
    started: float,
    dev: torch.device,
    earlier: Checkpoint | None,
) -> Checkpoint:
    """A checkpoint of a run stopped at ``step``: its weights (copied to the CPU), the step count it reached and
    the batch NLL, marked partial; the full test-set figures come only at a run's end."""
    info: dict[str, object] = {
        "steps": step,
        "dataset": dataset_fingerprint(),
        "metrics": {"train_nll": train_nll},
        "history": list(history),
        "training": training_record(dev, started),
        "partial": f"saved at step {step} of {cfg.steps}",
    }
    if earlier:
        info["continues"] = {k: earlier.info.get(k) for k in ("steps", "training", "continues")}
    return Checkpoint(kind="pixelcnn", config=asdict(cfg), state=cpu_copy(model.state_dict()), info=info)
