"""Every family in the lab side by side: its quality against the floor, the NFE it used, the likelihood it
can report (exact, a bound, none) with its value, and its training time. Bound to both lab states."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from explorer.core.plane.flow_state import FamilyRow, FlowState
from explorer.core.plane.lab_state import LabState

ROWS = {"score": "Score", "ddpm": "DDPM", "realnvp": "RealNVP", "fm": "FM", "reflow": "Reflow"}
LIKELIHOOD = {"score": "none", "ddpm": "bound"}  # what the part-1 models can report (the DDPM: the ELBO)
COLUMNS = ("model", "MMD²/floor", "NFE", "log p", "test NLL", "train")
TOOLTIP = (
    "Every family on the current data: MMD² of its samples over the data's floor (≤ 1.5× matches the "
    "data), the network evaluations its sampler used, the likelihood it can report (exact, a bound, "
    "none) and its mean test NLL in nats (the DDPM's: its variational bound, an upper bound on the NLL), and "
    "its training time. Each row is judged at its family's usual sampler: the score net by annealed Langevin, "
    "the RealNVP by one inverse pass, the DDPM (its probability-flow ODE), flow matching and reflow by Heun "
    "at 49 NFE. 'Train all' (Training) trains every family on the current data and fills every row."
)


class FamilyTable(QTableWidget):
    """One row per family; the flows' rows fill as they are trained and judged."""

    def __init__(self, lab: LabState, flows: FlowState, parent: QWidget | None = None) -> None:
        super().__init__(len(ROWS), len(COLUMNS), parent)
        self.lab, self.flows = lab, flows
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.verticalHeader().setDefaultSectionSize(20)
        self.setToolTip(TOOLTIP)
        self.setFixedHeight(20 * len(ROWS) + self.horizontalHeader().sizeHint().height() + 4)
        flows.changed.connect(self._on_changed)
        lab.changed.connect(self._on_changed)
        self._on_changed(frozenset({"family"}))

    def _on_changed(self, names: frozenset[str]) -> None:
        if not names & {"family", "score_model", "ddpm_model"}:
            return
        for row, (key, title) in enumerate(ROWS.items()):
            entry = self.flows.family.get(key)
            trained = entry is not None or getattr(self.lab, f"{key}_model", None) is not None
            cells = [title, *self._cells(entry, LIKELIHOOD.get(key, "exact"), trained)]
            for column, text in enumerate(cells):
                self.setItem(row, column, QTableWidgetItem(text))

    @staticmethod
    def _cells(entry: FamilyRow | None, likelihood: str, trained: bool) -> list[str]:
        if entry is None:
            return ["…" if trained else "—", "", likelihood, "", ""]
        ratio = f"{entry.quality[0] / entry.quality[1]:.2f}×" if entry.quality and entry.quality[1] > 0 else "—"
        nll = f"{entry.nll:.3f}" if entry.nll is not None else "—"
        return [
            ratio,
            str(entry.nfe or "—"),
            entry.likelihood,
            nll,
            f"{entry.seconds:.0f} s" if entry.seconds is not None else "—",
        ]
