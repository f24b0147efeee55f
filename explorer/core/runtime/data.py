"""The bundled MNIST data set, read straight from its gzip IDX files.

The four files ship in ``resources/datasets/mnist`` so the app trains offline;
each is checked against the SHA-256 published with it before use.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from explorer.core.runtime.errors import DataError
from explorer.core.runtime.paths import MNIST_DIR

# SHA-256 of the *uncompressed* IDX files (resources/datasets/mnist/README.md).
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
# Their uncompressed sizes: the IDX header (16 bytes for images, 8 for labels) and one byte a value.
MNIST_SIZES = {
    "train-images-idx3-ubyte.gz": 16 + 60000 * 28 * 28,
    "train-labels-idx1-ubyte.gz": 8 + 60000,
    "t10k-images-idx3-ubyte.gz": 16 + 10000 * 28 * 28,
    "t10k-labels-idx1-ubyte.gz": 8 + 10000,
}


@dataclass(frozen=True)
class Split:
    """One MNIST split: images as uint8 (N, 28, 28) and labels as int64 (N,)."""

    images: np.ndarray
    labels: np.ndarray

    def floats(self) -> np.ndarray:
        """Images as float32 in [0, 1], shape (N, 28, 28)."""
        return self.images.astype(np.float32) / 255.0


def _decompressed(path: Path, size: int) -> bytes:
    """The gzip file's content, refused as soon as it grows past the known ``size`` (a gzip bomb
    stops there, not at gigabytes) or ends short of it."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read(size + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"MNIST file {path.name} is not a valid gzip file ({exc}); {RESTORE}") from exc
    if len(raw) != size:
        raise DataError(
            f"MNIST file {path.name} unpacks to {'more' if len(raw) > size else len(raw)} bytes, "
            f"not the {size} bytes it has; {RESTORE}"
        )
    return raw


RESTORE = "restore it from the repository (git checkout -- resources) or reinstall the app."


def _read_idx(path: Path, expected_sha256: str) -> np.ndarray:
    if not path.is_file():
        raise DataError(f"MNIST file missing: {path}. The app ships it; {RESTORE}")
    raw = _decompressed(path, MNIST_SIZES[path.name])
    if hashlib.sha256(raw).hexdigest() != expected_sha256:
        raise DataError(
            f"MNIST file {path.name} is corrupt: its SHA-256 does not match the published checksum; {RESTORE}"
        )
    # IDX header: 2 zero bytes, a type code (0x08 = uint8), the number of dims, then big-endian int32 sizes.
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


@lru_cache(maxsize=2)
def load_mnist(split: str = "train", root: Path = MNIST_DIR) -> Split:
    """Load the 'train' (60,000) or 'test' (10,000) split of MNIST."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = _read_idx(root / f"{prefix}-images-idx3-ubyte.gz", MNIST_FILES[f"{prefix}-images-idx3-ubyte.gz"])
    labels = _read_idx(root / f"{prefix}-labels-idx1-ubyte.gz", MNIST_FILES[f"{prefix}-labels-idx1-ubyte.gz"])
    return Split(images=images, labels=labels.astype(np.int64))


def dataset_fingerprint() -> str:
    """A short identifier of the bundled training data, recorded in checkpoints."""
    return "mnist-train-60000-sha256:" + MNIST_FILES["train-images-idx3-ubyte.gz"][:16]


def to_model_range(images: np.ndarray) -> torch.Tensor:
    """(N, 28, 28) uint8 digits -> (N, 1, 28, 28) float32 in [-1, 1], the range the DDPM and GAN work in."""
    return torch.from_numpy(images.astype(np.float32)).unsqueeze(1) / 127.5 - 1.0
