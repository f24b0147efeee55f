"""Crafted checkpoints, generated per model kind from a tiny untrained one the project's own code builds.

Each cause of a bad file (unbounded metadata, a wrong type, a dtype the app never writes, text that
would reach the terminal raw) is a function of the kind, so every kind gets every case: a case is
(id, what to write, the message it must end in). Metadata the JSON encoder would never write
(NaN, 1e999, a 400-digit integer, 5,000 levels of nesting) goes in as raw text.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save as safetensors_bytes

from explorer.core.runtime.checkpoints import FORMAT, FORMAT_VERSION, Checkpoint
from explorer.core.runtime.run_info import HISTORY_KEYS, METRIC_GROUPS

MNIST_KINDS = ("vae", "ddpm", "gan", "pixelcnn", "cvae", "cddpm", "cgan", "classifier", "noisy-classifier")
PLANE_KINDS = ("plane-score", "plane-ddpm", "plane-realnvp", "plane-fm", "plane-reflow", "gmm")
KINDS = MNIST_KINDS + PLANE_KINDS
CONTINUABLE = ("ddpm", "gan", "pixelcnn", "cddpm", "cgan")  # the kinds whose training takes --init-from
INFO = {"steps": 1, "dataset": "mnist", "training": {"device": "CPU", "seconds": 1.0}}


@functools.cache
def tiny(kind: str) -> Checkpoint:
    """An untrained checkpoint of ``kind`` at its smallest widths, as the app's training would save it."""
    if kind in PLANE_KINDS:
        return _tiny_plane(kind)
    torch.manual_seed(0)
    if kind in ("vae", "cvae"):
        from explorer.core.conditional.cvae import CVAE, CVAEConfig
        from explorer.core.vae import VAE, VAEConfig

        cfg = (VAEConfig if kind == "vae" else CVAEConfig)(hidden=8)
        net = (VAE if kind == "vae" else CVAE)(cfg.latent_dim, cfg.hidden)
    elif kind in ("ddpm", "cddpm"):
        from explorer.core.conditional.cddpm import CDDPMConfig, build_cddpm
        from explorer.core.diffusion.model import DDPMConfig, build_ddpm

        cfg = (DDPMConfig if kind == "ddpm" else CDDPMConfig)(base_channels=8, timesteps=10)
        net = (build_ddpm if kind == "ddpm" else build_cddpm)(cfg).unet
    elif kind == "gan":
        from explorer.core.gan.nets import GANConfig, _pair, build_networks

        cfg = GANConfig(channels=2, latent_dim=4)
        net = _pair(*build_networks(cfg))
    elif kind == "cgan":
        from explorer.core.cgan.nets import CGANConfig, build_conditional_networks
        from explorer.core.gan.nets import _pair

        cfg = CGANConfig(channels=2, latent_dim=4, depth=0)
        net = _pair(*build_conditional_networks(cfg))
    elif kind == "pixelcnn":
        from explorer.core.pixelcnn.model import PixelCNNConfig, build_pixelcnn

        cfg = PixelCNNConfig(channels=4, layers=1)
        net = build_pixelcnn(cfg)
    elif kind == "noisy-classifier":
        from explorer.core.conditional.noisy_classifier import NoisyClassifier, NoisyClassifierConfig

        cfg = NoisyClassifierConfig(channels=8, timesteps=10)
        net = NoisyClassifier(cfg.channels)
    else:
        from explorer.core.evaluation.classifier import ClassifierConfig, MNISTClassifier

        cfg = ClassifierConfig(channels=2)
        net = MNISTClassifier(cfg.channels, cfg.dropout)
    metrics = dict.fromkeys(METRIC_GROUPS.get(kind, ("loss",)), 1.0)
    info = {**INFO, "metrics": metrics}
    if kind in HISTORY_KEYS:
        info["history"] = [dict.fromkeys(HISTORY_KEYS[kind], 1.0) | {HISTORY_KEYS[kind][0]: 1}]
    return Checkpoint(kind, dataclasses.asdict(cfg), net.state_dict(), info)


def _tiny_plane(kind: str) -> Checkpoint:
    """A 2-D Lab or Likelihood model trained for one step on a few ring points by the app's own training code."""
    from explorer.core.likelihood.gmm import EMConfig
    from explorer.core.likelihood.gmm_checkpoint import train_gmm
    from explorer.core.plane import models
    from explorer.core.plane.data import PointSet, make_preset
    from explorer.core.plane.flow_matching import FlowMatchingConfig
    from explorer.core.plane.flow_training import train_flow_matching, train_realnvp, train_reflow
    from explorer.core.plane.realnvp import RealNVPConfig
    from explorer.core.plane.reflow import ReflowConfig
    from explorer.core.plane.training import train_plane
    from explorer.core.runtime.generators import Returning

    points = make_preset("ring")  # what --data ring loads: a reflow --from it is of the same data
    small = {"steps": 1, "batch_size": 16}

    def run(job: Any) -> Checkpoint:
        returning = Returning(job)
        for _ in returning:
            pass
        return returning.value

    if kind == "gmm":
        return train_gmm(PointSet(points, "ring"), EMConfig(components=2, iterations=1, restarts=1))
    if kind == "plane-score":
        return run(train_plane(models.ScoreConfig(hidden=16, layers=1, **small), points, "ring"))
    if kind == "plane-ddpm":
        return run(train_plane(models.DDPMConfig(hidden=16, layers=1, T=10, **small), points, "ring"))
    if kind == "plane-realnvp":
        return run(train_realnvp(RealNVPConfig(couplings=2, hidden=8, layers=1, **small), points, "ring"))
    fm = run(train_flow_matching(FlowMatchingConfig(hidden=16, layers=1, **small), points, "ring"))
    if kind == "plane-fm":
        return fm
    return run(train_reflow(ReflowConfig(hidden=16, layers=1, pairs=256, pair_nfe=2, **small), fm))


def file_bytes(
    kind: str,
    config: Any,
    info: Any,
    state: dict[str, torch.Tensor],
    raw: dict[str, str] | None = None,
    **metadata: str,
) -> bytes:
    """A safetensors file as ``save_checkpoint`` writes it; each ``raw`` key's JSON string value "@KEY" in the
    config or info text is replaced by the raw text given, and ``metadata`` overrides the header's fields."""
    texts = {"config": json.dumps(config), "info": json.dumps(info)}
    for key, text in (raw or {}).items():
        texts = {part: t.replace(json.dumps(f"@{key}"), text) for part, t in texts.items()}
    header = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "kind": kind, **texts, **metadata}
    return safetensors_bytes({k: v.contiguous() for k, v in state.items()}, metadata=header)


def _fields(cfg_cls: type) -> dict[str, str]:
    """The config's first int field, first float field and first one_of field (where it has one)."""
    found: dict[str, str] = {}
    for f in dataclasses.fields(cfg_cls):
        key = (
            "choice"
            if "choices" in f.metadata
            else {int: "int", "int": "int", float: "float", "float": "float"}.get(f.type)
        )
        if key and key not in found and f.name not in ("seed",):
            found[key] = f.name
    return found


Case = tuple[str, Callable[[Checkpoint], bytes], str]


def _config_case(name: str, field_kind: str, value: Any, message: str, raw: str | None = None) -> Callable:
    def make(kind: str, fields: dict[str, str]) -> Case | None:
        if field_kind not in fields:
            return None
        field = fields[field_kind]

        def write(ck: Checkpoint) -> bytes:
            config = {**ck.config, field: "@X" if raw is not None else value}
            return file_bytes(ck.kind, config, ck.info, dict(ck.state), {"X": raw} if raw is not None else None)

        return (f"config {field} {name}", write, message.replace("{field}", field))

    return make


def _info_case(
    name: str, change: Callable[[dict], dict], message: str, raw: str | None = None, kinds: tuple[str, ...] = ()
) -> Callable:
    """A case of a damaged record; ``kinds``: only these kinds' records are read for it (all when empty)."""

    def make(kind: str, fields: dict[str, str]) -> Case | None:
        if kinds and kind not in kinds:
            return None

        def write(ck: Checkpoint) -> bytes:
            return file_bytes(
                ck.kind, ck.config, change(dict(ck.info)), dict(ck.state), {"X": raw} if raw is not None else None
            )

        return (f"info {name}", write, message)

    return make


DEEP = "[" * 5000 + "]" * 5000
METADATA_CASES = [  # cause 1: metadata parsed without limits
    _config_case("nested 5000 deep", "int", None, r"nests 5001 levels deep \(at most 128\)", raw=DEEP),
    _config_case("a 400-digit integer", "float", None, r"an integer of 400 digits", raw="9" * 400),
    _config_case("a 400-digit integer", "int", None, r"an integer of 400 digits", raw="-" + "9" * 400),
    _config_case("1e999", "float", None, r"a number too large for a float \(1e999\)", raw="1e999"),
    _config_case("-1e999", "int", None, r"too large for a float", raw="-1e999"),
    _config_case("NaN", "float", None, r"it holds NaN, which is not a number JSON allows", raw="NaN"),
    _config_case("Infinity", "int", None, r"it holds Infinity", raw="Infinity"),
    _config_case("a 70,000-character text", "choice", "x" * 70_000, r"a text of 70,000 characters"),
    _info_case("nested 5000 deep", lambda i: {**i, "history": "@X"}, r"its info: it nests 5001 levels", raw=DEEP),
    _info_case(
        "with 1,000,001 values",
        lambda i: {**i, "history": "@X"},
        r"more than 1,000,000 values",
        raw="[" + ",".join(["0"] * 1_000_001) + "]",
    ),
    _info_case("a key twice", lambda i: {**i, "steps": "@X"}, r"names a key twice", raw='1, "steps": 2'),
    _info_case("not JSON", lambda i: {**i, "steps": "@X"}, r"is not valid JSON", raw="{"),
]
TYPE_CASES = [  # cause 1: each value's type checked before it is compared
    _config_case("as text", "int", "8", r"{field} must be an integer .*, not '8'"),
    _config_case("as a list", "int", [8], r"{field} must be an integer .*, not \[8\]"),
    _config_case("as a bool", "int", True, r"{field} must be an integer .*, not True"),
    _config_case("as a fraction", "int", 8.5, r"{field} must be an integer .*, not 8.5"),
    _config_case("as an object", "int", {"a": 1}, r"{field} must be an integer .*, not \{'a': 1\}"),
    _config_case("as null", "int", None, r"{field} must be an integer .*, not None"),
    _config_case("as text", "float", "0.1", r"{field} must be a number .*, not '0.1'"),
    _config_case("as a long list", "float", list(range(1000)), r"{field} must be a number .*, not a list of 1000"),
    _config_case("'bogus'", "choice", "bogus", r"{field} must be one of .*, not 'bogus'"),
    _config_case("as a list", "choice", ["linear"], r"{field} must be one of .*, not \['linear'\]"),
    _info_case(
        "metrics as a list", lambda i: {**i, "metrics": [1, 2]}, r"record's 'metrics' must be a table of numbers"
    ),
    _info_case(
        "a metric as text", lambda i: {**i, "metrics": {"loss": "low"}}, r"'metrics' must be a table of numbers"
    ),
    _info_case(
        "a history point without its x",
        lambda i: {**i, "history": [{"loss": 1.0}]},
        r"each point of the record's history must give (epoch|step)",
        kinds=tuple(HISTORY_KEYS),  # the 2-D Lab's records keep no history
    ),
    _info_case("history as text", lambda i: {**i, "history": "long"}, r"'history' must be a list of tables of numbers"),
    _info_case("a history point of text", lambda i: {**i, "history": [{"step": "one"}]}, r"'history' must be a list"),
    _info_case(
        "training as a list", lambda i: {**i, "training": [1]}, r"'training' must be a table of text and numbers"
    ),
    _info_case(
        "training seconds as text",
        lambda i: {**i, "training": {"seconds": "ten"}},
        r"must give its seconds as a number",
    ),
    _info_case("steps as text", lambda i: {**i, "steps": "10"}, r"'steps' must be a whole number, not '10'"),
    _info_case("steps below 0", lambda i: {**i, "steps": -1}, r"'steps' must be a whole number, not -1"),
    _info_case("without metrics", lambda i: {k: v for k, v in i.items() if k != "metrics"}, r"record lacks metrics"),
    _info_case(
        "an earlier run's steps as text",
        lambda i: {**i, "continues": {"steps": "x"}},
        r"an earlier run's record's 'steps' must be a whole number",
    ),
    _info_case(
        "an earlier run as a list", lambda i: {**i, "continues": [1]}, r"an earlier run's record is not a table"
    ),
    _info_case("a list", lambda i: [i], r"its info must be an object"),
]


def _dtype_case(dtype: torch.dtype | None, message: str) -> Callable:
    """The first float tensor stored in ``dtype`` (None: in the float width the model does not use)."""

    def make(kind: str, fields: dict[str, str]) -> Case:
        def write(ck: Checkpoint) -> bytes:
            state = dict(ck.state)
            name = next(n for n, t in state.items() if t.is_floating_point())
            other = torch.float32 if state[name].dtype == torch.float64 else torch.float64
            state[name] = state[name].to(dtype or other)
            return file_bytes(ck.kind, ck.config, ck.info, state)

        width = str(dtype).removeprefix("torch.") if dtype else "the other float width"
        return (f"weights in {width}", write, message)

    return make


DTYPE_CASES = [
    _dtype_case(d, rf"holds {w} weights \(in .*\); this app reads float32, float64 and int64 tensors only")
    for d, w in (
        (torch.float8_e4m3fn, "float8_e4m3fn"),
        (torch.float8_e5m2, "float8_e5m2"),
        (torch.float16, "float16"),
        (torch.bfloat16, "bfloat16"),
        (torch.int8, "int8"),
        (torch.uint8, "uint8"),
        (torch.int32, "int32"),
        (torch.bool, "bool"),
    )
]
DTYPE_CASES.append(_dtype_case(torch.int64, r"weight .* is int64; the model needs float(32|64)"))
DTYPE_CASES.append(
    _dtype_case(None, r"weight .* is (float64; the model needs float32|float32; the model needs float64)")
)

ESC = "\x1b[2J\x1b[31m"


def _text_case(name: str, write_fn: Callable[[Checkpoint], bytes], message: str) -> Callable:
    return lambda kind, fields: (f"text: {name}", write_fn, message)


TEXT_CASES = [  # cause 3: text from a file is quoted before it reaches a message
    _text_case(
        "kind with an escape and a newline",
        lambda ck: file_bytes(ESC + "vae\nok", ck.config, ck.info, dict(ck.state)),
        r"holds a '\\x1b\[2J\\x1b\[31mvae\\nok' model",
    ),
    _text_case(
        "a config key with an escape",
        lambda ck: file_bytes(ck.kind, {**ck.config, f"key{ESC}\n": 1}, ck.info, dict(ck.state)),
        r"does not know: 'key\\x1b\[2J\\x1b\[31m\\n'",
    ),
    _text_case(
        "a tensor name with an escape",
        lambda ck: file_bytes(ck.kind, ck.config, ck.info, {**ck.state, f"w{ESC}\n": torch.zeros(1)}),
        r"unexpected: 'w\\x1b\[2J\\x1b\[31m\\n'",
    ),
    _text_case(
        "a format version with an escape",
        lambda ck: file_bytes(ck.kind, ck.config, ck.info, dict(ck.state), format_version=f"1{ESC}"),
        r"format version '1\\x1b\[2J\\x1b\[31m'",
    ),
    _text_case(
        "a choice with an escape and a newline",
        lambda ck: file_bytes(ck.kind, {**ck.config, "seed": f"0{ESC}\n"}, ck.info, dict(ck.state)),
        r"seed must be an integer .*, not '0\\x1b\[2J\\x1b\[31m\\n'",
    ),
]


def _huge_header(ck: Checkpoint) -> bytes:
    data = file_bytes(ck.kind, ck.config, ck.info, dict(ck.state))
    return struct.pack("<Q", 2**40) + data[8:]


def _header_past_end(ck: Checkpoint) -> bytes:
    data = file_bytes(ck.kind, ck.config, ck.info, dict(ck.state))
    return struct.pack("<Q", len(data)) + data[8:]


HEADER_CASES = [
    _text_case("a header that claims 1 TB", _huge_header, r"its header claims 1,099,511,627,776 bytes"),
    _text_case("a header past the end", _header_past_end, r"its header runs past the end of the file"),
]
ALL_CAUSES = {
    "metadata bounds": METADATA_CASES,
    "value types": TYPE_CASES,
    "dtypes": DTYPE_CASES,
    "text quoted": TEXT_CASES,
    "header size": HEADER_CASES,
}


def cases(kind: str, per_cause: int | None = None) -> list[tuple[str, Case]]:
    """(cause, case) for every crafted case that applies to ``kind`` (a config without a choice field has no
    'bogus' case), or the first ``per_cause`` of each cause."""
    from explorer.core.runtime.checkpoints import config_class

    fields = _fields(config_class(kind))
    out = []
    for cause, makers in ALL_CAUSES.items():
        made = [case for case in (make(kind, fields) for make in makers) if case is not None]
        out += [(cause, case) for case in made[:per_cause]]
    return out


def write_case(folder: Path, kind: str, case: Case) -> Path:
    path = folder / f"crafted-{kind}.safetensors"
    path.write_bytes(case[1](tiny(kind)))
    return path
