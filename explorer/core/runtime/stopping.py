"""Ctrl-C and SIGTERM as one event, from the first moment of a headless run.

Installed first thing in ``main``, before torch or the data are imported: a stop while
they load (the first second or two) is the same KeyboardInterrupt as a stop mid-run, which
``main`` turns into "Stopped; nothing was saved." and exit code 130. Nothing here imports
more than the standard library, so installing it costs nothing.
"""

from __future__ import annotations

import signal

STOPPED = 130  # the shell's code for a run ended by Ctrl-C


_asked = False  # a stop came: whatever it broke on its way (an import half done), the run ends as stopped


def _stop(signum: int, frame: object) -> None:
    """Ctrl-C, or a polite kill, ends a run the same way: nothing half-written, one line."""
    global _asked
    _asked = True
    raise KeyboardInterrupt


def install_stop_handlers() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt in the main thread from now on."""
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)


def stop_asked() -> bool:
    """Whether a stop came. A KeyboardInterrupt raised inside a C extension's import (scipy's, torch's) may
    reach ``main`` as an ImportError, and leave Python marked to end by SIGINT: this says what really
    happened, so that ``main`` can still say one line and end with STOPPED."""
    return _asked


def stop_message(argv: list[str]) -> str:
    """What a stopped run says: a training run saved nothing, any other command wrote nothing."""
    return f"Stopped; nothing was {'saved' if 'train' in argv[:3] else 'written'}."
