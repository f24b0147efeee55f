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
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.quoting import shown


class OutputError(ExplorerError):
    """An output path cannot take the file the user asked for."""


def check_target(path: str | os.PathLike[str], option: str = "--out") -> Path:
    """Refuse ``path`` unless it is a regular file or absent, in a folder this process can write.

    The whole path is checked: each part must be a folder that can be looked into (not a file, not a
    symbolic-link loop, not a name longer than the file system takes), the first folder that exists is
    probed by creating (and removing) a file in it, the only test that also holds for root and for
    read-only file systems.
    """
    path = Path(path)
    shown_path = shown(path)
    if not path.name:
        raise OutputError(f"{option} {shown_path} names a folder; give the path of a file to write.")
    parts = list(reversed((path, *path.parents)))  # from the root down, so the first part at fault is named
    for part in parts:
        problem = _name_problem(part)
        if problem:
            raise OutputError(f"{option} {shown_path}{_subject(part, path)} {problem}.")
    for part in parts:
        problem = _path_problem(part, is_target=part == path)
        if problem == "absent":
            break
        if problem:
            raise OutputError(f"{option} {shown_path}{_subject(part, path)} {problem}.")
    folder = next(p for p in path.parents if os.path.isdir(p))
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise OutputError(f"{option} {shown_path}: cannot write in {shown(folder)} ({exc.strerror or exc}).") from exc
    return path


def _subject(part: Path, path: Path) -> str:
    return "" if part == path else f": {shown(part)}"


def _name_problem(part: Path) -> str | None:
    """Whether ``part``'s own name is longer than its file system takes (the folder it would go in decides)."""
    try:
        limit = os.pathconf(next((p for p in part.parents if os.path.isdir(p)), Path(".")), "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = 255
    size = len(os.fsencode(part.name))
    return f"has a name longer than the file system allows ({size} bytes; at most {limit})" if size > limit else None


def _path_problem(part: Path, is_target: bool) -> str | None:
    """What keeps ``part`` of an output path from taking the file (or the folders) to be written: None if
    nothing, "absent" if it does not exist yet (to be made), else the problem in words ('is a folder')."""
    try:
        mode = os.stat(part).st_mode
    except FileNotFoundError:  # not there yet: atomic_write makes the folders
        return "absent"
    except OSError as exc:  # a symbolic-link loop, a part that is a file, a folder that cannot be looked into
        return f"cannot be reached ({exc.strerror or exc})"
    if is_target and stat.S_ISDIR(mode):
        return "is a folder; give the path of a file to write"
    if is_target and not stat.S_ISREG(mode):
        return "is not a regular file (a device, a pipe or a socket); give the path of a file to write"
    if not is_target and not stat.S_ISDIR(mode):
        return "is a file, not a folder"
    return None


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


# A writer's temporary file: short, so that a target name of any legal length leaves room for it.
_TMP = re.compile(r"\.gx-(?P<pid>\d+)-(?P<thread>\d+)\.tmp")


def _temporary(path: Path) -> Path:
    return path.with_name(f".gx-{os.getpid()}-{threading.get_ident() % 10**6}.tmp")


def _sweep_stale_temporaries(path: Path) -> None:
    """Remove ``.gx-PID-THREAD.tmp`` files beside ``path`` left by writers that were killed."""
    for tmp in path.parent.glob(".gx-*.tmp"):
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
    tmp = _temporary(path)
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
