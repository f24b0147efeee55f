"""A runner for a panel's long jobs (each tab has its own): it steps a core generator off the GUI thread.

A job runs in a child process streamed through ``ChildProcess`` (the app's way), or,
where ``in_child`` is off (tests that patch a function in this process), in a thread of
the pool (superqt's ``GeneratorWorker``). Either way the same loop (``steered``) runs it,
so pause, resume, stop and ``send`` behave alike, and its yields arrive on the GUI thread
through queued signals, so no widget is touched from another thread.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from PySide6.QtCore import QObject, QThread, QThreadPool, Signal

from explorer.core.runtime.jobs import Ack, ChildProcess, Control, Job, control, guarded, message, steered, warm_up

if TYPE_CHECKING:  # superqt is imported with the first job: the window paints before it is needed
    from superqt.utils import GeneratorWorker


def reserve_pool_thread() -> None:
    """Make room in the global thread pool for one more long job beside the ones running: each runner's
    job holds a pool thread for as long as it runs, and several tabs' jobs may run at once, so a pool
    sized to the cores would queue a tab's job behind another's (and the short ``LatestOnly`` work too)."""
    pool = QThreadPool.globalInstance()
    wanted = len(Runner.running) + max(2, QThread.idealThreadCount())
    if pool.maxThreadCount() < wanted:
        pool.setMaxThreadCount(wanted)


class Runner(QObject):
    """Runs one job at a time (a tab's) and reports its progress, result or failure."""

    running: ClassVar[set[Runner]] = set()  # the runners whose jobs run now, in the whole app

    busy_changed = Signal(bool)
    paused_changed = Signal(bool)
    progress = Signal(float, str)  # fraction done, a line for the progress bar
    failed = Signal(str)  # a message for the user
    held = Signal(bool)  # the job acknowledged a pause (True) or a resume (False): it has taken effect
    stopping = Signal()  # Stop was asked: the job ends at its next yield (a training step may take seconds)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker: GeneratorWorker | None = None
        self._child: ChildProcess | None = None
        self._stop = threading.Event()
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()  # tagged messages for a job run in a thread
        self.in_child = True  # the one switch: False runs jobs in a thread of this process (for tests)
        self._paused = False
        self._succeeded = False
        self._fraction = 0.0  # the job's last progress
        self._on_yield: Callable[[Any], None] | None = None
        self._on_done: Callable[[Any], None] | None = None
        self._on_end: Callable[[bool], None] | None = None
        self.label = ""
        self.owner = ""
        if "torch" in sys.modules:  # else torch is not in yet (a launch): the window starts the server once it is
            warm_up()

    @property
    def busy(self) -> bool:
        return self._worker is not None

    @property
    def paused(self) -> bool:
        return self._paused

    def start(
        self,
        job: Job,
        *,
        on_yield: Callable[[Any], None],
        on_done: Callable[[Any], None] | None = None,
        on_end: Callable[[bool], None] | None = None,
        label: str = "",
        owner: str = "",
    ) -> None:
        """Start ``job``; ``on_yield`` gets each snapshot, ``on_done`` the result,
        ``on_end(succeeded)`` is called last whatever happened (all on the GUI thread).
        ``owner`` names the panel the job belongs to, for the status bar."""
        if self.busy:
            raise RuntimeError(f"Another job is running ({self.label}); stop it first.")
        self._stop = threading.Event()
        self._inbox = queue.SimpleQueue()
        self._child = ChildProcess(job) if self.in_child else None
        source = self._child.stream() if self._child else steered(job.run(), self._inbox)
        self._on_yield, self._on_done, self._on_end = on_yield, on_done, on_end
        self.label, self.owner = label, owner
        self._succeeded = False
        self._fraction = 0.0
        from superqt.utils import GeneratorWorker

        worker = GeneratorWorker(guarded, source, self._stop.is_set)
        worker.yielded.connect(self._on_yielded)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        worker.finished.connect(self._on_finished)  # type: ignore[arg-type]  # superqt types it as emitting None
        self._worker = worker
        Runner.running.add(self)
        reserve_pool_thread()
        self._set_paused(False)
        self.busy_changed.emit(True)
        self.progress.emit(0.0, f"{label}: starting…")
        worker.start()

    def _post(self, tagged: tuple[str, object]) -> None:
        """Pass a tagged message to the job's loop, in the child or in the thread."""
        if self._child:
            self._child.post(tagged)
        else:
            self._inbox.put(tagged)

    def pause(self) -> None:
        """Hold the job at its next yield; ``held(True)`` says when it has."""
        if self._worker is None or self._paused:
            return
        self._post(control(Control.PAUSE))
        self._set_paused(True)

    def resume(self) -> None:
        if self._worker is None or not self._paused:
            return
        self._post(control(Control.RESUME))
        self._set_paused(False)

    def send(self, value: object) -> None:
        """Send a message into the job's generator, even while paused; what it yields in answer
        reaches ``on_yield``."""
        if self._worker is not None:
            self._post(message(value))

    def stop(self) -> None:
        """Ask the job to stop at its next yield; its partial result is discarded."""
        if self._worker is None or self._stop.is_set():
            return
        self._stop.set()
        self._post(control(Control.STOP))
        self.progress.emit(self._fraction, f"{self.label}: stopping…")
        self.stopping.emit()

    def shutdown(self, timeout_ms: int = 10000) -> bool:
        """Stop any job and wait for its thread (and process) to end; True if all ended."""
        self.stop()
        return QThreadPool.globalInstance().waitForDone(timeout_ms)

    def _set_paused(self, paused: bool) -> None:
        if paused != self._paused:
            self._paused = paused
            self.paused_changed.emit(paused)

    def _on_yielded(self, item: Any) -> None:
        if item is None or self._stop.is_set():
            return
        if isinstance(item, Ack):
            self.held.emit(item is Ack.PAUSED)
            return
        fraction = getattr(item, "progress", None)
        if fraction is not None:
            self._fraction = float(fraction)
            self.progress.emit(self._fraction, f"{self.label}: {item.summary()}")
        if self._on_yield:
            self._on_yield(item)

    def _on_returned(self, result: Any) -> None:
        if self._stop.is_set():
            return
        self._succeeded = True
        if self._on_done:
            self._on_done(result)

    def _on_errored(self, exc: Exception) -> None:
        self.failed.emit(str(exc))

    def _on_finished(self) -> None:
        on_end, succeeded = self._on_end, self._succeeded
        self._worker = self._child = None
        Runner.running.discard(self)
        self._on_yield = self._on_done = self._on_end = None
        self._set_paused(False)
        self.progress.emit(1.0 if succeeded else 0.0, f"{self.label}: {'done' if succeeded else 'stopped'}")
        self.busy_changed.emit(False)
        if on_end:
            on_end(succeeded)
