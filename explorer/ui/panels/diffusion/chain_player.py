"""The chain player: a stored reverse chain's sample grid, the followed sample's pictures large, and the timeline
that scrubs, steps and plays it; the Diffusion tab's and the guided chain's alike, bound to a ``ChainPlayerState``."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from explorer.core.diffusion.chain_player import ChainPlayerState
from explorer.core.diffusion.chain_record import ChainRecord
from explorer.ui.panels.diffusion.display import abar_text, grey
from explorer.ui.widgets.image_grid import ImageGrid
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.widgets.timeline import Timeline


def frame_line(record: ChainRecord, k: int, sample: int, named: bool) -> str:
    """The timeline's line for frame ``k``: the step, the paper's t, ᾱ_t and the sample followed; ``named``: after
    the sampler's name (and DDIM's η), for a tab whose chains come from several samplers."""
    if named:
        name = record.sampler.upper() + (f" (η = {record.eta:g})" if record.sampler == "ddim" else "")
        step = f"<b>{name}</b> step {k + 1} / {record.total_steps}"
    else:
        step = f"<b>step {k + 1} / {record.total_steps}</b>"
    return (
        f"{step} &nbsp; <b>t = {record.paper_t(k)}</b> &nbsp; <b>ᾱ_t = {abar_text(record.alpha_bar[k])}</b> &nbsp; "
        f"sample #{sample}"
    )


class ChainPlayer(QWidget):
    """Views over ``state``: it repaints whenever the state changes, and the timeline and the grid write to it.

    ``views`` names the stored pictures shown large, (kind, title) each; ``keep_until_first_frame`` leaves the
    last chain's pictures on show while a new one has no frame yet (a change of digit or w never blanks them),
    where otherwise a chain with nothing to show blanks the views. ``shown`` gives the paper's t of the frame
    painted, or None when the views are blank."""

    shown = Signal(object)

    def __init__(
        self,
        views: Sequence[tuple[str, str]],
        grid_title: str,
        *,
        named: bool,
        keep_until_first_frame: bool,
        grid_stretch: int = 1,
        minimum: tuple[int, int] = (110, 132),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = ChainPlayerState()
        self._named, self._keep = named, keep_until_first_frame
        self.grid = ImageGrid(grid_title)
        self.grid.clicked.connect(self.state.select)
        self.big = {kind: ImageView(title) for kind, title in views}
        row = QHBoxLayout()
        row.addWidget(self.grid, grid_stretch)
        for view in (self.grid, *self.big.values()):
            view.setMinimumSize(*minimum)
        for view in self.big.values():
            row.addWidget(view, 1)
        self.timeline = Timeline()
        self.timeline.frame_changed.connect(lambda k: self.state.update(frame=k))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row, 1)
        layout.addWidget(self.timeline)
        self.state.changed.connect(self._on_state_changed)
        self.clear_views()

    def _on_state_changed(self, names: frozenset[str]) -> None:
        state = self.state
        if names & {"count", "frame"}:
            with QSignalBlocker(self.timeline):  # the state already holds the frame the slider moves to
                if "count" in names:
                    self.timeline.set_count(state.count)
                self.timeline.set_frame(state.frame)
        if state.shows_frame:
            self._paint()
        elif state.record is None or not self._keep:
            self.clear_views()

    def _paint(self) -> None:
        """The frame on show: the grid, the followed sample's pictures, its line."""
        state = self.state
        record, k = state.record, state.frame
        assert record is not None
        self.grid.set_images(grey(record.images[k, 0]))
        self.grid.select(state.selected)
        for kind, view in self.big.items():
            view.set_image(grey(record.image(k, kind, state.selected)))
        self.timeline.info.setText(frame_line(record, k, state.selected, self._named))
        self.shown.emit(record.paper_t(k))

    def clear_views(self) -> None:
        for view in (*self.big.values(), self.grid):
            view.blank()
        self.timeline.info.setText("")
        self.shown.emit(None)
