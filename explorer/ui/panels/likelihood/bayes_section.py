"""Section 1: maximum likelihood and Bayes on the ball-drawing example, bound to a ``BallState``."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from explorer.core.likelihood.ball import beta_log_pdf, cross_entropy_curve, log_likelihood
from explorer.core.likelihood.states import BallState
from explorer.core.runtime.errors import ExplorerError
from explorer.ui.panels.likelihood.config_form import ConfigForm
from explorer.ui.panels.likelihood.look import (
    ELBO_COLOUR,
    KL_COLOUR,
    P_COLOUR,
    Q_COLOUR,
    BarTips,
    FormulaLabel,
    StyledPlot,
    keep_y_range,
    num,
    term,
    transparent,
)

THETA = np.linspace(0.0005, 0.9995, 400)  # the grid the curves are drawn on: a 2-px step on the widest plot
RED, BLUE = "#d62728", "#1f77b4"
SHOWN_DRAWS = 40  # the strip of draws shows the last ones
CROSS_ENTROPY = "H(p<sub>D</sub>, p<sub>θ</sub>)"
ENTROPY = "H(p<sub>D</sub>)"
KL = "KL(p<sub>D</sub> ‖ p<sub>θ</sub>)"


class BayesSection(QWidget):
    """Click to draw; the likelihood, prior, posterior and the KL view follow the state."""

    def __init__(self, state: BallState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state or BallState()
        self.red_button = QPushButton("Draw a red ball")
        self.blue_button = QPushButton("Draw a blue ball")
        self.clear_button = QPushButton("Clear the draws")
        self.form = ConfigForm(
            self.state.prior, {"a": "prior a (reds seen before)", "b": "prior b (blues seen before)"}
        )
        self.draws_label = FormulaLabel(3)
        self.message = QLabel()
        self.message.setStyleSheet(f"color:{KL_COLOUR}")
        self.formula = FormulaLabel(5)  # four lines at 1280 px, five at the narrowest window

        self.likelihood_plot = StyledPlot("Likelihood p(D | θ), peak 1", "", "θ (share of red)")
        self._likelihood = self.likelihood_plot.plot(pen=pg.mkPen(P_COLOUR, width=2))
        self._ml_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(P_COLOUR, style=pg.QtCore.Qt.PenStyle.DashLine))
        self.likelihood_plot.addItem(self._ml_line)
        self.bayes_plot = StyledPlot(
            f"<span style='color:#888'>━ prior</span>  <span style='color:{Q_COLOUR}'>━ posterior</span>"
            f"  <span style='color:{Q_COLOUR}'>┆ MAP</span>",
            "density",
            "θ",
        )
        self._prior = self.bayes_plot.plot(pen=pg.mkPen("#888", width=2))
        self._posterior = self.bayes_plot.plot(pen=pg.mkPen(Q_COLOUR, width=2))
        self._map_line = pg.InfiniteLine(angle=90, pen=pg.mkPen(Q_COLOUR, style=pg.QtCore.Qt.PenStyle.DashLine))
        self.bayes_plot.addItem(self._map_line)
        self.kl_plot = StyledPlot(f"{CROSS_ENTROPY} = {ENTROPY} + KL", "nats", "θ (drag the black line)")
        self._cross_entropy = self.kl_plot.plot(pen=pg.mkPen(KL_COLOUR, width=2))
        self._entropy = pg.InfiniteLine(
            angle=0, pen=pg.mkPen(ELBO_COLOUR, width=2, style=pg.QtCore.Qt.PenStyle.DashLine)
        )
        self.kl_plot.addItem(self._entropy)
        self._bars = pg.BarGraphItem(
            x=[0.0, 0.0],
            y0=[0.0, 0.0],
            height=[0.0, 0.0],
            width=0.04,
            brushes=[transparent(ELBO_COLOUR, 160), transparent(KL_COLOUR, 160)],
        )
        self.kl_plot.addItem(self._bars)
        self.probe = pg.InfiniteLine(
            self.state.probe,
            angle=90,
            movable=True,
            bounds=(0.01, 0.99),
            pen=pg.mkPen("#222", width=2),
            hoverPen=pg.mkPen("#000", width=3),
        )
        self.kl_plot.addItem(self.probe)
        self.bar_tips = BarTips(self.kl_plot)  # hover the bar's parts: H and KL with their live values
        for plot in (self.likelihood_plot, self.bayes_plot, self.kl_plot):
            plot.setXRange(0, 1, padding=0.02)
        # H(p_D) of two colours is at most log 2: one fixed view holds it and a nat of KL above it, so a draw
        # never changes the axis (a new range re-lays out its ticks, the dearest part of a repaint)
        self.kl_plot.setYRange(0, 1 + math.log(2), padding=0)

        buttons = QVBoxLayout()
        for widget in (self.red_button, self.blue_button, self.clear_button, self.form, self.draws_label, self.message):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        plots = QGridLayout()
        plots.addWidget(self.likelihood_plot, 0, 0)
        plots.addWidget(self.bayes_plot, 0, 1)
        plots.addWidget(self.kl_plot, 0, 2)
        right = QVBoxLayout()
        right.addLayout(plots, 1)
        right.addWidget(self.formula)
        layout = QHBoxLayout(self)
        layout.addLayout(buttons)
        layout.addLayout(right, 1)

        self.red_button.clicked.connect(lambda: self._draw(True))
        self.blue_button.clicked.connect(lambda: self._draw(False))
        self.clear_button.clicked.connect(lambda: self.state.update(draws=()))
        self.form.edited.connect(self._on_prior_edited)
        self.probe.sigPositionChanged.connect(lambda line: self.state.set_probe(line.value()))
        self.state.changed.connect(self._on_state_changed)
        self._on_state_changed(frozenset({"draws", "prior", "probe"}))

    def _draw(self, red: bool) -> None:
        try:
            self.state.add_draw(red)
        except ExplorerError as exc:
            self.message.setText(str(exc))

    def _on_prior_edited(self, name: str, value: float) -> None:
        try:
            self.state.set_prior(**{name: value})
        except ExplorerError as exc:
            self.message.setText(str(exc))

    def _on_state_changed(self, names: frozenset[str]) -> None:
        s = self.state
        f = s.fit()
        if self.message.text():  # QLabel.clear() re-lays out the section even when there is nothing to clear
            self.message.clear()
        if "prior" in names:
            self.form.show_config(s.prior)
        if "probe" in names and abs(self.probe.value() - s.probe) > 1e-12:
            self.probe.setValue(s.probe)
        if names & {"draws", "prior"}:
            ll = log_likelihood(THETA, f.k, f.n)
            self._likelihood.setData(THETA, np.exp(ll - ll.max()))
            self._ml_line.setVisible(f.theta_ml is not None)
            self._ml_line.setValue(f.theta_ml or 0.0)
            self._prior.setData(THETA, np.exp(beta_log_pdf(THETA, f.a, f.b)))
            post = np.exp(beta_log_pdf(THETA, f.posterior_a, f.posterior_b))
            self._posterior.setData(THETA, post)
            self._map_line.setValue(f.theta_map)
            keep_y_range(self.bayes_plot, 0.0, float(np.max(post[10:-10])), floor=0.0)
            shown = "".join(f"<span style='color:{RED if d else BLUE}'>●</span>" for d in s.draws[-SHOWN_DRAWS:])
            self.draws_label.setText(f"{f.n} draws, {f.k} red:<br>{'…' if f.n > SHOWN_DRAWS else ''}{shown}")
            self._entropy.setVisible(f.theta_ml is not None)
            if f.theta_ml is None:
                self._cross_entropy.setData([], [])
            else:
                ce = cross_entropy_curve(f.theta_ml, THETA)
                self._cross_entropy.setData(THETA, ce)
                self._entropy.setValue(f.empirical_entropy)

        if f.empirical_entropy is None or f.kl_at is None:  # no draws yet
            self._bars.setOpts(x=[s.probe, s.probe], y0=[0, 0], height=[0, 0])
            self.bar_tips.regions = []
        else:
            h, kl = f.empirical_entropy, f.kl_at
            self._bars.setOpts(x=[s.probe, s.probe], y0=[0.0, h], height=[h, kl])
            left, right, tips = s.probe - 0.03, s.probe + 0.03, self._tips(f)
            self.bar_tips.regions = [(left, right, 0.0, h, tips["entropy"]), (left, right, h, h + kl, tips["kl"])]
        self.formula.setText(self._formula(f))

    @staticmethod
    def _tips(f) -> dict[str, str]:
        """What each term of H(p_D, p_θ) = H(p_D) + KL(p_D ‖ p_θ) is, with its value at the probe's θ."""
        return {
            "cross": f"H(p_D, p_θ) = {num(f.cross_entropy_at)} nats at θ = {num(f.theta_probe, 2)}: −(1/n) log p(D | θ), "
            "the cross-entropy of the draws under the model",
            "entropy": f"H(p_D) = {num(f.empirical_entropy)} nats: the entropy of the draws' own distribution "
            f"({f.k}/{f.n} red); no θ changes it",
            "kl": f"KL(p_D ‖ p_θ) = {num(f.kl_at)} nats at θ = {num(f.theta_probe, 2)}: how far the model is from "
            "the draws; zero at θ = k/n, the maximum-likelihood θ",
        }

    @classmethod
    def _formula(cls, f) -> str:
        ml = (
            "θ<sub>ML</sub> = k/n = –"
            if f.theta_ml is None
            else (
                f"θ<sub>ML</sub> = k/n = {f.k}/{f.n} = <b>{num(f.theta_ml)}</b>,  "
                f"log p(D | θ<sub>ML</sub>) = {num(f.log_likelihood_at_ml)}"
            )
        )
        tips = cls._tips(f) if f.theta_ml is not None else {}
        kl = (
            ""
            if f.theta_ml is None
            else (
                f"<br>p<sub>D</sub> = (k/n, 1 − k/n), the draws' own distribution:  −(1/n) log p(D | θ) = "
                f"{term(CROSS_ENTROPY, tips['cross'])} = {term(ENTROPY, tips['entropy'])} + {term(KL, tips['kl'])} "
                f"at θ = {num(f.theta_probe, 2)}: <b>{term(num(f.cross_entropy_at), tips['cross'])}</b> = "
                f"{term(num(f.empirical_entropy), tips['entropy'], ELBO_COLOUR)} + "
                f"{term(num(f.kl_at), tips['kl'], KL_COLOUR)} nats — {ENTROPY} does not depend on θ, so the "
                "θ of least KL is the maximum-likelihood θ."
            )
        )
        return (
            f"p(D | θ) = θ<sup>k</sup>(1 − θ)<sup>n−k</sup> with k = {f.k}, n = {f.n};  {ml}<br>"
            f"p(θ | D) ∝ p(D | θ) p(θ) = Beta(a + k, b + n − k) = Beta({num(f.posterior_a, 2)}, "
            f"{num(f.posterior_b, 2)});  MAP = (a + k − 1)/(a + b + n − 2) = <b>{num(f.theta_map)}</b>, "
            f"posterior mean = {num(f.posterior_mean)}{kl}"
        )
