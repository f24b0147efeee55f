"""Training the DDPM (Algorithm 1: regress the noise), as a generator of snapshots for the panel and the CLI."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from explorer.core.diffusion.model import DDPM, DDPMConfig, build_ddpm
from explorer.core.diffusion.sampler import SamplerConfig
from explorer.core.diffusion.schedule import NoiseSchedule, q_sample
from explorer.core.diffusion.unet import UNet, grow, widen
from explorer.core.runtime.checkpoints import Checkpoint, load_checkpoint, load_weights, require_same
from explorer.core.runtime.data import dataset_fingerprint, to_model_range
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.training import (
    Every,
    RunningMeans,
    cpu_copy,
    mixed_precision,
    training_images,
    training_record,
    training_runs,
)

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11

SAMPLE_GRID = 16  # digits in the preview grid yielded while training


PREVIEW = SamplerConfig(steps=25)  # how that preview is drawn: DDIM-25, η as when drawing digits


def epsilon_loss(
    model: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    schedule: NoiseSchedule,
    x0: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Algorithm 1's simple loss ||eps - eps_theta(x_t, t)||^2, t uniform, averaged over pixels and batch."""
    gen_device = generator.device if generator is not None else x0.device
    # 1. t ~ Uniform{0..T-1} and eps ~ N(0, I), one of each per image.
    t = torch.randint(0, schedule.T, (len(x0),), generator=generator, device=gen_device).to(x0.device)  # (B,)
    noise = torch.randn(x0.shape, generator=generator, device=gen_device).to(x0.device)  # (B, 1, 28, 28)
    # 2. Noise the images (eq. 4) and regress the noise (eq. 14).
    return F.mse_loss(model(q_sample(schedule, x0, t, noise), t).float(), noise)  # float32 under bf16 autocast too


@dataclass(frozen=True)
class DDPMSnapshot:
    """What the views need at one moment of training (CPU copies only)."""

    step: int
    total_steps: int
    loss: float  # mean eps-prediction loss since the last snapshot
    samples: np.ndarray | None = None  # (SAMPLE_GRID, 28, 28) in [0, 1], DDIM from fixed noise
    checkpoint: Checkpoint | None = None  # the run so far, every ``save_every`` steps: what a killed run keeps

    @property
    def progress(self) -> float:
        return self.step / self.total_steps

    def summary(self) -> str:
        return f"step {self.step}/{self.total_steps}  loss {self.loss:.4f}"


def warmup_factor(step: int, warmup: int) -> float:
    """The share of the learning rate that step ``step`` (1, 2, ...) takes: step / warmup up to 1; 1 without warm-up."""
    return 1.0 if warmup <= 0 else min(1.0, step / warmup)


GROWABLE = {"depth": 1, "attention": "none", "base_channels": 32, "widened_from": 0}  # what a run may add to the
# net it continues; a config without the key had this


def growable(config: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint config's depth, attention and widths, the values of GROWABLE where it predates the key."""
    return {key: config.get(key, alone) for key, alone in GROWABLE.items()}


def earlier_run(cfg: DDPMConfig, model: DDPM | None = None) -> Checkpoint | None:
    """The checkpoint ``cfg.init_from`` names, its weights loaded into ``model``'s U-Net (default: a fresh
    one, to check that it fits before any step); None for a fresh start.

    The earlier run must share the schedule. It may have fewer blocks per resolution (``depth``) or lack
    the attention this run asks for, and is then grown; or it may be narrower, with this run's
    ``widened_from`` its first width, and is then widened (explorer/core/diffusion/unet.py: ``grow``,
    ``widen``). Either way the larger net starts by drawing exactly the digits the earlier one drew."""
    if not cfg.init_from:
        return None
    ckpt = load_checkpoint(cfg.init_from, kind="ddpm")
    unet = (model or build_ddpm(cfg)).unet
    name = Path(cfg.init_from).name
    depth, attention, width, widened_from = growable(ckpt.config).values()
    first = widened_from or width  # the width the earlier net was first built at
    widening = bool(cfg.widened_from) and width < cfg.base_channels
    require_same(
        ckpt, cfg, ("schedule", "timesteps") if widening else ("schedule", "timesteps", "base_channels"), cfg.init_from
    )
    if widening and first != cfg.widened_from:
        raise CheckpointError(
            f"{name} was first built with {first} channels; a wider run continuing it needs "
            f"--widened-from {first} (its GroupNorm groups and time sinusoids keep that net's "
            "sizes)."
        )
    if widening and (depth, attention, cfg.attention) != (cfg.depth, "none", "none"):
        raise CheckpointError(
            f"{name} has depth {depth} and attention {attention}; widening keeps the depth "
            "and needs a net without attention: widen it at the same depth first, then grow."
        )
    if not widening and widened_from != cfg.widened_from:
        raise CheckpointError(
            f"{name} was widened from {widened_from or 'no'} channels; a run continuing it "
            f"needs --widened-from {widened_from}."
        )
    if depth > cfg.depth:
        raise CheckpointError(
            f"{name} has depth {depth}; a run continuing it needs depth "
            f"{depth} or more (a deeper net starts its added blocks as the identity)."
        )
    if attention != "none" and cfg.attention == "none":
        raise CheckpointError(
            f"{name} has attention at {attention}; a run continuing it needs --attention "
            f"{attention} (attention can be added to a net, not taken away)."
        )
    if (width, depth, attention) == (cfg.base_channels, cfg.depth, cfg.attention):
        load_weights(unet, ckpt)
    else:  # the earlier net as it was, then grown or widened into this run's
        (widen if widening else grow)(load_weights(UNet(width, depth, attention, widened_from), ckpt), unet)
    return ckpt


def train_ddpm(
    cfg: DDPMConfig,
    device: str | None = None,
    yield_every_s: float = 0.25,
    samples_every_s: float = 10.0,
    save_every: int = 0,
) -> Generator[DDPMSnapshot, None, Checkpoint]:
    """Train a DDPM on MNIST (Algorithm 1), yielding snapshots a few times a second; return the checkpoint.

    The loss is yielded at most every ``yield_every_s`` seconds, a DDIM preview grid from fixed
    noise at most every ``samples_every_s`` seconds and at the end. With ``save_every`` (steps; 0: never) a
    snapshot also carries the run so far as a checkpoint, so that a run stopped midway keeps its work.
    """
    started = time.time()
    dev = pick_device(device)
    torch.manual_seed(cfg.seed)
    model = build_ddpm(cfg)
    earlier = earlier_run(cfg, model)
    x_train = to_model_range(training_images(cfg.train_limit)).to(dev)  # (N, 1, 28, 28)
    model = model.to(dev)

    def checkpoint(ema: DDPM, record: dict[str, Any]) -> Checkpoint:
        """The run's checkpoint from the EMA model and a record of ``regress_noise`` (the last or one so far)."""
        info = {**record, "dataset": dataset_fingerprint(), "training": training_record(dev, started)}
        if earlier:  # the run this one continued, with its own record
            info["continues"] = {k: earlier.info.get(k) for k in ("steps", "training", "continues")}
            # Grown or widened: the earlier runs trained a smaller net, whose depth, attention or width it keeps.
            info["continues"].update({k: v for k, v in growable(earlier.config).items() if v != getattr(cfg, k)})
        return Checkpoint(kind="ddpm", config=asdict(cfg), state=cpu_copy(ema.unet.state_dict()), info=info)

    ema_model, record = yield from regress_noise(
        cfg,
        model,
        torch.optim.Adam(model.parameters(), lr=cfg.lr),
        lambda m, batch, g: epsilon_loss(m, m.schedule, x_train[batch], g),
        len(x_train),
        lambda m: m.sample(SAMPLE_GRID, seed=cfg.seed, sampler=PREVIEW),
        dev,
        yield_every_s,
        samples_every_s,
        save_every,
        checkpoint,
    )
    return checkpoint(ema_model, record)


class NoiseModel(Protocol):
    """What Algorithm 1's loop needs of a model (the DDPM, the class-conditional DDPM): the U-Net it
    trains, the schedule, and to be built again around the EMA's copy of that U-Net."""

    def __init__(self, unet: UNet, schedule: NoiseSchedule) -> None: ...

    @property
    def unet(self) -> UNet: ...

    @property
    def schedule(self) -> NoiseSchedule: ...

    def parameters(self, recurse: bool = True) -> Iterator[nn.Parameter]: ...

    def eval(self) -> Self: ...

    def train(self, mode: bool = True) -> Self: ...


M = TypeVar("M", bound=NoiseModel)


def regress_noise(
    cfg: DDPMConfig,
    model: M,
    opt: torch.optim.Optimizer,
    batch_loss: Callable[[M, torch.Tensor, torch.Generator], torch.Tensor],
    images: int,
    preview: Callable[[M], np.ndarray],
    dev: torch.device,
    yield_every_s: float,
    samples_every_s: float,
    save_every: int = 0,
    so_far: Callable[[M, dict[str, Any]], Checkpoint] | None = None,
) -> Generator[DDPMSnapshot, None, tuple[M, dict[str, Any]]]:
    """Algorithm 1's loop, for the DDPM and the class-conditional DDPM alike: ``cfg.steps`` steps, each on
    ``cfg.batch_size`` of the ``images`` training digits drawn at random, of ``batch_loss(model, indices,
    generator)``, gradient norm clipped to 1, and an EMA of the weights; ``preview(ema_model)`` draws the
    preview grid. Returns the EMA model (what is sampled and saved) and the run's steps, metrics, history.
    Every ``save_every`` steps (0: never) a snapshot carries ``so_far(ema_model, record)``: the run so far,
    its record marked partial.
    """
    # Ho et al. sample from an exponential moving average of the weights (Appendix B): far
    # smoother samples than the last step's weights, above all after a short run.
    averaged = AveragedModel(model.unet, multi_avg_fn=get_ema_multi_avg_fn(cfg.ema)) if cfg.ema else None
    ema_model = type(model)(cast(UNet, averaged.module), model.schedule) if averaged else model
    warm = torch.optim.lr_scheduler.LambdaLR(opt, lambda done: warmup_factor(done + 1, cfg.warmup))
    g_cpu = torch.Generator().manual_seed(cfg.seed)
    g_dev = torch.Generator(device=dev).manual_seed(cfg.seed)
    losses = RunningMeans(("loss",), dev)
    tail_sum, tail_count = 0.0, 0  # loss over the last 10% of steps, the checkpoint's final loss
    history: list[dict[str, float]] = []  # mean loss at each snapshot with a preview, kept in the checkpoint
    snapshots, previews = Every(yield_every_s), Every(samples_every_s)
    for step in range(1, cfg.steps + 1):
        batch = torch.randint(0, images, (cfg.batch_size,), generator=g_cpu).to(dev)
        with mixed_precision(dev, cfg.precision):
            loss = batch_loss(model, batch, g_dev)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)  # Ho et al. clip the gradient norm to 1 (Appendix B)
        opt.step()
        warm.step()
        if averaged:
            averaged.update_parameters(model.unet)
        losses.add(loss=loss)
        last = step == cfg.steps
        if save_every and so_far is not None and step % save_every == 0 and not last:
            record = {
                "steps": step,
                "metrics": {"final_loss": loss.item()},  # the batch's loss: the last 10 %'s mean needs the run's end
                "history": list(history),
                "partial": f"saved at step {step} of {cfg.steps}",
            }
            yield DDPMSnapshot(step, cfg.steps, loss.item(), checkpoint=so_far(ema_model, record))
        if not snapshots.due(force=last):
            continue
        count = losses.count
        mean = losses.take(step, cfg.lr)["loss"]
        if step > 0.9 * cfg.steps:
            tail_sum += mean * count
            tail_count += count
        samples = None
        if previews.due(force=last):
            ema_model.eval()
            samples = preview(ema_model)
            ema_model.train()
            history.append({"step": step, "loss": mean})
        yield DDPMSnapshot(step=step, total_steps=cfg.steps, loss=mean, samples=samples)
    record = {"steps": cfg.steps, "metrics": {"final_loss": tail_sum / max(tail_count, 1)}, "history": history}
    return ema_model, record


__all__ = ["DDPMSnapshot", "epsilon_loss", "regress_noise", "train_ddpm", "training_runs"]
