"""The main window's tabs, one per panel, each panel built the first time it is needed.

Building all the panels (data, plots, models) before the window paints kept a learner
waiting seconds; here only the panel on show is built at once, the others when their tab
is opened or, one per turn of the event loop, once the window is up.

Each panel sits in a scroll area: on a screen too small for it, it scrolls rather than crushes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import cast

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QScrollArea, QTabWidget, QWidget

from explorer.core.runtime.errors import ExplorerError
from explorer.ui.panel_protocol import PanelProtocol

BUILD_PAUSE_MS = 50  # between two panels' builds: the events that waited behind one go first
DRAG_WAIT_MS = 200  # while a mouse button is held (a drag, a scrub), how often to look again before a build


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


class PanelScroll(QScrollArea):
    """A tab's page: the panel fills it, and where the page is smaller than the panel's minimum size
    the panel keeps that size and scrolls. (A resizable QScrollArea would size a panel holding wrapped
    text by its height for the width, taller than the page even where it fits.)"""

    def __init__(self) -> None:
        super().__init__()
        self.setWidgetResizable(False)
        self.setFrameShape(QFrame.Shape.NoFrame)

    def setWidget(self, widget: QWidget) -> None:
        super().setWidget(widget)
        widget.installEventFilter(self)
        self._fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self._fit()  # its minimum size may have changed
        return False

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        widget = self.widget()
        if widget is None:
            return
        least = widget.minimumSizeHint().expandedTo(widget.minimumSize())
        room = self.maximumViewportSize()  # the page without scroll bars
        width = max(room.width(), least.width())
        height = max(room.height(), least.height())
        # a scroll bar in one direction takes room from the other
        if width > room.width():
            height = max(least.height(), room.height() - self.horizontalScrollBar().sizeHint().height())
        if height > room.height():
            width = max(least.width(), room.width() - self.verticalScrollBar().sizeHint().width())
        widget.resize(width, height)


class _Built(Mapping[str, PanelProtocol]):
    """``tabs.panels[name]``: the panel, built on first use."""

    def __init__(self, tabs: PanelTabs) -> None:
        self._tabs = tabs

    def __getitem__(self, name: str) -> PanelProtocol:
        return self._tabs.panel(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._tabs.names)

    def __len__(self) -> int:
        return len(self._tabs.names)


class PanelTabs(QTabWidget):
    """A tab per panel; ``panel(name)`` builds one when first needed; ``built`` is what exists."""

    panel_built = Signal(str)  # a panel now exists (or, if it failed, its UnavailablePanel)

    def __init__(self, factories: dict[str, Callable[[], PanelProtocol]], titles: dict[str, str]) -> None:
        super().__init__()
        self.names = list(factories)
        self._factories = factories
        self._titles = titles
        self.built: dict[str, PanelProtocol] = {}
        self.problems: list[str] = []  # why panels could not open, for one dialog
        self.panels = _Built(self)
        self.in_background = False  # a panel is being built by build_the_rest, not because it was asked for
        self._deferred: list[Callable[[], None]] = []  # work a background build left for the next turns
        for name in self.names:
            self.addTab(PanelScroll(), titles[name])
        self.currentChanged.connect(lambda index: self.panel(self.names[index]))

    def panel(self, name: str) -> PanelProtocol:
        if name not in self.built:
            try:
                panel = self._factories[name]()
            except ExplorerError as exc:  # e.g. a shipped data file is missing: the other panels still open
                panel = UnavailablePanel(self._titles[name], str(exc))
                self.problems.append(f"{self._titles[name]}: {exc}")
            self.built[name] = panel
            cast(PanelScroll, self.widget(self.names.index(name))).setWidget(
                cast(QWidget, panel)
            )  # every panel is a widget
            self.panel_built.emit(name)
        return self.built[name]

    def current_name(self) -> str:
        return self.names[self.currentIndex()]

    def build_the_rest(self) -> None:
        """Build the panels not yet built, one at a time with a pause between them, so the window stays live:
        each build holds the event loop for a moment, and a zero-delay timer let the next build run before the
        drags and paints that had queued behind the last one (two builds to a stall, measured). While a mouse
        button is held, no build starts: a learner dragging a marker or scrubbing a chain in the first seconds
        would feel the build as the drag freezing; it waits for the button's release."""
        waiting = [name for name in self.names if name not in self.built]
        if not waiting and not self._deferred:
            return
        if QApplication.mouseButtons() != Qt.MouseButton.NoButton:  # a drag on show: a build would freeze it
            QTimer.singleShot(DRAG_WAIT_MS, self, self.build_the_rest)
            return
        if self._deferred:
            self._deferred.pop(0)()
        else:
            self.in_background = True
            try:
                self.panel(waiting[0])
            finally:
                self.in_background = False
        QTimer.singleShot(BUILD_PAUSE_MS, self, self.build_the_rest)

    def defer(self, step: Callable[[], None]) -> None:
        """Run ``step`` at a later turn of ``build_the_rest``, before the next build: what follows a panel's
        background build (loading its shipped model) then holds the event loop on its own, not with the build."""
        self._deferred.append(step)

    @property
    def settled(self) -> bool:
        """Every panel built and nothing left for later turns."""
        return len(self.built) == len(self.names) and not self._deferred
