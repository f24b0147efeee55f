"""Test helper: does changing a widget make Qt lay its window out again?"""

from PySide6.QtCore import QEvent, QObject


class _LayoutRequests(QObject):
    count = 0

    def eventFilter(self, obj, event):
        self.count += event.type() == QEvent.Type.LayoutRequest
        return False


def layout_requests(box, change, qtbot) -> int:
    """How many layout requests reach ``box`` while ``change()`` runs and the event loop turns."""
    watcher = _LayoutRequests()
    box.installEventFilter(watcher)
    qtbot.wait(50)
    watcher.count = 0
    change()
    qtbot.wait(50)
    box.removeEventFilter(watcher)
    return watcher.count
