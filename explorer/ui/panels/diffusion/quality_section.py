"""The quality-against-cost section: the recorded FID of the shipped DDPM by each sampler at each NFE."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QVBoxLayout, QWidget

from explorer.core.diffusion.quality_curve import RECORD, QualityCurve, read_curve
from explorer.ui.widgets.help_button import HelpButton
from explorer.ui.widgets.status_label import status_label

QUALITY_HELP = (
    "Each point: N digits of the shipped DDPM drawn from the same x_T (the same seed) by one sampler spending "
    "that many network evaluations (NFE) per digit, scored by the project's FID (lower is better) against the "
    "10,000 test digits. DDIM (η = 0) is Euler's method on the probability-flow ODE; Heun (Karras et al. 2022) "
    "corrects each step with a second evaluation; DPM-Solver++(2M) (Lu et al. 2022) reuses the previous step's "
    "prediction instead, so it is second order at one evaluation per step. At 1 and 2 NFE all three are the same "
    "steps. Dashed: the floor, N real training digits scored the same way. A sampler's time per digit is its NFE "
    "times one pass of the network. Measured by benchmarks/sampler_quality.py."
)
COLOURS = {
    "DDIM, η = 0": "#1f77b4",
    "DDIM, η = 1": "#9467bd",
    "Heun (PF-ODE)": "#2ca02c",
    "DPM-Solver++(2M)": "#d62728",
}
SHORT = {"DDIM, η = 0": "DDIM η=0", "DDIM, η = 1": "DDIM η=1", "Heun (PF-ODE)": "Heun", "DPM-Solver++(2M)": "DPM++(2M)"}
TICKS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)  # plain numbers on the log axes


def _log_ticks(values: tuple[int, ...]) -> list[list[tuple[float, str]]]:
    return [[(float(np.log10(v)), str(v)) for v in values]]


class QualitySection(QGroupBox):
    """FID against NFE for each sampler at the record's largest N with a full curve, and the floor."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Quality against cost (FID vs NFE)", parent)
        self.plot = pg.PlotWidget()
        self.plot.setBackground("w")
        self.plot.setMinimumSize(200, 120)
        self.plot.setLogMode(x=True, y=True)
        self.plot.setLabel("bottom", "NFE per digit")
        self.plot.setLabel("left", "FID")
        for axis in ("bottom", "left"):
            self.plot.getAxis(axis).setTicks(_log_ticks(TICKS))
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.floor_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#555", width=1, style=Qt.PenStyle.DashLine))
        self.plot.addItem(self.floor_line, ignoreBounds=True)
        # The 1000-step DDPM's FID, drawn where the record has it at the plotted N (FID depends on N).
        self.reference_line = pg.InfiniteLine(angle=0, pen=pg.mkPen("#2ca02c", width=1.5, style=Qt.PenStyle.DotLine))
        self.plot.addItem(self.reference_line, ignoreBounds=True)
        self.reference_line.hide()
        self.info = status_label("", 5)
        self.help = HelpButton(QUALITY_HELP)
        row = QHBoxLayout()
        row.addWidget(self.info, 1)
        row.addWidget(self.help, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.addWidget(self.plot, 1)
        layout.addLayout(row)
        self.curve: QualityCurve | None = None
        self.show_curve(read_curve(RECORD))

    def show_curve(self, curve: QualityCurve | None) -> None:
        """Plot ``curve`` at its N with most points (None: say that nothing is recorded)."""
        self.curve = curve
        if curve is None or not curve.points:
            self.floor_line.hide()
            self.reference_line.hide()
            self.info.setText("No quality record yet: run benchmarks/sampler_quality.py to measure one.")
            return
        n = max(curve.sizes(), key=lambda size: sum(p.n == size for p in curve.points))
        for label, points in curve.series(n).items():
            if label not in self.curves:
                self.curves[label] = self.plot.plot(
                    [],
                    [],
                    symbol="o",
                    symbolSize=6,
                    pen=pg.mkPen(COLOURS.get(label, "#333"), width=2),
                    symbolBrush=COLOURS.get(label, "#333"),
                    symbolPen=None,
                )
            self.curves[label].setData(np.array([p.nfe for p in points], float), np.array([p.fid for p in points]))
        # The legend lives in the title, as on the schedule plot: a LegendItem would sit on the points.
        keys = [
            f"<span style='color:{COLOURS.get(label, '#333')}'>━ {SHORT.get(label, label)}</span>"
            for label in self.curves
        ]
        self.plot.setTitle("<br>".join("&nbsp;".join(keys[i : i + 2]) for i in range(0, len(keys), 2)), size="8pt")
        floor = curve.floor.get(str(n))
        nfes = [p.nfe for p in curve.points if p.n == n]
        reference = _reference_fid(curve, n)
        fids = [p.fid for p in curve.points if p.n == n] + [f for f in (floor, reference) if f is not None]
        self.plot.setXRange(np.log10(min(nfes) / 1.3), np.log10(max(nfes) * 1.3), padding=0)
        self.plot.setYRange(np.log10(min(fids) / 1.3), np.log10(max(fids) * 1.3), padding=0)
        self.floor_line.setVisible(floor is not None)
        if floor is not None:
            self.floor_line.setValue(np.log10(floor))
        self.reference_line.setVisible(reference is not None)
        if reference is not None:
            self.reference_line.setValue(np.log10(reference))
        self.info.setText(self.summary(n))

    def summary(self, n: int) -> str:
        """What the plot shows, short enough for its five lines in the narrow column: N, the seed, the floor, the
        lowest cost within 15 % of DDIM-50, the 1000-step DDPM (the date and the reasons are in the tooltip)."""
        assert self.curve is not None
        series = self.curve.series(n)
        text = f"N = {n:,}, seed {self.curve.seed}"
        tip = f"Each point: N = {n:,} digits from seed {self.curve.seed}, measured {self.curve.date[:10]}."
        floor = self.curve.floor.get(str(n))
        if floor is not None:
            text += f"; floor {floor:.2f}, dashed"
            tip += f" Floor (N real training digits), dashed: {floor:.2f}."
        text += "."
        ddim50 = next((p.fid for p in series.get("DDIM, η = 0", []) if p.nfe == 50), None)
        if ddim50 is not None:
            close = [(p.nfe, label) for label, points in series.items() for p in points if p.fid <= 1.15 * ddim50]
            if close:
                nfe, label = min(close)
                text += f" Fewest NFE within 15 % of DDIM-50 η=0 ({ddim50:.2f}): {SHORT.get(label, label)}, {nfe}."
                tip += f" The fewest network evaluations within 15 % of DDIM-50's FID (η = 0): {label} at {nfe}."
        reference = _reference_fid(self.curve, n)
        if reference is not None:
            text += f" 1000-step DDPM {reference:.2f}, dotted."
        else:  # measured at another N only: said with its N, not drawn (a smaller N reads a higher FID)
            known = sorted(
                (int(size), float(line["fid"]))
                for size, line in self.curve.reference.items()
                if isinstance(line, dict) and "fid" in line
            )
            for size, fid in known[-1:]:
                text += f" 1000-step DDPM: {fid:.2f} at N = {size:,}."
                tip += f" The 1000-step DDPM was measured at N = {size:,} only: not drawn, as FID depends on N."
        self.info.setToolTip(tip)
        return text


def _reference_fid(curve: QualityCurve, n: int) -> float | None:
    """The 1000-step DDPM's FID the record holds at N = ``n``, if any."""
    line = curve.reference.get(str(n))
    return float(line["fid"]) if isinstance(line, dict) and "fid" in line else None
