"""The form a GAN game is set up in: which game, G's objective, and the numbers of its GANConfig."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from explorer.core.gan import GANConfig

MODES = (("mnist", "MNIST digits (DCGAN)"), ("toy", "toy: ring of 8 Gaussians (MLPs)"))
OBJECTIVES = (("non_saturating", "non-saturating −log D(G(z))"), ("minimax", "minimax log(1 − D(G(z)))"))


class GameSettings(QWidget):
    """The settings a new game starts from; while a game is played they show its config."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = GANConfig()
        self.mode = QComboBox()
        for key, text in MODES:
            self.mode.addItem(text, key)
        self.objective = QComboBox()
        for key, text in OBJECTIVES:
            self.objective.addItem(text, key)
        self.steps = self._spin(1, 1_000_000, 2000)
        self.lr_g = self._rate(defaults.lr_g)
        self.lr_d = self._rate(defaults.lr_d)
        self.batch_size = self._spin(2, 4096, defaults.batch_size)
        self.d_steps_per_g = self._spin(1, 20, defaults.d_steps_per_g)
        self.latent_dim = self._spin(1, 512, defaults.latent_dim)
        form = QFormLayout(self)
        form.addRow("game", self.mode)
        form.addRow("G's objective", self.objective)
        form.addRow("iterations", self.steps)
        form.addRow("learning rate of G", self.lr_g)
        form.addRow("learning rate of D", self.lr_d)
        form.addRow("batch size", self.batch_size)
        form.addRow("D steps per G step (k)", self.d_steps_per_g)
        form.addRow("latent size (z)", self.latent_dim)

    @staticmethod
    def _spin(low: int, high: int, value: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setValue(value)
        return spin

    @staticmethod
    def _rate(value: float) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setDecimals(5)
        spin.setRange(1e-5, 1.0)
        spin.setSingleStep(1e-4)
        spin.setValue(value)
        return spin

    def config(self) -> GANConfig:
        """The game the form describes."""
        return GANConfig(mode=self.mode.currentData(), objective=self.objective.currentData(), steps=self.steps.value(),
                         lr_g=self.lr_g.value(), lr_d=self.lr_d.value(), batch_size=self.batch_size.value(),
                         d_steps_per_g=self.d_steps_per_g.value(), latent_dim=self.latent_dim.value())

    def set_mode(self, mode: str) -> None:
        """Pick the game ``mode`` ('mnist' or 'toy')."""
        self.mode.setCurrentIndex([key for key, _ in MODES].index(mode))

    def show_config(self, cfg: GANConfig) -> None:
        """Set the form to ``cfg`` (it stays disabled while that game is played)."""
        self.set_mode(cfg.mode)
        self.objective.setCurrentIndex([key for key, _ in OBJECTIVES].index(cfg.objective))
        for spin, value in ((self.steps, cfg.steps), (self.lr_g, cfg.lr_g), (self.lr_d, cfg.lr_d),
                            (self.batch_size, cfg.batch_size), (self.d_steps_per_g, cfg.d_steps_per_g),
                            (self.latent_dim, cfg.latent_dim)):
            spin.setValue(value)
