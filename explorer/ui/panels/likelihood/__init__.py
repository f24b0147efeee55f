"""The Likelihood panel: ML and Bayes, EM and the ELBO's gap, variational inference, KDE and Markov chains."""

from explorer.ui.panels.likelihood.panel import LikelihoodPanel

__all__ = ["LikelihoodPanel"]
