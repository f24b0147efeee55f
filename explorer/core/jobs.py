"""Long computations as generators, run in this thread or streamed from a child process.

A ``Job`` names a generator function and its arguments. ``ChildProcess`` runs
it in a separate, lower-priority process and streams its yields back through a
pipe, so the GUI process never competes with training for the GIL (CUDA's
start-up alone holds it for a quarter of a second). Pause and stop act at a
yield, in the thread or in the child alike.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from explorer.core.errors import JobError, describe_error


@dataclass(frozen=True)
class Job:
    """A generator function (importable by name, so picklable) and its keyword arguments."""

    func: Callable[..., Generator]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def run(self) -> Generator:
        return self.func(**self.kwargs)


def _context() -> mp.context.BaseContext:
    """Fork from a small server process that has already imported torch (quick to start, and
    the big GUI process is never forked); spawn where there is no fork server (Windows)."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["explorer.core.models"])
    return ctx


def warm_up() -> None:
    """Start the fork server now, so that starting the first job does not stall the caller."""
    if "forkserver" in mp.get_all_start_methods():
        from multiprocessing import forkserver

        _context()
        forkserver.ensure_running()


def _send(conn: Any, kind: str, payload: Any) -> None:
    """Send by value with plain pickle: multiprocessing's own pickler would share torch
    tensors through file descriptors that die with the child."""
    conn.send_bytes(pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL))


def _child_main(job: Job, data: Any, control: Any, nice: int, threads: int) -> None:
    """Child process: step the generator, obey pause/stop between yields, send what it yields."""
    import torch

    try:
        os.nice(nice)
    except (AttributeError, OSError):
        pass
    torch.set_num_threads(threads)
    gen = job.run()
    paused = False
    try:
        while True:
            while paused or control.poll():
                command = control.recv()  # blocks while paused: a real pause
                if command == "stop":
                    gen.close()
                    _send(data, "stopped", None)
                    return
                paused = command == "pause"
            try:
                item = next(gen)
            except StopIteration as done:
                _send(data, "done", done.value)
                return
            _send(data, "yield", item)
    except (EOFError, BrokenPipeError):
        gen.close()  # the parent has gone: stop quietly
    except BaseException as exc:  # every failure reaches the user as a message
        _send(data, "error", describe_error(exc))


def spare_cores() -> int:
    """Threads for a background job: every core but one, which stays with the GUI."""
    return max(1, (os.cpu_count() or 2) - 1)


class ChildProcess:
    """Runs a ``Job`` in another process at lower priority; ``stream()`` yields what the job yields."""

    def __init__(self, job: Job, nice: int = 10, threads: int | None = None) -> None:
        ctx = _context()  # never a plain fork: unsafe with Qt and CUDA threads
        self._data_in, data_out = ctx.Pipe(duplex=False)
        control_in, self._control_out = ctx.Pipe(duplex=False)
        self._process = ctx.Process(target=_child_main, args=(job, data_out, control_in, nice, threads or spare_cores()),
                                    daemon=True)
        self._ends = (data_out, control_in)

    def _send(self, command: str) -> None:
        try:
            self._control_out.send(command)
        except (OSError, BrokenPipeError):
            pass  # the child has already ended

    def pause(self) -> None:
        self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    def stop(self) -> None:
        self._send("stop")

    def stream(self, idle_s: float = 0.1) -> Iterator[Any]:
        """Yield the job's items, and ``None`` after each ``idle_s`` without one; return its result.

        The ``None`` heartbeats let the consumer notice a stop request while the
        child is busy or paused. A failure in the child raises ``JobError``.
        """
        self._process.start()
        for end in self._ends:
            end.close()  # the child holds its own copies
        try:
            while True:
                if not self._data_in.poll(idle_s):
                    if not self._process.is_alive() and not self._data_in.poll(0):
                        raise JobError(f"The background process ended unexpectedly (exit code {self._process.exitcode}).")
                    yield None
                    continue
                try:
                    kind, payload = pickle.loads(self._data_in.recv_bytes())  # from our own child
                except EOFError as exc:
                    raise JobError(f"The background process ended unexpectedly (exit code {self._process.exitcode}).") from exc
                if kind == "yield":
                    yield payload
                elif kind == "error":
                    raise JobError(payload)
                else:
                    return payload if kind == "done" else None
        finally:
            self.close()

    def close(self, timeout_s: float = 3.0) -> None:
        """Stop the child (politely, then by force) and release the pipes."""
        if self._process.pid is not None and self._process.is_alive():
            self.stop()
            self._process.join(timeout_s)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
        self._data_in.close()
        self._control_out.close()


def guarded(source: Iterator[Any], should_stop: Callable[[], bool]) -> Generator[Any, None, Any]:
    """Run ``source`` to its end or until ``should_stop()``; any failure becomes a ``JobError``.

    Closing ``source`` here, in the thread that runs it, lets its clean-up run at once.
    """
    try:
        while not should_stop():
            try:
                item = next(source)
            except StopIteration as done:
                return done.value
            yield item
        return None
    except JobError:
        raise
    except Exception as exc:
        raise JobError(describe_error(exc)) from exc
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()
