"""Long computations as generators, run in this thread or streamed from a child process.

A ``Job`` names a generator function and its arguments. ``ChildProcess`` runs
it in a separate, lower-priority process and streams its yields back through a
pipe, so the GUI process never competes with training for the GIL (CUDA's
start-up alone holds it for a quarter of a second). Pause and stop act at a
yield, in the thread or in the child alike. Any other message is sent into the
generator (``gen.send``), so a GUI can steer a running job (one step, a speed).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import queue
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from explorer.core.runtime.errors import JobError, describe_error


@dataclass(frozen=True)
class Job:
    """A generator function (importable by name, so picklable) and its keyword arguments."""

    func: Callable[..., Generator]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def run(self) -> Generator:
        return self.func(**self.kwargs)


R = TypeVar("R")


def run_to_end(generator: Generator[object, None, R]) -> R:
    """Drive a chain or training generator to its end and return what it returns."""
    while True:
        try:
            next(generator)
        except StopIteration as done:
            return done.value


def _context() -> mp.context.BaseContext:
    """Fork from a small server process that has already imported torch (quick to start, and
    the big GUI process is never forked); spawn where there is no fork server (Windows)."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    # torch.optim imports torch._dynamo when the first optimiser is built: seconds, paid once here.
    ctx.set_forkserver_preload(["explorer.core.families", "torch._dynamo"])
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
    """Child process: step the generator, obey pause/stop between yields, send what it yields.

    Any other control message is sent into the generator, even while paused, and what it
    yields in answer is sent back; a generator not yet started first yields its first item.
    """
    import torch

    try:
        os.nice(nice)
    except (AttributeError, OSError):
        pass
    torch.set_num_threads(threads)
    gen = job.run()
    paused = started = False

    def advance(message: Any = None) -> bool:
        """Step the generator, sending ``message`` in; pass on what it yields or returns; True once it has ended."""
        nonlocal started
        started = True
        try:
            item = gen.send(message)
        except StopIteration as done:
            _send(data, "done", done.value)
            return True
        _send(data, "yield", item)
        return False

    try:
        while True:
            while paused or control.poll():
                command = control.recv()  # blocks while paused: a real pause
                if command == "stop":
                    gen.close()
                    _send(data, "stopped", None)
                    return
                if command in ("pause", "resume"):
                    paused = command == "pause"
                elif (not started and advance()) or advance(command):
                    return
            if advance():
                return
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

    def send(self, message: Any) -> None:
        """Pass a picklable message to the child: 'pause', 'resume', 'stop', or one for the generator."""
        try:
            self._control_out.send(message)
        except (OSError, BrokenPipeError):
            pass  # the child has already ended

    def pause(self) -> None:
        self.send("pause")

    def resume(self) -> None:
        self.send("resume")

    def stop(self) -> None:
        self.send("stop")

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


def guarded(
    source: Iterator[Any], should_stop: Callable[[], bool], inbox: queue.SimpleQueue | None = None
) -> Generator[Any, None, Any]:
    """Run ``source`` to its end or until ``should_stop()``; any failure becomes a ``JobError``.

    Messages put in ``inbox`` are sent into ``source`` (a generator) one per step, once it has
    yielded its first item. Closing ``source`` here, in the thread that runs it, lets its
    clean-up run at once.
    """
    started = False
    try:
        while not should_stop():
            message = inbox.get() if started and inbox is not None and not inbox.empty() else None
            try:
                item = next(source) if message is None else source.send(message)
            except StopIteration as done:
                return done.value
            started = True
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
