"""The cVAE's training row: the VAE panel's form and curves, for the conditional ELBO."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from explorer.core.conditional.cvae_state import CVAERequest
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.ui.panels.run_record import trained_text
from explorer.ui.panels.vae.training_box import TrainingBox

TITLE = "Train on MNIST with the labels (maximise E_q[log p(x|z, y)] − β·KL(q(z|x, y) ‖ N(0, I)))"
TERMS = {"neg_elbo": "−ELBO", "recon": "reconstruction −log p(x|z, y)", "kl": "KL(q(z|x, y) ‖ p(z))"}


def describe_checkpoint(ckpt: Checkpoint) -> str:
    """The model in a few lines: its size, test −ELBO and how it was trained."""
    m = ckpt.info.get("metrics", {})
    text = (
        f"Model: cVAE, {ckpt.config.get('latent_dim', '?')}-D z, {ckpt.config.get('hidden', '?')} hidden, "
        f"{ckpt.config.get('epochs', '?')} epochs, β = {ckpt.config.get('beta', '?')}"
    )
    if "test_neg_elbo" in m:
        text += (
            f"\nTest −ELBO {m['test_neg_elbo']:.1f} nats (reconstruction {m['test_recon']:.1f} + KL {m['test_kl']:.1f})"
        )
    return text + trained_text(ckpt.info)


class CVAETrainingBox(TrainingBox):
    """Epochs, β, learning rate and batch size of a cVAE run (a form over ``state``); the curves of its ELBO's
    terms by epoch."""

    def __init__(self, parent: QWidget | None = None, *, state: CVAERequest | None = None) -> None:
        super().__init__(parent, state=state if state is not None else CVAERequest())
        self.setTitle(TITLE)
        for key, name in TERMS.items():
            self.curves[key].setTitle(name, color="#333", size="10pt")
