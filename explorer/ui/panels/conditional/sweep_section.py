"""Guidance's trade-off, measured: for each w of a sweep, how often the classifier reads the asked digit
and how varied the samples are, against the real test digits' own variety."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

from explorer.core.conditional import SWEEP, SweepPoint, SweepProgress, SweepResult
from explorer.core.conditional.cddpm_state import SweepRequest
from explorer.ui.widgets.bounded_box import fit_to_field
from explorer.ui.widgets.curve_plot import CurvePlot
from explorer.ui.widgets.image_grid import tile
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.widgets.status_label import status_label

SHOWN = 3  # samples shown per w in the strip
REAL = "real test digits"


def ready_text(values: Sequence[float], symbol: str) -> str:
    return (
        f"Measure draws the chosen number of samples of the digit at each {symbol} = "
        f"{', '.join(f'{v:g}' for v in values)} from the same noise, and the classifier judges them."
    )


READY = ready_text(SWEEP, "w")


class SweepSection(QGroupBox):
    """Samples per value of the guidance (w, or classifier guidance's s) and the Measure button; accuracy and
    diversity plotted against it as points arrive. The n spin box is bound to ``state.sweep_n``."""

    def __init__(
        self,
        parent: QWidget | None = None,
        values: Sequence[float] = SWEEP,
        symbol: str = "w",
        state: SweepRequest | None = None,
    ) -> None:
        super().__init__(f"The trade-off, measured: accuracy and diversity against {symbol}", parent)
        self.values, self.symbol = tuple(values), symbol
        self.state = state = state if state is not None else SweepRequest()
        self.n = QSpinBox()
        fit_to_field(self.n, type(state), "sweep_n")
        self.n.setValue(state.sweep_n)
        self.n.valueChanged.connect(lambda n: state.update(sweep_n=n))
        state.changed.connect(self._on_state_changed)
        self.n.setSingleStep(20)
        self.n.setPrefix("n = ")
        self.n.setSuffix(f" per {symbol}")
        self.n.setToolTip(f"Samples drawn for each {symbol}: more give steadier numbers and take longer")
        self.measure_button = QPushButton("Measure")
        self.info = status_label(ready_text(self.values, symbol), lines=3)
        self.accuracy = CurvePlot("accuracy: read as y", symbol, "%")
        self.accuracy.add_curve("samples", "#1f77b4", symbol="o")
        self.diversity = CurvePlot("diversity: feature spread", symbol, "distance")
        self.diversity.add_curve("samples", "#d62728", symbol="o")
        self.diversity.add_curve(REAL, "#555555", dashed=True)
        self.strip = ImageView(f"{symbol} = {self.values[0]:g}<br>… {self.values[-1]:g} ↓")
        for plot in (self.accuracy, self.diversity):
            plot.setMinimumSize(180, 100)
            plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.strip.setMinimumSize(60, 120)
        self.strip.setToolTip(
            f"{SHOWN} samples at each {symbol} of the sweep, one row per {symbol}, {symbol} growing downwards"
        )
        controls = QHBoxLayout()
        controls.addWidget(self.n)
        controls.addWidget(self.measure_button)
        controls.addStretch()
        plots = QVBoxLayout()
        plots.addWidget(self.accuracy)
        plots.addWidget(self.diversity)
        views = QHBoxLayout()
        views.addLayout(plots, 4)
        views.addWidget(self.strip, 1)
        column = QVBoxLayout(self)
        column.addLayout(controls)
        column.addWidget(self.info)
        column.addLayout(views, 1)
        self.clear()

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if "sweep_n" in names and self.n.value() != self.state.sweep_n:
            self.n.setValue(self.state.sweep_n)

    def clear(self) -> None:
        """No sweep yet: empty plots over the sweep's w."""
        self.points: list[SweepPoint] = []
        for plot in (self.accuracy, self.diversity):
            plot.clear_data()
            plot.set_x_span(max(self.values))
            plot.redraw()
        self.accuracy.setYRange(0, 100, padding=0.05)
        self.strip.blank()

    def add_point(self, point: SweepPoint) -> None:
        """A w is done: plot it, and add its first samples to the strip."""
        self.points.append(point)
        self.accuracy.add_point("samples", point.guidance, 100 * point.accuracy)
        self.diversity.add_point("samples", point.guidance, point.diversity)
        for plot in (self.accuracy, self.diversity):
            plot.redraw()
        self.accuracy.setYRange(0, 100, padding=0.05)
        shown = np.concatenate([p.samples[:SHOWN] for p in self.points])  # row k: the samples of the k-th w
        self.strip.set_image(tile(shown, SHOWN))

    def follow(self, progress: SweepProgress) -> None:
        """A report of the running sweep: a judged point is plotted (the others only move the status bar)."""
        if progress.point is not None:
            self.add_point(progress.point)

    def end(self, succeeded: bool) -> None:
        """The sweep has ended: one stopped early says how far it got (one that finished has said what it found)."""
        if not succeeded:
            self.info.setText(f"Stopped after {len(self.points)} of {len(self.values)} values of {self.symbol}.")

    def finish(self, result: SweepResult) -> None:
        """The sweep is done: the real digits' diversity as the reference line, and what it found."""
        self.diversity.set_curve(REAL, [0.0, max(self.values)], [result.real_diversity] * 2)
        self.diversity.redraw()
        best = max(result.points, key=lambda p: p.accuracy)
        first, last = result.points[0], result.points[-1]
        k = self.symbol
        self.info.setText(
            f"{result.n} × {result.digit} per {k}: most often read as {result.digit} at {k} = "
            f"{best.guidance:g} ({100 * best.accuracy:.0f}%). Diversity {first.diversity:.1f} ({k} = "
            f"{first.guidance:g}) → {last.diversity:.1f} ({k} = {last.guidance:g}); real "
            f"{result.digit}s {result.real_diversity:.1f} (dashed)."
        )
