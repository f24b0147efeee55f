"""Sliders for the p or q of the Continuous tab: one Gaussian, or a mixture of two."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox
from superqt import QLabeledDoubleSlider

from explorer.core.divergence import GaussianMixture
from explorer.ui.panels.divergences.style import double_slider


class MixtureControls(QGroupBox):
    """Sliders for a mixture of one or two Gaussians: mean and σ of each bump and bump 2's weight."""

    changed = Signal()

    def __init__(self, name: str, colour: str, mean: float, sigma: float, mean2: float) -> None:
        super().__init__()
        self.setTitle(f"{name}")
        self.setStyleSheet(f"QGroupBox {{ font-weight: bold; color: {colour}; }}")
        self.two_bumps = QCheckBox("second bump (mixture)")
        self.mean1 = self._slider(-5.0, 5.0, mean)
        self.sigma1 = self._slider(0.2, 3.0, sigma)
        self.weight2 = self._slider(0.0, 1.0, 0.5)
        self.mean2 = self._slider(-5.0, 5.0, mean2)
        self.sigma2 = self._slider(0.2, 3.0, 0.6)
        form = QFormLayout(self)
        form.addRow("mean μ₁", self.mean1)
        form.addRow("σ₁", self.sigma1)
        form.addRow(self.two_bumps)
        form.addRow("weight w₂", self.weight2)
        form.addRow("mean μ₂", self.mean2)
        form.addRow("σ₂", self.sigma2)
        self.two_bumps.toggled.connect(self._on_toggled)
        self._on_toggled(False)

    def _slider(self, lo: float, hi: float, value: float) -> QLabeledDoubleSlider:
        slider = double_slider(lo, hi, value)
        slider.valueChanged.connect(lambda _value: self.changed.emit())
        return slider

    def _on_toggled(self, on: bool) -> None:
        for slider in (self.weight2, self.mean2, self.sigma2):
            slider.setEnabled(on)
        self.changed.emit()

    def mixture(self) -> GaussianMixture:
        """The mixture the sliders describe: (1 − w₂)·N(μ₁, σ₁²) + w₂·N(μ₂, σ₂²)."""
        if not self.two_bumps.isChecked():
            return GaussianMixture.gaussian(self.mean1.value(), self.sigma1.value())
        w2 = self.weight2.value()
        return GaussianMixture(
            (1.0 - w2, w2), (self.mean1.value(), self.mean2.value()), (self.sigma1.value(), self.sigma2.value())
        )
