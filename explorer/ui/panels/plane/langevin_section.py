"""Langevin dynamics: plain at the smallest σ beside annealed over the σ levels, with or without the noise."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QGridLayout, QGroupBox, QLabel, QPushButton, QWidget

from explorer.core.plane.lab_state import LabState
from explorer.ui.panels.plane.form import build_form
from explorer.ui.widgets.help_button import HelpButton

HELP = (
    "Langevin dynamics moves each particle by x ← x + (ε/2)·s(x) + √ε·z, z ~ N(0, I): half a step up the "
    "score, plus fresh noise. Run long with a small ε it draws samples of p (Song & Ermon 2019, eq. 4). "
    "Untick 'noise' and it becomes gradient ascent on log p: every particle collapses onto a mode — the "
    "answer to 'why not just follow the score?'. Plain Langevin runs at the smallest σ_L with ε = ratio·σ_L²; "
    "annealed Langevin (their Algorithm 1) runs 'steps' at each level σ_1 > … > σ_L with α_i = ε·σ_i²/σ_L², "
    "so particles cross between far-apart modes while the density is still smooth and settle with the right "
    "weights. The table compares the share of particles at each mode with the data's. The score is the "
    "trained score network's, or the exact one where the data's density is known and no network is trained."
)
DENOISE_HELP = (
    "Annealed Langevin's last step still leaves each particle with noise of size about σ_L. The final "
    "denoising step moves it, at the cost of one more network evaluation, to x + σ_L²·s(x, σ_L): by Tweedie's "
    "formula E[x₀ | x] = x + σ²·∇ log p_σ(x), the mean of the clean points x could have come from (Song & "
    "Ermon 2020, 'Improved Techniques for Training Score-Based Generative Models'; Jolicoeur-Martineau et al. "
    "2020). Its frame is the last on the timeline, shown as σ = 0. Plain Langevin never takes it."
)


class LangevinSection(QGroupBox):
    """Writes ``langevin``, ``langevin_noise`` and ``langevin_denoise``; the buttons call ``run(annealed)``."""

    def __init__(self, state: LabState, run: Callable[[bool], None], parent: QWidget | None = None) -> None:
        super().__init__("Langevin dynamics", parent)
        self.state = state
        form, self.editors = build_form(
            state.langevin,
            lambda name, value: state.with_request("langevin", **{name: value}),
            {"particles": "particles", "step_ratio": "ε / σ_L²", "steps": "steps per level"},
        )
        self.noise = QCheckBox("noise term √ε·z")
        self.noise.setChecked(state.langevin_noise)
        self.noise.toggled.connect(lambda on: state.update(langevin_noise=on))
        self.denoise = QCheckBox("final denoising step")
        self.denoise.setChecked(state.langevin_denoise)
        self.denoise.setToolTip("x ← x + σ_L²·s(x, σ_L) after the last level (Tweedie's formula)")
        self.denoise.toggled.connect(lambda on: state.update(langevin_denoise=on))
        self.plain = QPushButton("Plain")
        self.plain.setToolTip("Langevin at the smallest σ, for as many steps as annealing takes in all")
        self.plain.clicked.connect(lambda: run(False))
        self.annealed = QPushButton("Annealed")
        self.annealed.clicked.connect(lambda: run(True))
        self.shares = QLabel()
        self.shares.setWordWrap(True)
        grid = QGridLayout(self)
        grid.addLayout(form, 0, 0, 1, 3)
        grid.addWidget(self.noise, 1, 0, 1, 2)
        grid.addWidget(HelpButton(HELP), 1, 2)
        grid.addWidget(self.denoise, 2, 0, 1, 2)
        grid.addWidget(HelpButton(DENOISE_HELP), 2, 2)
        grid.addWidget(self.plain, 3, 0)
        grid.addWidget(self.annealed, 3, 1, 1, 2)
        grid.addWidget(self.shares, 4, 0, 1, 3)
        state.changed.connect(self._on_state_changed)

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if "shares" in names:
            rows = [
                f"<tr><td>{name}</td>" + "".join(f"<td align=right>&nbsp;{100 * v:.0f}%</td>" for v in share) + "</tr>"
                for name, share in self.state.shares.items()
            ]
            self.shares.setText("<b>share per mode</b><table>" + "".join(rows) + "</table>" if rows else "")
