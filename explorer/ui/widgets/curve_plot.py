"""A plot of named curves that grow point by point (training losses)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget


class CurvePlot(pg.PlotWidget):
    """Curves created once, extended with ``add_point`` and shown by ``redraw``.

    The legend lives in the title, after the plot's name, and names only the curves that hold points
    (in a plot of two curves or more): a legend box inside so small a plot sits on the curves, and an entry without a curve
    promises what is not there.

    The view's ranges change only when the data leave them or shrink well inside them:
    a new point then repaints just the curve, not the axes, several times cheaper; no grid
    and no antialiasing halve that again (docs/measurements.md). This keeps the GUI responsive while training
    streams in points.
    """

    def __init__(self, title: str, x_label: str, y_label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.title = title
        self._legend: list[str] = []
        self.setTitle(title, color="#333", size="10pt")
        self.setLabel("bottom", x_label)
        self.setLabel("left", y_label)
        self.disableAutoRange()
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._keys: dict[str, str] = {}  # each curve's legend entry, in its colour and line
        self._data: dict[str, tuple[list[float], list[float]]] = {}
        self._y_range: tuple[float, float] | None = None
        self._x_low, self._x_high = 0.0, 1.0

    def add_curve(self, name: str, color: str, dashed: bool = False, symbol: str | None = None) -> None:
        pen = pg.mkPen(color, width=2, style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        self._curves[name] = self.plot(
            [], [], pen=pen, name=name, symbol=symbol, symbolSize=5, symbolBrush=color, symbolPen=None, antialias=False
        )
        self._data[name] = ([], [])
        line = "╍" if dashed else "━"
        self._keys[name] = f"<span style='color:{color}'>{line}{'●' if symbol else ''} {name}</span>"

    def legend(self) -> list[str]:
        """The curves the title's legend names: those with points, in a plot of two curves or more."""
        return list(self._legend)

    names_curves = True  # False where the plot's own title already names its curves in their colours
    # Entries per line under the title, where a narrow plot names more curves than its title row holds
    # (the title does not wrap: what passes its right edge is cut off); None: beside the title.
    legend_per_line: int | None = None

    def _update_legend(self) -> None:
        named = [name for name, (xs, _) in self._data.items() if xs]
        named = named if len(self._curves) > 1 and self.names_curves else []
        if named != self._legend:
            self._legend = named
            keys = [self._keys[name] for name in named]
            set_title(self, legend_title(self.title, keys, self.legend_per_line))

    def set_x_span(self, high: float, low: float = 0.0) -> None:
        """Show x from ``low`` to ``high`` (e.g. 0 to the number of epochs about to be trained; a continued run's
        record from where it started, so that it is not squeezed into the end of the axis)."""
        self._x_low, self._x_high = low, high
        self.setXRange(low, high, padding=0.02)

    def add_point(self, name: str, x: float, y: float) -> None:
        """Record a point; it is drawn at the next ``redraw``."""
        xs, ys = self._data[name]
        xs.append(x)
        ys.append(y)

    def redraw(self) -> None:
        for name, (xs, ys) in self._data.items():
            self._curves[name].setData(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float))
        x_max = max((xs[-1] for xs, _ in self._data.values() if xs), default=0.0)
        if x_max > self._x_high:
            self.set_x_span(x_max * 1.5, self._x_low)
        self._update_legend()
        self._fit_y()

    def set_curve(self, name: str, xs: list[float], ys: list[float]) -> None:
        self._data[name] = (list(xs), list(ys))

    def clear_data(self) -> None:
        """Forget every point; the plot shows it at the next ``redraw``."""
        for name in self._curves:
            self._data[name] = ([], [])
        self._y_range = None

    def points(self, name: str) -> int:
        return len(self._data[name][0])

    def x_values(self, name: str) -> list[float]:
        return list(self._data[name][0])

    def _fit_y(self) -> None:
        """Re-range y when the data (less each curve's first tenth, the start-up transient)
        leave the view or fill less than 40% of it."""
        ys = [v for _, values in self._data.values() for v in values[len(values) // 10 :] if np.isfinite(v)]
        if not ys:
            return
        low, high = min(ys), max(ys)
        pad = max(high - low, abs(high) * 0.01, 1e-6) * 0.25
        if self._y_range is not None:
            cur_low, cur_high = self._y_range
            if cur_low <= low and high <= cur_high and (high - low) > 0.4 * (cur_high - cur_low):
                return
        self._y_range = (low - pad, high + pad)
        self.setYRange(*self._y_range, padding=0)


def legend_title(title: str, keys: list[str], per_line: int | None = None) -> str:
    """A plot's title with its legend's entries (HTML) in small type: beside it, or ``per_line`` to a line
    below it."""
    if not keys:
        return title
    if per_line is None:
        return f"{title}&nbsp;&nbsp;<span style='font-size:8pt'>{'&nbsp;&nbsp;'.join(keys)}</span>"
    lines = ["&nbsp;&nbsp;".join(keys[i : i + per_line]) for i in range(0, len(keys), per_line)]
    return f"{title}<br><span style='font-size:8pt'>{'<br>'.join(lines)}</span>"


def set_title(plot: pg.PlotWidget, html: str) -> None:
    """Show ``html`` as the plot's title, its row as tall as its lines (pyqtgraph fixes the row at 30 px,
    which cuts a title of more than one line)."""
    plot.setTitle(html, color="#333", size="10pt")
    label = plot.getPlotItem().titleLabel
    height = max(30.0, label.item.boundingRect().height())
    label.setMaximumHeight(height)
    plot.getPlotItem().layout.setRowFixedHeight(0, height)
