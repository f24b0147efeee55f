"""The form a GAN game is set up in: which game, G's objective, and the numbers of its GANConfig."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from explorer.core.gan import GANConfig, default_config

MODES = (
    ("mnist", "MNIST digits (DCGAN)", "28 × 28 digits, convolutional G and D"),
    ("toy", "2-D toy: ring of 8", "points on a ring of 8 Gaussians in the plane, small MLPs for G and D"),
)
OBJECTIVES = (
    ("non_saturating", "non-saturating", "G minimises −log D(G(z))"),
    ("minimax", "minimax", "G minimises log(1 − D(G(z))), as in eq. 1"),
)
# D's normalisation (the DCGAN's only: the toy game's small MLPs have none).
D_NORMS = (
    ("batch", "BatchNorm (DCGAN)", "Radford et al. 2016: BatchNorm in D's hidden layers"),
    (
        "spectral",
        "spectral norm (SNGAN)",
        "Miyato et al. 2018: each layer's weight divided by its largest "
        "singular value, so D cannot change faster than its input",
    ),
)
ITERATIONS = 2000  # a game long enough to watch, short enough to wait for


class GameSettings(QWidget):
    """The settings a new game starts from; while a game is played they show its config.
    Choosing a game sets the form to that game's defaults (``default_config``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = default_config("mnist")
        self.mode = self._combo(MODES)
        self.mode.setToolTip("Choosing a game sets the numbers below to its defaults")
        self.objective = self._combo(OBJECTIVES)
        self.steps = self._spin(1, 1_000_000, ITERATIONS)
        self.lr_g = self._rate(defaults.lr_g)
        self.lr_d = self._rate(defaults.lr_d)
        self.batch_size = self._spin(2, 4096, defaults.batch_size)
        self.d_steps_per_g = self._spin(1, 20, defaults.d_steps_per_g)
        self.latent_dim = self._spin(1, 512, defaults.latent_dim)
        self.d_norm = self._combo(D_NORMS)
        self.label_smoothing = QDoubleSpinBox()
        self.label_smoothing.setRange(0.0, 0.5)
        self.label_smoothing.setSingleStep(0.05)
        self.label_smoothing.setToolTip(
            "One-sided label smoothing (Salimans et al. 2016): D's target for real "
            "digits is 1 − s instead of 1, so it cannot grow overconfident"
        )
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("game", self.mode)
        form.addRow("G's objective", self.objective)
        form.addRow("iterations", self.steps)
        form.addRow("learning rate of G", self.lr_g)
        form.addRow("learning rate of D", self.lr_d)
        form.addRow("batch size", self.batch_size)
        form.addRow("D steps per G step (k)", self.d_steps_per_g)
        form.addRow("latent size (z)", self.latent_dim)
        form.addRow("D's normalisation", self.d_norm)
        form.addRow("label smoothing (s)", self.label_smoothing)
        self.mode.currentIndexChanged.connect(self._on_mode_changed)

    @staticmethod
    def _combo(items: tuple[tuple[str, str, str], ...]) -> QComboBox:
        combo = QComboBox()
        for index, (key, text, tip) in enumerate(items):
            combo.addItem(text, key)
            combo.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)
        return combo

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

    def config(self, base: GANConfig | None = None) -> GANConfig:
        """The game the form describes: ``base`` (default: the defaults) with the form's settings."""
        return replace(
            base or default_config(self.mode.currentData()),
            mode=self.mode.currentData(),
            objective=self.objective.currentData(),
            steps=self.steps.value(),
            lr_g=self.lr_g.value(),
            lr_d=self.lr_d.value(),
            batch_size=self.batch_size.value(),
            d_steps_per_g=self.d_steps_per_g.value(),
            latent_dim=self.latent_dim.value(),
            d_norm=self.d_norm.currentData(),
            label_smoothing=self.label_smoothing.value(),
        )

    def set_mode(self, mode: str) -> None:
        """Pick the game ``mode`` ('mnist' or 'toy')."""
        self.mode.setCurrentIndex([key for key, *_ in MODES].index(mode))

    def show_config(self, cfg: GANConfig) -> None:
        """Set the form to ``cfg`` (it stays disabled while that game is played)."""
        self.set_mode(cfg.mode)
        self._show_numbers(cfg)
        self.steps.setValue(cfg.steps)

    def _show_numbers(self, cfg: GANConfig) -> None:
        """Every setting of ``cfg`` but its length (the iterations stay as they are)."""
        self.objective.setCurrentIndex([key for key, *_ in OBJECTIVES].index(cfg.objective))
        self.d_norm.setCurrentIndex([key for key, *_ in D_NORMS].index(cfg.d_norm))
        self.d_norm.setEnabled(cfg.mode == "mnist")  # the toy game's MLPs have no normalisation to choose
        self.label_smoothing.setValue(cfg.label_smoothing)
        self.lr_g.setValue(cfg.lr_g)
        self.lr_d.setValue(cfg.lr_d)
        for spin, count in (
            (self.batch_size, cfg.batch_size),
            (self.d_steps_per_g, cfg.d_steps_per_g),
            (self.latent_dim, cfg.latent_dim),
        ):
            spin.setValue(count)

    def _on_mode_changed(self) -> None:
        self._show_numbers(default_config(self.mode.currentData()))
