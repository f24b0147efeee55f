"""Checkpoints: safetensors files with the model's config and history as metadata.

safetensors holds only tensors and strings, so loading never unpickles code.
Saving is atomic (``atomic_write``): a crash mid-save leaves the previous file intact.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import torch
from safetensors.torch import save as safetensors_bytes

from explorer.core.kinds import a_kind, kind_title
from explorer.core.runtime.atomic import atomic_write
from explorer.core.runtime.bounded_json import BoundedJSONError, loads_bounded
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.limits import ConfigError
from explorer.core.runtime.quoting import quoted, shown
from explorer.core.runtime.run_info import REQUIRED_INFO, info_problem
from explorer.core.runtime.tensor_file import StoredTensors, TensorSpec, read_header, spec_of

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

FORMAT = "gen-explorer-checkpoint"
FORMAT_VERSION = 1
C = TypeVar("C", bound="DataclassInstance")
M = TypeVar("M", bound=torch.nn.Module)


@dataclass(frozen=True)
class Checkpoint:
    """A model's weights with everything needed to rebuild and judge it."""

    kind: str
    config: dict[str, Any]
    state: Mapping[str, torch.Tensor]  # a loaded file's: read tensor by tensor, when first needed
    info: dict[str, Any] = field(default_factory=dict)


def save_checkpoint(path: str | os.PathLike[str], ckpt: Checkpoint) -> Path:
    """Write ``ckpt`` to ``path`` atomically and return the path."""
    path = Path(path)
    missing = [key for key in REQUIRED_INFO if key not in ckpt.info]
    if missing:
        raise CheckpointError(f"Cannot save: the checkpoint's record lacks {', '.join(missing)}.")
    tensors = {
        name: torch.as_tensor(np.asarray(t) if isinstance(t, np.ndarray) else t).detach().cpu().contiguous().clone()
        for name, t in ckpt.state.items()
    }
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
    """Read and validate a checkpoint's header, config and record; ``kind`` (e.g. 'vae') must match if given.

    Only the header is read here, every size in it bounded (``read_header``); the config of a kind the app
    knows is checked against its dataclass's limits and the record against what its readers need, so that
    a file is refused whole before anything is built from it. The weights are read later, by
    ``load_weights``, once their names, shapes and dtypes are known to fit the model."""
    path = Path(path)
    name = shown(path.name)
    if not path.exists():
        raise CheckpointError(f"No checkpoint at {shown(path)}.")
    header = read_header(path)
    metadata = header.metadata
    if metadata.get("format") != FORMAT:
        raise CheckpointError(f"{name} is a safetensors file, but not a Generative Explorer checkpoint.")
    if metadata.get("format_version") != str(FORMAT_VERSION):
        raise CheckpointError(
            f"{name} has checkpoint format version {quoted(metadata.get('format_version'))}; "
            f"this version of the app reads version {FORMAT_VERSION}."
        )
    found = metadata.get("kind", "?")
    if kind is not None and found != kind:
        raise CheckpointError(f"{name} holds {a_kind(found)}, not {a_kind(kind)}.")
    config, info = (_record(metadata, part, name) for part in ("config", "info"))
    problem = info_problem(info, found)
    if problem:
        raise CheckpointError(f"{name} has a damaged record: {problem}.")
    config_cls = config_class(found)
    if config_cls is not None:
        config_from_dict(config_cls, config, name)
    return Checkpoint(kind=found, config=config, state=StoredTensors(path, header), info=info)


def _record(metadata: dict[str, str], part: str, name: str) -> dict[str, Any]:
    """The metadata's ``part`` ("config" or "info"), decoded with every size bounded; it must be an object."""
    if part not in metadata:
        raise CheckpointError(f"{name} has a damaged record: it has no {part}.")
    try:
        value = loads_bounded(metadata[part])
    except BoundedJSONError as exc:
        raise CheckpointError(f"{name} has a damaged record: its {part}: {exc}.") from exc
    if not isinstance(value, dict):
        raise CheckpointError(f"{name} has a damaged record: its {part} must be an object.")
    return value


def config_class(kind: str) -> type | None:
    """The config dataclass of a checkpoint kind the app knows (None for another kind): the MNIST families,
    the classifier, the 2-D Lab's models and the Likelihood tab's mixture. A file's config is checked
    against it as the file is read, before any net is built."""
    from explorer.core.conditional.noisy_classifier import KIND as NOISY
    from explorer.core.conditional.noisy_classifier import NoisyClassifierConfig
    from explorer.core.evaluation.classifier import ClassifierConfig
    from explorer.core.families import FAMILIES
    from explorer.core.likelihood.gmm import EMConfig
    from explorer.core.plane.flow_training import CONFIGS as FLOW_CONFIGS
    from explorer.core.plane.models import KINDS as PLANE_KINDS

    if kind in FAMILIES:
        return FAMILIES[kind].config
    known: dict[str, type] = {"classifier": ClassifierConfig, NOISY: NoisyClassifierConfig, "gmm": EMConfig}
    known |= FLOW_CONFIGS
    known |= {name: classes[0] for name, classes in PLANE_KINDS.items()}
    return known.get(kind)


def checkpoint_kind(path: str | os.PathLike[str]) -> str | None:
    """The kind a checkpoint says it holds, read from its header alone; None if it is not a readable checkpoint."""
    try:
        metadata = read_header(path).metadata
    except CheckpointError:
        return None
    return metadata.get("kind") if metadata.get("format") == FORMAT else None


def config_from_dict(cls: type[C], values: dict[str, Any], name: str = "The checkpoint") -> C:
    """Build the config dataclass ``cls`` from a checkpoint's config, refusing unknown fields and any
    value outside the app's limits or of another type (the dataclass validates itself), before a net is built."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise CheckpointError(
            f"{name}: its config has fields this app does not know: {', '.join(shown(key) for key in unknown[:3])}."
        )
    try:
        return cls(**values)
    except ConfigError as exc:
        raise CheckpointError(f"{name}: its config is not one this app supports: {exc}") from exc


def load_weights(module: M, ckpt: Checkpoint, given: dict[str, torch.Tensor] | None = None) -> M:
    """Load ``ckpt``'s weights into ``module``, with a clear message if they do not fit; ``given`` supplies
    tensors the file does not hold (a new layer's starting values).

    Names, shapes and dtypes are compared first, from a file's header alone; then only the tensors the
    module needs are read."""
    given = given or {}
    expected = module.state_dict()
    specs = stored_specs(ckpt.state) | {name: spec_of(t) for name, t in given.items()}
    missing = sorted(set(expected) - set(specs))
    extra = sorted(set(specs) - set(expected))
    if missing or extra:
        raise CheckpointError(
            f"The checkpoint's weights do not match the {kind_title(ckpt.kind)} "
            f"(missing: {', '.join(missing[:3]) or 'none'}; unexpected: "
            f"{', '.join(shown(name) for name in extra[:3]) or 'none'})."
        )
    for name, tensor in expected.items():
        spec, needed = specs[name], spec_of(tensor)
        if spec.shape != needed.shape:
            raise CheckpointError(
                f"The checkpoint's weight {name} has shape {spec.shape}, "
                f"but its config makes a model that needs {needed.shape}."
            )
        if spec.dtype != needed.dtype:
            raise CheckpointError(f"The checkpoint's weight {name} is {spec.words}; the model needs {needed.words}.")
    stored = [name for name in expected if name not in given]
    state = ckpt.state.read(stored) if isinstance(ckpt.state, StoredTensors) else {n: ckpt.state[n] for n in stored}
    if isinstance(ckpt.state, StoredTensors):
        ckpt.state.keep(state)  # read once: later uses of this checkpoint never go back to the file
    module.load_state_dict({**state, **given})
    return module


def stored_specs(state: Mapping[str, torch.Tensor]) -> dict[str, TensorSpec]:
    """The name, dtype and shape of each tensor in ``state``, from a file's header where it was not read yet."""
    return dict(state.specs) if isinstance(state, StoredTensors) else {n: spec_of(t) for n, t in state.items()}


def require_same(ckpt: Checkpoint, cfg: Any, keys: tuple[str, ...], path: str) -> None:
    """A CheckpointError naming the first of ``keys`` (config fields) on which the run ``cfg`` and the
    checkpoint it continues (read from ``path``) differ: a continued run keeps what its weights were made for."""
    for key in keys:
        if key in ckpt.config and ckpt.config[key] != getattr(cfg, key):
            raise CheckpointError(
                f"{shown(Path(path).name)} was trained with {key} = {quoted(ckpt.config[key])}; "
                f"this run asks for {getattr(cfg, key)!r}: they must match to continue."
            )


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
