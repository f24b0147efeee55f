"""A trained lab model from its checkpoint, and samples from it by any of its samplers: the path the
CLI's ``plane sample`` and the panel's Sample button share."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from explorer.core.kinds import a_kind, kind_title
from explorer.core.plane.flow_matching import VelocityNet
from explorer.core.plane.flow_training import FLOW_KINDS, FlowConfig, FlowNet, flow_from_checkpoint
from explorer.core.plane.flows import REALNVP_SAMPLERS, draw_flow, flow_samplers
from explorer.core.plane.langevin import (
    STEP_RATIO,
    Trajectory,
    annealed_langevin,
    langevin,
    net_score_fn,
    uniform_start,
)
from explorer.core.plane.models import KINDS, EpsNet, PlaneConfig, PlaneNet, ScoreConfig, ScoreNet, saved_config
from explorer.core.plane.realnvp import RealNVP
from explorer.core.plane.samplers import SAMPLERS as DDPM_SAMPLERS
from explorer.core.plane.samplers import reverse_chain, starting_noise
from explorer.core.runtime.checkpoints import Checkpoint, checkpoint_kind, load_checkpoint, load_weights
from explorer.core.runtime.errors import CheckpointError, ExplorerError

LANGEVIN_SAMPLERS = ("langevin", "annealed-langevin")
ALL_SAMPLERS = (*DDPM_SAMPLERS, *LANGEVIN_SAMPLERS, *REALNVP_SAMPLERS)
MAX_DRAW = 100_000


@dataclass(frozen=True)
class PlaneModel:
    """A trained lab model: its checkpoint kind, config, network (eval mode) and record."""

    kind: str
    cfg: PlaneConfig | FlowConfig
    net: PlaneNet | FlowNet
    info: dict[str, object]

    @property
    def flow(self) -> RealNVP | VelocityNet:
        """The net of a flow (realnvp, fm, reflow): the models with an exact likelihood."""
        if not isinstance(self.net, (RealNVP, VelocityNet)):
            raise ExplorerError(f"{a_kind(self.kind, capital=True)} is not a flow.")
        return self.net

    @property
    def velocity(self) -> VelocityNet:
        """The velocity field of a flow-matching or reflowed model."""
        if not isinstance(self.net, VelocityNet):
            raise ExplorerError(f"{a_kind(self.kind, capital=True)} has no velocity field.")
        return self.net

    @property
    def realnvp(self) -> RealNVP:
        if not isinstance(self.net, RealNVP):
            raise ExplorerError(f"{a_kind(self.kind, capital=True)} is not a RealNVP.")
        return self.net

    @property
    def field_net(self) -> ScoreNet | EpsNet:
        """The net whose output reads as a score: the score network, or the DDPM's ε-network."""
        if not isinstance(self.net, (ScoreNet, EpsNet)):
            raise ExplorerError(f"{a_kind(self.kind, capital=True)} has no score field.")
        return self.net

    @property
    def samplers(self) -> tuple[str, ...]:
        if isinstance(self.net, (RealNVP, VelocityNet)):
            return flow_samplers(self.net)
        return LANGEVIN_SAMPLERS if isinstance(self.cfg, ScoreConfig) else DDPM_SAMPLERS


def model_from_checkpoint(ckpt: Checkpoint) -> PlaneModel:
    if ckpt.kind in FLOW_KINDS:
        flow = flow_from_checkpoint(ckpt)
        return PlaneModel(ckpt.kind, flow.cfg, flow, ckpt.info)
    if ckpt.kind not in KINDS:
        raise CheckpointError(f"This checkpoint holds {a_kind(ckpt.kind)}, not a 2-D Lab model.")
    _, net_cls = KINDS[ckpt.kind]
    cfg: PlaneConfig = saved_config(ckpt.kind, ckpt.config)
    net = net_cls(cfg)
    load_weights(net, ckpt)
    return PlaneModel(ckpt.kind, cfg, net.eval(), ckpt.info)


def load_plane_model(path: str | os.PathLike[str]) -> PlaneModel:
    """The lab model saved at ``path``; a CheckpointError (one line) for anything else."""
    kind = checkpoint_kind(path)
    if kind is not None and kind not in (*KINDS, *FLOW_KINDS):
        raise CheckpointError(
            f"{os.fspath(path)!r} holds {a_kind(kind)}, not a 2-D Lab model "
            f"({', '.join(kind_title(k) for k in (*KINDS, *FLOW_KINDS))})."
        )
    return model_from_checkpoint(load_checkpoint(path))


def default_nfe(sampler: str) -> int:
    """The NFE a sampler is run with unless asked otherwise: each sampler's usual budget."""
    return {"ddpm": 1000, "ddim": 50, "euler": 100, "heun": 49, "inverse": 1}.get(sampler, 1000)


def draw(
    model: PlaneModel, sampler: str, n: int, nfe: int, eta: float = 0.0, seed: int = 0, denoise: bool = True
) -> tuple[Trajectory, int]:
    """``n`` samples by ``sampler`` in at most ``nfe`` network evaluations; the trajectory and the NFE spent.

    Langevin samplers start from points spread over the box; ``annealed-langevin`` divides the NFE
    evenly among its levels (at least one step each), keeping one for the final denoising step if
    ``denoise`` (``langevin.tweedie_denoise``)."""
    if sampler not in model.samplers:
        raise ExplorerError(f"The {kind_title(model.kind)} samples with {', '.join(model.samplers)}, not {sampler}.")
    if not 1 <= n <= MAX_DRAW:
        raise ExplorerError(f"-n must be from 1 to {MAX_DRAW:,}, not {n}.")
    if isinstance(model.net, (RealNVP, VelocityNet)):
        return draw_flow(model.net, sampler, n, nfe, seed)
    if isinstance(model.net, ScoreNet) and isinstance(model.cfg, ScoreConfig):
        cfg = model.cfg
        sigmas = cfg.sigmas()
        eps = STEP_RATIO * sigmas[-1] ** 2
        start = uniform_start(n, seed)
        score = net_score_fn(model.net)
        if sampler == "langevin":
            return langevin(score, start, sigmas[-1], eps, nfe, seed), nfe
        per = max(1, (nfe - denoise) // len(sigmas))
        trajectory = annealed_langevin(score, start, sigmas, eps, per, seed, denoise=denoise)
        return trajectory, per * len(sigmas) + denoise
    assert isinstance(model.net, EpsNet)
    with torch.no_grad():
        return reverse_chain(model.net, sampler, nfe, starting_noise(n, seed), eta, seed)
