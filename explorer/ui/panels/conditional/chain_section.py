"""The guided chain: the digits at the scrubbed step, and for the sample followed its x_t, the two
predictions guidance combines, ε(x_t, y) and ε(x_t, ∅), the guided ε̃ and the predicted x_0."""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from explorer.core.conditional import GuidedFrame
from explorer.core.conditional.cddpm_state import GuidedRequest
from explorer.core.diffusion.chain_record import GuidedChainRecord
from explorer.ui.panels.conditional.guidance_controls import GuidanceControls
from explorer.ui.panels.diffusion.chain_player import ChainPlayer
from explorer.ui.widgets.help_button import HelpButton

NO_MODEL = (
    "<b>No conditional diffusion model yet</b>: train one below (quickest from the shipped DDPM), "
    "or use File ▸ Load checkpoint… (a cddpm checkpoint)."
)
CHAIN_HELP = (
    "Classifier-free guidance (Ho & Salimans 2022): one network, trained with the label dropped to ∅ "
    "one time in ten, predicts the noise in x_t both told the digit, ε(x_t, y), and not told, ε(x_t, ∅). "
    "The chain walks with ε_w = (1 + w)·ε(x_t, y) − w·ε(x_t, ∅): w = 0 is the plain conditional model "
    "(other libraries, e.g. diffusers' guidance_scale, write the same as ε(x_t, ∅) + s·(ε(x_t, y) − "
    "ε(x_t, ∅)) with s = 1 + w, so their scale 1 is this w = 0); "
    "a larger w pushes away from what any digit would look like, towards what makes y likely: "
    "clearer digits, less variety, and at a large w one template drawn again and again. Each step clips "
    "its predicted x_0 to the range of the data and walks on with the noise that clipped x_0 implies. "
    "Grey levels: x_t and predicted x_0 "
    "from −1 (black) to +1 (white), the noises from −3 to +3. Click a digit in the grid to follow it."
)
VIEWS = (
    ("x_t", "x_t"),
    ("eps_cond", "ε(x_t, y)<br>told y"),
    ("eps_uncond", "ε(x_t, ∅)<br>not told"),
    ("eps", "ε_w<br>guided"),
    ("x0_pred", "predicted x_0"),
)


class ChainSection(QGroupBox):
    """Shows ``record``, the latest guided chain, in the chain player; the player's ``selected`` is the sample
    followed; the controls write ``request``. The panel runs the chains and feeds their frames in."""

    def __init__(self, request: GuidedRequest, parent: QWidget | None = None) -> None:
        super().__init__("Classifier-free guidance: ε_w = (1 + w)·ε(x_t, y) − w·ε(x_t, ∅)", parent)
        self.controls = GuidanceControls(request)
        self.sample_button = QPushButton("Sample")
        self.sample_button.setToolTip("Draw again with these settings (any change of them draws by itself)")
        self.help = HelpButton(CHAIN_HELP)
        self.info = QLabel(NO_MODEL)
        self.info.setWordWrap(True)
        self.info.setStyleSheet("color:#333; background:#eef3fb; padding:4px; border-radius:4px;")
        self.info.setFixedHeight(2 * self.info.fontMetrics().lineSpacing() + 10)  # two lines, padded
        actions = QHBoxLayout()
        actions.addWidget(self.info, 1)
        actions.addWidget(self.sample_button)
        actions.addWidget(self.help)
        self.player = ChainPlayer(
            VIEWS, "the digits (click one)", named=False, keep_until_first_frame=True, grid_stretch=2, minimum=(96, 120)
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.controls)
        layout.addLayout(actions)
        layout.addWidget(self.player, 1)

    @property
    def record(self) -> GuidedChainRecord | None:
        """The latest guided chain (None: no model, or none drawn yet)."""
        record = self.player.state.record
        assert record is None or isinstance(record, GuidedChainRecord)
        return record

    def start(self, record: GuidedChainRecord) -> None:
        """A new chain: the timeline follows its frames as they arrive; the last chain's pictures stay on
        show until the first of them does, so a change of digit or w never blanks the views."""
        self.player.state.start(record)

    def add_frame(self, frame: GuidedFrame) -> None:
        """Keep the next frame of the chain (drawn at ``sync_timeline``)."""
        assert self.record is not None, "start comes first"
        self.record.append(frame)

    def sync_timeline(self) -> None:
        """Let the timeline reach every stored frame; follow the newest one if it was showing the last."""
        self.player.state.sync()

    def drop(self, text: str) -> None:
        """No chain to show (a new model, or none): empty views and ``text``."""
        self.player.state.show(None)
        self.info.setText(text)
