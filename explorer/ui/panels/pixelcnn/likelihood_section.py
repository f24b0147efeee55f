"""Exact likelihood: a digit's -log p(x) in nats, pixel by pixel, beside the VAE's bound, and the price
an autoregressive model pays for it: 784 sequential passes to draw one digit."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from explorer.core.pixelcnn.jobs import COST_DIGITS
from explorer.core.pixelcnn.sampling import Surprise
from explorer.ui.widgets.heat_view import HeatView
from explorer.ui.widgets.help_button import HelpButton
from explorer.ui.widgets.image_view import ImageView
from explorer.ui.widgets.status_label import status_label

SURPRISE_MAX = 4.0  # nats: the heat map's top colour (p = 2 % for the pixel's actual value)
HELP = (
    "−log p(x) = Σᵢ −log p(xᵢ | x₁ … xᵢ₋₁): one network pass gives every factor, so the likelihood is exact, "
    "in nats, with no bound and no sampling. The heat map shows each pixel's term: dark where the model "
    "expected the pixel, bright where it was surprised (the start of a stroke, an unusual ending). The VAE's "
    "figure is a bound, −ELBO ≥ −log p(x), on the same binarised test digits, so the difference of the two figures "
    "compares two models. The VAE's own gap, log p_VAE(x) − ELBO = KL(q(z|x) ‖ p(z|x)) ≥ 0, is another quantity: "
    "importance sampling measures it. With K samples z_k from the encoder, log p(x) ≥ E[log (1/K) Σ_k "
    "p(x, z_k) / q(z_k|x)] (the IWAE bound, Burda et al. 2016); K = 1 is the ELBO, and the bound rises towards "
    "log p(x) as K grows, so the VAE line shows the gap closing on the chosen digit. "
    "The price of exactness is sequential drawing: time = passes × time per pass. The PixelCNN makes 784 passes "
    "one after another, DDIM-50 makes 50 and the VAE's decoder one; but the cached sampler's pass computes "
    "only the one new position in every layer, while each DDIM pass runs the U-Net over the whole image. So on "
    "a CPU the PixelCNN can beat DDIM-50: the count of passes alone does not decide, their cost does. A GPU, "
    "which runs a whole-image pass about as fast as a one-position pass, favours the fewer passes."
)
FAMILY_NAMES = {
    "pixelcnn": "PixelCNN (784 sequential steps)",
    "ddpm": "DDPM, DDIM-50 (50 steps)",
    "vae": "VAE decoder (1 pass)",
}


def costs_text(seconds: dict[str, float]) -> str:
    """The measured sampling times as lines, slowest first."""
    lines = [f"{FAMILY_NAMES[name]}: {s:.2f} s" for name, s in sorted(seconds.items(), key=lambda kv: -kv[1])]
    return (
        f"Time to draw {COST_DIGITS} digits here: " + "; ".join(lines) + ". Time = passes × time per pass: "
        "a cached PixelCNN pass computes one position, a DDIM pass the whole image."
    )


class LikelihoodSection(QGroupBox):
    """A test digit, its per-pixel surprise, the model's test NLL beside the VAE's bound, and the sampling costs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Exact likelihood: −log p(x) = Σᵢ −log p(xᵢ | x<ᵢ)", parent)
        self.test_index = QSpinBox()
        self.test_index.setPrefix("test digit #")
        self.digit = ImageView("binarised test digit")
        self.heat = HeatView("−log p(xᵢ | x&lt;ᵢ)", colormap="inferno")  # an HTML title: "<" written as &lt;
        for view in (self.digit, self.heat):
            view.setMinimumSize(120, 150)
        self.score_info = status_label("", lines=2)
        self.gap_info = status_label("", lines=3)
        self.compare_info = status_label("", lines=3)
        self.measure_button = QPushButton("Measure sampling time")
        self.costs_info = status_label("Measure how long each model takes to draw digits on this machine.", lines=3)
        top = QHBoxLayout()
        top.addWidget(self.test_index)
        top.addStretch()
        top.addWidget(HelpButton(HELP))
        views = QHBoxLayout()
        views.addWidget(self.digit, 1)
        views.addWidget(self.heat, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(views, 1)
        layout.addWidget(self.score_info)
        layout.addWidget(self.gap_info)
        layout.addWidget(self.compare_info)
        layout.addWidget(self.measure_button)
        layout.addWidget(self.costs_info)

    def show_score(self, image: np.ndarray, score: Surprise) -> None:
        self.digit.set_image(image)
        self.heat.set_values(score.per_pixel, 0.0, SURPRISE_MAX, f"nats, 0 dark to {SURPRISE_MAX:g}+ bright")
        worst = np.unravel_index(np.argmax(score.per_pixel), score.per_pixel.shape)
        self.score_info.setText(
            f"<b>−log p(x) = {score.nll:.1f} nats</b> ({score.nll / 784 / np.log(2):.3f} bits "
            f"per pixel); the most surprising pixel, ({worst[0]}, {worst[1]}), costs "
            f"{score.per_pixel[worst]:.1f} nats."
        )

    def show_vae_gap(self, bounds: dict[int, float] | None) -> None:
        """The shipped VAE's IWAE bounds L_K (nats) on the same digit, as −L_K falling with K towards −log p(x)."""
        if bounds is None:
            self.gap_info.setText("No shipped VAE to compare on this digit.")
            return
        ks = sorted(bounds)
        steps = " → ".join(f"{-bounds[k]:.1f} (K = {k:g}{', the −ELBO' if k == 1 else ''})" for k in ks)
        self.gap_info.setText(
            f"Shipped VAE on this digit, by K importance samples (IWAE): −log p(x) ≤ {steps} nats; "
            f"so its own gap, log p(x) − ELBO, is ≥ <b>{bounds[ks[-1]] - bounds[ks[0]]:.1f} nats</b>."
        )

    def show_comparison(self, pixelcnn_nll: float | None, vae_bound: float | None) -> None:
        """The model's mean test NLL beside the VAE's test −ELBO on the same binarised digits."""
        parts = []
        if pixelcnn_nll is not None:
            parts.append(f"This PixelCNN: test −log p(x) = <b>{pixelcnn_nll:.1f} nats</b> (exact).")
        if vae_bound is not None:
            parts.append(f"The shipped VAE: test −ELBO = {vae_bound:.1f} nats, an upper bound on its −log p(x).")
        if pixelcnn_nll is not None and vae_bound is not None:
            parts.append(
                f"Difference between the two models (VAE −ELBO − PixelCNN −log p): "
                f"{vae_bound - pixelcnn_nll:.1f} nats per digit."
            )
        self.compare_info.setText(" ".join(parts) or "No recorded test figures.")
