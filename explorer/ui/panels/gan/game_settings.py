"""The form a GAN game is set up in: which game, G's objective, and the numbers of its GANConfig, over the
panel's ``GANPanelState``."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QSpinBox, QWidget

from explorer.core.gan.panel_state import GANPanelState
from explorer.ui.widgets.bounded_box import fit_to_field

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


class GameSettings(QWidget):
    """The settings a new game starts from, a form over ``state``: an edit writes it, its changes show (while a
    game is played, that game's config). Choosing a game sets the form to that game's defaults."""

    def __init__(self, state: GANPanelState | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state = state if state is not None else GANPanelState()
        request = type(state)
        self.mode = self._combo(MODES)
        self.mode.setToolTip("Choosing a game sets the numbers below to its defaults")
        self.objective = self._combo(OBJECTIVES)
        self.steps = QSpinBox()
        fit_to_field(self.steps, request, "steps", offered=(1, 1_000_000))
        self.lr_g = self._rate(request, "lr_g")
        self.lr_d = self._rate(request, "lr_d")
        self.batch_size = QSpinBox()
        fit_to_field(self.batch_size, request, "batch_size")
        self.d_steps_per_g = QSpinBox()
        fit_to_field(self.d_steps_per_g, request, "d_steps_per_g")
        self.latent_dim = QSpinBox()
        fit_to_field(self.latent_dim, request, "latent_dim")
        self.d_norm = self._combo(D_NORMS)
        self.label_smoothing = QDoubleSpinBox()
        fit_to_field(self.label_smoothing, request, "label_smoothing")
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
        self._boxes: dict[str, QSpinBox | QDoubleSpinBox] = {
            "steps": self.steps,
            "lr_g": self.lr_g,
            "lr_d": self.lr_d,
            "batch_size": self.batch_size,
            "d_steps_per_g": self.d_steps_per_g,
            "latent_dim": self.latent_dim,
            "label_smoothing": self.label_smoothing,
        }
        self._combos = {"objective": self.objective, "d_norm": self.d_norm}
        self._show(frozenset({"mode", *self._boxes, *self._combos}))
        self.mode.currentIndexChanged.connect(lambda _: state.choose_game(self.mode.currentData()))
        for name, box in self._boxes.items():
            box.valueChanged.connect(lambda value, name=name: state.update(**{name: value}))
        for name, combo in self._combos.items():
            combo.currentIndexChanged.connect(
                lambda _, name=name: state.update(**{name: self._combos[name].currentData()})
            )
        state.changed.connect(self._show)

    @staticmethod
    def _combo(items: tuple[tuple[str, str, str], ...]) -> QComboBox:
        combo = QComboBox()
        for index, (key, text, tip) in enumerate(items):
            combo.addItem(text, key)
            combo.setItemData(index, tip, Qt.ItemDataRole.ToolTipRole)
        return combo

    @staticmethod
    def _rate(request: type, name: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setDecimals(5)
        fit_to_field(spin, request, name, offered=(1e-5, 1.0))
        spin.setSingleStep(1e-4)
        return spin

    def set_mode(self, mode: str) -> None:
        """Pick the game ``mode`` ('mnist' or 'toy'): its defaults fill the form."""
        self.state.choose_game(mode)

    def _show(self, names: frozenset[str]) -> None:
        """Show the request's settings that changed, without announcing them back to it."""
        state = self.state
        combos = {"mode": self.mode, **self._combos}
        for name in names & combos.keys():
            with QSignalBlocker(combos[name]):
                combos[name].setCurrentIndex(combos[name].findData(getattr(state, name)))
        for name in names & self._boxes.keys():
            with QSignalBlocker(self._boxes[name]):
                self._boxes[name].setValue(getattr(state, name))
        if "mode" in names:
            self.d_norm.setEnabled(state.mode == "mnist")  # the toy game's MLPs have no normalisation to choose
