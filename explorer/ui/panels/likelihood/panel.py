"""LikelihoodPanel: the tools every deep generative model rests on, one section per tab.

Each section binds to its own evented state (``explorer.core.likelihood.states``); the panel only
composes them and owns no maths. Built in the background after launch, the first section is built with the
panel and each later one at a turn of the event loop of its own (``build_later``), so the window never freezes
for the five together; opened by the learner, the panel is whole at once."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.core.likelihood.states import (
    OPENING_DRAWS,
    BallState,
    EMState,
    KDEState,
    MarkovState,
    VIState,
    VIToyState,
)
from explorer.core.plane.lab_state import LabState
from explorer.core.runtime.evented import Evented
from explorer.ui.panel_tabs import build_later
from explorer.ui.panels.likelihood.bayes_section import BayesSection
from explorer.ui.panels.likelihood.em_section import EMSection, em_data
from explorer.ui.panels.likelihood.kde_section import KDESection
from explorer.ui.panels.likelihood.markov_section import MarkovSection
from explorer.ui.panels.likelihood.vi_section import VISection
from explorer.ui.panels.likelihood.vi_toy_section import VIToySection
from explorer.ui.worker import Runner


class LikelihoodPanel(QWidget):
    """Maximum likelihood and Bayes, EM and the ELBO's gap, variational inference, KDE and Markov chains."""

    title = "Likelihood"
    checkpoint_kind = None

    def __init__(self, runner: Runner | None = None, device: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel(
            "<b>Likelihood before deep models</b>: maximum likelihood is minimising KL(p<sub>data</sub> ‖ "
            "p<sub>θ</sub>); EM and variational inference both climb log p(x) = ELBO + KL(q ‖ p(z | x)); "
            "a kernel density estimate judges a model by its samples; a Markov chain forgets its start."
        )
        heading.setWordWrap(True)
        ball, em, vi, kde, markov = BallState(draws=OPENING_DRAWS), EMState(), VIState(), KDEState(), MarkovState()
        vi_toy = VIToyState()
        em_points = em_data()  # the 2-D Lab's data section and brush edit these; EM restarts on every change
        self.states: dict[str, Evented] = {
            "bayes": ball,
            "em": em,
            "em data": em_points,
            "vi": vi,
            "vi toy": vi_toy,
            "kde": kde,
            "markov": markov,
        }
        self.runner, self.device = runner, device
        self.bayes = BayesSection(ball)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.bayes, "1 · ML and Bayes")
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.tabs, 1)
        build_later(lambda: self._build_em(em, em_points))
        build_later(lambda: self._build_variational(vi, vi_toy))
        build_later(lambda: self._build_kde(kde))
        build_later(lambda: self._build_markov(markov))

    def _build_em(self, em: EMState, em_points: LabState) -> None:
        self.em = EMSection(em, em_points)
        self.tabs.addTab(self.em, "2 · EM and the ELBO's gap")

    def _build_variational(self, vi: VIState, vi_toy: VIToyState) -> None:
        self.vi = VISection(vi)
        self.vi_toy = VIToySection(vi_toy)
        self.variational = VariationalPage(self.vi, self.vi_toy)
        self.tabs.addTab(self.variational, "3 · Variational inference")

    def _build_kde(self, kde: KDEState) -> None:
        self.kde = KDESection(self.runner, kde, self.device)
        self.tabs.addTab(self.kde, "4 · KDE as an evaluation")

    def _build_markov(self, markov: MarkovState) -> None:
        self.markov = MarkovSection(markov)
        self.tabs.addTab(self.markov, "5 · Markov chains")


class VariationalPage(QWidget):
    """Section 3's two posteriors behind a switch: the 2-D one drawn from a mixture prior, and the notes'
    1-D toy with an exponential prior (``show_toy`` picks)."""

    def __init__(self, plane: VISection, toy: VIToySection) -> None:
        super().__init__()
        self.stack = QStackedWidget()
        self.stack.addWidget(plane)
        self.stack.addWidget(toy)
        self.choices = [QRadioButton("2-D posterior (a mixture prior)"), QRadioButton("1-D toy: exponential prior")]
        group = QButtonGroup(self)
        switch = QHBoxLayout()
        switch.addWidget(QLabel("Posterior:"))
        for index, choice in enumerate(self.choices):
            group.addButton(choice, index)
            switch.addWidget(choice)
        switch.addStretch(1)
        self.choices[0].setChecked(True)
        group.idClicked.connect(self.stack.setCurrentIndex)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(switch)
        layout.addWidget(self.stack, 1)

    def show_toy(self, toy: bool) -> None:
        self.choices[int(toy)].setChecked(True)
        self.stack.setCurrentIndex(int(toy))
