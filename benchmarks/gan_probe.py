"""Two ways to draw a trained GAN's digits other than G(z), z ~ N(0, I), scored by the project's FID at N = 5,000:
keeping only the draws its discriminator rates highest (discriminator rejection sampling in its simplest form,
after Azadi et al. 2019), and shrinking the noise (the truncation trick, z × ψ).

    python benchmarks/gan_probe.py [--checkpoint checkpoints/gan.safetensors]

Neither is the app's sampler; they answer whether the shipped G's weak digits could be filtered out at
drawing time instead of trained out (docs/models.md: they cannot — FID only rises).
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from explorer.core.evaluation.classifier import embed, load_classifier
from explorer.core.evaluation.metrics import fid
from explorer.core.gan.game import images_from_noise
from explorer.core.gan.model import discriminator_from_checkpoint, gan_from_checkpoint
from explorer.core.runtime.checkpoints import load_checkpoint
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.paths import CHECKPOINTS

DRAWS, N, CHUNK = 20_000, 5_000, 1_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", default=str(CHECKPOINTS / "gan.safetensors"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    ckpt = load_checkpoint(args.checkpoint)
    generator, _ = gan_from_checkpoint(ckpt)
    discriminator = discriminator_from_checkpoint(ckpt)
    judge, _ = load_classifier()
    reference, _ = embed(judge, load_mnist("test").floats())
    z = torch.randn(DRAWS, generator.latent_dim, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        images = np.concatenate([images_from_noise(generator, z[i : i + CHUNK]) for i in range(0, DRAWS, CHUNK)])
        x = torch.as_tensor(images[:, None] * 2 - 1)
        logits = torch.cat([discriminator(x[i : i + CHUNK]).flatten() for i in range(0, DRAWS, CHUNK)]).numpy()
    feats, probs = embed(judge, images)

    def report(label: str, feats: np.ndarray, probs: np.ndarray) -> None:
        shares = np.bincount(probs.argmax(1), minlength=10) / len(probs) * 100
        print(
            f"{label:24s} FID {fid(feats, reference):6.2f}  confidence {probs.max(1).mean():.4f}  "
            f"classes {' '.join(f'{v:.1f}' for v in shares)}",
            flush=True,
        )

    report("G(z), all", feats[:N], probs[:N])
    for keep in (0.8, 0.6, 0.5, 0.4, 0.3):
        kept = np.flatnonzero(logits >= np.quantile(logits, 1 - keep))[:N]
        report(f"D's top {keep:.0%}", feats[kept], probs[kept])
    for psi in (0.9, 0.8, 0.7):
        with torch.inference_mode():
            shrunk = np.concatenate([images_from_noise(generator, psi * z[i : i + CHUNK]) for i in range(0, N, CHUNK)])
        report(f"truncation ψ = {psi}", *embed(judge, shrunk))


if __name__ == "__main__":
    main()
