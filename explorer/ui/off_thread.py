"""Short computations off the GUI thread, outside the Runners that long jobs take.

A view that needs half a second of torch work on a CPU (e.g. the GAN meter's 500 digits for a
loaded G) must neither freeze the GUI nor hold its panel's Runner, which a training may want at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shiboken6 import isValid
from superqt.utils import create_worker


class LatestOnly:
    """Runs ``fn(*args)`` in a pool thread and hands its result to ``on_done`` on the GUI thread,
    but only if no later ``start`` or ``cancel`` came in between and ``owner`` still exists: the
    latest request wins (a generation counter, as ndv's viewer drops stale results)."""

    def __init__(self, owner: Any) -> None:
        self.owner = owner  # a QObject whose deletion makes every pending result moot
        self.generation = 0
        self._running: set[Any] = set()  # the workers not yet finished, kept alive until they are

    @property
    def pending(self) -> int:
        """How many computations have not finished yet (stale ones included)."""
        return len(self._running)

    def start(self, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None]) -> None:
        self.generation += 1
        generation = self.generation

        def deliver(result: Any) -> None:
            if generation == self.generation and isValid(self.owner):
                on_done(result)

        # an error leaves the view as it is: these results are extras, never what a user asked for
        worker = create_worker(fn, *args, _connect={"returned": deliver}, _ignore_errors=True, _start_thread=False)
        self._running.add(worker)
        worker.finished.connect(lambda: self._running.discard(worker))
        worker.start()

    def cancel(self) -> None:
        """Drop the result of any computation still running."""
        self.generation += 1
