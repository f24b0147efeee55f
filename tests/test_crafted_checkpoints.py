"""Crafted checkpoints of every kind, through every way in (the loader, `sample`, `eval`, `train --init-from`
and the window's File ▸ Load): each ends in one line that says what is wrong, quoted, and loses nothing.
A seeded fuzz of a real checkpoint's header bytes and metadata holds the same promise at random.

The files are generated per kind from a tiny untrained checkpoint (tests/crafted.py), one function per cause.
"""

from __future__ import annotations

import json
import os
import random
import re
import struct
import time
from pathlib import Path

import pytest
import torch
from crafted import CONTINUABLE, KINDS, PLANE_KINDS, cases, file_bytes, tiny, write_case

from explorer.cli import main
from explorer.core.conditional.noisy_classifier import noisy_classifier_from_checkpoint
from explorer.core.evaluation.classifier import classifier_from_checkpoint
from explorer.core.families import FAMILIES
from explorer.core.likelihood.gmm_checkpoint import mixture_from_checkpoint
from explorer.core.plane.draw import load_plane_model
from explorer.core.runtime.checkpoints import load_checkpoint, save_checkpoint
from explorer.core.runtime.errors import ExplorerError

TINY_RUN = {
    "ddpm": ["--steps", "1", "--base-channels", "8", "--timesteps", "10", "--train-limit", "64", "--batch-size", "8"],
    "cddpm": ["--steps", "1", "--base-channels", "8", "--timesteps", "10", "--train-limit", "64", "--batch-size", "8"],
    "gan": ["--steps", "1", "--channels", "2", "--latent-dim", "4", "--train-limit", "64", "--batch-size", "8"],
    "pixelcnn": ["--steps", "1", "--channels", "4", "--layers", "1", "--train-limit", "64", "--batch-size", "8"],
    "cgan": [
        "--steps",
        "1",
        "--channels",
        "2",
        "--latent-dim",
        "4",
        "--depth",
        "0",
        "--train-limit",
        "64",
        "--batch-size",
        "8",
    ],
}


def load_any(path: Path, kind: str) -> None:
    """Load ``path`` as the app loads a ``kind`` model: header, config, record, then the weights into the net."""
    if kind == "classifier":
        classifier_from_checkpoint(load_checkpoint(path, kind="classifier"))
    elif kind == "noisy-classifier":
        noisy_classifier_from_checkpoint(load_checkpoint(path, kind=kind))
    elif kind == "gmm":
        mixture_from_checkpoint(load_checkpoint(path, kind="gmm"))
    elif kind in PLANE_KINDS:
        load_plane_model(path)
    else:
        FAMILIES[kind].load(path)


def one_clean_line(text: str) -> bool:
    return "\n" not in text and "\x1b" not in text and "\r" not in text


ALL_CASES = [(kind, cause, case) for kind in KINDS for cause, case in cases(kind)]


@pytest.mark.parametrize("kind", KINDS)
def test_the_tiny_checkpoint_of_each_kind_loads(kind, tmp_path):
    load_any(save_checkpoint(tmp_path / "ok.safetensors", tiny(kind)), kind)


@pytest.mark.parametrize("kind, cause, case", ALL_CASES, ids=[f"{k}: {c[0]}" for k, _, c in ALL_CASES])
def test_every_crafted_file_of_every_kind_is_one_quoted_line(kind, cause, case, tmp_path):
    path = write_case(tmp_path, kind, case)
    with pytest.raises(ExplorerError) as failure:
        load_any(path, kind)
    assert re.search(case[2], str(failure.value)), str(failure.value)
    assert one_clean_line(str(failure.value))


def _commands(kind: str, path: Path, tmp: Path) -> dict[str, list[str]]:
    commands = {}
    if kind in FAMILIES:
        commands["sample"] = [
            "sample",
            kind,
            "-n",
            "1",
            "--out",
            str(tmp / "s.npy"),
            "--checkpoint",
            str(path),
            "--device",
            "cpu",
        ]
        commands["eval"] = ["eval", kind, "-n", "50", "--checkpoint", str(path), "--device", "cpu"]
    if kind in PLANE_KINDS:
        commands["plane sample"] = ["plane", "sample", str(path), "-n", "1", "--out", str(tmp / "s.csv")]
    if kind in ("plane-realnvp", "plane-fm", "plane-reflow", "gmm"):
        commands["plane nll"] = ["plane", "nll", str(path), "--data", "ring", "-n", "10"]
    if kind in ("plane-fm", "plane-reflow"):
        commands["plane train reflow --from"] = [
            *("plane", "train", "reflow", "--data", "ring", "--from", str(path)),
            *("--steps", "1", "--pairs", "256", "--pair-nfe", "2", "--out", str(tmp / "new.safetensors")),
        ]
    if kind in CONTINUABLE:
        commands["init-from"] = [
            "train",
            kind,
            *TINY_RUN[kind],
            "--init-from",
            str(path),
            "--out",
            str(tmp / "new.safetensors"),
            "--device",
            "cpu",
        ]
    return commands


# The first two cases of each cause, for each kind, through each command that reads a checkpoint.
COMMAND_CASES = [
    (kind, command, case)
    for kind in KINDS
    for _, case in cases(kind, per_cause=2)
    for command in _commands(kind, Path(), Path())
]


@pytest.mark.parametrize(
    "kind, command, case", COMMAND_CASES, ids=[f"{c} {k}: {case[0]}" for k, c, case in COMMAND_CASES]
)
def test_a_crafted_file_is_one_line_and_exit_2_from_every_command(kind, command, case, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GEN_EXPLORER_DATA", str(tmp_path / "data"))
    path = write_case(tmp_path, kind, case)
    before = sorted(p.name for p in tmp_path.iterdir())
    try:
        code = main(_commands(kind, path, tmp_path)[command])
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert re.search(case[2], lines[0]) and one_clean_line(lines[0]), lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


GUI_KINDS = [kind for kind in KINDS if kind in FAMILIES]


@pytest.mark.parametrize("kind", GUI_KINDS)
def test_file_load_of_a_crafted_file_is_a_dialog_and_nothing_on_screen_changes(kind, qtbot, tmp_path):
    from explorer.ui.main_window import KIND_PANELS, MainWindow

    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    good = save_checkpoint(tmp_path / "good.safetensors", tiny(kind))
    assert win.load_checkpoint(str(good)), win.last_error
    panel = win.panels[KIND_PANELS[kind]]
    models = getattr(panel, "model_panels", (panel,))
    before = [(p.model, p.checkpoint, p.model_info.text()) for p in models]
    elsewhere = "gan" if kind == "vae" else "vae"
    win.show_panel(elsewhere)  # a crafted file must not even switch the tab
    chosen = cases(kind, per_cause=2) + [(c, case) for c, case in cases(kind) if case[0].startswith("info ")]
    for _, case in chosen:  # the first of each cause, and every damaged record (that once left a panel half-switched)
        assert not win.load_checkpoint(str(write_case(tmp_path, kind, case)))
        assert re.search(case[2], win.last_error) and one_clean_line(win.last_error), win.last_error
        assert win.tabs.current_name() == elsewhere
        assert [(p.model, p.checkpoint, p.model_info.text()) for p in models] == before
    win._error_box.close()


def _gmm_with(**tensors: torch.Tensor) -> bytes:
    ck = tiny("gmm")
    return file_bytes("gmm", ck.config, ck.info, {**dict(ck.state), **tensors})


@pytest.mark.parametrize(
    "data, says",
    [
        (_gmm_with(weights=torch.tensor([0.7, 0.7], dtype=torch.float64)), r"weights are not a probability vector"),
        (_gmm_with(weights=torch.tensor([1.5, -0.5], dtype=torch.float64)), r"weights are not a probability vector"),
        (
            _gmm_with(covariances=-torch.eye(2, dtype=torch.float64).repeat(2, 1, 1)),
            r"covariances are not symmetric positive definite",
        ),
        (
            _gmm_with(covariances=torch.tensor([[1.0, 0.5], [0.0, 1.0]], dtype=torch.float64).repeat(2, 1, 1)),
            r"covariances are not symmetric positive definite",
        ),
        (
            file_bytes("gmm", {**tiny("gmm").config, "components": 3}, tiny("gmm").info, dict(tiny("gmm").state)),
            r"weight weights has shape \(2,\), but its config makes a model that needs \(3,\)",
        ),
    ],
    ids=["weights above 1", "a negative weight", "negative covariances", "an asymmetric covariance", "K says 3"],
)
def test_a_gmm_whose_numbers_do_not_make_a_mixture_is_one_line(data, says, tmp_path, capsys):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(data)
    with pytest.raises(ExplorerError, match=says):
        load_any(path, "gmm")
    for argv in (
        ["plane", "sample", str(path), "--out", str(tmp_path / "s.csv")],
        ["plane", "nll", str(path), "--data", "ring"],
    ):
        assert main(argv) == 2
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 1 and re.search(says, lines[0]), lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.safetensors"]


@pytest.mark.parametrize(
    "record, says",
    [
        ({"reflow_of": {"generation": "x"}}, r"reflow generation 'x'; a whole number is needed"),
        ({"reflow_of": {"generation": 10**6}}, r"reflow generation 1000000; a whole number is needed"),
        ({"dataset": "ring"}, r"trained on other data \('ring', fingerprint None\)"),
        ({"dataset": {"source": "\x1b[2J"}}, r"trained on other data \('\\x1b\[2J', fingerprint None\)"),
    ],
    ids=["a generation as text", "a generation past the limit", "its data as text", "its data's source escaped"],
)
def test_a_reflow_from_a_teacher_with_a_strange_record_is_one_line(record, says, tmp_path, capsys):
    ck = tiny("plane-fm")
    path = tmp_path / "teacher.safetensors"
    path.write_bytes(file_bytes("plane-fm", ck.config, {**ck.info, **record}, dict(ck.state)))
    argv = ["plane", "train", "reflow", "--data", "ring", "--from", str(path), "--steps", "1"]
    assert main([*argv, "--pairs", "256", "--pair-nfe", "2", "--out", str(tmp_path / "new.safetensors")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and re.search(says, lines[0]) and one_clean_line(lines[0]), lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["teacher.safetensors"]


@pytest.mark.parametrize("kind", PLANE_KINDS)
def test_file_load_of_a_crafted_lab_file_is_a_dialog_and_nothing_changes(kind, qtbot, tmp_path):
    """The 2-D Lab's and the Likelihood tab's files are not loaded by File ▸ Load; a crafted one is still one
    quoted line in a dialog, and the tab on show stays."""
    from explorer.ui.main_window import MainWindow

    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    win.show_panel("gan")
    for _, case in cases(kind, per_cause=2):
        assert not win.load_checkpoint(str(write_case(tmp_path, kind, case)))
        assert one_clean_line(win.last_error) and win.tabs.current_name() == "gan", win.last_error
    win._error_box.close()


def test_file_load_of_a_pipe_is_refused_at_once(qtbot, tmp_path):
    from explorer.ui.main_window import MainWindow

    win = MainWindow(device="cpu")
    qtbot.addWidget(win)
    os.mkfifo(tmp_path / "pipe.safetensors")
    started = time.monotonic()
    assert not win.load_checkpoint(str(tmp_path / "pipe.safetensors"))  # nobody writes to it: opening would block
    assert time.monotonic() - started < 5 and "is not a regular file" in win.last_error
    win._error_box.close()


def test_damaged_and_missing_shipped_checkpoints_are_one_dialog_and_the_window_opens(qtbot, tmp_path, monkeypatch):
    from explorer.ui.main_window import MainWindow

    monkeypatch.setattr("explorer.core.families.CHECKPOINTS", tmp_path)
    by_id = {kind: {case[0]: case for _, case in cases(kind)} for kind in ("vae", "ddpm", "pixelcnn")}
    for kind, case_id in (
        ("vae", "weights in float8_e4m3fn"),
        ("ddpm", "config timesteps nested 5000 deep"),
        ("pixelcnn", "info metrics as a list"),
    ):
        (tmp_path / f"{kind}.safetensors").write_bytes(by_id[kind][case_id][1](tiny(kind)))
    win = MainWindow(device="cpu")  # the GAN, CVAE and CDDPM files are missing
    qtbot.addWidget(win)
    for name in ("vae", "diffusion", "pixelcnn", "gan", "conditional"):
        win.tabs.panel(name)
    win.load_shipped_checkpoints()
    for text in (
        "float8_e4m3fn",
        "nests 5001 levels",
        "'metrics' must be a table of numbers",
        "gan.safetensors is missing",
        "cvae.safetensors is missing",
        "cddpm.safetensors is missing",
    ):
        assert text in win.last_error, text
    assert win._error_box.isVisible()
    assert all(win.panels[name].model is None for name in ("vae", "diffusion", "pixelcnn", "gan"))
    win._error_box.close()


def test_a_huge_extra_tensor_is_refused_from_the_header_without_being_read(tmp_path, monkeypatch):
    """A valid checkpoint with one extra 3 GB tensor (a sparse file): refused by name, never read."""
    from explorer.core.runtime.tensor_file import StoredTensors

    ck = tiny("vae")
    data = file_bytes("vae", ck.config, ck.info, dict(ck.state))
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    body = data[8 + length :]
    extra = 3 * 2**30
    header["extra"] = {"dtype": "F32", "shape": [extra // 4], "data_offsets": [len(body), len(body) + extra]}
    text = json.dumps(header).encode()
    path = tmp_path / "extra.safetensors"
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + body)
        f.truncate(8 + len(text) + len(body) + extra)  # sparse: costs no disk
    read: list[str] = []
    real = StoredTensors.read
    monkeypatch.setattr(StoredTensors, "read", lambda self, names: (read.extend(names), real(self, names))[1])
    with pytest.raises(ExplorerError, match=r"unexpected: extra"):
        load_any(path, "vae")
    assert read == []


def test_only_the_tensors_the_model_needs_are_read(tmp_path, monkeypatch):
    from explorer.core.runtime.tensor_file import StoredTensors

    read: list[str] = []
    real = StoredTensors.read
    monkeypatch.setattr(StoredTensors, "read", lambda self, names: (read.extend(names), real(self, names))[1])
    path = save_checkpoint(tmp_path / "ok.safetensors", tiny("vae"))
    ckpt = load_checkpoint(path)
    assert read == []  # the header alone
    FAMILIES["vae"].from_checkpoint(ckpt)
    assert sorted(read) == sorted(tiny("vae").state)
    path.write_bytes(b"replaced")  # later uses keep what was read, and never go back to the file
    assert set(dict(ckpt.state)) == set(tiny("vae").state)


# ---- the fuzz ------------------------------------------------------------------------------------------------
JUNK = [
    "[" * 3000 + "]" * 3000,
    "9" * 400,
    "-" + "9" * 30,
    "1e999",
    "NaN",
    "-Infinity",
    "null",
    "true",
    "[]",
    "{}",
    '"\\u001b[2J\\n"',
    '"' + "x" * 70_000 + '"',
    "0.5",
    "-1",
    "1e308",
    '{"steps": "x"}',
    '[{"step": "a"}]',
    '"bogus"',
    "[1, [2, [3]]]",
    '{"a": {"b": {"c": null}}}',
]


def _paths(value, prefix=()):
    """Every path to a value inside decoded JSON (keys and indexes), with a stack."""
    out, stack = [], [(prefix, value)]
    while stack:
        path, item = stack.pop()
        out.append(path)
        if isinstance(item, dict):
            stack.extend(((*path, k), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend(((*path, i), v) for i, v in enumerate(item[:5]))
    return out


def _mutated_metadata(rng: random.Random, kind: str) -> bytes:
    ck = tiny(kind)
    parts = {"config": dict(ck.config), "info": json.loads(json.dumps(ck.info))}
    part = rng.choice(list(parts))
    path = rng.choice(_paths(parts[part]))
    if not path:
        parts[part] = "@X"
    else:
        holder = parts[part]
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = "@X"
    return file_bytes(kind, parts["config"], parts["info"], dict(ck.state), {"X": rng.choice(JUNK)})


def _mutated_bytes(rng: random.Random, kind: str) -> bytes:
    data = bytearray(file_bytes(kind, tiny(kind).config, tiny(kind).info, dict(tiny(kind).state)))
    (length,) = struct.unpack("<Q", data[:8])
    how = rng.random()
    if how < 0.6:  # flip a few bytes of the header (its length field included)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(8 + length)
            data[at] ^= 1 << rng.randrange(8)
    elif how < 0.8:  # cut the file short
        del data[rng.randrange(len(data)) :]
    else:  # rewrite one tensor's entry: its dtype, shape or offsets
        header = json.loads(data[8 : 8 + length])
        name = rng.choice([k for k in header if k != "__metadata__"])
        field = rng.choice(["dtype", "shape", "data_offsets"])
        header[name][field] = rng.choice(["F8_E4M3", "I8", "F64", "X", [1, 2], [-1], [0, 2**62], [], None, "F32"])
        text = json.dumps(header).encode()
        data = bytearray(struct.pack("<Q", len(text)) + text + data[8 + length :])
    return bytes(data)


def test_a_seeded_fuzz_of_header_bytes_and_metadata_ends_in_one_line_or_a_clean_load(tmp_path):
    rng = random.Random(37)
    started, outcomes = time.monotonic(), {"loaded": 0, "refused": 0}
    path = tmp_path / "fuzzed.safetensors"
    for i in range(300):
        kind = KINDS[i % len(KINDS)]
        path.write_bytes((_mutated_metadata if i % 2 else _mutated_bytes)(rng, kind))
        try:
            load_any(path, kind)
            outcomes["loaded"] += 1
        except ExplorerError as exc:
            assert one_clean_line(str(exc)) and len(str(exc)) < 1000, (i, str(exc))
            outcomes["refused"] += 1
    assert time.monotonic() - started < 20
    assert outcomes["refused"] > 150 and outcomes["loaded"] > 0, outcomes
