"""The compare section: DDPM and DDIM chains from the same x_T, side by side at the timeline's t."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QVBoxLayout, QWidget

from explorer.core.diffusion.chain_record import ChainRecord
from explorer.ui.panels.diffusion.display import grey
from explorer.ui.widgets.help_button import HelpButton
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.widgets.status_label import status_label

COMPARED = ("ddpm", "ddim")  # the samplers this section sets side by side
PLACEHOLDER = np.full((28, 58), 0.94, dtype=np.float32)  # a light box of a pair's shape, until there is a pair
COMPARE_HELP = (
    "Both chains start from the same x_T (same seed). DDPM takes all T small steps, each adding fresh "
    "noise (variance β̃_t), so x_T alone does not decide its digit. DDIM takes K large steps over evenly "
    "spaced timesteps: T/K times fewer passes of the network. DDIM's η sets its own fresh noise: η = 0 "
    "adds none, so x_T alone decides the digit (it follows the probability-flow ODE); η = 1 adds as much "
    "as DDPM does over DDIM's larger steps. So with η > 0 the two chains, whose noise falls at different "
    "steps, end on different digits from the same x_T; set η = 0 to see DDIM's one deterministic path. "
    "Each side shows its chain at the timeline's t (DDIM: its nearest step at or above t)."
)


class CompareSection(QGroupBox):
    """One view per sampler, each x_t | predicted x_0 of the followed sample, and a line on what is compared."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("DDPM vs DDIM from the same x_T", parent)
        self.compare_views = {s: ImageView(f"{s.upper()}<br>x_t | predicted x_0") for s in COMPARED}
        self.compare_info = status_label("Press “Compare DDPM vs DDIM” to run both samplers from the same noise.", 4)
        self.help = HelpButton(COMPARE_HELP)
        info = QHBoxLayout()
        info.addWidget(self.compare_info, 1)
        info.addWidget(self.help, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        for view in self.compare_views.values():
            view.setMinimumSize(170, 110)
            layout.addWidget(view, 1)
        layout.addLayout(info)
        self.clear()

    def clear(self) -> None:
        """Light placeholders of a pair's shape, saying what will appear, until there are chains to compare."""
        for sampler, view in self.compare_views.items():
            view.set_image(PLACEHOLDER)
            view.label.setText(f"{sampler.upper()}, once compared:<br>x_t | predicted x_0")

    def show_chains(self, chains: Mapping[str, ChainRecord], shown: ChainRecord | None, k: int, sample: int) -> None:
        """Both samplers' x_t | x̂_0 of ``sample`` at the t of frame ``k`` of the ``shown`` chain, if they share x_T;
        with one sampler's chain only (the chain the panel opens on), that one, and the other's place says how to
        fill it."""
        ddpm, ddim = chains.get("ddpm"), chains.get("ddim")
        if shown is None or not shown.count or (ddpm is None and ddim is None):
            return
        if ddpm is None or ddim is None:
            only, missing = ("ddpm", "ddim") if ddim is None else ("ddim", "ddpm")
            record = ddpm or ddim
            assert record is not None
            self._show_one(only, record, shown, k, sample)
            self.compare_views[missing].set_image(PLACEHOLDER)
            self.compare_views[missing].label.setText(
                f"{missing.upper()}: press “Compare<br>DDPM vs DDIM” to run it here"
            )
            self._set_compare_info(
                f"Seed {record.seed}, sample #{sample}: {only.upper()} only so far. “Compare DDPM vs DDIM” "
                f"runs {missing.upper()} from the same x_T."
            )
            return
        if (ddpm.seed, ddpm.n) != (ddim.seed, ddim.n):
            self.clear()  # no pair from other noise stays on show
            self._set_compare_info(
                "These DDPM and DDIM chains start from different noise (seed or number of "
                "samples): press “Compare DDPM vs DDIM”."
            )
            return
        for sampler, record in (("ddpm", ddpm), ("ddim", ddim)):
            self._show_one(sampler, record, shown, k, sample)
        self._set_compare_info(
            f"Seed {ddpm.seed}, sample #{sample}: DDPM in {ddpm.total_steps} steps, "
            f"DDIM in {ddim.total_steps} (η = {ddim.eta:g})."
        )

    def _show_one(self, sampler: str, record: ChainRecord, shown: ChainRecord, k: int, sample: int) -> None:
        """``sampler``'s x_t | x̂_0 of ``sample`` at its nearest step at or above the t of frame ``k`` of ``shown``."""
        frame = record.frame_at(int(shown.t[k]))
        view = self.compare_views[sampler]
        if frame is None:
            view.blank()
            view.label.setText(f"{sampler.upper()}: not at t = {shown.paper_t(k)} yet")
            return
        pair = [grey(record.image(frame, kind, sample)) for kind in ("x_t", "x0_pred")]
        view.set_image(np.concatenate([pair[0], np.full((28, 2), 0.35, np.float32), pair[1]], axis=1))
        view.label.setText(
            f"{sampler.upper()} at t = {record.paper_t(frame)}, step {frame + 1} / "
            f"{record.total_steps}<br>x_t | predicted x_0"
        )

    def _set_compare_info(self, text: str) -> None:
        """Change the line only when it says something new: a label's new text relayouts the window."""
        if text != self.compare_info.text():
            self.compare_info.setText(text)
