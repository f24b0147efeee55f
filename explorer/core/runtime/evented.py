"""A Qt-free evented state: one ``changed`` signal that names the fields an update touched.

A section's state (what the learner asked for, what is on show, which job runs) is a dataclass
deriving from ``Evented``; widgets call ``state.update(field=value)`` and repaint on ``changed``,
so no section reads another's widgets and a test drives the state without any widget (napari's
evented layers). A plain callback list was chosen over psygnal's evented dataclass by measuring the drag
path (``benchmarks/evented.py``, figures in docs/architecture.md): both cost microseconds against a
repaint's milliseconds, this one less, and it adds no dependency.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

Listener = Callable[[frozenset[str]], None]


class Changed:
    """A signal without Qt: ``connect(listener)``; ``emit(names)`` calls every listener with the changed names."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def connect(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def disconnect(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def emit(self, names: frozenset[str]) -> None:
        for listener in list(self._listeners):
            listener(names)


@dataclasses.dataclass(eq=False)
class Evented:
    """Base of the section states; subclasses are dataclasses whose fields are the state."""

    changed: Changed = dataclasses.field(default_factory=Changed, init=False, repr=False)

    def update(self, **values: Any) -> None:
        """Assign ``values`` and emit ``changed`` once with the names whose value is not the same object
        (nor equal to it); nothing is emitted when nothing changed."""
        names = set()
        for name, value in values.items():
            if name == "changed" or name not in self._field_names():
                raise AttributeError(f"{type(self).__name__} has no state field {name!r}")
            old = getattr(self, name)
            if _same(old, value):
                continue
            object.__setattr__(self, name, value)
            names.add(name)
        if names:
            self.changed.emit(frozenset(names))

    @classmethod
    def _field_names(cls) -> frozenset[str]:
        return frozenset(f.name for f in dataclasses.fields(cls))


def _same(old: Any, new: Any) -> bool:
    """Whether an update leaves a field as it was: the same object, or equal where == gives a plain answer
    (arrays and anything holding them count as changed)."""
    if old is new:
        return True
    try:
        return bool(old == new)
    except (ValueError, TypeError):
        return False
