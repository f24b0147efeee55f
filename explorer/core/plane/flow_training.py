"""Training the lab's flows: the RealNVP by maximum likelihood, flow matching on (noise, data) pairs,
and reflow on (noise, sample) pairs of a first field; one step each, the loop as a generator.

All three use the part-1 models' recipe (``training.py``): Adam with the learning rate falling by a cosine to a
tenth over the run, batches drawn with replacement, and an exponential moving average of the
weights as the model shown and saved.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass

import numpy as np
import torch

from explorer.core.kinds import a_kind, kind_title
from explorer.core.plane.data import fingerprint
from explorer.core.plane.flow_matching import FlowMatchingConfig, VelocityNet, fm_loss, ot_pairing
from explorer.core.plane.models import saved_values
from explorer.core.plane.realnvp import RealNVP, RealNVPConfig
from explorer.core.plane.reflow import ReflowConfig, reflow_pairs
from explorer.core.plane.training import EMA, PlaneSnapshot, adam, weights_of
from explorer.core.runtime.checkpoints import Checkpoint, config_from_dict, load_weights
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.quoting import quoted
from explorer.core.runtime.training import Every, check_finite, training_record

FLOW_KINDS = ("plane-realnvp", "plane-fm", "plane-reflow")
FlowConfig = RealNVPConfig | FlowMatchingConfig
FlowNet = RealNVP | VelocityNet


@dataclass(frozen=True)
class FlowSnapshot(PlaneSnapshot):
    """A moment of a flow's training, as a PlaneSnapshot; for the RealNVP the loss is the training NLL in nats."""

    def summary(self) -> str:
        name = "NLL" if self.kind == "plane-realnvp" else "loss"
        return f"step {self.step:,}/{self.steps:,}  {name} {self.loss:.4f}  {self.seconds:.1f} s"


def kind_of(cfg: FlowConfig) -> str:
    if isinstance(cfg, RealNVPConfig):
        return "plane-realnvp"
    return "plane-reflow" if isinstance(cfg, ReflowConfig) else "plane-fm"


def build_flow(cfg: FlowConfig) -> FlowNet:
    """The network for ``cfg``, with weights drawn from its seed."""
    torch.manual_seed(cfg.seed)
    return RealNVP(cfg) if isinstance(cfg, RealNVPConfig) else VelocityNet(cfg)


CONFIGS: dict[str, type] = {
    "plane-realnvp": RealNVPConfig,
    "plane-fm": FlowMatchingConfig,
    "plane-reflow": ReflowConfig,
}


def flow_from_checkpoint(ckpt: Checkpoint) -> FlowNet:
    """The flow a checkpoint holds, its config validated before the net is built, in eval mode."""
    if ckpt.kind not in CONFIGS:
        flows = ", ".join(kind_title(kind) for kind in FLOW_KINDS)
        raise CheckpointError(f"{a_kind(ckpt.kind, capital=True)} is not a flow (the flows are the {flows}).")
    config = saved_values(ckpt.kind, ckpt.config)
    net = load_weights(build_flow(config_from_dict(CONFIGS[ckpt.kind], config)), ckpt)
    return net.eval()


def nll_loss(flow: RealNVP, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """−log p(x + σε) averaged over the batch, in nats, ε ~ N(0, I) and σ the config's ``noise``: maximum
    likelihood by the change of variables, of the data blurred by σ (none if σ = 0)."""
    if flow.cfg.noise > 0:
        x = x + flow.cfg.noise * torch.randn(x.shape, generator=generator)
    return -flow.log_prob(x).mean()


def _train(
    cfg: FlowConfig,
    net: FlowNet,
    loss_of: Callable[[torch.Tensor, torch.Generator], torch.Tensor],
    n_rows: int,
    record: dict[str, object],
    snapshot_s: float,
    weights_s: float,
) -> Generator[FlowSnapshot, None, Checkpoint]:
    """The loop every flow shares: ``loss_of(rows, generator)`` on batches of row indices into ``n_rows``."""
    started = time.time()
    generator = torch.Generator().manual_seed(cfg.seed)
    optimizer = adam(net, cfg.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s / cfg.steps, 1.0)))
    )
    ema = EMA(net)
    snap, share = Every(snapshot_s), Every(weights_s)
    total, count, kind = torch.zeros(()), 0, kind_of(cfg)
    for step in range(1, cfg.steps + 1):
        rows = torch.randint(0, n_rows, (cfg.batch_size,), generator=generator)
        loss = loss_of(rows, generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        ema.update()
        total += loss.detach()
        count += 1
        last = step == cfg.steps
        if snap.due(force=last):
            mean = float(total) / count
            check_finite(mean, step, float(schedule.get_last_lr()[0]))
            total, count = torch.zeros(()), 0
            state = weights_of(ema.module) if share.due(force=last) else None
            yield FlowSnapshot(kind, step, cfg.steps, mean, time.time() - started, state)
    info = {
        "steps": cfg.steps,
        **record,
        "metrics": {"loss": mean},
        "training": training_record(torch.device("cpu"), started),
    }
    return Checkpoint(kind=kind, config=asdict(cfg), state=ema.module.state_dict(), info=info)


def _dataset(points: np.ndarray, source: str) -> dict[str, object]:
    return {"dataset": {"source": source, "fingerprint": fingerprint(points), "points": len(points)}}


def train_realnvp(
    cfg: RealNVPConfig, points: np.ndarray, source: str, snapshot_s: float = 0.2, weights_s: float = 1.0
) -> Generator[FlowSnapshot, None, Checkpoint]:
    """Fit a RealNVP to ``points`` (N, 2) by maximum likelihood; yields snapshots, returns the checkpoint."""
    flow = build_flow(cfg)
    assert isinstance(flow, RealNVP)
    data = torch.as_tensor(np.asarray(points, np.float32))
    return (
        yield from _train(
            cfg,
            flow,
            lambda rows, g: nll_loss(flow, data[rows], g),
            len(data),
            _dataset(points, source),
            snapshot_s,
            weights_s,
        )
    )


def train_flow_matching(
    cfg: FlowMatchingConfig, points: np.ndarray, source: str, snapshot_s: float = 0.2, weights_s: float = 1.0
) -> Generator[FlowSnapshot, None, Checkpoint]:
    """Flow matching on (x₀ ~ N(0, I), x₁ from ``points``) pairs, independent or minibatch-OT paired."""
    net = build_flow(cfg)
    assert isinstance(net, VelocityNet)
    data = torch.as_tensor(np.asarray(points, np.float32))

    def loss_of(rows: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        x1 = data[rows]
        x0 = torch.randn(x1.shape, generator=generator)
        if cfg.pairing == "ot":
            x0 = ot_pairing(x0, x1, cfg.ot_block)
        return fm_loss(net, x0, x1, generator)

    return (yield from _train(cfg, net, loss_of, len(data), _dataset(points, source), snapshot_s, weights_s))


def _generation(ckpt: Checkpoint) -> int:
    """Which reflow ``ckpt`` is (1: a flow-matching model); a record that says otherwise is refused."""
    earlier = ckpt.info.get("reflow_of", {"generation": 1})
    generation = earlier.get("generation") if isinstance(earlier, dict) else None
    if not isinstance(generation, int) or isinstance(generation, bool) or not 1 <= generation < 10_000:
        raise CheckpointError(
            f"The checkpoint's record says it is reflow generation {quoted(generation)}; a whole number is needed."
        )
    return generation


def reflow_teacher(cfg: ReflowConfig, teacher: Checkpoint) -> VelocityNet:
    """The velocity field a reflow of ``teacher`` starts from, checked whole (its kind, weights, record and
    shape) so that a command can refuse a teacher before any pair is drawn."""
    if teacher.kind not in ("plane-fm", "plane-reflow"):
        raise CheckpointError(
            f"Reflow needs a flow-matching model ({a_kind('plane-fm')} or {a_kind('plane-reflow')}), "
            f"not {a_kind(teacher.kind)}."
        )
    first = flow_from_checkpoint(teacher)
    assert isinstance(first, VelocityNet)  # a plane-fm or plane-reflow checkpoint holds a velocity field
    if (first.cfg.hidden, first.cfg.layers) != (cfg.hidden, cfg.layers):
        raise CheckpointError(
            f"Reflow keeps the first model's shape: hidden {first.cfg.hidden}, layers "
            f"{first.cfg.layers}, not {cfg.hidden}, {cfg.layers}."
        )
    _generation(teacher)
    return first


def train_reflow(
    cfg: ReflowConfig, teacher: Checkpoint, snapshot_s: float = 0.2, weights_s: float = 1.0
) -> Generator[FlowSnapshot, None, Checkpoint]:
    """Reflow the field in ``teacher`` (a plane-fm or plane-reflow checkpoint): make cfg.pairs (noise,
    sample) pairs with it, then train a new field on them starting from the teacher's weights."""
    first = reflow_teacher(cfg, teacher)
    x0, x1 = (torch.as_tensor(a) for a in reflow_pairs(first, cfg.pairs, cfg.pair_nfe, cfg.seed))
    net = build_flow(cfg)
    assert isinstance(net, VelocityNet)
    net.load_state_dict(first.state_dict())
    record = {
        "dataset": teacher.info.get("dataset", {}),
        "reflow_of": {
            "kind": teacher.kind,
            "generation": _generation(teacher) + 1,
            "pairs": cfg.pairs,
            "pair_nfe": cfg.pair_nfe,
        },
    }
    return (
        yield from _train(
            cfg, net, lambda rows, g: fm_loss(net, x0[rows], x1[rows], g), len(x0), record, snapshot_s, weights_s
        )
    )
