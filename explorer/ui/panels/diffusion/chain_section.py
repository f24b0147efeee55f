"""The chain section: the reverse chains kept frame by frame, one sampler's on show in the chain player (the sample
grid, the large x_t / ε̂ / x̂_0 views and the timeline that scrubs, steps and plays them)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from explorer.core.diffusion import DDPMConfig
from explorer.core.diffusion.chain_job import SamplerFrame
from explorer.core.diffusion.chain_record import ChainRecord
from explorer.core.diffusion.panel_state import SamplingRequest
from explorer.ui.panels.diffusion.chain_player import ChainPlayer
from explorer.ui.panels.diffusion.export_section import ExportSection
from explorer.ui.panels.diffusion.sampler_controls import SamplerControls
from explorer.ui.widgets.help_button import HelpButton

NO_MODEL = (
    "<b>No diffusion model yet</b>: train one below, or use File ▸ Load checkpoint…. The schedule and "
    "the forward process need no model."
)
CHAIN_HELP = (
    "Sampling runs the process backwards from pure noise x_T. At each step the network predicts the "
    "noise ε̂ hidden in x_t; taking it out gives the predicted x_0, its guess of the finished digit; the sampler then "
    "moves x_t a little towards that guess (DDPM, and DDIM with η > 0, also add fresh noise; with "
    "η = 0 DDIM, like Heun and DPM-Solver++, adds none after x_T). DDPM's step goes to the mean μ̃(x_t, clip(x̂_0)) of "
    "q(x_{t−1} | x_t, x_0) at the clipped guess, plus noise of variance β̃_t; without the clipping that mean "
    "is Ho et al.'s Algorithm 2, μ_θ = (x_t − β_t/√(1−ᾱ_t)·ε̂)/√α_t, so the two agree only while x̂_0 "
    "stays inside [−1, 1]. Grey levels: x_t and predicted x_0 "
    "from −1 (black) to +1 (white), ε̂ from −3 to +3. Click a digit in the grid to follow it."
)


VIEWS = (("x_t", "x_t (noisy image)"), ("eps", "ε̂ (predicted noise)"), ("x0_pred", "predicted x_0 (digit)"))


class ChainSection(QGroupBox):
    """Keeps the latest chain of each sampler and shows one of them, the ``active`` one, in the player;
    the player's ``selected`` is the sample the large views follow. The sampler row writes ``request``; a change
    of its sampler shows that sampler's stored chain. The panel runs the chains and feeds their frames in."""

    shown = Signal(object)  # the paper's t of the frame now shown, or None when no frame is

    def __init__(self, request: SamplingRequest, parent: QWidget | None = None) -> None:
        super().__init__("Reverse chain: from noise x_T to a digit", parent)
        self.request = request
        self.chains: dict[str, ChainRecord] = {}  # the latest chain of each sampler
        # what a run replaces, put back if it is cancelled: the chains it overwrites, the active one, its frame
        self._before_run: tuple[dict[str, ChainRecord | None], str | None, int] | None = None
        self._following = False  # True while the section itself points the request at the chain it shows
        self.controls = SamplerControls(request)
        request.changed.connect(self._on_request_changed)
        self.run_button = QPushButton("Run chain")
        self.run_button.setProperty("help", "Run the chosen sampler from the seed's x_T")
        self.compare_button = QPushButton("Compare DDPM vs DDIM")
        self.compare_button.setProperty(
            "help",
            "Run DDPM and DDIM from the same x_T, side by side (a chain "
            "stored already for these settings is not run again)",
        )
        self.cancel_button = QPushButton("Cancel")
        self.player = ChainPlayer(VIEWS, "all samples (click one)", named=True, keep_until_first_frame=False)
        self.player.shown.connect(self._on_shown)
        state = self.player.state
        self.export = ExportSection(lambda: state.record, lambda: state.selected, self.player.timeline.fps.value)
        actions = QHBoxLayout()
        for button in (self.run_button, self.compare_button, self.cancel_button):
            actions.addWidget(button)
        actions.addStretch()
        actions.addWidget(self.export)
        self.chain_info = QLabel(NO_MODEL)
        self.chain_info.setWordWrap(True)
        self.chain_info.setStyleSheet("color:#333; background:#eef3fb; padding:4px; border-radius:4px;")
        self.chain_info.setFixedHeight(2 * self.chain_info.fontMetrics().lineSpacing() + 10)  # two lines, padded
        self.export.message.connect(self.chain_info.setText)
        self.help = HelpButton(CHAIN_HELP)
        actions.addWidget(self.help)
        layout = QVBoxLayout(self)
        layout.addWidget(self.controls)
        layout.addLayout(actions)
        layout.addWidget(self.chain_info)
        layout.addWidget(self.player, 1)

    @property
    def active(self) -> str | None:
        """The sampler whose chain the player shows."""
        record = self.player.state.record
        return record.sampler if record is not None else None

    def active_chain(self) -> ChainRecord | None:
        return self.player.state.record

    def enable_actions(self, ready: bool, busy: bool, cancellable: bool) -> None:
        """Run and Compare when ``ready`` (else the tooltip says why: a job runs, or there is no model); Cancel
        when ``cancellable``."""
        for button in (self.run_button, self.compare_button):
            button.setEnabled(ready)
            button.setToolTip(
                button.property("help") if ready else ("A job is running." if busy else "Train or load a model first.")
            )
        self.cancel_button.setEnabled(cancellable)

    def set_model(self, cfg: DDPMConfig) -> None:
        """A new model: the chains of the previous one are dropped, and K can reach its T."""
        self.chains.clear()
        self._before_run = None
        self.player.state.show(None)
        self.controls.set_max_steps(cfg.timesteps)
        self.chain_info.setText(
            f"Model ready ({cfg.schedule} schedule, T = {cfg.timesteps}). "
            "Choose the samples, a seed and a sampler, then Run chain."
        )

    def missing(self, samplers: tuple[str, ...]) -> tuple[str, ...]:
        """Those of ``samplers`` with no complete chain stored for the request: what a comparison still has to run."""
        return tuple(s for s in samplers if not self.request.stores(self.chains.get(s)))

    def new_chains(self, samplers: tuple[str, ...], T: int) -> list[ChainRecord]:
        """Empty chains of ``samplers`` for the request, in the order to run them: the chosen sampler's first.
        The player shows the chosen sampler's chain."""
        state = self.player.state
        self.player.timeline.pause()
        records = self.request.new_chains(samplers, T)
        self._before_run = ({r.sampler: self.chains.get(r.sampler) for r in records}, self.active, state.frame)
        for record in records:
            self.chains[record.sampler] = record
        state.update(selected=min(state.selected, self.request.n - 1))
        self.show_chosen(restart=records[0].sampler == self.request.sampler)
        if self.active is not None and state.record is not self.chains[self.active]:
            state.update(record=self.chains[self.active])  # the chain on show was replaced: follow its new run
        return records

    def show_chosen(self, restart: bool = False) -> None:
        """Point the player at the chosen sampler's stored chain, from its first frame if ``restart``
        or if it showed another chain; otherwise it stays where it is."""
        chosen = self.request.sampler
        if chosen in self.chains and (restart or self.active != chosen):
            self._show_sampler(chosen)

    def add_frame(self, item: SamplerFrame) -> bool:
        """Keep the frame; True if it belongs to the chain the player shows."""
        self.chains[item.sampler].append(item.frame)
        return item.sampler == self.active

    def sync_timeline(self) -> None:
        """Let the timeline reach every stored frame; follow the newest one if it was showing the last."""
        self.player.state.sync()

    def finish(self, succeeded: bool) -> None:
        """The chains have ended: show every frame made, and say how it went. A cancelled run leaves the
        chains it was to replace: those of a sampler that had none keep the frames made so far."""
        before, self._before_run = self._before_run, None
        if not succeeded and before is not None and self._put_back(*before):
            self.chain_info.setText("Cancelled: the previous chain is back. Run chain starts a new one.")
            return
        self.sync_timeline()
        record = self.active_chain()
        if succeeded:
            self.chain_info.setText("Done. Scrub the timeline, step, or play the chain; click a digit to follow it.")
        elif record is not None:
            self.chain_info.setText(
                f"Stopped after {record.count} of {record.total_steps} steps: the frames made "
                "so far are kept. Run chain starts again."
            )

    def _put_back(self, replaced: dict[str, ChainRecord | None], active: str | None, frame: int) -> bool:
        """Restore the complete chains an unfinished run replaced, and the timeline where it was; True if
        the chain on show was one of them."""
        for sampler, previous in replaced.items():
            if previous is not None and not self.chains[sampler].complete:
                self.chains[sampler] = previous
        if active is None or replaced.get(active) is None:
            return False
        self._show_sampler(active, frame)
        return True

    def _show_sampler(self, sampler: str, frame: int = 0) -> None:
        """Point the player at ``sampler``'s chain, at ``frame``, and the request at ``sampler``."""
        self._following = True
        try:
            self.request.update(sampler=sampler)
        finally:
            self._following = False
        self.player.state.show(self.chains[sampler], frame)

    def show_chain(self, record: ChainRecord) -> None:
        """Keep ``record`` as its sampler's chain and show it in the player."""
        self.chains[record.sampler] = record
        self._show_sampler(record.sampler)

    def _on_request_changed(self, names: frozenset[str]) -> None:
        """Another sampler chosen: show its stored chain, if there is one, from its first frame."""
        if "sampler" in names and not self._following and self.request.sampler in self.chains:
            self.player.timeline.pause()
            self._show_sampler(self.request.sampler)

    def _on_shown(self, t: int | None) -> None:
        """Export takes the frame on show; nothing shown, nothing to export."""
        self.export.setEnabled(t is not None)
        self.shown.emit(t)
