"""The jobs a Likelihood section runs (the section states themselves derive from ``runtime.evented.Evented``)."""

from __future__ import annotations

import enum


class Running(enum.Enum):
    """The job a section runs, if any."""

    IDLE = "idle"
    PLAYING = "playing"  # a timer steps the section's iteration on the GUI thread
    COMPUTING = "computing"  # a computation runs off the GUI thread
