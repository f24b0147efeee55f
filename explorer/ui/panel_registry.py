"""The panels, in tab order: the one list the window (its tabs, the Tabs menu, File ▸ Load's routing) and the
command line (``--panel``) read.

Qt-free and light: the command line builds its parser from it without importing Qt or a panel. A panel's
class is imported when its tab is first built (``PanelEntry.build``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from explorer.ui.panel_protocol import PanelProtocol
    from explorer.ui.worker import Runner


@dataclass(frozen=True)
class PanelEntry:
    """One panel: its name (as ``--panel`` takes it), its tab's title, where its class lives, and the kinds of
    checkpoint File ▸ Load takes to it. The class says the same title and kinds (a test checks)."""

    name: str
    title: str
    module: str  # the module defining the panel's class
    class_name: str
    checkpoint_kinds: tuple[str, ...] = ()  # none: the panel holds no model File ▸ Load / Save apply to
    takes_runner: bool = True  # built as Class(runner, device) (its jobs run on the tab's runner); else Class()
    opening: str = ""  # "module:function" making what the tab shows before torch is imported (none: nothing)

    def panel_class(self) -> type:
        """The panel's class, its module imported now if it was not yet."""
        return cast(type, getattr(importlib.import_module(self.module), self.class_name))

    def opening_picture(self) -> QWidget | None:
        """What the tab shows at launch while torch is imported (its shipped model's own output, made without
        torch), or None where it has none."""
        if not self.opening:
            return None
        module, function = self.opening.split(":")
        return cast("Callable[[], QWidget | None]", getattr(importlib.import_module(module), function))()

    def build(self, runner: Runner, device: str | None) -> PanelProtocol:
        """The panel, its jobs on ``runner``, training on ``device`` (None: the best available)."""
        make = cast("Callable[..., PanelProtocol]", self.panel_class())  # each speaks it: a test checks
        return make(runner, device) if self.takes_runner else make()


def _entry(
    name: str, title: str, class_name: str, *kinds: str, takes_runner: bool = True, opening: str = ""
) -> PanelEntry:
    return PanelEntry(name, title, f"explorer.ui.panels.{name}", class_name, kinds, takes_runner, opening)


PANELS: tuple[PanelEntry, ...] = (
    _entry("pixelcnn", "PixelCNN", "PixelCNNPanel", "pixelcnn"),
    _entry("vae", "VAE", "VAEPanel", "vae", opening="explorer.ui.panels.vae.opening_picture:opening_picture"),
    _entry("diffusion", "Diffusion", "DiffusionPanel", "ddpm"),
    _entry("gan", "GAN", "GANPanel", "gan"),
    _entry("conditional", "Conditional", "ConditionalPanel", "cvae", "cddpm", "cgan"),
    _entry("divergences", "Divergences", "DivergencePanel", takes_runner=False),
    _entry("evaluate", "Evaluate", "EvaluatePanel"),
    _entry("plane", "2-D Lab", "PlanePanel"),
    _entry("likelihood", "Likelihood", "LikelihoodPanel"),
)
PANEL_NAMES = tuple(entry.name for entry in PANELS)
# Checkpoint kind -> the panel that shows it: File ▸ Load takes a checkpoint to its own panel.
KIND_PANELS = {kind: entry.name for entry in PANELS for kind in entry.checkpoint_kinds}


def panel_entry(name: str) -> PanelEntry:
    return next(entry for entry in PANELS if entry.name == name)
