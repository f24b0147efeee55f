"""The next-pixel maps of the written digits, kept once computed and filled in a pool thread, so that a
scrub or an arrow key costs a look-up rather than a pass of the net (about a frame on a loaded CPU).

The map at step t depends on the digit only through the picture the net is given: the first t pixels,
blank beyond. A pixel of paper is that same blank, so every step from one past an ink pixel up to the next
ink pixel gives the net the same picture and the same map (with more pixels marked written). A digit thus
needs one pass per ink pixel and one for the empty start, not 784; they are computed a few at a time,
nearest the step on show first, while the learner looks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtWidgets import QWidget

from explorer.core.pixelcnn.model import PIXELS
from explorer.ui.off_thread import LatestOnly

CHUNK = 8  # passes per pool task: a new request waits for at most this many before it starts


def same_input_step(image: np.ndarray, t: int) -> int:
    """The first step at which the net is given the same picture as at step t: one past the last ink
    (non-zero) pixel among the first t, or 0 if they are all paper."""
    ink = np.flatnonzero(np.asarray(image).reshape(PIXELS)[:t])
    return int(ink[-1]) + 1 if len(ink) else 0


def distinct_steps(image: np.ndarray) -> list[int]:
    """The steps below 784 whose maps differ in more than the written pixels: 0 and one past each ink pixel."""
    after_ink = np.flatnonzero(np.asarray(image).reshape(PIXELS)) + 1
    return [0, *(int(s) for s in after_ink if s < PIXELS)]


class NextPixelMaps:
    """The maps of one set of digits under one model. ``compute(image, t)`` is the next-pixel map (NaN
    where written) from the net; ``map_at`` answers from what is kept or computes it then."""

    def __init__(self, owner: QWidget) -> None:
        self.owner = owner  # the view of the maps: filling pauses while it is hidden
        self.work = LatestOnly(owner)
        self.compute: Callable[[np.ndarray, int], np.ndarray] | None = None
        self._maps: dict[tuple[int, int], np.ndarray] = {}  # (digit, same-input step) -> map

    def reset(self, compute: Callable[[np.ndarray, int], np.ndarray] | None) -> None:
        """New digits or a new model: forget every map, and drop the pool's work under way."""
        self.work.cancel()
        self._maps = {}
        self.compute = compute

    def kept(self, digit: int, image: np.ndarray) -> bool:
        """Whether every map of ``digit`` is computed."""
        return all((digit, s) in self._maps for s in distinct_steps(image))

    def map_at(self, digit: int, image: np.ndarray, t: int) -> np.ndarray:
        """p(x_k = 1 | the first t pixels of ``image``) at each pixel k, NaN at the written ones, (28, 28)."""
        assert self.compute is not None, "a map is asked for after reset(compute)"
        key = (digit, same_input_step(image, t))
        kept = self._maps.get(key)
        if kept is None:
            kept = self._maps[key] = self.compute(image, key[1])
        shown = kept.copy()
        shown.reshape(PIXELS)[:t] = np.nan
        return shown

    def fill(self, digit: int, image: np.ndarray, around: int) -> None:
        """Compute the maps of ``digit`` not yet kept in the pool, ``CHUNK`` at a time, nearest ``around`` first,
        while ``owner`` is on show; a later ``fill`` or ``reset`` drops what this one has not delivered."""
        compute = self.compute
        if compute is None:
            return
        missing = sorted(
            (s for s in distinct_steps(image) if (digit, s) not in self._maps), key=lambda s: abs(s - around)
        )
        if not missing:
            self.work.cancel()
            return
        chunk = missing[:CHUNK]

        def run() -> list[tuple[int, np.ndarray]]:
            return [(s, compute(image, s)) for s in chunk]

        def keep(maps: list[tuple[int, np.ndarray]]) -> None:
            for s, m in maps:
                self._maps[(digit, s)] = m
            if self.owner.isVisible():
                self.fill(digit, image, around)

        self.work.start(run, on_done=keep)
