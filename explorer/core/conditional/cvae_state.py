"""The Conditional VAE tab's state: the training run asked for, the style on show, and whether the tab trains.

The training form writes the run's epochs, β, learning rate and batch size here; the plane's marker and the
test-digit picker write the style: the point z dragged to, or the test digit whose posterior mean is drawn.
The tab builds its run's ``CVAEConfig`` and the z its views decode from this state, never from a widget, so a
test sets the state and reads the config, the z and the buttons open without any widget. Each limit of the run
is CVAEConfig's, declared once there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core.conditional.cvae import CVAEConfig
from explorer.core.runtime.limits import declared_as
from explorer.core.vae.panel_state import FORM_EPOCHS, ELBORequest, VAEJob


@dataclass(eq=False)
class CVAERequest(ELBORequest):
    """The run asked for, as the VAE's, within CVAEConfig's limits and built as a ``CVAEConfig``."""

    epochs: int = declared_as(CVAEConfig, "epochs", default=FORM_EPOCHS)
    beta: float = declared_as(CVAEConfig, "beta")
    lr: float = declared_as(CVAEConfig, "lr")
    batch_size: int = declared_as(CVAEConfig, "batch_size")

    def training_config(self) -> CVAEConfig:
        """The run's config (the model's size is CVAEConfig's); ConfigError outside a field's limits."""
        return CVAEConfig(epochs=self.epochs, beta=self.beta, lr=self.lr, batch_size=self.batch_size)


@dataclass(eq=False)
class CVAEState(CVAERequest):
    """The run asked for; the style: the marker's point ``z`` of the plane (z₁, z₂) and the ``selected`` test
    digit (None: the marker's own z is drawn; else z is its posterior mean's point); whether the tab's runner is
    ``busy`` (with any job) and which of the tab's jobs runs (it has one, training; None: none of ours)."""

    z: tuple[float, float] = (0.0, 0.0)
    selected: int | None = None
    busy: bool = False
    job: VAEJob | None = None

    def drag_to(self, z1: float, z2: float) -> None:
        """The marker dragged to (z₁, z₂): that point's style, no test digit's."""
        self.update(z=(float(z1), float(z2)), selected=None)

    def point_z(self, latent_dim: int) -> np.ndarray:
        """The marker's z as a model's latent of ``latent_dim``: (z₁, z₂), the other coordinates at 0 (a 1-D z
        takes z₁)."""
        z = np.zeros(latent_dim, dtype=np.float32)
        z[: min(latent_dim, 2)] = self.z[:latent_dim]
        return z

    @property
    def can_train(self) -> bool:
        return not self.busy
