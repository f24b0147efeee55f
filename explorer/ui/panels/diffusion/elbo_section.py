"""The ELBO section: the DDPM's variational bound on one test digit, made visible pixel by pixel and term by term
(Ho et al. 2020, eq. 5-14). The panel runs the bound's job and feeds its chunks in; the view binds to ELBOState."""

from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from explorer.core.diffusion.elbo import StepTerms
from explorer.core.diffusion.elbo_trace import BoundChunk, BoundTrace, ELBOState, eps_weight, kl_constant
from explorer.core.diffusion.model import DDPM
from explorer.core.runtime.data import Split
from explorer.core.runtime.progress import time_left
from explorer.ui.panels.diffusion.display import abar_text
from explorer.ui.panels.diffusion.elbo_plots import GaussianPlot, TermsPlot
from explorer.ui.panels.diffusion.forward_section import TSlider
from explorer.ui.widgets.help_button import HelpButton
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.widgets.status_label import status_label

ELBO_HELP = (
    "The DDPM is a latent-variable model, trained (in principle) by its variational bound on −log p_θ(x_0) "
    "(Ho et al. 2020, eq. 5): L = L_T + Σ_{t≥2} L_{t−1} + L_0. L_T = KL(q(x_T | x_0) ‖ N(0, I)) has no parameters. "
    "Each L_{t−1} = KL(q(x_{t−1} | x_t, x_0) ‖ p_θ(x_{t−1} | x_t)) compares the forward process's posterior, the "
    "Gaussian of mean μ̃_t = c₁·x_0 + c₂·x_t and variance β̃_t, with the model's step, of mean "
    "μ_θ = (x_t − β_t/√(1−ᾱ_t)·ε_θ)/√α_t and variance σ_t² = β_t: pixels are independent, so it is a sum of 784 "
    "one-dimensional KLs, one of which the left plot draws. L_0 = −log p_θ(x_0 | x_1) is the mass the model's last "
    "step puts on x_0's bin of width 2/255. Every term here is measured on one draw of x_t per t, so the sum is an "
    "unbiased estimate of L, in nats and in bits per pixel (÷ 784·ln 2). The ε-objective: with the true noise ε, "
    "each pixel's KL is C_t + λ_t·(ε − ε_θ)², λ_t = β_t/(2α_t(1−ᾱ_t)); Ho et al.'s L_simple = ‖ε − ε_θ‖² drops the "
    "weight λ_t (large at small t, where the noise is faint), the constants C_t and L_T (nothing to learn) and the "
    "decoder's bins. It trains better samples, at the price of a worse bound. Click x_0 to choose the pixel; drag "
    "the line on the right-hand plot, or the slider, to choose t."
)
NO_MODEL = "No diffusion model yet: load or train one to see its bound."


def stroke_pixel(digit: np.ndarray) -> tuple[int, int]:
    """The well-inked pixel nearest the centre of a digit (uint8, 28 x 28): a pixel worth looking at first."""
    rows, cols = np.nonzero(digit > 200)
    if not len(rows):
        return 14, 14
    k = int(np.argmin((rows - 13.5) ** 2 + (cols - 13.5) ** 2))
    return int(rows[k]), int(cols[k])


def _number(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1e-3 or abs(x) >= 1e4 else f"{x:.4f}"


class ELBOSection(QGroupBox):
    """A test digit and one of its pixels; the two Gaussians of that pixel at t and their KL, with the mean's formula
    in live numbers; every term of the bound against t once computed, and their sum."""

    compute_requested = Signal(int)  # the test digit whose bound to compute
    stop_requested = Signal()

    def __init__(self, test: Split, parent: QWidget | None = None) -> None:
        super().__init__("The ELBO, term by term: q(x_{t−1} | x_t, x_0) against p_θ(x_{t−1} | x_t)", parent)
        self.test = test
        self.state = ELBOState(pixel=stroke_pixel(test.images[0]))
        self.model: DDPM | None = None
        self.traces: dict[int, BoundTrace] = {}  # the current model's bounds by test digit, complete or partial
        self.step: StepTerms | None = None  # what the Gaussians and the numbers show
        self._started = 0.0
        self.digit = QSpinBox()
        self.digit.setRange(0, len(test.images) - 1)
        self.digit.setPrefix("test digit #")
        self.digit.valueChanged.connect(lambda d: self.state.update(digit=d))
        self.t_slider = TSlider(Qt.Orientation.Horizontal)
        self.t_slider.setRange(1, 1000)
        self.t_slider.setValue(self.state.t)
        self.t_slider.valueChanged.connect(lambda t: self.state.update(t=t))
        self.t_value = QLabel()
        self.t_value.setFixedWidth(self.t_value.fontMetrics().horizontalAdvance("t = 10000") + 4)
        self.compute_button = QPushButton("Compute the bound")
        self.compute_button.clicked.connect(self._on_compute_clicked)
        row = QHBoxLayout()
        row.addWidget(self.digit)
        row.addWidget(self.t_slider, 1)
        row.addWidget(self.t_value)
        row.addWidget(self.compute_button)
        row.addWidget(HelpButton(ELBO_HELP))

        self.x0_view = ImageView("x_0: click a pixel")
        self.kl_view = ImageView("its 784 terms at t")
        self.boxes = []
        for view in (self.x0_view, self.kl_view):
            view.setMinimumSize(90, 100)
            box = pg.QtWidgets.QGraphicsRectItem(0, 0, 1, 1)
            box.setPen(pg.mkPen("#e8731a", width=2, cosmetic=True))
            box.setZValue(5)
            view.view.addItem(box)
            self.boxes.append(box)
        self.x0_view.scene().sigMouseClicked.connect(self._on_x0_clicked)
        self.x0_view.setMaximumWidth(130)
        self.kl_view.setMaximumWidth(130)
        images = QVBoxLayout()
        images.addWidget(self.x0_view, 1)
        images.addWidget(self.kl_view, 1)
        self.gaussians = GaussianPlot()
        self.terms_plot = TermsPlot()
        self.terms_plot.t_dragged.connect(lambda t: self.state.update(t=t))
        views = QHBoxLayout()
        views.addLayout(images, 0)
        views.addWidget(self.gaussians, 1)
        views.addWidget(self.terms_plot, 1)
        self.formula = status_label(NO_MODEL, 5)
        self.formula.setTextFormat(Qt.TextFormat.RichText)
        self.bound_info = status_label("", 2)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addLayout(views, 1)
        layout.addWidget(self.formula)
        layout.addWidget(self.bound_info)
        self._step_timer = QTimer(self, singleShot=True, interval=0)  # latest request wins while dragging
        self._step_timer.timeout.connect(self.show_step)
        self.state.changed.connect(self._on_state_changed)
        self._show_digit()

    # ---- model and job ------------------------------------------------------------------------
    def set_model(self, model: DDPM | None) -> None:
        """A new model (None: none): the bounds of the previous one are dropped; t reaches the new T."""
        self.model = model
        self.traces.clear()
        self.state.update(computing=None)
        if model is not None:
            T = model.schedule.T
            self.t_slider.setRange(1, T)
            self.state.update(t=min(self.state.t, T))
        self._show_digit()

    def trace(self, digit: int) -> BoundTrace | None:
        """The current model's trace of test digit ``digit``, made empty the first time (None: no model)."""
        if self.model is None:
            return None
        if digit not in self.traces:
            self.traces[digit] = BoundTrace(self.model.schedule, self.test.images[digit])
        return self.traces[digit]

    def job_started(self, digit: int) -> None:
        self._started = time.monotonic()
        self.state.update(computing=digit)
        trace = self.trace(digit)
        if trace is not None:
            trace.done[:] = False  # computed afresh, from the same draws
        self._show_bound()

    def add_chunk(self, digit: int, chunk: BoundChunk) -> None:
        """Keep a chunk of digit ``digit``'s bound; show it if that digit is on show."""
        trace = self.trace(digit)
        if trace is None:
            return
        trace.add(chunk)
        if digit == self.state.digit:
            self.terms_plot.show_trace(trace)
            self._show_bound()

    def job_ended(self, succeeded: bool) -> None:
        self.state.update(computing=None)
        self._show_bound()
        self.show_step()  # its numbers now come from the job's ε_θ

    def _on_compute_clicked(self) -> None:
        if self.state.computing is not None:
            self.stop_requested.emit()
        else:
            self.compute_requested.emit(self.state.digit)

    def say(self, text: str) -> None:
        """A line from the panel (a job to wait for, a failure) where the bound's line goes."""
        self.bound_info.setText(text)

    # ---- state --------------------------------------------------------------------------------
    def _on_state_changed(self, names: frozenset[str]) -> None:
        if "t" in names:
            with QSignalBlocker(self.t_slider):
                self.t_slider.setValue(self.state.t)
            self.terms_plot.mark(self.state.t)
        if "digit" in names:
            with QSignalBlocker(self.digit):
                self.digit.setValue(self.state.digit)
            self._show_digit()
        elif names & {"t", "pixel"}:
            self._step_timer.start()
        if "computing" in names:
            self.compute_button.setText("Stop" if self.state.computing is not None else "Compute the bound")

    def _show_digit(self) -> None:
        """The digit, its bound so far and the step at t."""
        self.x0_view.set_image(self.test.images[self.state.digit].astype(np.float32) / 255.0)
        self.terms_plot.show_trace(self.trace(self.state.digit))
        self.terms_plot.mark(self.state.t)
        self._show_bound()
        self.show_step()

    def show_step(self) -> None:
        """The two Gaussians at the pixel and t, their KL, the pixels' terms and the formulas in numbers."""
        self._step_timer.stop()
        r, c = self.state.pixel
        for box in self.boxes:
            box.setRect(c, r, 1, 1)
        trace = self.trace(self.state.digit)
        self.t_value.setText(f"t = {self.state.t}")
        if trace is None:
            self.step = None
            self.formula.setText(NO_MODEL)
            self.kl_view.blank()
            return
        i = self.state.t - 1
        self.step = step = trace.step(i, self.model)
        assert step is not None  # there is a model
        per_pixel = step.per_pixel[0, 0].numpy()
        self.kl_view.set_image(np.sqrt(per_pixel / max(float(per_pixel.max()), 1e-12)))
        s = trace.schedule
        q_var = 0.0 if i == 0 else s.posterior_variance[i].item()
        beta = s.betas[i].item()
        x0, x_t = trace.x0[0, 0, r, c].item(), step.x_t[0, 0, r, c].item()
        q_mean, p_mean = step.post_mean[0, 0, r, c].item(), step.p_mean[0, 0, r, c].item()
        self.gaussians.show_pair(x0, x_t, q_mean, q_var, p_mean, beta)
        self.formula.setText(self._formula(trace, step, i, r, c))

    def _formula(self, trace: BoundTrace, step: StepTerms, i: int, r: int, c: int) -> str:
        """The step's maths at pixel (r, c) with its numbers: x_t, both means and variances, the term, the weights."""
        s, t = trace.schedule, i + 1
        beta, abar = s.betas[i].item(), s.alphas_cumprod[i].item()
        x0, x_t = trace.x0[0, 0, r, c].item(), step.x_t[0, 0, r, c].item()
        eps, eps_theta = trace.noise[i, 0, r, c].item(), step.eps_theta[0, 0, r, c].item()
        here, total = step.per_pixel[0, 0, r, c].item(), float(step.term[0])
        lines = [
            f"<b>pixel ({r}, {c}), t = {t}</b>: x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε = {math.sqrt(abar):.3f}·({x0:.3f}) + "
            f"{math.sqrt(1 - abar):.3f}·({eps:.3f}) = {x_t:.3f} &nbsp; (ᾱ_t = {abar_text(abar)})",
            f"<b>p_θ</b>: μ_θ = (x_t − β_t/√(1−ᾱ_t)·ε_θ)/√α_t = ({x_t:.3f} − {beta / math.sqrt(1 - abar):.4f}·"
            f"({eps_theta:.3f}))/{math.sqrt(1 - beta):.4f} = {step.p_mean[0, 0, r, c].item():.4f}, "
            f"σ_t² = β_t = {_number(beta)}",
        ]
        if i == 0:
            lines += [
                f"<b>q</b> at t = 1 is x_0 itself: L_0 = −log of p_θ's mass on x_0's bin (x_0 ± 1/255, shaded)"
                f" = <b>{_number(here)} nats</b>; 784 pixels: <b>L_0 = {total:.2f}</b>",
                f"ε-objective at t = 1: (ε − ε_θ)² = {_number((eps - eps_theta) ** 2)} stands in for L_0's bins",
            ]
        else:
            weight, constant = eps_weight(s, i), kl_constant(s, i)
            lines += [
                f"<b>q</b>: μ̃_t = {s.posterior_mean_coef1[i].item():.4f}·x_0 + {s.posterior_mean_coef2[i].item():.4f}"
                f"·x_t = {step.post_mean[0, 0, r, c].item():.4f}, β̃_t = {_number(s.posterior_variance[i].item())}."
                f" &nbsp; <b>KL = {_number(here)} nats</b>; 784 pixels: <b>L_{t - 1} = {_number(total)}</b>",
                f"ε-objective: KL = C_t + λ_t·(ε − ε_θ)² = {_number(constant)} + {_number(weight)}·"
                f"{_number((eps - eps_theta) ** 2)}; L_simple drops λ_t and C_t (weight 1)",
            ]
        return "<br>".join(lines)

    def _show_bound(self) -> None:
        """The bound in a line: its sum when complete, the job's progress and time left while it runs."""
        trace = self.trace(self.state.digit)
        if trace is None:
            self.bound_info.setText("")
            self.compute_button.setEnabled(False)
            return
        T, done = len(trace.term), int(trace.done.sum())
        self.compute_button.setEnabled(self.state.computing is not None or not trace.complete)
        if self.state.computing == self.state.digit:
            left = time_left(done / T, time.monotonic() - self._started)
            self.bound_info.setText(
                f"Computing the bound of test digit #{self.state.digit}: {done} of {T} timesteps, one network "
                f"pass each{' — ' + left if left else ''}."
            )
        elif trace.complete:
            terms = trace.terms()
            self.bound_info.setText(
                f"<b>L = L_T + Σ L_{{t−1}} + L_0 = {_number(terms.prior)} + {float(terms.steps.sum()):.2f} + "
                f"{terms.decoder:.2f} = {terms.total:.2f} nats = {terms.bits_per_dim:.3f} bits/dim</b> ≥ "
                f"−log p_θ(x_0) (eq. 5; one draw of x_t per t)"
            )
        else:
            busy = f", now computing #{self.state.computing}" if self.state.computing is not None else ""
            self.bound_info.setText(
                f"The bound of test digit #{self.state.digit} takes {T} network passes{busy}: press "
                f"“Compute the bound” to plot its {T} terms ({done} of them made so far)."
            )

    def _on_x0_clicked(self, event) -> None:
        pos = self.x0_view.image.mapFromScene(event.scenePos())
        r, c = math.floor(pos.y()), math.floor(pos.x())
        if 0 <= r < 28 and 0 <= c < 28:
            self.state.update(pixel=(r, c))
