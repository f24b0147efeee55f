"""Where the project's shipped files live (the repository's top level)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
CHECKPOINTS = ROOT / "checkpoints"
MNIST_DIR = RESOURCES / "datasets" / "mnist"
