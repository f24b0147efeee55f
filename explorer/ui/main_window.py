"""The main window: one tab per panel, a File menu, and the shared job controls."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from explorer.core.runtime.checkpoints import checkpoint_kind
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.paths import CHECKPOINTS, user_data_dir
from explorer.ui.job_status import JobStatus
from explorer.ui.panel_tabs import PanelTabs
from explorer.ui.panels.conditional import ConditionalPanel
from explorer.ui.panels.diffusion import DiffusionPanel
from explorer.ui.panels.divergences import DivergencePanel
from explorer.ui.panels.evaluate import EvaluatePanel
from explorer.ui.panels.gan import GANPanel
from explorer.ui.panels.model_panel import PanelProtocol
from explorer.ui.panels.pixelcnn import PixelCNNPanel
from explorer.ui.panels.plane import PlanePanel
from explorer.ui.panels.vae import VAEPanel
from explorer.ui.worker import Runner

# Panel name (as given to --panel) -> how to build it from the shared runner and training device.
PANEL_FACTORIES: dict[str, Callable[[Runner, str | None], PanelProtocol]] = {
    "pixelcnn": lambda runner, device: PixelCNNPanel(runner, device),
    "vae": lambda runner, device: VAEPanel(runner, device),
    "diffusion": lambda runner, device: DiffusionPanel(runner, device),
    "gan": lambda runner, device: GANPanel(runner, device),
    "conditional": lambda runner, device: ConditionalPanel(runner, device),
    "divergences": lambda runner, device: DivergencePanel(),
    "evaluate": lambda runner, device: EvaluatePanel(runner, device),
    "plane": lambda runner, device: PlanePanel(runner, device),
}
PANEL_CLASSES = {"pixelcnn": PixelCNNPanel, "vae": VAEPanel, "diffusion": DiffusionPanel, "gan": GANPanel,
                 "conditional": ConditionalPanel, "divergences": DivergencePanel, "evaluate": EvaluatePanel,
                 "plane": PlanePanel}
PANEL_TITLES = {name: cls.title for name, cls in PANEL_CLASSES.items()}
# Checkpoint kind -> the panel that shows it: File ▸ Load takes a checkpoint to its own panel. A panel
# holding several models (Conditional) names their kinds in ``checkpoint_kinds``.
KIND_PANELS = {kind: name for name, cls in PANEL_CLASSES.items()
               for kind in getattr(cls, "checkpoint_kinds", (cls.checkpoint_kind,)) if kind}


class MainWindow(QMainWindow):
    """Hosts the panels; the status bar shows the device and drives the one background job."""

    def __init__(self, device: str | None = None, device_text: str = "CPU") -> None:
        super().__init__()
        self.setWindowTitle("Generative Explorer")
        self.runner = Runner(self)
        factories = {name: partial(factory, self.runner, device) for name, factory in PANEL_FACTORIES.items()}
        self.tabs = PanelTabs(factories, PANEL_TITLES)
        self.panels = self.tabs.panels
        self.setCentralWidget(self.tabs)
        self.last_error = ""
        self._error_box: QMessageBox | None = None
        self._shipped_wanted = False  # load_shipped_checkpoints was asked: panels built later load theirs too
        self._problems_shown = 0
        self.status = JobStatus(self.statusBar(), self.runner, device_text)
        self.job_label, self.progress = self.status.job_label, self.status.progress
        self.pause_button, self.stop_button, self.device_label = (
            self.status.pause_button, self.status.stop_button, self.status.device_label)
        self._build_menu()
        self.tabs.panel_built.connect(self._on_panel_built)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.runner.failed.connect(self.show_error)
        self.runner.busy_changed.connect(self._update_actions)
        self._on_tab_changed()

    @property
    def startup_problems(self) -> list[str]:
        return self.tabs.problems

    def _build_menu(self) -> None:
        # The menu opens on Alt+F; its items have no mnemonic, so letters typed while the menu bar
        # has focus cannot run them, and their shortcuts work whatever widget has focus.
        menu = self.menuBar().addMenu("&File")
        self.load_action = QAction("Load checkpoint…", self, shortcut=QKeySequence.StandardKey.Open)
        self.load_action.triggered.connect(self._on_load_triggered)
        self.save_action = QAction("Save checkpoint…", self, shortcut=QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self._on_save_triggered)
        quit_action = QAction("Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (self.load_action, self.save_action, quit_action):
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
            self.addAction(action)  # a shortcut of the window itself, not only of the closed menu
        menu.addAction(self.load_action)
        menu.addAction(self.save_action)
        menu.addSeparator()
        menu.addAction(quit_action)

    def show_panel(self, name: str) -> None:
        self.tabs.setCurrentIndex(self.tabs.names.index(name))

    def current_panel(self) -> PanelProtocol:
        return self.tabs.panel(self.tabs.current_name())

    def load_shipped_checkpoints(self) -> None:
        """Load the shipped models of the panels built so far (the others load theirs when built,
        one per turn of the event loop from now on); every start-up problem goes in one dialog. The shown
        panel loads first: the runner takes one job at a time, and its opening job is the one in view."""
        self._shipped_wanted = True
        shown = self.tabs.current_name()
        for name in sorted(self.tabs.built, key=lambda built: built != shown):
            self._load_shipped(name)
        self._report_problems()
        QTimer.singleShot(0, self, self.tabs.build_the_rest)  # dropped if the window goes first

    def _load_shipped(self, name: str) -> None:
        panel = self.tabs.built[name]
        if not panel.checkpoint_kind:
            return
        try:
            panel.load_shipped()
        except ExplorerError as exc:
            self.tabs.problems.append(
                f"{panel.title}: the shipped model could not be loaded. {exc} Restore it from the repository "
                "(git checkout -- checkpoints) or reinstall the app; meanwhile you can train a model in the "
                "panel or load one with File ▸ Load checkpoint…")

    def _on_panel_built(self, name: str) -> None:
        if self._shipped_wanted:
            self._load_shipped(name)
            self._report_problems()

    def _report_problems(self) -> None:
        if len(self.tabs.problems) > self._problems_shown:
            self._problems_shown = len(self.tabs.problems)
            self.show_error("Some shipped files could not be read.\n\n" + "\n\n".join(self.tabs.problems),
                            status="Some shipped files could not be read: see the message.")

    def show_error(self, message: str, status: str | None = None) -> None:
        """Tell the user without blocking the event loop (the box is window-modal, opened with open());
        the status bar shows ``status``, or the message's first line cut to the room it has."""
        self.last_error = message
        self.statusBar().showMessage(self._fitted(status or message.split("\n")[0]), 15000)
        if self._error_box is None:
            self._error_box = QMessageBox(QMessageBox.Icon.Warning, "Generative Explorer", "", parent=self)
        self._error_box.setText(message)
        self._error_box.open()

    def _fitted(self, text: str) -> str:
        """``text`` elided to the status bar's room beside its permanent widgets (never widening them)."""
        status = self.status
        taken = sum(w.width() for w in (status.progress, status.pause_button, status.stop_button, status.device_label))
        room = max(100, self.statusBar().width() - taken - 60)
        return self.statusBar().fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room)

    def load_checkpoint(self, path: str) -> bool:
        """Load a checkpoint into the panel of its kind (switching to it), else into the current panel,
        which then says why it cannot take it."""
        name = KIND_PANELS.get(checkpoint_kind(path) or "")
        if name is not None and name != self.tabs.current_name():
            self.show_panel(name)
        panel = self.current_panel()
        try:
            panel.load_checkpoint(path)
        except ExplorerError as exc:
            self.show_error(str(exc))
            return False
        self.statusBar().showMessage(f"Loaded {path}", 5000)
        return True

    def save_checkpoint(self, path: str) -> bool:
        try:
            self.current_panel().save_checkpoint(path)
        except (ExplorerError, OSError, RuntimeError) as exc:
            self.show_error(f"Could not save {path}: {exc}")
            return False
        self.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    @staticmethod
    def load_dialog_folder() -> Path:
        """Where File ▸ Load starts: the user's data folder once it holds a checkpoint, else
        the shipped checkpoints."""
        mine = user_data_dir()
        return mine if mine.is_dir() and any(mine.glob("*.safetensors")) else CHECKPOINTS

    @staticmethod
    def save_dialog_folder() -> Path:
        """Where File ▸ Save starts: the user's data folder (made if missing), never the
        shipped checkpoints, which may sit inside an installed package."""
        folder = user_data_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass  # the dialog still opens; the user picks a folder that can be written
        return folder

    def _on_load_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load checkpoint", str(self.load_dialog_folder()),
                                              "Checkpoints (*.safetensors)")
        if path:
            self.load_checkpoint(path)

    def _on_save_triggered(self) -> None:
        kind = self.current_panel().checkpoint_kind
        start = self.save_dialog_folder() / f"{kind}-mine.safetensors"
        path, _ = QFileDialog.getSaveFileName(self, "Save checkpoint", str(start), "Checkpoints (*.safetensors)")
        if path:
            self.save_checkpoint(path if path.endswith(".safetensors") else path + ".safetensors")

    def _on_tab_changed(self, _index: int = 0) -> None:
        self.status.show_panel(self.current_panel().title)
        self._update_actions()

    def _update_actions(self, _busy: bool = False) -> None:
        has_model = self.current_panel().checkpoint_kind is not None
        self.load_action.setEnabled(has_model and not self.runner.busy)
        self.save_action.setEnabled(has_model and not self.runner.busy)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop any job and wait for its thread and process before the window goes."""
        self.runner.shutdown()
        super().closeEvent(event)
