"""The wheel: it carries MNIST (with its licence) and the shipped checkpoints, and the app runs
from it without the source tree; the File dialogs keep user files out of the package."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
MNIST_FILES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]
CHECKPOINT_FILES = sorted(p.name for p in (REPO / "checkpoints").glob("*.safetensors"))  # all ship
SHIPPED = "explorer/_shipped"


def _run(cmd, **kwargs):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built as `pip install .` builds it, from a copy of the source (so the
    build's own build/ and *.egg-info folders neither land in nor leak from the checkout)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("pyproject.toml", "README.md", "MANIFEST.in", "explorer", "resources", "checkpoints"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, src / name, ignore=ignore)
        elif (REPO / name).exists():
            shutil.copy2(REPO / name, src / name)
    _run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation", "-w", str(tmp / "dist")])
    (built,) = (tmp / "dist").glob("gen_explorer-*.whl")
    return built


def test_the_wheel_carries_mnist_its_licence_and_the_checkpoints(wheel):
    with zipfile.ZipFile(wheel) as zf:
        sizes = {info.filename: info.file_size for info in zf.infolist()}
        licence = zf.read(f"{SHIPPED}/resources/datasets/mnist/README.md").decode()
    for name in [*MNIST_FILES, "README.md"]:
        source = REPO / "resources" / "datasets" / "mnist" / name
        assert sizes.get(f"{SHIPPED}/resources/datasets/mnist/{name}") == source.stat().st_size, name
    for name in CHECKPOINT_FILES:
        assert sizes.get(f"{SHIPPED}/checkpoints/{name}") == (REPO / "checkpoints" / name).stat().st_size, name
    assert "Creative Commons Attribution-Share Alike 3.0" in licence and "LeCun" in licence
    # Every module of the source tree (pyproject.toml lists the packages by hand).
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "explorer").rglob("*.py")}
    assert modules - set(sizes) == set()
    # Not the README's screenshots, nor the tests.
    assert not any("screenshots" in name or name.endswith(".png") or name.startswith("tests/") for name in sizes)


def test_the_installed_wheel_runs_without_the_source_tree(wheel, tmp_path):
    site = tmp_path / "site"
    _run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "--target", str(site), str(wheel)])
    assert "explorer.__main__" in (site / "bin" / "gen-explorer").read_text()
    work = tmp_path / "elsewhere"
    work.mkdir()
    # The test interpreter, for torch and the rest; the wheel's copy first on the path. The
    # checkout's editable install, if any, hooks in after the path (sys.meta_path's end).
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONNOUSERSITE": "1", "GEN_EXPLORER_DATA": str(tmp_path / "data")}

    _run([sys.executable, "-m", "explorer", "sample", "vae", "-n", "4", "--out", "x.npy"], cwd=work, env=env)
    samples = np.load(work / "x.npy")
    assert samples.shape == (4, 28, 28)

    probe = (
        "import json, sys\n"
        "import explorer\n"
        "from explorer.core.runtime import paths\n"
        "from explorer.core.runtime.data import load_mnist\n"
        "split = load_mnist('test')\n"
        "files = [getattr(m, '__file__', None) or '' for m in list(sys.modules.values())]\n"
        "print(json.dumps({'package': explorer.__file__, 'root': str(paths.ROOT),\n"
        "    'checkpoints': sorted(p.name for p in paths.CHECKPOINTS.glob('*.safetensors')),\n"
        "    'test_images': len(split.labels), 'files': files}))\n"
    )
    seen = json.loads(_run([sys.executable, "-c", probe], cwd=work, env=env).stdout.strip().splitlines()[-1])
    assert Path(seen["package"]).is_relative_to(site)
    assert Path(seen["root"]) == site / "explorer" / "_shipped"
    assert seen["checkpoints"] == sorted(CHECKPOINT_FILES)
    assert seen["test_images"] == 10_000
    assert not [f for f in seen["files"] if Path(f).is_relative_to(REPO / "explorer")]


def test_file_dialogs_start_in_the_user_folder_not_the_package(monkeypatch, tmp_path):
    from explorer.core.runtime.paths import CHECKPOINTS
    from explorer.ui.main_window import MainWindow

    mine = tmp_path / "user" / "gen-explorer"
    monkeypatch.setenv("GEN_EXPLORER_DATA", str(mine))
    assert MainWindow.load_dialog_folder() == CHECKPOINTS  # nothing saved yet: the shipped ones
    assert MainWindow.save_dialog_folder() == mine and mine.is_dir()  # made on first save
    assert MainWindow.load_dialog_folder() == CHECKPOINTS  # an empty folder is not worth starting in
    (mine / "vae-mine.safetensors").write_bytes(b"")
    assert MainWindow.load_dialog_folder() == mine
