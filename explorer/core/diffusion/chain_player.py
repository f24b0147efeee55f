"""What a chain player shows: one stored reverse chain, the frame the timeline is at, the sample followed.

The Diffusion tab's chains and the Conditional tab's guided chain are scrubbed, stepped and played the
same way; this Qt-free state is what both tabs' players bind to (the timeline writes ``frame``, a click
on the grid ``selected``), so a test drives a chain's scrubbing without any widget.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer.core.diffusion.chain_record import ChainRecord
from explorer.core.runtime.evented import Evented


@dataclass(eq=False)
class ChainPlayerState(Evented):
    """The chain on show (None: none), how many of its frames the timeline reaches, the frame on show (0-based)
    and the sample the large views follow. ``count`` lags the record's own while frames stream in: it moves
    on at each ``sync``, a few times a second, not at every frame stored."""

    record: ChainRecord | None = None
    count: int = 0
    frame: int = 0
    selected: int = 0

    @property
    def shows_frame(self) -> bool:
        """Whether there is a stored frame to show at ``frame``."""
        return self.record is not None and 0 <= self.frame < self.record.count

    def show(self, record: ChainRecord | None, frame: int = 0) -> None:
        """Put ``record`` on the timeline, every stored frame reachable, at ``frame`` (clamped to them)."""
        count = record.count if record is not None else 0
        self.update(record=record, count=count, frame=min(max(frame, 0), max(count - 1, 0)))

    def start(self, record: ChainRecord) -> None:
        """A chain about to stream in: none of it reachable until it syncs; the sample followed stays if it
        has one in ``record``."""
        self.update(record=record, count=0, frame=0, selected=min(self.selected, record.n - 1))

    def sync(self) -> None:
        """Let the timeline reach every stored frame; follow the newest one if it was at the last."""
        record = self.record
        if record is None:
            return
        following = self.frame >= self.count - 1
        frame = record.count - 1 if following and record.count else self.frame
        self.update(count=record.count, frame=frame)

    def select(self, index: int) -> None:
        """Follow sample ``index`` (ignored outside the chain's samples)."""
        if self.record is not None and 0 <= index < self.record.n:
            self.update(selected=index)

    def paper_t(self) -> int | None:
        """The paper's t of the frame on show, None when there is none."""
        return self.record.paper_t(self.frame) if self.shows_frame and self.record is not None else None
