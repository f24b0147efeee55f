"""The main window: one tab per panel, a File menu, and the shared job controls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QProgressBar, QPushButton, QTabWidget

from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.paths import CHECKPOINTS, user_data_dir
from explorer.ui.panels.diffusion import DiffusionPanel
from explorer.ui.panels.divergences import DivergencePanel
from explorer.ui.panels.evaluate import EvaluatePanel
from explorer.ui.panels.gan import GANPanel
from explorer.ui.panels.model_panel import PanelProtocol
from explorer.ui.panels.vae import VAEPanel
from explorer.ui.worker import Runner

# Panel name (as given to --panel) -> how to build it from the shared runner and training device.
PANEL_FACTORIES: dict[str, Callable[[Runner, str | None], PanelProtocol]] = {
    "vae": lambda runner, device: VAEPanel(runner, device),
    "diffusion": lambda runner, device: DiffusionPanel(runner, device),
    "gan": lambda runner, device: GANPanel(runner, device),
    "divergences": lambda runner, device: DivergencePanel(),
    "evaluate": lambda runner, device: EvaluatePanel(runner, device),
}
PANEL_TITLES = {"vae": VAEPanel.title, "diffusion": DiffusionPanel.title, "gan": GANPanel.title,
                "divergences": DivergencePanel.title, "evaluate": EvaluatePanel.title}


class UnavailablePanel(QLabel):
    """Stands in the tab of a panel that could not open, saying why and how to fix it."""

    checkpoint_kind = None

    def __init__(self, title: str, reason: str) -> None:
        super().__init__(f"<h3>The {title} panel could not open</h3><p>{reason}</p><p>The other panels work.</p>")
        self.title = title
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMargin(40)


class MainWindow(QMainWindow):
    """Hosts the panels; the status bar shows the device and drives the one background job."""

    def __init__(self, device: str | None = None, device_text: str = "CPU") -> None:
        super().__init__()
        self.setWindowTitle("Generative Explorer")
        self.runner = Runner(self)
        self.tabs = QTabWidget()
        self.panels: dict[str, PanelProtocol] = {}
        self.startup_problems: list[str] = []  # shown together in one dialog by report_startup_problems
        for name, factory in PANEL_FACTORIES.items():
            try:
                panel = factory(self.runner, device)
            except ExplorerError as exc:  # e.g. a shipped data file is missing: the other panels still open
                panel = UnavailablePanel(PANEL_TITLES[name], str(exc))
                self.startup_problems.append(f"{PANEL_TITLES[name]}: {exc}")
            self.panels[name] = panel
            self.tabs.addTab(panel, panel.title)
        self.setCentralWidget(self.tabs)
        self.tabs.currentChanged.connect(self._update_actions)
        self._build_status_bar(device_text)
        self._build_menu()
        self.runner.failed.connect(self.show_error)
        self.runner.busy_changed.connect(self._on_busy_changed)
        self.runner.paused_changed.connect(self._on_paused_changed)
        self.runner.progress.connect(self._on_progress)
        self.last_error = ""
        self._error_box: QMessageBox | None = None

    def _build_status_bar(self, device_text: str) -> None:
        bar = self.statusBar()
        self.job_label = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(260)
        self.progress.setTextVisible(False)
        self.pause_button = QPushButton("Pause")
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.runner.stop)
        self.device_label = QLabel(f"Compute device: {device_text}")
        bar.addWidget(self.job_label, 1)
        for widget in (self.progress, self.pause_button, self.stop_button, self.device_label):
            bar.addPermanentWidget(widget)
        self._on_busy_changed(False)

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&File")
        self.load_action = QAction("&Load checkpoint…", self, shortcut=QKeySequence.StandardKey.Open)
        self.load_action.triggered.connect(self._on_load_triggered)
        self.save_action = QAction("&Save checkpoint…", self, shortcut=QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self._on_save_triggered)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        for action in (self.load_action, self.save_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(quit_action)
        self._update_actions()

    def show_panel(self, name: str) -> None:
        self.tabs.setCurrentWidget(self.panels[name])

    def current_panel(self) -> PanelProtocol:
        return self.tabs.currentWidget()

    def load_shipped_checkpoints(self) -> None:
        """Load every panel's shipped model; a bad file is reported (with every other start-up
        problem, in one dialog), not fatal: the panel opens without a model."""
        for panel in self.panels.values():
            if panel.checkpoint_kind:
                try:
                    panel.load_shipped()
                except ExplorerError as exc:
                    self.startup_problems.append(
                        f"{panel.title}: the shipped model could not be loaded. {exc} Restore it from the repository "
                        "(git checkout -- checkpoints) or reinstall the app; meanwhile you can train a model in the "
                        "panel or load one with File ▸ Load checkpoint…")
        if self.startup_problems:
            self.show_error("Some shipped files could not be read.\n\n" + "\n\n".join(self.startup_problems),
                            status="Some shipped files could not be read: see the message.")

    def show_error(self, message: str, status: str | None = None) -> None:
        """Tell the user without blocking the event loop (the box is window-modal, opened with open());
        the status bar shows ``status``, or the message itself."""
        self.last_error = message
        self.statusBar().showMessage(status or message, 15000)
        if self._error_box is None:
            self._error_box = QMessageBox(QMessageBox.Icon.Warning, "Generative Explorer", "", parent=self)
        self._error_box.setText(message)
        self._error_box.open()

    def load_checkpoint(self, path: str) -> bool:
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

    def _update_actions(self) -> None:
        has_model = self.current_panel().checkpoint_kind is not None
        self.load_action.setEnabled(has_model and not self.runner.busy)
        self.save_action.setEnabled(has_model and not self.runner.busy)

    def _on_busy_changed(self, busy: bool) -> None:
        # Enable rather than show/hide: a change of layout would repaint the whole window.
        self.pause_button.setEnabled(busy)
        self.stop_button.setEnabled(busy)
        if hasattr(self, "load_action"):
            self._update_actions()

    def _on_paused_changed(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.job_label.setText(self.job_label.text().removesuffix(" (paused)") + (" (paused)" if paused else ""))

    def _on_pause_clicked(self) -> None:
        if self.runner.paused:
            self.runner.resume()
        else:
            self.runner.pause()

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(round(fraction * 1000))
        self.job_label.setText(text + (" (paused)" if self.runner.paused else ""))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        """Stop any job and wait for its thread and process before the window goes."""
        self.runner.shutdown()
        super().closeEvent(event)
