"""The VAE panel's state: the training run the learner asks for, and whether the panel's training runs.

The training form writes the epochs, β, the learning rate and the batch size here as the learner edits them;
the panel builds its run's ``VAEConfig`` from this state, never from a spin box, so a test sets the state and
reads the config and the actions it allows without any widget. Each limit is VAEConfig's, declared once there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from explorer.core.runtime.evented import Evented
from explorer.core.runtime.limits import declared_as
from explorer.core.vae.model import VAEConfig

# The form's first run is shorter than the shipped model's: the ELBO's terms level off within a few minutes
# on a laptop's CPU, long enough to watch the digits gather in the plane.
FORM_EPOCHS = 10


class VAEJob(Enum):
    """Which of the VAE panel's jobs runs: it has one, training (the views follow the model as it learns)."""

    TRAINING = "training"


@dataclass(eq=False)
class ELBORequest(Evented):
    """The run asked for: ``epochs`` over MNIST at rate ``lr`` in batches of ``batch_size``, the KL weighted by
    ``beta`` (1: the ELBO; else the β-VAE's objective)."""

    epochs: int = declared_as(VAEConfig, "epochs", default=FORM_EPOCHS)
    beta: float = declared_as(VAEConfig, "beta")
    lr: float = declared_as(VAEConfig, "lr")
    batch_size: int = declared_as(VAEConfig, "batch_size")

    def training_config(self) -> VAEConfig:
        """The run's config (the model's size is VAEConfig's); ConfigError outside a field's limits."""
        return VAEConfig(epochs=self.epochs, beta=self.beta, lr=self.lr, batch_size=self.batch_size)


@dataclass(eq=False)
class VAEState(ELBORequest):
    """The training request, whether the tab's runner is ``busy`` (with any job, the panel's or not) and which of
    the panel's jobs runs (None: none of ours)."""

    busy: bool = False
    job: VAEJob | None = None

    @property
    def can_train(self) -> bool:
        """Train needs a free runner."""
        return not self.busy
