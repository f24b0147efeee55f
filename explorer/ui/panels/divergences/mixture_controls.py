"""Sliders for the p or q of the Continuous tab: one Gaussian, or a mixture of two, bound to the panel's state."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox
from superqt import QLabeledDoubleSlider
from superqt.utils import signals_blocked

from explorer.core.divergence import GaussianMixture
from explorer.core.divergence.view_state import ContinuousState, Density, MixtureSettings
from explorer.core.runtime.limits import declared_range
from explorer.ui.panels.divergences.style import double_slider

BUMP_2 = ("w2", "mu2", "sigma2")  # the settings that mean something only with the second bump on


class MixtureControls(QGroupBox):
    """Sliders for a mixture of one or two Gaussians: mean and σ of each bump and bump 2's weight. They write
    density ``name`` (p or q) of ``state`` and show what it holds, whoever changed it."""

    def __init__(self, name: Density, colour: str, state: ContinuousState) -> None:
        super().__init__()
        self.state = state
        self._name = name
        self._key = f"continuous_{name}"
        self.setTitle(f"{name}")
        self.setStyleSheet(f"QGroupBox {{ font-weight: bold; color: {colour}; }}")
        settings = self.settings()
        self.two_bumps = QCheckBox("second bump (mixture)")
        self.two_bumps.setChecked(settings.two_bumps)
        self.sliders: dict[str, QLabeledDoubleSlider] = {
            field: double_slider(*declared_range(MixtureSettings, field), getattr(settings, field))
            for field in ("mu1", "sigma1", "w2", "mu2", "sigma2")
        }
        self.mean1, self.sigma1, self.weight2, self.mean2, self.sigma2 = self.sliders.values()
        form = QFormLayout(self)
        form.addRow("mean μ₁", self.mean1)
        form.addRow("σ₁", self.sigma1)
        form.addRow(self.two_bumps)
        form.addRow("weight w₂", self.weight2)
        form.addRow("mean μ₂", self.mean2)
        form.addRow("σ₂", self.sigma2)
        for field, slider in self.sliders.items():
            slider.valueChanged.connect(lambda value, field=field: state.set_density(name, **{field: float(value)}))
        self.two_bumps.toggled.connect(lambda on: state.set_density(name, two_bumps=on))
        state.changed.connect(self._on_state_changed)
        self._enable_bump_2(settings.two_bumps)

    def settings(self) -> MixtureSettings:
        settings: MixtureSettings = getattr(self.state, self._key)
        return settings

    def mixture(self) -> GaussianMixture:
        """The mixture the state holds for this density: (1 − w₂)·N(μ₁, σ₁²) + w₂·N(μ₂, σ₂²)."""
        return self.settings().mixture()

    def _on_state_changed(self, names: frozenset[str]) -> None:
        """Show the state's settings without announcing them back; a drag's own value is already shown."""
        if self._key not in names:
            return
        settings = self.settings()
        for field, slider in self.sliders.items():
            if slider.value() != getattr(settings, field):
                with signals_blocked(slider):
                    slider.setValue(getattr(settings, field))
        if self.two_bumps.isChecked() != settings.two_bumps:
            with signals_blocked(self.two_bumps):
                self.two_bumps.setChecked(settings.two_bumps)
        if self.weight2.isEnabled() != settings.two_bumps:
            self._enable_bump_2(settings.two_bumps)

    def _enable_bump_2(self, on: bool) -> None:
        for field in BUMP_2:
            self.sliders[field].setEnabled(on)
