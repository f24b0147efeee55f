"""Long computations as generators, run in a thread or streamed from a child process.

A ``Job`` names a generator function and its arguments (checked against the function's
signature when the Job is made, not when a child process runs it). ``ChildProcess`` runs
it in a separate, lower-priority process and streams its yields back through a pipe, so
the GUI process never competes with training for the GIL (CUDA's start-up alone holds it
long enough to be felt: docs/measurements.md).

One loop, ``steered``, runs a job in the thread and in the child alike, so both behave the
same way: control messages (``Control.PAUSE``, ``RESUME``, ``STOP``) are tagged apart from
messages for the generator, so a generator may be sent any value, "stop" included;
messages reach the generator even while paused; and a pause or resume is acknowledged by an
``Ack`` in the stream once it has taken effect, which is what a view (or a test) waits for.
"""

from __future__ import annotations

import enum
import inspect
import multiprocessing as mp
import os
import pickle
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from explorer.core.runtime.errors import JobError, describe_error
from explorer.core.runtime.generators import Returning


@dataclass(frozen=True)
class Job:
    """A generator function (importable by name, so picklable) and its keyword arguments."""

    func: Callable[..., Generator[object, Any, object]]
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            inspect.signature(self.func).bind(**self.kwargs)
        except TypeError as exc:  # a bug in the caller: say so here, not in a child process later
            raise TypeError(f"Job({self.func.__qualname__}): {exc}") from None

    def run(self) -> Generator[object, Any, object]:
        return self.func(**self.kwargs)


R = TypeVar("R")


def run_to_end(generator: Generator[object, None, R]) -> R:
    """Drive a chain or training generator to its end and return what it returns."""
    returning = Returning(generator)
    for _ in returning:
        pass
    return returning.value


class Control(enum.Enum):
    """Messages for the loop that runs a job, never passed to the job's generator."""

    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


class Ack(enum.Enum):
    """Yielded by ``steered`` once a pause or a resume has taken effect."""

    PAUSED = "paused"
    RESUMED = "resumed"


STOPPED = object()  # what ``steered`` returns when it was stopped, as opposed to the job's own result


class Inbox(Protocol):
    """Where ``steered`` reads tagged messages: ("control", Control) or ("message", value)."""

    def empty(self) -> bool: ...

    def get(self) -> tuple[str, Any]: ...


def control(command: Control) -> tuple[str, Any]:
    return ("control", command)


def message(value: Any) -> tuple[str, Any]:
    return ("message", value)


def steered(gen: Generator[object, Any, object], inbox: Inbox) -> Generator[Any, None, Any]:
    """Step ``gen`` to its end, obeying the tagged messages in ``inbox`` between its yields.

    Yields what ``gen`` yields, and an ``Ack`` when a pause or resume has taken effect.
    While paused it blocks on the inbox (a real pause); a message for the generator is
    sent in even then, and what it yields in answer is passed on; a generator not yet
    started first yields its first item. Returns the job's result, or ``STOPPED``.
    """
    paused = started = False

    def advance(value: Any = None) -> tuple[bool, Any]:
        nonlocal started
        started = True
        try:
            return False, gen.send(value)
        except StopIteration as done:
            return True, done.value

    try:
        while True:
            while paused or not inbox.empty():
                tag, value = inbox.get()  # blocks while paused
                if tag == "control":
                    if value is Control.STOP:
                        return STOPPED
                    if paused != (value is Control.PAUSE):
                        paused = value is Control.PAUSE
                        yield Ack.PAUSED if paused else Ack.RESUMED
                    continue
                if not started:
                    ended, item = advance()
                    if ended:
                        return item
                    yield item
                ended, item = advance(value)
                if ended:
                    return item
                yield item
            ended, item = advance()
            if ended:
                return item
            yield item
    finally:
        gen.close()


def _context() -> mp.context.SpawnContext | mp.context.ForkServerContext:
    """Fork from a small server process that has already imported torch (quick to start, and
    the big GUI process is never forked); spawn where there is no fork server (Windows)."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    from explorer.core.families import FAMILIES

    ctx = mp.get_context("forkserver")
    # The families' code, and torch._dynamo, which torch.optim imports when the first optimiser is built:
    # seconds, paid once here.
    ctx.set_forkserver_preload([*FAMILIES.modules(), "torch._dynamo"])
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


class _PipeInbox:
    """The child's end of the control pipe, read as an ``Inbox``."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def empty(self) -> bool:
        return not self.conn.poll()

    def get(self) -> tuple[str, Any]:
        return self.conn.recv()


def _child_main(job: Job, data: Any, control_conn: Any, nice: int, threads: int) -> None:
    """Child process: run the job by ``steered`` and send back what it yields and how it ended."""
    import torch

    try:
        os.nice(nice)
    except (AttributeError, OSError):
        pass
    torch.set_num_threads(threads)
    loop = steered(job.run(), _PipeInbox(control_conn))
    try:
        while True:
            try:
                item = next(loop)
            except StopIteration as done:
                if done.value is STOPPED:
                    _send(data, "stopped", None)
                else:
                    _send(data, "done", done.value)
                return
            _send(data, "yield", item)
    except (EOFError, BrokenPipeError):
        loop.close()  # the parent has gone: stop quietly
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
        self._process = ctx.Process(
            target=_child_main, args=(job, data_out, control_in, nice, threads or spare_cores()), daemon=True
        )
        self._ends = (data_out, control_in)

    def post(self, tagged: tuple[str, Any]) -> None:
        """Pass a tagged message (``control(...)`` or ``message(...)``) to the child's loop."""
        try:
            self._control_out.send(tagged)
        except (OSError, BrokenPipeError):
            pass  # the child has already ended

    def send(self, value: Any) -> None:
        """Pass a picklable message to the job's generator (any value, even while paused)."""
        self.post(message(value))

    def pause(self) -> None:
        self.post(control(Control.PAUSE))

    def resume(self) -> None:
        self.post(control(Control.RESUME))

    def stop(self) -> None:
        self.post(control(Control.STOP))

    def stream(self, idle_s: float = 0.1) -> Generator[Any, None, Any]:
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
                        raise JobError(
                            f"The background process ended unexpectedly (exit code {self._process.exitcode})."
                        )
                    yield None
                    continue
                try:
                    kind, payload = pickle.loads(self._data_in.recv_bytes())  # from our own child
                except EOFError as exc:
                    raise JobError(
                        f"The background process ended unexpectedly (exit code {self._process.exitcode})."
                    ) from exc
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
