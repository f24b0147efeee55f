"""The main window's tabs, one per panel, each panel built the first time it is needed.

Building all the panels (data, plots, models) before the window paints kept a learner
waiting seconds; here only the panel on show is built at once, the others when their tab
is opened or, one per turn of the event loop, once the window is up.

Each panel sits in a scroll area: on a screen too small for it, it scrolls rather than crushes.

A panel whose build holds the event loop too long for one turn puts its later parts through ``build_later``:
built in the background, each part then waits for a turn of its own; built on demand, it is whole at once.
At launch the tab on show may ``hold`` an opening picture while torch is imported; no panel is built on a tab
change until ``release``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import cast

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QScrollArea, QTabWidget, QWidget

from explorer.core.runtime.errors import ExplorerError
from explorer.ui.panel_protocol import PanelProtocol

_later: list[Callable[[], None]] | None = None  # a background build's later parts, while it is being built


def build_later(step: Callable[[], None]) -> None:
    """Run ``step`` (a part of a panel's build, from its constructor) at a turn of the event loop of its own
    if the panel is being built in the background, else now: a panel built because a learner opened its
    tab, or by a test, is whole when its constructor returns."""
    if _later is None:
        step()
    else:
        _later.append(step)


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
        # work a background build left for the next turns, and the panel it belongs to ("": none)
        self._deferred: list[tuple[str, Callable[[], None]]] = []
        self.holding = False  # a tab change builds nothing (torch is still being imported)
        self._picture_page: str | None = None  # the page that shows an opening picture until its panel is placed
        for name in self.names:
            self.addTab(PanelScroll(), titles[name])
        self.currentChanged.connect(self._on_current_changed)

    def _on_current_changed(self, index: int) -> None:
        if not self.holding:
            self.panel(self.names[index])

    def _page(self, name: str) -> PanelScroll:
        return cast(PanelScroll, self.widget(self.names.index(name)))

    def panel(self, name: str) -> PanelProtocol:
        """The panel ``name``, built now if it is not yet, and whole: what its background build deferred
        runs now."""
        global _later
        if name not in self.built:
            if self.in_background:
                _later = []
            try:
                panel = self._factories[name]()
            except ExplorerError as exc:  # e.g. a shipped data file is missing: the other panels still open
                panel = UnavailablePanel(self._titles[name], str(exc))
                self.problems.append(f"{self._titles[name]}: {exc}")
            finally:
                later, _later = _later or [], None
            self._deferred.extend((name, step) for step in later)
            self.built[name] = panel
            if name != self._picture_page:
                self.place(name)
            self.panel_built.emit(name)
        elif not self.in_background:
            self.finish(name)
        return self.built[name]

    def finish(self, name: str) -> None:
        """Run now, in order, what a background build of ``name`` left for later turns."""
        mine = [step for owner, step in self._deferred if owner == name]
        self._deferred = [(owner, step) for owner, step in self._deferred if owner != name]
        for step in mine:
            step()

    def place(self, name: str) -> None:
        """Put the built panel ``name`` on its page (in place of an opening picture)."""
        if self._picture_page == name:
            self._picture_page = None
        page = self._page(name)
        if page.widget() is not self.built[name]:
            page.setWidget(cast(QWidget, self.built[name]))  # every panel is a widget

    def hold(self, name: str, picture: QWidget) -> None:
        """Show tab ``name`` with ``picture`` on its page until its panel is built and ``place``d; build no
        panel on a tab change until ``release``."""
        self.holding = True
        self._picture_page = name
        self._page(name).setWidget(picture)
        self.setCurrentIndex(self.names.index(name))

    def release(self) -> None:
        """Build on tab changes again, and the tab on show now if the learner went to another."""
        self.holding = False
        self.panel(self.current_name())

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
            self._deferred.pop(0)[1]()
        else:
            self.in_background = True
            try:
                self.panel(waiting[0])
            finally:
                self.in_background = False
        QTimer.singleShot(BUILD_PAUSE_MS, self, self.build_the_rest)

    def defer(self, step: Callable[[], None], name: str = "") -> None:
        """Run ``step`` at a later turn of ``build_the_rest``, before the next build: what follows a panel's
        background build (loading its shipped model) then holds the event loop on its own, not with the build.
        A step of panel ``name`` runs at once if the panel is asked for before (``panel``)."""
        self._deferred.append((name, step))

    @property
    def settled(self) -> bool:
        """Every panel built and nothing left for later turns."""
        return len(self.built) == len(self.names) and not self._deferred
