"""The sampler controls: how many samples, from which seed, by DDPM, by DDIM with its K and η, or by an ODE
solver (Heun, DPM-Solver++(2M)) spending K network evaluations; a form over a ``SamplingRequest``."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox, QWidget

from explorer.core.diffusion import DDPMConfig
from explorer.core.diffusion.panel_state import SamplingRequest
from explorer.ui.widgets.bounded_box import fit_to_field

SAMPLER_NAMES = {
    "ddpm": "DDPM (all T steps)",
    "ddim": "DDIM (K steps)",
    "heun": "Heun (K evaluations)",
    "dpm++2m": "DPM-Solver++(2M) (K steps)",
}


class SamplerControls(QWidget):
    """One row of spin boxes and the sampler choice, bound to ``state``: an edit writes the state, a change of the
    state shows in the row. Their ranges are the state's fields' limits (K offered up to the default model's T
    until a model says its own)."""

    def __init__(self, state: SamplingRequest | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state = state if state is not None else SamplingRequest()
        request = type(state)
        self.n_samples = QSpinBox()
        fit_to_field(self.n_samples, request, "n")
        self.seed = QSpinBox()
        fit_to_field(self.seed, request, "seed")
        self.sampler = QComboBox()
        for key, name in SAMPLER_NAMES.items():
            self.sampler.addItem(name, key)
        self.ddim_steps = QSpinBox()
        fit_to_field(self.ddim_steps, request, "steps", offered=(1, DDPMConfig().timesteps))
        self.ddim_steps.setPrefix("K = ")
        self.eta = QDoubleSpinBox()  # DDIM's noise: 0 deterministic, 1 as much as DDPM (Song et al., eq. 16)
        fit_to_field(self.eta, request, "eta")
        self.eta.setSingleStep(0.1)
        self.eta.setDecimals(2)
        self.eta.setPrefix("η = ")
        self.ddim_steps.setToolTip(
            "K network evaluations (NFE) over evenly spaced timesteps: DDIM's and "
            "DPM-Solver++(2M)'s steps; Heun's 2 per step less one (not DDPM, which walks all T)"
        )
        self.eta.setToolTip("DDIM's fresh noise per step: 0 is deterministic, 1 is as much as DDPM (DDIM only)")
        self._show(frozenset({"n", "seed", "sampler", "steps", "eta"}))
        self.n_samples.valueChanged.connect(lambda n: state.update(n=n))
        self.seed.valueChanged.connect(lambda seed: state.update(seed=seed))
        self.sampler.currentIndexChanged.connect(lambda _: state.update(sampler=self.sampler.currentData()))
        self.ddim_steps.valueChanged.connect(lambda k: state.update(steps=k))
        self.eta.valueChanged.connect(lambda eta: state.update(eta=eta))
        state.changed.connect(self._show)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for label, widget in (
            ("samples", self.n_samples),
            ("seed", self.seed),
            ("sampler", self.sampler),
            (None, self.ddim_steps),
            (None, self.eta),
        ):
            if label:
                row.addWidget(QLabel(label))
            row.addWidget(widget)
        row.addStretch()

    def _show(self, names: frozenset[str]) -> None:
        """Show the state's values that changed, without announcing them back to it."""
        state = self.state
        for name, box in (("n", self.n_samples), ("seed", self.seed), ("steps", self.ddim_steps), ("eta", self.eta)):
            if name in names:
                with QSignalBlocker(box):
                    box.setValue(getattr(state, name))
        if "sampler" in names:
            with QSignalBlocker(self.sampler):
                self.sampler.setCurrentIndex(self.sampler.findData(state.sampler))
            self._enable_ddim_settings()

    def set_max_steps(self, T: int) -> None:
        """A model of T steps: K can reach T (and is cut to it)."""
        self.ddim_steps.setMaximum(T)

    def _enable_ddim_settings(self) -> None:
        """K applies to all but DDPM, which always walks all T steps with its own noise; η to DDIM alone (the
        ODE solvers add no noise after x_T)."""
        self.ddim_steps.setEnabled(self.state.sampler != "ddpm")
        self.eta.setEnabled(self.state.sampler == "ddim")
