"""Safe file writes: a reader sees the old file or the new one, never half of one.

Three guarantees, whatever the user does:
- ``check_target`` refuses an output path that cannot take a file *before* any work is
  spent filling it (a folder, a device such as /dev/full, a read-only place);
- ``atomic_write`` writes beside the target and renames over it, so a crash or a kill
  leaves the previous file whole; temporary files of writers that died are swept;
- Ctrl-C during a write cancels the write (the old file stays, no temporary is left),
  and one that comes after the rename finds the new file complete.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from explorer.core.runtime.errors import ExplorerError


class OutputError(ExplorerError):
    """An output path cannot take the file the user asked for."""


def check_target(path: str | os.PathLike[str], option: str = "--out") -> Path:
    """Refuse ``path`` unless it is a regular file or absent, in a folder this process can write.

    The folder is probed by creating (and removing) a file in it, the only test that also
    holds for root and for read-only file systems.
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file (a device, a pipe or a socket)"
        raise OutputError(f"{option} {path} is {what}; give the path of a file to write.")
    folder = path.parent
    while not folder.exists():  # atomic_write creates missing folders: probe the first that exists
        folder = folder.parent
    if not folder.is_dir():
        raise OutputError(f"{option} {path}: {folder} is a file, not a folder.")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise OutputError(f"{option} {path}: cannot write in {folder} ({exc.strerror or exc}).") from exc
    return path


class _DeferredInterrupt:
    """Holds back SIGINT and SIGTERM while a file is written, so that either cancels the write cleanly."""

    def __init__(self) -> None:
        self.pending = False

    def __call__(self, signum: int, frame: object) -> None:
        self.pending = True


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[_DeferredInterrupt]:
    """In the main thread, record SIGINT and SIGTERM instead of acting on them; the writer checks
    ``pending`` before its one irrevocable step, the rename."""
    deferred = _DeferredInterrupt()
    if threading.current_thread() is not threading.main_thread():
        yield deferred
        return
    previous = {sig: signal.signal(sig, deferred) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield deferred
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_TMP = re.compile(r"\.(?P<name>.+)\.tmp-(?P<pid>\d+)")


def _sweep_stale_temporaries(path: Path) -> None:
    """Remove ``.NAME.tmp-PID`` files beside ``path`` left by writers that were killed."""
    for tmp in path.parent.glob(f".{path.name}.tmp-*"):
        match = _TMP.fullmatch(tmp.name)
        if not match or int(match["pid"]) == os.getpid():
            continue
        try:
            os.kill(int(match["pid"]), 0)
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except (PermissionError, OverflowError):
            pass  # a live process of another user, or no such pid at all: leave it


def atomic_write(path: str | os.PathLike[str], payload: bytes) -> Path:
    """Write ``payload`` to a temporary file beside ``path``, sync it, then rename it over ``path``.

    Ctrl-C before the rename raises KeyboardInterrupt with the old file untouched and the
    temporary removed; after the rename the write has happened and is kept.
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        raise OutputError(f"{path} is not a regular file; nothing was written.")
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale_temporaries(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with _interrupts_deferred() as interrupt:
        try:
            with open(tmp, "wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            if interrupt.pending:
                raise KeyboardInterrupt
            os.replace(tmp, path)  # atomic on POSIX and Windows
        finally:
            tmp.unlink(missing_ok=True)
        if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
            fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    return path
