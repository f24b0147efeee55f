"""How often classifier guidance draws the asked digit: the shipped DDPM steered by the shipped noisy classifier.

    python benchmarks/classifier_guidance.py [--digits 3,8] [--scales 0,2,8,15] [-n 40] [--checkpoint FILE]

For each digit and scale s: n digits by DDIM-20 (η = 1) from seed 0, read by the metrics' classifier (which
neither model was trained with): the share read as the asked digit and the classifier's mean confidence.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from explorer.core.conditional.classifier_guidance import sample_classifier_guided
from explorer.core.conditional.noisy_classifier import load_noisy_classifier
from explorer.core.diffusion.sampler import SamplerConfig
from explorer.core.evaluation.classifier import load_classifier, probabilities
from explorer.core.families import FAMILIES
from explorer.core.runtime.jobs import run_to_end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", default="3,8")
    parser.add_argument("--scales", default="0,2,8,15")
    parser.add_argument("-n", type=int, default=40)
    parser.add_argument("--checkpoint", default=None, help="a noisy classifier (default: the shipped one)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    model, _, _ = FAMILIES["ddpm"].load()
    noisy, _ = load_noisy_classifier(args.checkpoint)
    judge, _ = load_classifier()
    for digit in (int(d) for d in args.digits.split(",")):
        for s in (float(v) for v in args.scales.split(",")):
            chain = sample_classifier_guided(model, noisy, np.full(args.n, digit), s, SamplerConfig("ddim", 20), seed=0)
            read = probabilities(judge, run_to_end(chain))
            share, confidence = np.mean(read.argmax(1) == digit), read.max(1).mean()
            print(f"digit {digit}  s = {s:g}: {100 * share:.1f} % read as {digit}, confidence {confidence:.3f}")


if __name__ == "__main__":
    main()
