"""The bundled MNIST: real, complete, and refused with a message when damaged."""

import gzip
import shutil

import numpy as np
import pytest

from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.errors import DataError
from explorer.core.runtime.paths import MNIST_DIR


def test_bundled_mnist_is_the_real_data_set():
    train, test = load_mnist("train"), load_mnist("test")
    assert train.images.shape == (60000, 28, 28) and test.images.shape == (10000, 28, 28)
    assert np.bincount(train.labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    pixels = train.floats()
    assert pixels.mean() == pytest.approx(0.1307, abs=1e-4) and pixels.std() == pytest.approx(0.3081, abs=1e-4)


def test_missing_and_corrupt_files_give_clear_messages(tmp_path):
    with pytest.raises(DataError, match="MNIST file missing"):
        load_mnist("test", root=tmp_path)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(MNIST_DIR / name, tmp_path / name)
    raw = bytearray(gzip.decompress((tmp_path / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    raw[100] ^= 1  # one label changed
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataError, match="corrupt"):
        load_mnist("test", root=tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="not a valid gzip"):
        load_mnist("test", root=tmp_path)
