"""The Conditional panel: generative models told which digit to draw, a tab per model.

The conditional VAE (Sohn et al. 2015), the class-conditional DDPM with classifier-free
guidance (Ho & Salimans 2022) and the conditional GAN (Mirza & Osindero 2014) are separate
models with separate checkpoints, so each tab is a ``ModelPanel`` of its own; this panel
routes File ▸ Load and Save to the right one.

Its build is four panels' builds: built in the background after launch, each tab is built at a turn of the
event loop of its own (``build_later``), so the window never freezes for the four together.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from explorer.core.runtime.checkpoints import checkpoint_kind
from explorer.core.runtime.errors import CheckpointError, ExplorerError
from explorer.ui.panel_tabs import build_later
from explorer.ui.panels.conditional.cddpm_panel import CDDPMPanel
from explorer.ui.panels.conditional.cgan_panel import CGANPanel
from explorer.ui.panels.conditional.classifier_guidance_tab import ClassifierGuidanceTab
from explorer.ui.panels.conditional.cvae_panel import CVAEPanel
from explorer.ui.panels.model_panel import LoadedModel, ModelPanel
from explorer.ui.worker import Runner

P = TypeVar("P", CVAEPanel, CDDPMPanel, CGANPanel, ClassifierGuidanceTab)


class ConditionalPanel(QWidget):
    """A tab per conditional model; ``checkpoint_kind`` is the kind of the tab on show."""

    title = "Conditional"
    checkpoint_kinds = ("cvae", "cddpm", "cgan")

    def __init__(self, runner: Runner, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.device = device
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.cvae = self._add(CVAEPanel(runner, device))
        self.model_panels: tuple[ModelPanel, ...] = (self.cvae,)
        build_later(self._build_cddpm)
        build_later(self._build_cgan)
        build_later(self._build_classifier_guidance)

    def _add(self, panel: P) -> P:
        self.tabs.addTab(panel, panel.name)
        return panel

    def _build_cddpm(self) -> None:
        self.cddpm = self._add(CDDPMPanel(self.runner, self.device))
        self.model_panels += (self.cddpm,)

    def _build_cgan(self) -> None:
        self.cgan = self._add(CGANPanel(self.runner, self.device))
        self.model_panels += (self.cgan,)

    def _build_classifier_guidance(self) -> None:
        self.classifier_guidance = self._add(ClassifierGuidanceTab(self.runner, self.device))
        self.classifier_guidance.cddpm_source = self.cddpm  # the comparison draws the cDDPM loaded there

    @property
    def checkpoint_kind(self) -> str:
        """The kind File ▸ Save writes: the model of the tab on show."""
        return self.current().checkpoint_kind

    def current(self) -> ModelPanel:
        shown = self.tabs.currentWidget()
        # The classifier-guidance tab holds no model of its own: File ▸ Load and Save act on the cDDPM it compares.
        return shown if isinstance(shown, ModelPanel) else self.cddpm

    def show_model(self, kind: str) -> ModelPanel:
        """Bring the tab of ``kind``'s model to the front and return it."""
        panel = next(p for p in self.model_panels if p.checkpoint_kind == kind)
        self.tabs.setCurrentWidget(panel)
        return panel

    def load_shipped(self) -> None:
        """Load both shipped models; a missing one is said in its tab, an unreadable one raises (after the
        other has loaded)."""
        problems = []
        for panel in self.model_panels:
            try:
                panel.load_shipped()
            except ExplorerError as exc:
                problems.append(str(exc))
        if problems:
            raise CheckpointError(" ".join(problems))

    def missing_shipped(self) -> list[Path]:
        return [path for panel in self.model_panels for path in panel.missing_shipped()]

    def read_checkpoint(self, path: str | Path) -> tuple[ModelPanel, LoadedModel]:
        """Read and validate a cvae, cddpm or cgan checkpoint for its tab (any other file: for the tab on show, whose
        loader says why it cannot take it), changing nothing on screen."""
        kind = checkpoint_kind(path)
        panel = (
            next(p for p in self.model_panels if p.checkpoint_kind == kind)
            if kind in self.checkpoint_kinds
            else self.current()
        )
        return panel, panel.read_checkpoint(path)

    def install_loaded(self, loaded: tuple[ModelPanel, LoadedModel]) -> None:
        """Bring the checkpoint's tab to the front and show the model there."""
        panel, model = loaded
        self.show_model(panel.checkpoint_kind).install_loaded(model)

    def load_checkpoint(self, path: str | Path) -> None:
        """Load a cvae, cddpm or cgan checkpoint into its tab, which comes to the front (nothing changes if it is bad)."""
        self.install_loaded(self.read_checkpoint(path))

    def save_checkpoint(self, path: str | Path) -> None:
        """Save the model of the tab on show."""
        self.current().save_checkpoint(path)
