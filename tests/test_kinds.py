"""A checkpoint's kind is named by its title in every message a user reads: load refusals, command-line
errors, the evaluation's lines; a kind read from a file that the app does not know stays quoted."""

import json
import re

import pytest
import torch
from safetensors.torch import save_file

from explorer.cli import main
from explorer.core.evaluation.evaluate import missing_message
from explorer.core.families import FAMILIES
from explorer.core.kinds import OTHER_TITLES, a_kind, kind_title
from explorer.core.runtime.checkpoints import FORMAT, FORMAT_VERSION, Checkpoint, config_class, load_checkpoint
from explorer.core.runtime.errors import ExplorerError

KINDS = [*FAMILIES, *OTHER_TITLES]
CPU = torch.device("cpu")
# A kind as the files spell it, standing alone in a sentence ("a gan model"). "classifier" is an English word
# too ("the noisy classifier"), so it cannot be told from its title; every other key can.
RAW_KIND = re.compile(
    r"(?<![\w`'\"/.-])("
    + "|".join(re.escape(k) for k in sorted(KINDS, key=len, reverse=True) if k != "classifier")
    + r")(?![\w.-])"
)


def raw_kinds(message: str) -> list[str]:
    """The raw kinds in ``message``, commands in backticks (`gen-explorer train vae`) set aside."""
    return RAW_KIND.findall(re.sub(r"`[^`]*`", "", message))


def test_every_kind_the_app_reads_has_a_title_and_an_article():
    known = [k for k in KINDS if config_class(k) is not None]
    assert sorted(known) == sorted(KINDS), "a kind without a config, or a config without a title"
    for kind in KINDS:
        assert kind_title(kind) != kind and raw_kinds(kind_title(kind)) == [], kind
    assert kind_title("gan") == "GAN" and kind_title("cddpm") == "class-conditional DDPM"
    assert [a_kind(k) for k in ("vae", "classifier", "noisy-classifier", "plane-fm")] == [
        "a VAE",
        "an MNIST classifier",
        "a noisy classifier",
        "a 2-D Lab flow-matching field",
    ]
    assert a_kind("gmm", capital=True) == "A Gaussian mixture"
    assert kind_title("\x1b[2Jvae") == "'\\x1b[2Jvae' model"  # from a file: escaped, never acted on


def _file_of_kind(path, kind):
    metadata = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "kind": kind,
        "config": json.dumps({}),
        "info": json.dumps({}),
    }
    save_file({"w": torch.zeros(1)}, str(path), metadata=metadata)
    return path


def _refusal(call) -> str:
    with pytest.raises(ExplorerError) as caught:
        call()
    return str(caught.value)


def test_no_refusal_names_a_model_by_its_raw_kind(tmp_path, capsys, monkeypatch):
    from explorer.core.likelihood.gmm_checkpoint import mixture_from_checkpoint
    from explorer.core.plane.draw import load_plane_model, model_from_checkpoint
    from explorer.core.plane.flow_training import flow_from_checkpoint, reflow_teacher
    from explorer.core.plane.reflow import ReflowConfig
    from explorer.core.runtime.memory import check_training_memory

    messages = []
    for found in KINDS:
        path = _file_of_kind(tmp_path / f"{found}.safetensors", found)
        for asked in KINDS:
            if asked != found:
                messages.append(_refusal(lambda p=path, a=asked: load_checkpoint(p, kind=a)))
        ckpt = Checkpoint(found, {}, {})
        if not found.startswith("plane-"):
            messages.append(_refusal(lambda c=ckpt: model_from_checkpoint(c)))
            messages.append(_refusal(lambda p=path: load_plane_model(p)))
        if found not in ("plane-realnvp", "plane-fm", "plane-reflow"):
            messages.append(_refusal(lambda c=ckpt: flow_from_checkpoint(c)))
        if found not in ("plane-fm", "plane-reflow"):
            messages.append(_refusal(lambda c=ckpt: reflow_teacher(ReflowConfig(), c)))
        if found != "gmm":
            messages.append(_refusal(lambda c=ckpt: mixture_from_checkpoint(c)))
    monkeypatch.setattr("explorer.core.runtime.memory.free_bytes", lambda device: 1)
    for name, family in FAMILIES.items():
        messages.append(missing_message(name, tmp_path / "none.safetensors"))
        cfg = family.config()
        messages.append(_refusal(lambda n=name, c=cfg: check_training_memory(n, c, CPU, measure=lambda k, c: 2)))
        refused = {  # options this family does not take: refused before any digit is drawn
            "--guidance": not family.guided,
            "--digit": not family.conditional,
            "--eta": not family.takes_sampler,
            "--classifier-scale": family.conditional or not family.takes_sampler,
        }
        for option in (o for o, refuse in refused.items() if refuse):
            assert main(["sample", name, "--out", str(tmp_path / "s.npy"), option, "1"]) == 2
            if option in ("--guidance", "--eta"):
                assert main(["eval", name, option, "1"]) == 2
    messages += [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(messages) > len(KINDS) ** 2
    named = {message: raw_kinds(message) for message in messages}
    assert {m: k for m, k in named.items() if k} == {}
