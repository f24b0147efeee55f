"""The DDPM's reverse chain: sampler, NFE, η; the forward process on the data; quality against NFE."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QGridLayout, QGroupBox, QPushButton, QWidget

from explorer.core.plane.lab_state import LabJob, LabState
from explorer.ui.panels.plane.form import build_form
from explorer.ui.widgets.help_button import HelpButton

HELP = (
    "Four ways back from the same starting noise x_T, each allowed NFE network evaluations. 'ddpm' is "
    "ancestral sampling (Ho et al. Algorithm 2) on NFE of the T steps; 'ddim' is Song et al.'s eq. 12 with "
    "noise η (η = 1 is DDPM's own process); 'euler' and 'heun' solve the probability-flow ODE "
    "dy/dσ = ε̂(x, t) in y = x/√ᾱ, σ = √((1−ᾱ)/ᾱ): Euler on it is exactly DDIM with η = 0; Heun averages "
    "the slopes at both ends (2 evaluations a step, the last step Euler). The steps are spaced evenly in "
    "√t, so a small budget takes its short steps near the data, where thin shapes are decided. Trails follow a few particles. "
    "'Forward' noises the data, q(x_t|x_0) = N(√ᾱ_t x_0, (1−ᾱ_t)I). 'Quality vs NFE' runs every sampler at "
    "NFE 1 … 1000 and plots the MMD² of its samples against the data's floor."
)


class DDPMSection(QGroupBox):
    """Writes ``sampler``; the buttons call ``sample()``, ``forward()`` and ``sweep()``."""

    def __init__(
        self,
        state: LabState,
        sample: Callable[[], None],
        forward: Callable[[], None],
        sweep: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Diffusion (DDPM)", parent)
        self.state = state
        form, self.editors = build_form(
            state.sampler,
            lambda name, value: state.with_request("sampler", **{name: value}),
            {"sampler": "sampler", "nfe": "NFE", "eta": "η (ddim)"},
        )
        self.sample = QPushButton("Sample")
        self.sample.clicked.connect(sample)
        self.forward = QPushButton("Forward")
        self.forward.clicked.connect(forward)
        self.sweep = QPushButton("Quality vs NFE")
        self.sweep.clicked.connect(sweep)
        grid = QGridLayout(self)
        grid.addLayout(form, 0, 0, 1, 3)
        grid.addWidget(self.sample, 1, 0)
        grid.addWidget(self.forward, 1, 1)
        grid.addWidget(HelpButton(HELP), 1, 2)
        grid.addWidget(self.sweep, 2, 0, 1, 3)
        state.changed.connect(self._on_state_changed)
        self._on_state_changed(frozenset({"ddpm_model", "job"}))

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if names & {"ddpm_model", "job"}:
            ready = self.state.ddpm_model is not None
            for button in (self.sample, self.forward):
                button.setEnabled(ready)
            self.sweep.setEnabled(ready and self.state.job is LabJob.IDLE)
            self.setToolTip("" if ready else "Train a DDPM first (Training ▸ ddpm)")
