"""Ctrl-C and SIGTERM as one event, from the first moment of a headless run.

Installed first thing in ``main``, before torch or the data are imported: a stop while
they load (the first second or two) is the same KeyboardInterrupt as a stop mid-run, which
``main`` turns into "Stopped; nothing was saved." and exit code 130. Nothing here imports
more than the standard library, so installing it costs nothing.
"""

from __future__ import annotations

import signal

STOPPED = 130  # the shell's code for a run ended by Ctrl-C


def _stop(signum: int, frame: object) -> None:
    """A polite kill ends a run as Ctrl-C does: nothing half-written, one line."""
    raise KeyboardInterrupt


def install_stop_handlers() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt in the main thread from now on."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop)


def stop_message(argv: list[str]) -> str:
    """What a stopped run says: a training run saved nothing, any other command wrote nothing."""
    return f"Stopped; nothing was {'saved' if 'train' in argv[:3] else 'written'}."
