"""A safetensors file read as the app needs it: its header first, bounded and checked, its tensors
only when asked for, one by one.

The header says every tensor's name, dtype and shape, so a checkpoint is compared with the model
it must fill before any weight is read, and a tensor the model does not need (an extra 3 GB one)
is never read at all. Only the dtypes the app writes are read; any other is refused by name.
"""

from __future__ import annotations

import math
import os
import stat
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from explorer.core.runtime.bounded_json import BoundedJSONError, loads_bounded
from explorer.core.runtime.errors import CheckpointError
from explorer.core.runtime.quoting import quoted, shown

MAX_HEADER_BYTES = 16 * 2**20  # the shipped GAN's header, with its 2,400-point history, is 0.36 MB
MAX_DIMS = 8
# The dtypes the app writes (weights in float32, a Gaussian mixture's parameters in float64, counters such as
# BatchNorm's in int64): the only ones it reads; a model still takes only the dtype each of its tensors has.
READABLE = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
ITEM_BYTES = {
    "F64": 8,
    "F32": 4,
    "F16": 2,
    "BF16": 2,
    "I64": 8,
    "I32": 4,
    "I16": 2,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "U16": 2,
    "U32": 4,
    "U64": 8,
}
DTYPE_WORDS = {
    "F64": "float64",
    "F32": "float32",
    "F16": "float16",
    "BF16": "bfloat16",
    "I64": "int64",
    "I32": "int32",
    "I16": "int16",
    "I8": "int8",
    "U8": "uint8",
    "BOOL": "bool",
    "F8_E4M3": "float8_e4m3fn",
    "F8_E5M2": "float8_e5m2",
    "U16": "uint16",
    "U32": "uint32",
    "U64": "uint64",
}
TORCH_NAMES = {
    torch.float32: "F32",
    torch.int64: "I64",
    torch.float64: "F64",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int32: "I32",
    torch.int16: "I16",
    torch.int8: "I8",
    torch.uint8: "U8",
    torch.bool: "BOOL",
}


@dataclass(frozen=True)
class TensorSpec:
    """What the header says of one tensor: its dtype (safetensors' name, e.g. 'F32') and shape."""

    dtype: str
    shape: tuple[int, ...]

    @property
    def words(self) -> str:
        return DTYPE_WORDS.get(self.dtype, quoted(self.dtype))


def spec_of(tensor: torch.Tensor) -> TensorSpec:
    return TensorSpec(TORCH_NAMES.get(tensor.dtype, str(tensor.dtype)), tuple(tensor.shape))


@dataclass(frozen=True)
class Header:
    """A safetensors header: its metadata (text to text) and where each tensor lies in the data."""

    metadata: dict[str, str]
    tensors: dict[str, TensorSpec]
    offsets: dict[str, tuple[int, int]]  # into the file, from its first byte
    size: int  # of the file when the header was read


def _open_regular(path: Path) -> int:
    """A descriptor for ``path`` if it is a regular file; never blocks on a FIFO or a device."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise CheckpointError(f"Cannot read {shown(path)}: {exc.strerror or exc}.") from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise CheckpointError(
            f"{shown(path)} is not a regular file (a folder, a pipe or a device); choose a checkpoint file."
        )
    return fd


def read_header(path: str | os.PathLike[str]) -> Header:
    """The header of the safetensors file at ``path``, every size bounded and every entry checked against
    the file's length; CheckpointError (one line) for anything else."""
    path = Path(path)
    name = shown(path.name)
    unreadable = f"{name} is not a readable checkpoint: it is corrupt, truncated or not a safetensors file"
    fd = _open_regular(path)
    try:
        size = os.fstat(fd).st_size
        head = os.pread(fd, 8, 0)
        if len(head) < 8:
            raise CheckpointError(f"{unreadable} (it is {size} bytes long).")
        (length,) = struct.unpack("<Q", head)
        if length > MAX_HEADER_BYTES:
            raise CheckpointError(
                f"{unreadable} (its header claims {length:,} bytes; "
                f"a checkpoint's header is at most {MAX_HEADER_BYTES:,})."
            )
        if 8 + length > size:
            raise CheckpointError(f"{unreadable} (its header runs past the end of the file).")
        raw = os.pread(fd, length, 8)
    except OSError as exc:
        raise CheckpointError(f"Cannot read {name}: {exc.strerror or exc}.") from exc
    finally:
        os.close(fd)
    try:
        table = loads_bounded(raw.decode("utf-8"), max_string=MAX_HEADER_BYTES)
    except UnicodeDecodeError as exc:
        raise CheckpointError(f"{unreadable} (its header is not UTF-8 text).") from exc
    except BoundedJSONError as exc:
        raise CheckpointError(f"{unreadable} (its header: {exc}).") from exc
    if not isinstance(table, dict):
        raise CheckpointError(f"{unreadable} (its header is not a table of tensors).")
    metadata = table.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError(f"{unreadable} (its metadata is not text)")
    data_start, data_size = 8 + length, size - 8 - length
    tensors, offsets = {}, {}
    for tensor, entry in table.items():
        spec, (begin, end) = _entry(entry, tensor, data_size, unreadable)
        tensors[tensor], offsets[tensor] = spec, (data_start + begin, data_start + end)
    return Header(metadata, tensors, offsets, size)


def _entry(entry: Any, tensor: str, data_size: int, unreadable: str) -> tuple[TensorSpec, tuple[int, int]]:
    """One tensor's entry in the header, checked: a known dtype the app reads, a shape, offsets in the file."""
    where = f"(the entry of {quoted(tensor)} is damaged)"
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise CheckpointError(f"{unreadable} {where}.")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or dtype not in ITEM_BYTES:
        raise CheckpointError(f"{unreadable} {where}: unknown dtype {quoted(dtype)}.")
    if dtype not in READABLE:
        raise CheckpointError(
            f"{unreadable.split(' is not')[0]} holds {DTYPE_WORDS[dtype]} weights "
            f"(in {quoted(tensor)}); this app reads float32, float64 and int64 tensors only, "
            "the dtypes it writes."
        )
    if not isinstance(shape, list) or not isinstance(offsets, list) or len(shape) > MAX_DIMS or len(offsets) != 2:
        raise CheckpointError(f"{unreadable} {where}.")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (*shape, *offsets)):
        raise CheckpointError(f"{unreadable} {where}.")
    begin, end = offsets
    if not begin <= end <= data_size or end - begin != math.prod(shape) * ITEM_BYTES[dtype]:
        raise CheckpointError(f"{unreadable} {where}: its data does not fit the file.")
    return TensorSpec(dtype, tuple(shape)), (begin, end)


class StoredTensors(Mapping[str, torch.Tensor]):
    """A checkpoint's tensors, each read from the file (and kept) when first asked for, checked
    against the header it was listed with and for NaN or infinite values."""

    def __init__(self, path: Path, header: Header) -> None:
        self.path = path
        self.header = header
        self.specs = header.tensors
        self._read: dict[str, torch.Tensor] = {}

    def __getitem__(self, name: str) -> torch.Tensor:
        if name not in self._read:
            self._read.update(self.read([name]))
        return self._read[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def keep(self, tensors: dict[str, torch.Tensor]) -> None:
        """Keep tensors already read, so that asking for them again does not go back to the file."""
        self._read.update(tensors)

    def read(self, names: list[str]) -> dict[str, torch.Tensor]:
        """The tensors ``names`` (from the header), read with one opening of the file."""
        label = shown(self.path.name)
        fd = _open_regular(self.path)
        try:
            if os.fstat(fd).st_size != self.header.size:
                raise CheckpointError(f"{label} changed while it was being read; load it again.")
            out = {}
            for name in names:
                spec, (begin, end) = self.specs[name], self.header.offsets[name]
                data = bytearray(end - begin) if end > begin else bytearray(1)
                if end > begin and os.preadv(fd, [data], begin) != end - begin:
                    raise CheckpointError(f"{label} changed while it was being read; load it again.")
                tensor = torch.frombuffer(data, dtype=READABLE[spec.dtype])[: math.prod(spec.shape)]
                tensor = tensor.reshape(spec.shape)
                if tensor.is_floating_point() and not torch.isfinite(tensor).all():
                    raise CheckpointError(f"{label} contains NaN or infinite weights (in {quoted(name)}).")
                out[name] = tensor
            return out
        except OSError as exc:
            raise CheckpointError(f"Cannot read {label}: {exc.strerror or exc}.") from exc
        finally:
            os.close(fd)
