"""EvaluatePanel: score every model against the MNIST test set, side by side with real digits.

What it teaches: a generative model is judged by comparing the distribution of its
samples with that of real data, in the feature space of a network that knows digits
(FID, KID); by how confidently and how evenly a classifier recognises the samples
(Inception Score, class histogram); and against the floor that real digits reach.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QScrollArea, QVBoxLayout, QWidget

from explorer.core.evaluation.classifier import CLASSIFIER_CHECKPOINT
from explorer.core.evaluation.evaluate import FLOOR, EvalProgress, EvalResult, EvalRow
from explorer.core.evaluation.panel_state import EvaluateState
from explorer.core.evaluation.record import RECORD, RecordedEvaluation, read_record, stale_rows
from explorer.core.families import FAMILIES
from explorer.core.runtime.errors import ExplorerError
from explorer.ui.panels.evaluate.evaluation_controls import EvaluationControls
from explorer.ui.panels.evaluate.sample_cards import SampleCards
from explorer.ui.panels.evaluate.score_table import STATUS, ScoreTable
from explorer.ui.panels.evaluate.titles import TITLES
from explorer.ui.widgets.scroll_column import scroll_column
from explorer.ui.worker import Runner

CARDS_MIN_HEIGHT = 180


class EvaluatePanel(QWidget):
    """Choose models and N, evaluate in the background, read the table, the samples and the histograms."""

    title = "Evaluate"
    checkpoint_kind = None  # it scores the shipped models; File ▸ Load / Save do not apply

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.device = device
        self.reference_limit = 0  # compare with only the first test digits (0: all 10,000), for quick tests
        self.checkpoints: dict[str, Path] = {name: family.default_checkpoint for name, family in FAMILIES.items()}
        self.result: EvalResult | None = None  # the learner's last run; theirs alone, never written to a file
        self.rows: dict[str, EvalRow] = {}
        self.recorded: RecordedEvaluation | None = None  # what `gen-explorer eval all --record` left beside the models
        self._recorded_rows: set[str] = set()  # rows that show the record, not a run of the learner's
        self.state = EvaluateState(models=frozenset(FAMILIES), busy=runner.busy)  # what to score, and the run
        self._replaced: set[str] = set()  # the rows the run in progress has replaced so far
        self._build()
        runner.busy_changed.connect(lambda busy: self.state.update(busy=busy))
        self.state.changed.connect(self._on_state_changed)
        self.show_recorded(RECORD)
        self.refresh_availability()

    # ---- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        """The controls beside the table over the cards of samples and class histograms."""
        self.controls = EvaluationControls(self.state)
        names = [*FAMILIES, FLOOR]
        self.table = ScoreTable(names)
        self.table.set_cell(FLOOR, STATUS, "not evaluated")
        self.cards = SampleCards(names)
        # One card per model: more than a laptop screen's width holds, so they scroll sideways.
        self.cards_scroll = QScrollArea()
        self.cards_scroll.setWidget(self.cards)
        self.cards_scroll.setWidgetResizable(True)
        self.cards_scroll.setFrameShape(QFrame.Shape.NoFrame)
        # On a low window they scroll down too, rather than holding the panel taller than the window (whose
        # bottom, the help's end among it, would be cut off).
        self.cards_scroll.setMinimumHeight(CARDS_MIN_HEIGHT)
        right = QVBoxLayout()
        right.addWidget(self.table)
        right.addWidget(self.cards_scroll, 1)
        layout = QHBoxLayout(self)
        layout.addWidget(scroll_column(self.controls))  # its help scrolls on a low screen, never cut
        layout.addLayout(right, 1)
        self.controls.evaluate_button.clicked.connect(lambda: self.start_evaluation())

    def cell(self, name: str, column: int) -> str:
        return self.table.cell(name, column)

    # ---- models -------------------------------------------------------------------------------
    def available(self) -> list[str]:
        """The models whose checkpoint file exists now."""
        return [name for name, path in self.checkpoints.items() if Path(path).is_file()]

    def refresh_availability(self) -> None:
        """Mark models without a checkpoint (they may appear while the app runs)."""
        available = self.available()
        for name, box in self.controls.model_boxes.items():
            box.setEnabled(self.state.can_tick(name, available))
            text = TITLES[name] if name in available else f"{TITLES[name]} (no checkpoint)"
            if text != box.text():  # it appeared or went: tick it only when there is something to evaluate
                box.setText(text)
                models = self.state.models
                self.state.update(models=models | {name} if name in available else models - {name})
                self.cards.show_title(name)
            if name not in available:
                self._show_missing(name)
            elif name not in self.rows and self.cell(name, STATUS) in ("", "no checkpoint"):
                self.table.set_cell(name, STATUS, "not evaluated")
        self._mark_recorded_rows()

    def showEvent(self, event: QShowEvent) -> None:
        """Look for checkpoints again each time the tab is shown: training may have made one."""
        if not self.runner.busy:
            self.refresh_availability()
        super().showEvent(event)

    def _show_missing(self, name: str) -> None:
        self.table.set_scores(name, "—", "no checkpoint")
        self.rows.pop(name, None)
        self._recorded_rows.discard(name)
        self.cards.show_missing(name)

    # ---- the recorded evaluation --------------------------------------------------------------
    def show_recorded(self, path: Path) -> None:
        """Open on the evaluation recorded at ``path`` (if there is one): its rows, samples and histograms."""
        try:
            recorded = read_record(path)
        except ExplorerError as exc:
            self.controls.status.setText(f"The recorded evaluation could not be read. {exc}")
            return
        if recorded is None:
            return
        self.recorded = recorded
        for row in recorded.result.rows:
            if row.name in self.table.row_index:
                self.rows[row.name] = row
                self.cards.show_row(row)
                self._recorded_rows.add(row.name)
        self._mark_recorded_rows()
        result = recorded.result
        ddpm = f"; the DDPM drawn by {result.ddpm_sampler.describe()}" if "ddpm" in self._recorded_rows else ""
        self.controls.status.setText(
            f"Showing the evaluation recorded on {recorded.day} with N = {result.n} per model "
            f"(seed {result.seed}{ddpm}). Press Evaluate to run your own."
        )
        self.controls.status.setToolTip(
            f"Recorded {recorded.date} by `gen-explorer eval all -n {result.n} --record`, "
            f"against {result.reference} test digits, judged by the {result.classifier}."
        )

    def _mark_recorded_rows(self) -> None:
        """Show the recorded rows, each marked stale where its checkpoint (or the judge) is no longer the
        file that was scored."""
        if self.recorded is None:
            return
        stale = stale_rows(self.recorded, self.checkpoints, CLASSIFIER_CHECKPOINT)
        for name in self._recorded_rows:
            row = self.recorded.result.row(name)
            if name in stale:
                self.table.show_row(
                    row,
                    "stale: file changed",
                    stale=True,
                    tooltip=(
                        f"Recorded on {self.recorded.day}, but the checkpoint (the model's or the judge's) has "
                        "changed since: its SHA-256 no longer matches. Press Evaluate for current numbers."
                    ),
                )
            else:
                self.table.show_row(
                    row,
                    f"recorded, N = {row.n}",
                    tooltip=(
                        f"Recorded on {self.recorded.day} with N = {row.n} by `gen-explorer eval all --record`, "
                        "for the very checkpoint the app loads now."
                    ),
                )

    # ---- evaluation ---------------------------------------------------------------------------
    def start_evaluation(self, n: int | None = None, seed: int | None = None) -> None:
        """Evaluate the checked models that have a checkpoint, and the floor, in the background."""
        self.refresh_availability()
        available = self.available()
        job = self.state.evaluation_job(available, self.checkpoints, self.device, self.reference_limit, n, seed)
        models, n = job.kwargs["models"], job.kwargs["n"]
        self.state.begin(models)
        self._replaced = set()
        for name in self.state.running:  # what is shown stays until this run's row replaces it
            if name in self.rows:
                self.table.set_cell(name, STATUS, f"N = {self.rows[name].n}; new run waiting…")
            else:
                self.table.set_scores(name, "", "waiting…")
        self.runner.start(
            job,
            on_yield=self._on_progress,
            on_done=self._on_done,
            on_end=self._on_end,
            label="Evaluating",
        )
        skipped = [TITLES[m] for m in FAMILIES if m not in available]
        self.controls.status.setText(
            f"Evaluating {', '.join(TITLES[m] for m in models) or 'only the floor'} "
            f"with N = {n}…" + (f" No checkpoint: {', '.join(skipped)}." if skipped else "")
        )

    def _on_progress(self, progress: EvalProgress) -> None:
        self.controls.status.setText(progress.summary())  # the status bar's progress and time left are of the same run
        current = progress.model
        if current in self.state.running and current not in self._replaced:
            earlier = self.rows.get(current)
            self.table.set_cell(current, STATUS, "running…" if earlier is None else f"N = {earlier.n}; running…")
        if progress.missing is not None:
            self._show_missing(progress.missing[0])
        if progress.row is not None:
            self.show_row(progress.row)

    def show_row(self, row: EvalRow) -> None:
        """Fill a model's table row, sample grid and class histogram (its status says its N)."""
        self._replaced.add(row.name)
        self._recorded_rows.discard(row.name)
        self.rows[row.name] = row
        self.table.show_row(row)
        self.cards.show_row(row)

    def _on_done(self, result: EvalResult) -> None:
        self.result = result
        floor = result.row(FLOOR)
        self.controls.status.setText(
            f"Done in {result.seconds:.0f} s: N = {result.n} per model against {result.reference} "
            f"test digits, judged by the {result.classifier}. The floor's FID is {floor.fid:.2f}: "
            "a model near it is as good as this test can tell."
        )

    def _on_end(self, succeeded: bool) -> None:
        if not succeeded:
            for name in self.state.running:
                if name in self._replaced:
                    continue
                if name in self._recorded_rows:
                    continue  # _mark_recorded_rows shows it as it was
                if name in self.rows:
                    self.table.show_row(self.rows[name])
                else:
                    self.table.set_cell(name, STATUS, "stopped")
            self.controls.status.setText(
                "The evaluation did not finish: the rows it finished are new (their N in the "
                "status column); the others keep what they showed before."
            )
        self.state.end()
        self._replaced = set()
        self.refresh_availability()

    def _on_state_changed(self, names: frozenset[str]) -> None:
        if "busy" in names:
            self.controls.enable(self.available())
