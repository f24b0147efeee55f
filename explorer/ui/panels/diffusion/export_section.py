"""The export section: the shown chain's selected sample as an animated GIF or a PNG strip."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QPushButton, QWidget

from explorer.core.diffusion.chain_export import save_gif, save_strip
from explorer.core.diffusion.chain_record import ChainRecord


class ExportSection(QWidget):
    """Export GIF… and Export PNG strip…; the chain section enables them while it shows a frame.

    ``chain``, ``sample`` and ``fps`` read, at the moment of export, the chain shown, the
    sample followed and the timeline's playback speed."""

    message = Signal(str)  # what was written, or why not, for the chain's info line

    def __init__(
        self,
        chain: Callable[[], ChainRecord | None],
        sample: Callable[[], int],
        fps: Callable[[], int],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._chain, self._sample, self._fps = chain, sample, fps
        self.gif_button = QPushButton("Export GIF…")
        self.gif_button.clicked.connect(lambda: self._export("GIF", "gif", self.export_gif))
        self.strip_button = QPushButton("Export PNG strip…")
        self.strip_button.clicked.connect(lambda: self._export("PNG strip", "png", self.export_strip))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.gif_button)
        row.addWidget(self.strip_button)
        self.setEnabled(False)

    def export_gif(self, path: str | Path) -> Path:
        return save_gif(path, self._chain_to_export(), self._sample(), fps=self._fps())

    def export_strip(self, path: str | Path) -> Path:
        return save_strip(path, self._chain_to_export(), self._sample())

    def _chain_to_export(self) -> ChainRecord:
        record = self._chain()
        if record is None or not record.count:
            raise ValueError("There is no chain to export yet: run one first.")
        return record

    def _export(self, what: str, suffix: str, write: Callable[[str], Path]) -> None:
        record = self._chain()
        default = Path.home() / f"{record.sampler if record else 'ddpm'}-chain-sample{self._sample()}.{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, f"Export the chain as a {what}", str(default), f"*.{suffix}")
        if not path:
            return
        try:
            written = write(path if path.endswith(f".{suffix}") else f"{path}.{suffix}")
        except (ValueError, OSError) as exc:
            self.message.emit(f"Could not export: {exc}")
            return
        self.message.emit(f"Wrote {written}.")
