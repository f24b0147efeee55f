"""The sampler controls: how many samples, from which seed, by DDPM, by DDIM with its K and η, or by an ODE
solver (Heun, DPM-Solver++(2M)) spending K network evaluations."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox, QWidget
from superqt.utils import signals_blocked

from explorer.core.diffusion import SAMPLE_ETA, DDPMConfig, SamplerConfig
from explorer.ui.widgets.bounded_box import fit_to_field, seed_box

SAMPLER_NAMES = {
    "ddpm": "DDPM (all T steps)",
    "ddim": "DDIM (K steps)",
    "heun": "Heun (K evaluations)",
    "dpm++2m": "DPM-Solver++(2M) (K steps)",
}


class SamplerControls(QWidget):
    """One row of spin boxes and the sampler choice; it says which chains Run chain and Compare ask for."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.n_samples = QSpinBox()
        self.n_samples.setRange(1, 64)
        self.n_samples.setValue(16)
        self.seed = seed_box()
        self.sampler = QComboBox()
        for key, name in SAMPLER_NAMES.items():
            self.sampler.addItem(name, key)
        self.sampler.setCurrentIndex(1)
        self.ddim_steps = QSpinBox()
        self.ddim_steps.setRange(1, DDPMConfig().timesteps)
        self.ddim_steps.setValue(50)
        self.ddim_steps.setPrefix("K = ")
        self.eta = QDoubleSpinBox()  # DDIM's noise: 0 deterministic, 1 as much as DDPM (Song et al., eq. 16)
        fit_to_field(self.eta, SamplerConfig, "eta")
        self.eta.setSingleStep(0.1)
        self.eta.setDecimals(2)
        self.eta.setPrefix("η = ")
        self.eta.setValue(SAMPLE_ETA)
        self.ddim_steps.setToolTip(
            "K network evaluations (NFE) over evenly spaced timesteps: DDIM's and "
            "DPM-Solver++(2M)'s steps; Heun's 2 per step less one (not DDPM, which walks all T)"
        )
        self.eta.setToolTip("DDIM's fresh noise per step: 0 is deterministic, 1 is as much as DDPM (DDIM only)")
        self.sampler.currentIndexChanged.connect(self._enable_ddim_settings)
        self._enable_ddim_settings()
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

    def chosen_sampler(self) -> str:
        return self.sampler.currentData()

    def sampler_config(self, sampler: str) -> SamplerConfig:
        """``sampler`` with the chosen K and η (the spin boxes' ranges lie within SamplerConfig's limits)."""
        return SamplerConfig(sampler, self.ddim_steps.value(), self.eta.value())

    def show_sampler(self, sampler: str) -> None:
        """Show ``sampler`` as the choice without announcing it: the chain section already follows it."""
        with signals_blocked(self.sampler):
            self.sampler.setCurrentIndex(self.sampler.findData(sampler))
        self._enable_ddim_settings()

    def _enable_ddim_settings(self) -> None:
        """K applies to all but DDPM, which always walks all T steps with its own noise; η to DDIM alone (the
        ODE solvers add no noise after x_T)."""
        self.ddim_steps.setEnabled(self.chosen_sampler() != "ddpm")
        self.eta.setEnabled(self.chosen_sampler() == "ddim")
