"""The Evaluate panel's table: each model's scores, draw time and status, and the floor's."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QResizeEvent
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from explorer.core.evaluation.evaluate import IS_RESAMPLES, EvalRow, format_duration
from explorer.ui.panels.evaluate.titles import TITLES

COLUMNS = ("FID ↓", "KID ↓ (± std)", "IS ↑ (± s.e.)", "conf. ↑", "draw time", "status")
STATUS = len(COLUMNS) - 1  # the last column; the others hold scores
TOOLTIPS = (
    "Fréchet distance between Gaussians fitted to the judge's features of the samples and of the test digits. "
    "Lower is better; biased upwards for small N, so compare rows at the same N.",
    "Kernel Inception Distance: the unbiased MMD² with a cubic kernel, mean ± std over 100 random subsets of "
    "up to 1,000 images from each set. Lower is better; about 0 for the same distribution. In this judge's "
    "features it runs from about 0 to 100s, so it is shown, like FID and IS, to 2 decimals.",
    "Inception Score of all N samples ± its standard error: the std of the score over "
    f"{IS_RESAMPLES} bootstrap resamples (N samples drawn with replacement), a real spread at every N. "
    "Higher is better; at most 10.",
    "The judge's mean probability for the digit it reads in each sample, max_y p(y|x): near 1 when every "
    "sample is a clean digit (real ones: about 0.99), lower with each malformed stroke, however varied the "
    "samples are. Higher is better.",
    "Time to draw the N samples (the floor: to pick N training digits).",
    "Where each row's numbers come from: your run, or the evaluation recorded with the app.",
)
STALE_COLOUR = QColor("#999999")


class ScoreTable(QTableWidget):
    """A read-only table exactly as high as its rows (no scroll bar), centred cells by row name."""

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(len(names), len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        for column, tip in enumerate(TOOLTIPS):
            header = self.horizontalHeaderItem(column)
            if header is not None:  # setHorizontalHeaderLabels made one per column
                header.setToolTip(tip)
        self.setVerticalHeaderLabels([TITLES[n] for n in names])
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        # Every cell whole ("124.52 ± 3.10"): where the panel is too narrow for them all, the table scrolls
        # sideways instead of cutting numbers off; where it is wide, the status column takes the rest.
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        rows = self.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self._rows_height = (
            self.horizontalHeader().sizeHint().height() + len(names) * rows.defaultSectionSize() + 2 * self.frameWidth()
        )
        self.setFixedHeight(self._rows_height)
        self.row_index = {name: i for i, name in enumerate(names)}

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Exactly as high as its rows, and the sideways scroll bar where there is one (never over the floor's row)."""
        super().resizeEvent(event)
        header = self.horizontalHeader()
        needed = sum(max(header.sectionSizeHint(c), self.sizeHintForColumn(c)) for c in range(self.columnCount()))
        wide = self.verticalHeader().width() + needed + 2 * self.frameWidth() > self.width()
        header.setSectionResizeMode(
            STATUS, QHeaderView.ResizeMode.ResizeToContents if wide else QHeaderView.ResizeMode.Stretch
        )
        bar = self.horizontalScrollBar().sizeHint().height() if wide else 0
        if self.height() != self._rows_height + bar:
            self.setFixedHeight(self._rows_height + bar)

    def set_cell(self, name: str, column: int, text: str, tooltip: str = "") -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        item.setToolTip(tooltip)
        self.setItem(self.row_index[name], column, item)
        return item

    def cell(self, name: str, column: int) -> str:
        item = self.item(self.row_index[name], column)
        return item.text() if item else ""

    def set_scores(self, name: str, text: str, status: str) -> None:
        """Every score of row ``name`` to ``text``, and its status to ``status``."""
        for column in range(STATUS):
            self.set_cell(name, column, text)
        self.set_cell(name, STATUS, status)

    def show_row(self, row: EvalRow, status: str = "", tooltip: str = "", stale: bool = False) -> None:
        """The row's scores, and ``status`` (by default: done, with its N); a stale row is greyed."""
        cells = (
            f"{row.fid:.2f}",
            f"{row.kid:.2f} ± {row.kid_std:.2f}",
            f"{row.score:.2f} ± {row.score_std:.2f}",
            "—" if row.confidence is None else f"{row.confidence:.3f}",
            format_duration(row.seconds),
            status or f"done, N = {row.n}",
        )
        for column, text in enumerate(cells):
            item = self.set_cell(row.name, column, text, tooltip)
            if stale:
                item.setForeground(STALE_COLOUR)
