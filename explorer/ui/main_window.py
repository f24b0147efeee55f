"""The main window: one tab per panel, each with its own job runner; a File menu; the job controls."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, QRect, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox

from explorer.cli import DEFAULT_SIZE, MIN_SIZE
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.jobs import warm_up
from explorer.core.runtime.paths import CHECKPOINTS, user_data_dir
from explorer.core.runtime.quoting import shown
from explorer.ui.job_status import JobStatus
from explorer.ui.panel_protocol import HoldsModel, PanelProtocol, is_training
from explorer.ui.panel_registry import KIND_PANELS, PANELS, PanelEntry, panel_entry
from explorer.ui.panel_tabs import PanelTabs
from explorer.ui.start_up import BackgroundImports, configure
from explorer.ui.worker import Runner

PANEL_TITLES = {entry.name: entry.title for entry in PANELS}


class MainWindow(QMainWindow):
    """Hosts the panels, each with its own runner; the status bar shows the device and drives the job
    of the tab on show."""

    def __init__(self, device: str | None = None, device_text: str = "CPU") -> None:
        """``device``: where the panels train (None: the best available, picked by ``open_on`` once torch is in)."""
        super().__init__()
        self.setWindowTitle("Generative Explorer")
        self.setMinimumSize(*MIN_SIZE)  # smaller than a panel needs: the panel scrolls (PanelTabs)
        self.device = device
        # Each tab gets a runner of its own (a job of one tab never waits for another's).
        self.runners = {entry.name: Runner(self) for entry in PANELS}
        factories: dict[str, Callable[[], PanelProtocol]] = {
            entry.name: partial(self._build, entry) for entry in PANELS
        }
        self.tabs = PanelTabs(factories, PANEL_TITLES)
        self.panels = self.tabs.panels
        self.setCentralWidget(self.tabs)
        self.last_error = ""
        self._error_box: QMessageBox | None = None
        self._shipped_wanted = False  # load_shipped_checkpoints was asked: panels built later load theirs too
        self._problems_shown = 0
        self._painted = False  # the window has been painted once (the other panels are built after that)
        self._rest_waits_for_paint = False
        self.imports: BackgroundImports | None = None  # open_on's: torch and the panels, imported in a thread
        self._opening_placed = False  # open_on's panel is on its page (the opening picture is gone)
        self._imports_wait_for_paint = False
        self.status = JobStatus(
            self.statusBar(), {PANEL_TITLES[name]: runner for name, runner in self.runners.items()}, device_text
        )
        self.job_label, self.progress = self.status.job_label, self.status.progress
        self.pause_button, self.stop_button, self.device_label = (
            self.status.pause_button,
            self.status.stop_button,
            self.status.device_label,
        )
        self._build_menu()
        self.tabs.panel_built.connect(self._on_panel_built)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        for runner in self.runners.values():
            runner.failed.connect(self.show_error)
            runner.busy_changed.connect(self._update_actions)
        self._on_tab_changed()

    def _build(self, entry: PanelEntry) -> PanelProtocol:
        return entry.build(self.runners[entry.name], self.device)

    @property
    def runner(self) -> Runner:
        """The runner of the tab on show (the status bar's Pause and Stop act on it)."""
        return self.runners[self.tabs.current_name()]

    @property
    def busy(self) -> bool:
        """Whether any tab's job runs."""
        return any(runner.busy for runner in self.runners.values())

    def place_within(self, available: QRect, size: tuple[int, int] | None = None) -> None:
        """Size the window for a screen whose free area (less taskbars) is ``available``: ``size`` if
        given, else the default size, centred, where it fits with room for the title bar, else maximised.
        Call before ``show()``."""
        if size is not None:
            self.resize(*size)
            return
        decorations = 60  # a title bar and the frame's edges, which the window's size leaves out
        if available.width() >= DEFAULT_SIZE[0] and available.height() >= DEFAULT_SIZE[1] + decorations:
            self.resize(*DEFAULT_SIZE)
            frame = QRect(0, 0, *DEFAULT_SIZE)
            frame.moveCenter(available.center())
            self.move(frame.topLeft())
        else:
            self.resize(min(available.width(), DEFAULT_SIZE[0]), min(available.height() - decorations, DEFAULT_SIZE[1]))
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)

    @property
    def startup_problems(self) -> list[str]:
        return self.tabs.problems

    def _build_menu(self) -> None:
        # The menu opens on Alt+F; its items have no mnemonic, so letters typed while the menu bar
        # has focus cannot run them, and their shortcuts work whatever widget has focus.
        menu = self.menuBar().addMenu("&File")
        self.load_action = QAction("Load checkpoint…", self)
        self.load_action.setShortcut(QKeySequence.StandardKey.Open)
        self.load_action.triggered.connect(self._on_load_triggered)
        self.save_action = QAction("Save checkpoint…", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self._on_save_triggered)
        self.quit_action = QAction("Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self._on_quit_triggered)
        for action in (self.load_action, self.save_action, self.quit_action):
            self._add_shortcut(action)
        menu.addAction(self.load_action)
        menu.addAction(self.save_action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        tabs = self.menuBar().addMenu("&Tabs")
        for index, name in enumerate(self.tabs.names[:9]):
            action = QAction(PANEL_TITLES[name], self, shortcut=QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(partial(self.show_panel, name))
            self._add_shortcut(action)
            tabs.addAction(action)
        self.help_action = QAction(
            "Help on this tab", self, shortcut=QKeySequence(QKeySequence.StandardKey.HelpContents)
        )
        self.help_action.triggered.connect(self.show_help)
        self._add_shortcut(self.help_action)
        self.menuBar().addMenu("&Help").addAction(self.help_action)
        self._help_box: QMessageBox | None = None

    def _add_shortcut(self, action: QAction) -> None:
        action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.addAction(action)  # a shortcut of the window itself, not only of the closed menu

    def help_text(self) -> str:
        """What F1 shows: how to find help on the tab on show, and the keys that work everywhere."""
        last = len(self.tabs.names[:9])
        return (
            f"<b>{self.current_panel().title} tab</b><p>Each section has a <b>?</b> button: it says what the "
            "section shows and the maths behind it, with the paper it comes from. Hover over a control for "
            "a tip; the status bar below says what this tab's job is doing, and Pause and Stop act on it.</p>"
            f"<p><b>Keys</b><br>Ctrl+1 … Ctrl+{last}: the tabs, left to right<br>"
            "Space: play or pause a timeline; ← →: one step of it<br>"
            "Ctrl+O / Ctrl+S: load / save a checkpoint<br>F1: this help<br>Ctrl+Q: quit</p>"
        )

    def show_help(self) -> None:
        if self._help_box is None:
            self._help_box = QMessageBox(QMessageBox.Icon.Information, "Generative Explorer: help", "", parent=self)
            self._help_box.setTextFormat(Qt.TextFormat.RichText)
        self._help_box.setText(self.help_text())
        self._help_box.open()

    def training_tabs(self) -> list[str]:
        """The titles of the tabs whose model is being trained now."""
        return [panel.title for panel in self.tabs.built.values() if is_training(panel)]

    def _on_quit_triggered(self) -> None:
        """Quit; while a model trains, only once the learner says so (the run is lost)."""
        training = self.training_tabs()
        if training:
            answer = QMessageBox.question(
                self,
                "Quit while training?",
                f"Training runs on the {', '.join(training)} tab: quitting stops it "
                "and the run is lost (a model is kept only once training ends and you save it). Quit anyway?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.close()

    def show_panel(self, name: str) -> None:
        """Show (and build, if it is not yet) the panel ``name``."""
        self.tabs.setCurrentIndex(self.tabs.names.index(name))
        self.tabs.panel(name)

    def current_panel(self) -> PanelProtocol:
        return self.tabs.panel(self.tabs.current_name())

    def load_shipped_checkpoints(self) -> None:
        """Load the shipped models of the panels built so far (the others load theirs when built,
        one per turn of the event loop from now on); every start-up problem goes in one dialog. The shown
        panel loads first: its opening job is the one in view."""
        warm_up()  # the fork server the training jobs start from
        self._load_the_built()
        QTimer.singleShot(0, self, self._build_the_rest_once_painted)  # dropped if the window goes first

    def _load_the_built(self) -> None:
        self._shipped_wanted = True
        shown = self.tabs.current_name()
        for name in sorted(self.tabs.built, key=lambda built: built != shown):
            self._load_shipped(name)
        self._report_problems()

    def open_on(self, name: str) -> None:
        """Launch on tab ``name``: show it and load every shipped model, as ``show_panel`` and
        ``load_shipped_checkpoints`` do, but, where the tab has an opening picture, paint that first and import
        torch and the panels in a thread once the window has been painted; then build the panel, load its model
        and put it in the picture's place, each at a turn of the event loop of its own, then the other tabs."""
        picture = panel_entry(name).opening_picture()
        if picture is None:
            if self.device is None:
                from explorer.core.runtime.devices import describe, pick_device

                picked = pick_device()
                self._use_device(str(picked), describe(picked))
            self.show_panel(name)
            self.load_shipped_checkpoints()
            return
        self.tabs.hold(name, picture)
        self.imports = BackgroundImports(name, self.device, self)
        self.imports.shown_ready.connect(self._build_opening_panel)
        self.imports.all_ready.connect(self._build_the_rest_once_placed)
        QTimer.singleShot(0, self, self._import_once_painted)

    def _import_once_painted(self) -> None:
        """Start the imports once the window on show is painted (a thread importing slows the paint down); a
        window never shown (a test, a script) starts them at once."""
        if self.isVisible() and not self._painted:
            self._imports_wait_for_paint = True  # event() starts them after the first paint
        elif self.imports is not None:
            self.imports.start()

    def _build_opening_panel(self) -> None:
        """Torch is in: build the panel on show (its picture stays on show), and load its model at the next turn."""
        configure()
        assert self.imports is not None
        if self.device is None:
            self._use_device(self.imports.device, self.imports.device_text)
        self.tabs.panel(self.imports.shown)
        QTimer.singleShot(0, self, self._load_opening_panel)

    def _use_device(self, device: str | None, text: str) -> None:
        """Train on ``device`` (picked once torch is in), and say so in the status bar."""
        self.device = device
        self.status.device_label.setText(f"Compute device: {text}")

    def _load_opening_panel(self) -> None:
        self._load_the_built()  # and any panel a learner asked for meanwhile
        QTimer.singleShot(0, self, self._place_opening_panel)

    def _place_opening_panel(self) -> None:
        assert self.imports is not None
        self.tabs.place(self.imports.shown)
        self._opening_placed = True
        self._build_the_rest_once_placed()

    def _build_the_rest_once_placed(self) -> None:
        """Once the opening panel is on its page and every panel's module is imported: tab changes build again,
        the fork server the training jobs start from is started, and the other panels are built."""
        if not (self._opening_placed and self.imports is not None and self.imports.done) or not self.tabs.holding:
            return
        self.tabs.release()
        warm_up()
        QTimer.singleShot(0, self, self._build_the_rest_once_painted)

    def _build_the_rest_once_painted(self) -> None:
        """Build the other panels, one per turn of the event loop, but only once the window on show has
        been painted with the shown panel's content: each build holds the event loop for a moment (up to a
        second), which must not come between a learner and the first digits. A window never shown (a test,
        a script) builds them at once."""
        if self.isVisible() and not self._painted:
            self._rest_waits_for_paint = True  # event() starts them after the first paint
        else:
            self.tabs.build_the_rest()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.UpdateRequest and not self._painted:  # the window has just been painted
            self._painted = True
            if self._imports_wait_for_paint:
                self._imports_wait_for_paint = False
                QTimer.singleShot(0, self, self._import_once_painted)
            if self._rest_waits_for_paint:
                self._rest_waits_for_paint = False
                QTimer.singleShot(0, self, self.tabs.build_the_rest)
        return handled

    def _load_shipped(self, name: str) -> None:
        panel = self.tabs.built[name]
        if not (panel.checkpoint_kind and isinstance(panel, HoldsModel)):
            return
        restore = (
            "Restore it from the repository (git checkout -- checkpoints) or reinstall the app; meanwhile "
            "you can train a model in the panel or load one with File ▸ Load checkpoint…"
        )
        try:
            panel.load_shipped()
        except ExplorerError as exc:
            self.tabs.problems.append(f"{panel.title}: the shipped model could not be loaded. {exc} {restore}")
        for path in panel.missing_shipped():
            self.tabs.problems.append(f"{panel.title}: the shipped model {path.name} is missing. {restore}")

    def _on_panel_built(self, name: str) -> None:
        if self._shipped_wanted:
            if self.tabs.in_background:  # its model loads at the next turn: build and load, each a shorter hold
                self.tabs.defer(partial(self._load_and_report, name), name)
            else:
                self._load_and_report(name)

    def _load_and_report(self, name: str) -> None:
        self._load_shipped(name)
        self._report_problems()

    def _report_problems(self) -> None:
        if len(self.tabs.problems) > self._problems_shown:
            self._problems_shown = len(self.tabs.problems)
            self.show_error(
                "Some shipped files could not be read.\n\n" + "\n\n".join(self.tabs.problems),
                status="Some shipped files could not be read: see the message.",
            )

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
        """Load a checkpoint into the panel of its kind (switching to it once the file has been read and checked
        whole), else into the current panel, which then says why it cannot take it."""
        from explorer.core.runtime.checkpoints import checkpoint_kind  # torch: not before the window is painted

        name = KIND_PANELS.get(checkpoint_kind(path) or "") or self.tabs.current_name()
        if not self.tabs.panel(name).checkpoint_kind:  # its panel could not open (a data file is missing)
            name = self.tabs.current_name()
        panel = self.tabs.panel(name)
        if not isinstance(panel, HoldsModel):  # File ▸ Load is greyed out on such a tab
            self.show_error(f"The {panel.title} tab holds no model to load a checkpoint into.")
            return False
        try:
            loaded = panel.read_checkpoint(path)  # the whole file is checked before anything on screen changes
        except ExplorerError as exc:
            self.show_error(str(exc))
            return False
        self.show_panel(name)
        panel.install_loaded(loaded)
        self.statusBar().showMessage(f"Loaded {shown(path)}", 5000)
        return True

    def save_checkpoint(self, path: str) -> bool:
        panel = self.current_panel()
        try:
            if not isinstance(panel, HoldsModel):  # File ▸ Save is greyed out on such a tab
                raise ExplorerError(f"the {panel.title} tab holds no model.")
            panel.save_checkpoint(path)
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
        path, _ = QFileDialog.getOpenFileName(
            self, "Load checkpoint", str(self.load_dialog_folder()), "Checkpoints (*.safetensors)"
        )
        if path:
            self.load_checkpoint(path)

    def _on_save_triggered(self) -> None:
        kind = self.current_panel().checkpoint_kind
        start = self.save_dialog_folder() / f"{kind}-mine.safetensors"
        path, _ = QFileDialog.getSaveFileName(self, "Save checkpoint", str(start), "Checkpoints (*.safetensors)")
        if path:
            self.save_checkpoint(path if path.endswith(".safetensors") else path + ".safetensors")

    def _on_tab_changed(self, _index: int = 0) -> None:
        self.status.show_panel(PANEL_TITLES[self.tabs.current_name()])
        self._update_actions()

    def _current_has_model(self) -> bool:
        """Whether the tab on show holds a model File ▸ Load / Save apply to; asked of the registry while the
        panel is not built (the first tab is not built at launch unless it is the one shown)."""
        name = self.tabs.current_name()
        if name in self.tabs.built:
            return self.tabs.built[name].checkpoint_kind is not None
        return bool(panel_entry(name).checkpoint_kinds)

    def _update_actions(self, _busy: bool = False) -> None:
        """Offer Load and Save where they apply; a greyed item says why."""
        has_model = self._current_has_model()
        reason = (
            ""
            if has_model and not self.runner.busy
            else (" (this tab has no model)" if not has_model else " (wait for this tab's job, or stop it)")
        )
        for action, text in ((self.load_action, "Load checkpoint…"), (self.save_action, "Save checkpoint…")):
            action.setEnabled(not reason)
            action.setText(text + reason)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop every job and wait for its thread and process before the window goes."""
        if self.imports is not None:
            self.imports.wait()
        for runner in self.runners.values():
            runner.stop()
        for runner in self.runners.values():
            runner.shutdown()
        super().closeEvent(event)
