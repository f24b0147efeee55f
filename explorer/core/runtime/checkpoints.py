"""Checkpoints: safetensors files with the model's config and history as metadata.

safetensors holds only tensors and strings, so loading never unpickles code.
Saving is atomic (``atomic_write``): a crash mid-save leaves the previous file intact.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as safetensors_bytes

from explorer.core.runtime.atomic import atomic_write
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.limits import ConfigError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

FORMAT = "gen-explorer-checkpoint"
FORMAT_VERSION = 1
REQUIRED_INFO = ("steps", "dataset", "metrics")
C = TypeVar("C", bound="DataclassInstance")
M = TypeVar("M", bound=torch.nn.Module)


@dataclass(frozen=True)
class Checkpoint:
    """A model's weights with everything needed to rebuild and judge it."""

    kind: str
    config: dict[str, Any]
    state: dict[str, torch.Tensor]
    info: dict[str, Any] = field(default_factory=dict)


def save_checkpoint(path: str | os.PathLike[str], ckpt: Checkpoint) -> Path:
    """Write ``ckpt`` to ``path`` atomically and return the path."""
    path = Path(path)
    missing = [key for key in REQUIRED_INFO if key not in ckpt.info]
    if missing:
        raise CheckpointError(f"Cannot save: the checkpoint's record lacks {', '.join(missing)}.")
    tensors = {name: torch.as_tensor(np.asarray(t) if isinstance(t, np.ndarray) else t).detach().cpu().contiguous().clone()
               for name, t in ckpt.state.items()}
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "kind": ckpt.kind,
        "config": json.dumps(ckpt.config),
        "info": json.dumps(ckpt.info),
    }
    payload = safetensors_bytes(tensors, metadata=metadata)
    return atomic_write(path, payload)


def load_checkpoint(path: str | os.PathLike[str], kind: str | None = None) -> Checkpoint:
    """Read and validate a checkpoint; ``kind`` (e.g. 'vae') must match if given."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint at {path}.")
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
            state = {name: f.get_tensor(name) for name in f.keys()}  # noqa: SIM118 (safe_open is not iterable)
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(
            f"{path.name} is not a readable checkpoint: it is corrupt, truncated or not a safetensors file ({exc})."
        ) from exc
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is a safetensors file, but not a Generative Explorer checkpoint.")
    if metadata.get("format_version") != str(FORMAT_VERSION):
        raise CheckpointError(f"{path.name} has checkpoint format version {metadata.get('format_version')}; "
                              f"this version of the app reads version {FORMAT_VERSION}.")
    found = metadata.get("kind", "?")
    if kind is not None and found != kind:
        raise CheckpointError(f"{path.name} holds a {found} model, not a {kind} model.")
    try:
        config = json.loads(metadata["config"])
        info = json.loads(metadata["info"])
    except (KeyError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path.name} has a damaged record (config or info): {exc}.") from exc
    if not isinstance(config, dict) or not isinstance(info, dict):
        raise CheckpointError(f"{path.name} has a damaged record: config and info must be objects.")
    missing = [key for key in REQUIRED_INFO if key not in info]
    if missing:
        raise CheckpointError(f"{path.name} does not record its {', '.join(missing)}.")
    bad = [name for name, t in state.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if bad:
        raise CheckpointError(f"{path.name} contains NaN or infinite weights (in {bad[0]}).")
    return Checkpoint(kind=found, config=config, state=state, info=info)


def checkpoint_kind(path: str | os.PathLike[str]) -> str | None:
    """The kind a checkpoint says it holds, read from its header alone; None if it is not a readable checkpoint."""
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
    except (SafetensorError, OSError, ValueError, RuntimeError):
        return None
    return metadata.get("kind") if metadata.get("format") == FORMAT else None


def config_from_dict(cls: type[C], values: dict[str, Any]) -> C:
    """Build the config dataclass ``cls`` from a checkpoint's config, refusing unknown fields and any
    value outside the app's limits (the dataclass validates itself), before a net is built."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise CheckpointError(f"The checkpoint's config has fields this app does not know: {', '.join(unknown)}.")
    try:
        return cls(**values)
    except ConfigError as exc:
        raise CheckpointError(f"The checkpoint's config is not one this app supports: {exc}") from exc


def load_weights(module: M, ckpt: Checkpoint) -> M:
    """Load ``ckpt``'s weights into ``module``, with a clear message if they do not fit."""
    expected = module.state_dict()
    missing = sorted(set(expected) - set(ckpt.state))
    extra = sorted(set(ckpt.state) - set(expected))
    if missing or extra:
        raise CheckpointError(
            f"The checkpoint's weights do not match the {ckpt.kind} model "
            f"(missing: {', '.join(missing[:3]) or 'none'}; unexpected: {', '.join(extra[:3]) or 'none'})."
        )
    for name, tensor in expected.items():
        if tuple(tensor.shape) != tuple(ckpt.state[name].shape):
            raise CheckpointError(
                f"The checkpoint's weight {name} has shape {tuple(ckpt.state[name].shape)}, "
                f"but its config makes a model that needs {tuple(tensor.shape)}."
            )
    module.load_state_dict(ckpt.state)
    return module


def require_same(ckpt: Checkpoint, cfg: Any, keys: tuple[str, ...], path: str) -> None:
    """A CheckpointError naming the first of ``keys`` (config fields) on which the run ``cfg`` and the
    checkpoint it continues (read from ``path``) differ: a continued run keeps what its weights were made for."""
    for key in keys:
        if key in ckpt.config and ckpt.config[key] != getattr(cfg, key):
            raise CheckpointError(f"{Path(path).name} was trained with {key} = {ckpt.config[key]!r}; "
                                  f"this run asks for {getattr(cfg, key)!r}: they must match to continue.")


def continued_checkpoint(path: str, kind: str, module: torch.nn.Module) -> Checkpoint | None:
    """The checkpoint a run continues (its ``--init-from``), its weights loaded into ``module``; None for a
    fresh start. A file of another kind, or of a model of another size, is a CheckpointError: called on a
    freshly built model before the data are loaded, it refuses a bad file before any work is spent."""
    if not path:
        return None
    ckpt = load_checkpoint(path, kind=kind)
    load_weights(module, ckpt)
    return ckpt


def weights_of(ckpt: Checkpoint) -> dict[str, np.ndarray]:
    """A checkpoint's weights as numpy arrays, for a job's arguments (they pickle plainly into a child process)."""
    return {name: t.detach().cpu().numpy() for name, t in ckpt.state.items()}


def model_from_weights(
    build: Callable[[C], M], cfg: C, weights: dict[str, np.ndarray], device: str | None = None, part: str = ""
) -> M:
    """The model ``build(cfg)`` makes, with ``weights`` (``weights_of`` its checkpoint) loaded into it, or into
    its submodule ``part`` where the checkpoint holds only that, on ``device``, in eval mode: how a job
    rebuilds its model in a child process."""
    model = build(cfg)
    model.get_submodule(part).load_state_dict({name: torch.from_numpy(np.asarray(w)) for name, w in weights.items()})
    return model.to(pick_device(device)).eval()
