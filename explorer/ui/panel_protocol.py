"""What the main window calls on a panel, declared so that mypy checks every call (no ``getattr``, no cast).

Every panel speaks ``PanelProtocol``; a panel with a model also ``HoldsModel`` (start-up, File ▸ Load and
Save); one that trains ``Trains``; one made of several model panels (Conditional) ``HoldsModels``. The
window tells them apart with ``isinstance`` (the protocols are runtime-checkable). Qt-free, like the
registry that names the panels.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class PanelProtocol(Protocol):
    """What the main window needs of any panel: its tab title and, for a panel with a model, the
    kind of checkpoint it takes (None: no model, File ▸ Load / Save do not apply)."""

    @property
    def title(self) -> str: ...

    @property
    def checkpoint_kind(self) -> str | None: ...


@runtime_checkable
class HoldsModel(PanelProtocol, Protocol):
    """A panel whose ``checkpoint_kind`` names one: what the start-up and File ▸ Load / Save call on it.

    ``read_checkpoint`` validates a file whole without changing the screen; what it returns (the panel's
    own type) goes back to the same panel's ``install_loaded``."""

    def load_shipped(self) -> None: ...

    def missing_shipped(self) -> list[Path]: ...

    def read_checkpoint(self, path: str | Path) -> object: ...

    def install_loaded(self, loaded: Any) -> None: ...

    def save_checkpoint(self, path: str | Path) -> None: ...


@runtime_checkable
class Trains(Protocol):
    """A panel (or one model of a panel) that trains: Quit asks first while it does."""

    @property
    def is_training(self) -> bool: ...


@runtime_checkable
class HoldsModels(Protocol):
    """A panel of several models, each trained in a panel of its own (Conditional: the cVAE and the cDDPM)."""

    @property
    def model_panels(self) -> Sequence[Trains]: ...


def is_training(panel: PanelProtocol) -> bool:
    """Whether ``panel``, or any model panel it holds, is training now."""
    parts: Sequence[object] = panel.model_panels if isinstance(panel, HoldsModels) else (panel,)
    return any(isinstance(part, Trains) and part.is_training for part in parts)
