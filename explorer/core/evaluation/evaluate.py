"""Evaluate the generative models against the MNIST test set: one generator for the CLI and the panel.

For each model: draw N digits, embed them with the MNIST classifier, and compare them
with the 10,000 test digits (FID, KID), score the classifier's predictions (Inception
Score) and count its classes. The "floor" row does the same for N real training
digits: the best a model could hope for at this N, since FID is biased upwards for
small N and even real digits are not exactly the test set.

A conditional model (cvae, cddpm) is asked for each digit in turn, N/10 times each: its row adds
the share of each digit's samples the classifier reads as that digit, and FID and the rest are
of the N samples pooled over the classes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from explorer.core.conditional.guidance import GUIDANCE
from explorer.core.conditional.labels import DIGITS
from explorer.core.diffusion.sampler import SamplerConfig
from explorer.core.evaluation.classifier import MNISTClassifier, embed, load_classifier
from explorer.core.evaluation.metrics import class_histogram, fid, inception_score_bootstrap, kid
from explorer.core.evaluation.plan import DRAW, EMBED, TEST, plan_evaluation, recorded_costs
from explorer.core.families import FAMILIES, ModelFamily, SampleOptions
from explorer.core.kinds import kind_title
from explorer.core.runtime.data import load_mnist
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.generators import Returning

FLOOR = "floor"  # the name of the real-data row
SHOWN = 64  # samples kept per row for the views
MIN_N, MAX_N = 50, 60000  # KID needs a few dozen; the floor draws from the 60,000 training digits
EMBED_CHUNK = 1000
IS_RESAMPLES = 100  # bootstrap resamples for the Inception Score's standard error
DDPM_SAMPLER = SamplerConfig()  # the diffusion models' draws unless asked otherwise: DDIM-50, the app's way


@dataclass(frozen=True)
class EvalRow:
    """One model's (or the floor's) scores against the test set."""

    name: str
    n: int
    fid: float
    kid: float  # mean of the unbiased MMD² estimates over subsets
    kid_std: float
    score: float  # Inception-Score-style, with the MNIST classifier, of all N images
    score_std: float  # its bootstrap standard error
    histogram: np.ndarray  # (10,) int64: images the classifier assigns to each digit
    samples: np.ndarray  # (<= SHOWN, 28, 28) float32 in [0, 1], the first images drawn
    seconds: float  # to draw (or pick) the N images
    digit_accuracy: np.ndarray | None = None  # (10,) % of each asked digit's samples read as it; conditional only
    # The classifier's mean probability for the digit it reads, max_y p(y|x): how clean the digits look to it,
    # which FID blurs with how varied they are. None in records written before it was measured.
    confidence: float | None = None


@dataclass(frozen=True)
class EvalProgress:
    """Where the evaluation is: ``fraction`` of the whole run's expected cost done (``EvalPlan``), and what it is
    doing; ``row`` carries a row as soon as it is finished."""

    fraction: float
    stage: str
    row: EvalRow | None = None
    missing: tuple[str, str] | None = None  # (model, message) for a model without a checkpoint
    model: str | None = None  # the row being worked on (None: the test digits)

    @property
    def progress(self) -> float:
        return self.fraction

    def summary(self) -> str:
        """'27% of the run · DDPM, row 2 of 7: drew 500 of 2000 digits': the share is the whole run's, the
        counts the row's."""
        return f"{100 * self.fraction:.0f}% of the run · {self.stage}"


@dataclass(frozen=True)
class EvalResult:
    """The finished table: rows in the order asked for, the floor last, and the models left out."""

    rows: list[EvalRow]
    missing: dict[str, str]  # model -> why it was not evaluated
    n: int
    seed: int
    reference: int  # test digits compared against
    classifier: str  # which classifier judged, and how good it is
    seconds: float
    ddpm_sampler: SamplerConfig = DDPM_SAMPLER  # how the DDPM's (and the cDDPM's) digits were drawn
    guidance: float = GUIDANCE  # the cDDPM's classifier-free guidance weight w
    embed_seconds: float | None = None  # to embed one image (the test digits'), for the next run's plan

    def row(self, name: str) -> EvalRow:
        return next(r for r in self.rows if r.name == name)


def checkpoint_paths(models: list[str], overrides: dict[str, str | Path] | None = None) -> dict[str, Path]:
    """Each model's checkpoint: the shipped one unless ``overrides`` names another."""
    unknown = [m for m in models if m not in FAMILIES]
    if unknown:
        raise ExplorerError(f"Unknown model {unknown[0]!r}; choose from {', '.join(FAMILIES)}.")
    overrides = overrides or {}
    return {m: Path(overrides.get(m) or FAMILIES[m].default_checkpoint) for m in models}


def missing_message(name: str, path: Path) -> str:
    return f"{kind_title(name)}: no checkpoint at {path}; train one with `gen-explorer train {name}` first."


def check_n(n: int) -> None:
    if not MIN_N <= n <= MAX_N:
        raise ExplorerError(
            f"-n must be between {MIN_N} and {MAX_N} (the floor draws from the 60,000 training "
            f"digits, and KID needs a few dozen images), not {n}."
        )


def _embedded(
    net: MNISTClassifier, images: np.ndarray, progress: Callable[[float], EvalProgress]
) -> Generator[EvalProgress, None, tuple[np.ndarray, np.ndarray]]:
    """Features and class probabilities of ``images``, a chunk at a time, yielding progress after each."""
    feats, probs = [], []
    for start in range(0, len(images), EMBED_CHUNK):
        f, p = embed(net, images[start : start + EMBED_CHUNK])
        feats.append(f)
        probs.append(p)
        yield progress(min(1.0, (start + EMBED_CHUNK) / len(images)))
    return np.concatenate(feats), np.concatenate(probs)


def _sampled(
    family: ModelFamily,
    model: torch.nn.Module,
    n: int,
    seed: int,
    options: SampleOptions,
    progress: Callable[[int], EvalProgress],
) -> Generator[EvalProgress, None, np.ndarray]:
    """n samples of ``model`` drawn, yielding progress after each chunk."""
    drawing = Returning(family.draw(model, n, seed, **options))
    for done in drawing:
        yield progress(done)
    return drawing.value


def _sampled_per_digit(
    family: ModelFamily,
    model: torch.nn.Module,
    n: int,
    seed: int,
    options: SampleOptions,
    progress: Callable[[int], EvalProgress],
) -> Generator[EvalProgress, None, tuple[np.ndarray, np.ndarray]]:
    """n samples of a conditional model, n/10 asked for each digit (each digit's draws seeded from
    ``seed`` and the digit); returns the images interleaved 0, 1, ..., 9, 0, 1, ... and the digit each
    was asked for."""
    counts = [n // DIGITS + (d < n % DIGITS) for d in range(DIGITS)]
    seeds = np.random.SeedSequence(seed).generate_state(DIGITS)
    parts, done = [], 0
    for d, k in enumerate(counts):

        def shifted(drawn: int, before: int = done) -> EvalProgress:
            return progress(before + drawn)

        parts.append((yield from _sampled(family, model, k, int(seeds[d]), SampleOptions(**options, digit=d), shifted)))
        done += k
    asked = np.concatenate([np.full(k, d) for d, k in enumerate(counts)])
    rank = np.concatenate([np.arange(k) for k in counts])  # position within its digit's draws
    order = np.lexsort((asked, rank))  # by rank, then digit
    return np.concatenate(parts)[order], asked[order]


def digit_accuracy(probs: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """(10,) percent of the images asked to be each digit that the classifier reads as that digit."""
    read = probs.argmax(axis=1)
    return np.array([100.0 * np.mean(read[asked == d] == d) if np.any(asked == d) else np.nan for d in range(DIGITS)])


def _row(
    name: str,
    feats: np.ndarray,
    probs: np.ndarray,
    reference: np.ndarray,
    images: np.ndarray,
    seconds: float,
    seed: int,
    asked: np.ndarray | None = None,
) -> EvalRow:
    kid_mean, kid_std = kid(feats, reference, seed=seed)
    score, score_std = inception_score_bootstrap(probs, IS_RESAMPLES, seed=seed)
    return EvalRow(
        name,
        len(feats),
        fid(feats, reference),
        kid_mean,
        kid_std,
        score,
        score_std,
        class_histogram(probs),
        np.asarray(images[:SHOWN], dtype=np.float32),
        seconds,
        None if asked is None else digit_accuracy(probs, asked),
        float(probs.max(axis=1).mean()),
    )


def evaluate_models(
    models: list[str],
    n: int = 5000,
    seed: int = 0,
    device: str | None = None,
    checkpoints: dict[str, str | Path] | None = None,
    classifier: str | Path | None = None,
    reference_limit: int = 0,
    ddpm_sampler: SamplerConfig = DDPM_SAMPLER,
    guidance: float = GUIDANCE,
    costs: Mapping[str, float] | None = None,
) -> Generator[EvalProgress, None, EvalResult]:
    """Score each model in ``models`` and the floor; yield progress after every chunk of work.

    A model whose checkpoint file does not exist is skipped and reported in ``missing``;
    a checkpoint that exists but does not load is an error. ``reference_limit`` compares
    against only the first test digits (for quick tests); 0 means all 10,000. The DDPM
    draws as ``ddpm_sampler`` says (by default DDIM-50, the app's way), and so does the cDDPM, with
    guidance weight ``guidance``. The progress is of the whole run, each part weighted by ``costs``
    (``plan.expected_costs``; by default from the recorded evaluation).
    """
    started = time.time()
    check_n(n)
    paths = checkpoint_paths(models, checkpoints)
    dev = pick_device(device)
    net, ckpt = load_classifier(classifier)
    net = net.to(dev)
    accuracy = ckpt.info.get("metrics", {}).get("test_accuracy")
    judge = "MNIST classifier" + (f" (test accuracy {accuracy:.2f}%)" if accuracy is not None else "")
    rows_asked = [*models, FLOOR]

    test = load_mnist("test").floats()
    test = test[:reference_limit] if reference_limit else test
    plan = plan_evaluation(rows_asked, n, len(test), costs or recorded_costs(rows_asked, ddpm_sampler))

    def embedding_test(f: float) -> EvalProgress:
        return EvalProgress(plan.fraction(TEST, EMBED, f), f"embedding the {len(test)} test digits")

    t0 = time.time()
    reference, _ = yield from _embedded(net, test, embedding_test)
    embed_seconds = (time.time() - t0) / len(test)

    rows: list[EvalRow] = []
    missing: dict[str, str] = {}
    for number, name in enumerate(rows_asked, start=1):
        row_text = f"{'the floor' if name == FLOOR else kind_title(name)}, row {number} of {len(rows_asked)}"
        t0 = time.time()
        asked = None  # the digit each image was asked for (conditional models)
        if name == FLOOR:
            pick = np.sort(np.random.default_rng(seed).choice(MAX_N, n, replace=False))
            images = load_mnist("train").floats()[pick]
        elif not paths[name].is_file():
            missing[name] = missing_message(name, paths[name])
            yield EvalProgress(
                plan.after(name), f"{row_text}: no checkpoint", missing=(name, missing[name]), model=name
            )
            continue
        else:
            family = FAMILIES[name]
            model = family.load(paths[name])[0].to(dev)
            options = SampleOptions()  # what the family takes of the sampler and w asked for
            if family.takes_sampler:
                options["sampler"] = ddpm_sampler
            if family.guided:
                options["guidance"] = guidance

            def drew(done: int, m: str = name, text: str = row_text) -> EvalProgress:
                return EvalProgress(plan.fraction(m, DRAW, done / n), f"{text}: drew {done} of {n} digits", model=m)

            if family.conditional:
                images, asked = yield from _sampled_per_digit(family, model, n, seed, options, drew)
            else:
                images = yield from _sampled(family, model, n, seed, options, drew)
        seconds = time.time() - t0

        def embedding(f: float, m: str = name, text: str = row_text) -> EvalProgress:
            return EvalProgress(plan.fraction(m, EMBED, f), f"{text}: embedding {n} images", model=m)

        feats, probs = yield from _embedded(net, images, embedding)
        row = _row(name, feats, probs, reference, images, seconds, seed, asked)
        rows.append(row)
        yield EvalProgress(plan.after(name), f"{row_text}: FID {row.fid:.2f}", row=row, model=name)
    seconds = time.time() - started
    return EvalResult(rows, missing, n, seed, len(test), judge, seconds, ddpm_sampler, guidance, embed_seconds)


def format_duration(seconds: float) -> str:
    """A draw time as people read it: milliseconds below a second, else seconds to one decimal."""
    ms = round(1000 * seconds)
    return f"{ms} ms" if ms < 1000 else f"{seconds:.1f} s"


def format_table(result: EvalResult) -> str:
    """The result as plain text: the scores, then each row's class histogram in percent."""
    lines = [
        (
            f"{result.n} samples per model against {result.reference} MNIST test digits, "
            f"in the feature space of the {result.classifier}; seed {result.seed}"
        ),
        "",
        f"{'model':<8}{'FID ↓':>9}{'KID ↓ (± std)':>18}{'IS ↑ (± s.e.)':>16}{'conf. ↑':>9}{'draw time':>11}",
    ]
    for r in result.rows:
        confidence = "—" if r.confidence is None else f"{r.confidence:.4f}"
        lines.append(
            f"{r.name:<8}{r.fid:>9.2f}{r.kid:>10.2f} ± {r.kid_std:<5.2f}"
            f"{r.score:>9.2f} ± {r.score_std:<4.2f}{confidence:>9}{format_duration(r.seconds):>11}"
        )
    lines += [f"{name:<8}{'—':>9}   no checkpoint" for name in result.missing]
    lines += [
        "",
        "class histogram: % of images the classifier calls each digit (uniform ≈ 10 each)",
        f"{'model':<8}" + "".join(f"{d:>6}" for d in range(10)),
    ]
    for r in result.rows:
        lines.append(f"{r.name:<8}" + "".join(f"{100 * c / r.n:>6.1f}" for c in r.histogram))
    conditional = [(r.name, r.digit_accuracy) for r in result.rows if r.digit_accuracy is not None]
    if conditional:
        lines += [
            "",
            "accuracy on the asked digit: % of each digit's samples the classifier reads as that digit",
            f"{'model':<8}" + "".join(f"{d:>6}" for d in range(DIGITS)) + f"{'min':>7}",
        ]
        for name, accuracy in conditional:
            lines.append(f"{name:<8}" + "".join(f"{a:>6.1f}" for a in accuracy) + f"{np.nanmin(accuracy):>7.1f}")
    lines += [
        "",
        "floor: the same metrics for real training digits — the best a model can score at this N.",
        (
            f"KID: mean ± std over subsets. IS: of all N images ± its bootstrap standard error "
            f"({IS_RESAMPLES} resamples)."
        ),
        "conf.: the classifier's mean probability for the digit it reads in each image (clean digits: near 1).",
    ]
    if any(r.name == "ddpm" for r in result.rows):
        lines.append(f"ddpm: drawn by {result.ddpm_sampler.describe()}.")
    if any(r.name == "cddpm" for r in result.rows):
        lines.append(
            f"cddpm: drawn by {result.ddpm_sampler.describe()}, with classifier-free guidance w = {result.guidance:g}."
        )
    if conditional:
        lines.append("Conditional models are asked for each digit in turn (N/10 each); FID, KID and IS pool them.")
    lines += list(result.missing.values())
    lines.append(f"evaluated in {result.seconds:.1f} s")
    return "\n".join(lines)
