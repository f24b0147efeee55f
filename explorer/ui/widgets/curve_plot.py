"""A plot of named curves that grow point by point (training losses)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget


class CurvePlot(pg.PlotWidget):
    """Curves created once and extended with ``append``; ``clear_data`` empties them all."""

    def __init__(self, title: str, x_label: str, y_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.setTitle(title, color="#333", size="10pt")
        self.setLabel("bottom", x_label)
        self.setLabel("left", y_label)
        self.showGrid(x=True, y=True, alpha=0.2)
        self.addLegend(offset=(-5, 5), labelTextColor="#333")
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._data: dict[str, tuple[list[float], list[float]]] = {}

    def add_curve(self, name: str, color: str, dashed: bool = False, symbol: str | None = None) -> None:
        pen = pg.mkPen(color, width=2, style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        self._curves[name] = self.plot([], [], pen=pen, name=name, symbol=symbol, symbolSize=5,
                                       symbolBrush=color, symbolPen=None)
        self._data[name] = ([], [])

    def append(self, name: str, x: float, y: float) -> None:
        xs, ys = self._data[name]
        xs.append(x)
        ys.append(y)
        self._curves[name].setData(np.asarray(xs), np.asarray(ys))

    def set_curve(self, name: str, xs: list[float], ys: list[float]) -> None:
        self._data[name] = (list(xs), list(ys))
        self._curves[name].setData(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))

    def clear_data(self) -> None:
        for name in self._curves:
            self.set_curve(name, [], [])

    def points(self, name: str) -> int:
        return len(self._data[name][0])
