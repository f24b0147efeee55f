"""The Forward vs reverse KL tab: one Gaussian q fitted to a two-bump p both ways, animated side by side."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget
from superqt.utils import signals_blocked

from explorer.core.divergence import Base, Direction, FitStep, GaussianMixture, fit_gaussian, log_base
from explorer.core.divergence.view_state import FitState
from explorer.core.runtime.limits import declared_range
from explorer.ui.panels.divergences.style import (
    KL_COLOUR,
    P_COLOUR,
    Q_COLOUR,
    REVERSE_COLOUR,
    StyledPlot,
    double_slider,
    fixed,
    format_value,
    transparent,
)

FIT_STEPS = 300
FIT_LR = 0.1
FIT_STEPS_PER_TICK = 5
FIT_TICK_MS = 33
SETTINGS = ("distance", "start_mu", "start_sigma")  # the state's fields the sliders write


class FitTab(QWidget):
    """Fit one Gaussian q to a two-bump p by gradient steps on forward and on reverse KL, side by side; the sliders
    write ``state`` and every change of it starts the fits again from step 0."""

    DIRECTIONS: tuple[Direction, Direction] = ("forward", "reverse")

    def __init__(self, parent: QWidget | None = None, *, state: FitState | None = None) -> None:
        super().__init__(parent)
        self.state = state = state if state is not None else FitState()
        self._fits: dict[Direction, Iterator[FitStep]] = {}
        self.last: dict[Direction, FitStep] = {}
        self._losses: dict[Direction, list[float]] = {}
        self._x = np.zeros(0)

        self.distance, self.start_mu, self.start_sigma = (
            double_slider(*declared_range(type(state), name), getattr(state, name)) for name in SETTINGS
        )
        self.run_button = QPushButton("▶  Run the fits")
        self.reset_button = QPushButton("Reset")
        form = QFormLayout()
        form.addRow("distance between p's bumps", self.distance)
        form.addRow("q's starting μ", self.start_mu)
        form.addRow("q's starting σ", self.start_sigma)
        controls = QHBoxLayout()
        controls.addLayout(form, 3)
        buttons = QVBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.reset_button)
        controls.addLayout(buttons, 1)
        explain = QLabel(
            f"p = ½N(−d/2, 0.6²) + ½N(d/2, 0.6²), two bumps for every d here (an equal mixture of two "
            f"Gaussians of σ = 0.6 has two only for d > 2σ = 1.2). q = N(μ, σ²) takes {FIT_STEPS} gradient steps "
            f"on μ and log σ.<br>"
            "<b>Forward KL(p‖q)</b> punishes q for missing any of p's mass, so q stretches over both bumps "
            "(mass-covering).<br><b>Reverse KL(q‖p)</b> punishes q for putting mass where p has none, so q "
            "locks onto one bump (mode-seeking). That VAEs blur and GANs drop modes for this reason is a "
            "heuristic only: a VAE's encoder is itself fitted by reverse KL, and the minimax GAN targets JS."
        )
        explain.setWordWrap(True)

        self.plots: dict[Direction, pg.PlotWidget] = {}
        self.status: dict[Direction, QLabel] = {}
        self._p_curves: dict[Direction, pg.PlotDataItem] = {}
        self._q_curves: dict[Direction, pg.PlotDataItem] = {}
        self.loss_plot = StyledPlot(
            f"Loss during the fit: <span style='color:{KL_COLOUR}'>━ KL(p‖q), forward</span>   "
            f"<span style='color:{REVERSE_COLOUR}'>━ KL(q‖p), reverse</span>   (first steps cut off)",
            "",
            "step",
        )
        self._loss_curves: dict[Direction, pg.PlotDataItem] = {}
        row = QHBoxLayout()
        titles = {
            "forward": "Forward: minimise KL(p‖q) — covers both bumps",
            "reverse": "Reverse: minimise KL(q‖p) — locks onto one bump",
        }
        loss_colours = {"forward": KL_COLOUR, "reverse": REVERSE_COLOUR}
        for direction in self.DIRECTIONS:
            plot = StyledPlot(titles[direction], "density", "x")
            plot.addLegend(offset=(-10, 10), labelTextColor="#222")
            self._p_curves[direction] = plot.plot(
                pen=pg.mkPen(P_COLOUR, width=2), name="p (target)", fillLevel=0, brush=transparent(P_COLOUR, 50)
            )
            self._q_curves[direction] = plot.plot(pen=pg.mkPen(Q_COLOUR, width=3), name="q (fitted Gaussian)")
            status = QLabel()
            status.setAlignment(Qt.AlignmentFlag.AlignCenter)
            column = QVBoxLayout()
            column.addWidget(plot, 1)
            column.addWidget(status)
            row.addLayout(column, 1)
            self.plots[direction] = plot
            self.status[direction] = status
            self._loss_curves[direction] = self.loss_plot.plot(pen=pg.mkPen(loss_colours[direction], width=2))

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addLayout(controls, 1)
        top.addWidget(explain, 1)
        layout.addLayout(top)
        layout.addLayout(row, 2)
        layout.addWidget(self.loss_plot, 1)  # a third of the height: on a laptop screen its curves still show

        self.timer = QTimer(self)
        self.timer.setInterval(FIT_TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.run_button.clicked.connect(self.start)
        self.reset_button.clicked.connect(self.reset)
        self._sliders = dict(zip(SETTINGS, (self.distance, self.start_mu, self.start_sigma), strict=True))
        for name, slider in self._sliders.items():
            slider.valueChanged.connect(lambda value, name=name: state.update(**{name: float(value)}))
        state.changed.connect(self._on_state_changed)
        self.reset()

    def _on_state_changed(self, names: frozenset[str]) -> None:
        for name in names & self._sliders.keys():
            slider = self._sliders[name]
            if slider.value() != getattr(self.state, name):
                with signals_blocked(slider):
                    slider.setValue(getattr(self.state, name))
        if names & self._sliders.keys():
            self.reset()
        elif "units" in names:
            self._redraw()

    def target(self) -> GaussianMixture:
        """The two-bump p the fits aim at."""
        return self.state.target()

    def set_units(self, units: Base) -> None:
        self.state.update(units=units)

    def is_running(self) -> bool:
        return self.timer.isActive()

    def reset(self) -> None:
        """Stop any fit and put q back at its starting point (step 0)."""
        self.timer.stop()
        self.run_button.setText("▶  Run the fits")
        p = self.target()
        for direction in self.DIRECTIONS:
            self._fits[direction] = fit_gaussian(
                p, direction, FIT_STEPS, FIT_LR, self.state.start_mu, self.state.start_sigma
            )
            self.last[direction] = next(self._fits[direction])
            self._losses[direction] = [self.last[direction].loss]
        x = np.linspace(-self.state.distance / 2 - 5, self.state.distance / 2 + 5, 601)
        for direction in self.DIRECTIONS:
            self._p_curves[direction].setData(x, p.pdf(x))
            self.plots[direction].setXRange(x[0], x[-1], padding=0)
        self._x = x
        self._redraw()

    def start(self) -> None:
        """Start (or restart from step 0) the animated fits."""
        self.reset()
        self.run_button.setText("Running…")
        self.timer.start()

    def tick(self) -> None:
        """Advance both fits a few steps and redraw; stops the timer when both have finished."""
        finished = 0
        for direction in self.DIRECTIONS:
            for _ in range(FIT_STEPS_PER_TICK):
                snapshot = next(self._fits[direction], None)
                if snapshot is None:
                    finished += 1
                    break
                self.last[direction] = snapshot
                self._losses[direction].append(snapshot.loss)
        if finished == len(self.DIRECTIONS):
            self.timer.stop()
            self.run_button.setText("▶  Run again")
        self._redraw()

    def _redraw(self) -> None:
        scale = log_base(self.state.units)
        for direction in self.DIRECTIONS:
            s = self.last[direction]
            q = GaussianMixture.gaussian(s.mu, s.sigma)
            self._q_curves[direction].setData(self._x, q.pdf(self._x))
            name = "KL(p‖q)" if direction == "forward" else "KL(q‖p)"
            self.status[direction].setText(
                f"step {s.step}/{FIT_STEPS}:  μ = {fixed(s.mu)},  σ = {fixed(s.sigma)},  "
                f"{name} = {format_value(s.loss / scale, self.state.units)}"
            )
            self._loss_curves[direction].setData(np.asarray(self._losses[direction]) / scale)
        # scale the loss axis to the loss after a few steps, so the large starting values do not flatten the curves
        top = max(losses[min(5, len(losses) - 1)] for losses in self._losses.values()) / scale
        self.loss_plot.setYRange(0.0, 1.2 * top, padding=0)
        self.loss_plot.setXRange(0, FIT_STEPS, padding=0.02)
        self.loss_plot.getPlotItem().setLabel("left", self.state.units)
