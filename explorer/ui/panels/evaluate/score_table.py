"""The Evaluate panel's table: FID, KID, IS, draw time and status, one row per model and one for the floor."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from explorer.core.evaluation.evaluate import EvalRow
from explorer.ui.panels.evaluate.titles import TITLES

COLUMNS = ("FID ↓", "KID ↓ (± std)", "IS ↑ (± std)", "draw time", "status")
STATUS = len(COLUMNS) - 1  # the last column; the others hold scores


class ScoreTable(QTableWidget):
    """A read-only table exactly as high as its rows (no scroll bar), centred cells by row name."""

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(len(names), len(COLUMNS), parent)
        self.setHorizontalHeaderLabels(COLUMNS)
        self.setVerticalHeaderLabels([TITLES[n] for n in names])
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        rows = self.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(self.horizontalHeader().sizeHint().height()
                            + len(names) * rows.defaultSectionSize() + 2 * self.frameWidth())
        self.row_index = {name: i for i, name in enumerate(names)}

    def set_cell(self, name: str, column: int, text: str) -> None:
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setItem(self.row_index[name], column, item)

    def cell(self, name: str, column: int) -> str:
        item = self.item(self.row_index[name], column)
        return item.text() if item else ""

    def set_scores(self, name: str, text: str, status: str) -> None:
        """Every score of row ``name`` to ``text``, and its status to ``status``."""
        for column in range(STATUS):
            self.set_cell(name, column, text)
        self.set_cell(name, STATUS, status)

    def show_row(self, row: EvalRow) -> None:
        self.set_cell(row.name, 0, f"{row.fid:.2f}")
        self.set_cell(row.name, 1, f"{row.kid:.4f} ± {row.kid_std:.4f}")
        self.set_cell(row.name, 2, f"{row.score:.2f} ± {row.score_std:.2f}")
        self.set_cell(row.name, 3, f"{row.seconds:.1f} s")
        self.set_cell(row.name, STATUS, f"done, N = {row.n}")
