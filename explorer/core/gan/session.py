"""Generative adversarial networks (Goodfellow et al., 2014) with DCGAN nets (Radford et al., 2016).

A generator G maps noise z ~ N(0, I) to data; a discriminator D outputs the probability
D(x) = sigmoid(logit) that x is real. They play the minimax game of eq. 1,

    min_G max_D  E_x[log D(x)] + E_z[log(1 - D(G(z)))],

one D step (or ``d_steps_per_g`` of them) then one G step per iteration (Algorithm 1).
G may instead maximise log D(G(z)), the "non-saturating" objective of section 3.
Pixels are scaled to [-1, 1] (G ends in tanh); ``mode="toy"`` plays the same game on a
2-D ring of Gaussians with small MLPs, where D's whole decision surface can be drawn.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass
from typing import TypedDict

import numpy as np
import torch

from explorer.core.evaluation.classifier import MNISTClassifier, load_classifier, probabilities
from explorer.core.evaluation.metrics import class_histogram
from explorer.core.gan.game import (
    DIGITS,
    HIST_BINS,
    TOY_POINTS,
    GANState,
    Players,
    StepResult,
    d_step,
    discriminator_heatmap,
    discriminator_outputs,
    g_step,
    generate,
    histogram,
    images_from_noise,
    init_gan,
)
from explorer.core.gan.losses import ring_of_gaussians
from explorer.core.gan.nets import GANConfig, _pair
from explorer.core.runtime.checkpoints import Checkpoint
from explorer.core.runtime.data import dataset_fingerprint
from explorer.core.runtime.devices import pick_device
from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.generators import Returning
from explorer.core.runtime.training import Every, check_finite, cpu_copy, training_record

CLASS_SAMPLES = 500  # G(z) the classifier sorts into digits for the live class histogram


@dataclass(frozen=True)
class GANSnapshot:
    """What the views need at one moment of training (CPU copies only)."""

    step: int  # G steps so far: iterations of Algorithm 1
    total_steps: int
    d_loss: float  # means since the last snapshot; a net not stepped since keeps its value (NaN: never stepped)
    g_loss: float
    d_real: float  # mean D(x)
    d_fake: float  # mean D(G(z))
    d_real_hist: np.ndarray  # (HIST_BINS,) counts of D(x) on the last D batch (zeros before the first)
    d_fake_hist: np.ndarray  # (HIST_BINS,) counts of D(G(z)) on the last D batch
    d_steps: int = 0  # D steps so far: d_steps_per_g per iteration, plus single D steps
    samples: np.ndarray | None = None  # (SAMPLE_GRID, 28, 28) in [0, 1] from fixed noise; MNIST mode
    class_counts: np.ndarray | None = None  # (10,) the classifier's digits among CLASS_SAMPLES G(z); with samples
    # (10,) a conditional game's: the share of G's digits asked as each digit that the classifier reads as it
    asked_read: np.ndarray | None = None
    points_real: np.ndarray | None = None  # (TOY_POINTS, 2) ring samples; toy mode
    points_fake: np.ndarray | None = None  # (TOY_POINTS, 2) G(fixed noise); toy mode
    heatmap: np.ndarray | None = None  # (HEATMAP_RESOLUTION, HEATMAP_RESOLUTION) D(x); toy mode
    d_of_fake_points: np.ndarray | None = None  # (TOY_POINTS,) D(G(z)) at points_fake; toy mode
    checkpoint: Checkpoint | None = None  # the run so far, every ``save_every`` steps: what a killed run keeps

    @property
    def progress(self) -> float:
        return self.step / self.total_steps

    def summary(self) -> str:
        def show(value: float, digits: int) -> str:
            return "–" if math.isnan(value) else f"{value:.{digits}f}"

        return (
            f"step {self.step}/{self.total_steps}  D loss {show(self.d_loss, 3)}  G loss {show(self.g_loss, 3)}  "
            f"D(x) {show(self.d_real, 2)}  D(G(z)) {show(self.d_fake, 2)}"
        )


class _Tally:
    """Step counts, and each net's means since the last snapshot (kept while that net is not stepped)."""

    def __init__(self) -> None:
        self.d_steps = self.g_steps = 0
        self._d: list[StepResult] = []
        self._g: list[float] = []
        self.last_d: StepResult | None = None
        self.means = dict.fromkeys(("d_loss", "g_loss", "d_real", "d_fake"), math.nan)

    def add_d(self, result: StepResult) -> None:
        self._d.append(result)
        self.d_steps += 1

    def add_g(self, result: StepResult) -> None:
        self._g.append(result.loss)
        self.g_steps += 1

    def collect(self, lr: float) -> dict[str, float]:
        """The means since the last call; a NaN or infinite fresh loss stops training with a message."""
        if self._d:
            self.means["d_loss"] = float(np.mean([r.loss for r in self._d]))
            self.means["d_real"] = float(np.mean([r.d_real for r in self._d]))
            self.means["d_fake"] = float(np.mean([r.d_fake for r in self._d]))
            self.last_d = self._d[-1]
            check_finite(self.means["d_loss"], self.g_steps, lr)
        if self._g:
            self.means["g_loss"] = float(np.mean(self._g))
            check_finite(self.means["g_loss"], self.g_steps, lr)
        self._d, self._g = [], []
        return dict(self.means)


class _Views(TypedDict, total=False):
    """A snapshot's views of the game, as the mode has them (GANSnapshot's fields of those names)."""

    samples: np.ndarray
    class_counts: np.ndarray
    asked_read: np.ndarray
    points_real: np.ndarray
    points_fake: np.ndarray
    heatmap: np.ndarray
    d_of_fake_points: np.ndarray


def _one_step(state: GANState, tally: _Tally, which: object = "both") -> None:
    """'d': one D step; 'g': one G step; 'both': one iteration of Algorithm 1 (k D steps, then one G step)."""
    if which not in ("d", "g", "both"):
        raise ValueError(f"Unknown GAN step {which!r}; choose 'd', 'g' or 'both'.")
    if which != "g":
        for _ in range(state.cfg.d_steps_per_g if which == "both" else 1):
            tally.add_d(d_step(state))
    if which != "d":
        tally.add_g(g_step(state))


MAX_DELAY_S = 10.0
WAIT_SLICE_S = 0.05  # slow motion waits in slices this long, yielding between them


def _checked_delay(seconds: object) -> float:
    if not isinstance(seconds, (int, float)) or not 0.0 <= seconds <= MAX_DELAY_S:
        raise ValueError(f"The slow-motion delay must be between 0 and {MAX_DELAY_S:g} seconds, not {seconds!r}.")
    return float(seconds)


def _wait(seconds: float) -> Generator[None, object, object]:
    """Sleep ``seconds`` in short slices, yielding None after each (so pause and stop act at once);
    return early with the first command sent in, else None."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        time.sleep(min(WAIT_SLICE_S, left))
        command = yield None
        if command is not None:
            return command
    return None


def meter_noise(cfg: GANConfig) -> torch.Tensor:
    """The CLASS_SAMPLES fixed z (CLASS_SAMPLES, latent_dim) a game of ``cfg`` counts G's digits on
    (seeded seed + 2, apart from the nets' and the preview grid's)."""
    return torch.randn(CLASS_SAMPLES, cfg.latent_dim, generator=torch.Generator().manual_seed(cfg.seed + 2))


def meter_labels() -> torch.Tensor:
    """The digits a conditional game's G is asked for on the meter's z: 0, 1, ..., 9 in turn, (CLASS_SAMPLES,)."""
    return torch.arange(CLASS_SAMPLES) % DIGITS


def read_as_asked(probs: np.ndarray, asked: np.ndarray) -> np.ndarray:
    """(10,) for each digit, the share of the images asked as it that the classifier reads as it (``probs``
    (n, 10) its probabilities, ``asked`` (n,) the digits asked); NaN for a digit never asked."""
    read = probs.argmax(axis=1) == asked
    return np.array([read[asked == d].mean() if (asked == d).any() else np.nan for d in range(DIGITS)])


def _class_meter(cfg: GANConfig, device: torch.device) -> tuple[MNISTClassifier, torch.Tensor] | None:
    """The shipped classifier and CLASS_SAMPLES fixed z, to count which digits G draws (MNIST mode;
    None without a classifier checkpoint, so training never depends on it)."""
    if cfg.mode != "mnist":
        return None
    try:
        classifier, _ = load_classifier()
    except ExplorerError:
        return None
    return classifier, meter_noise(cfg).to(device)


def drawn_classes(generator: torch.nn.Module, cfg: GANConfig) -> np.ndarray | None:
    """How many of a trained G's digits on its game's fixed meter noise the classifier puts in each
    class, (10,): the meter a game shows, read for a loaded G (None: a toy G, or no classifier checkpoint)."""
    meter = _class_meter(cfg, next(generator.parameters()).device)
    if meter is None:
        return None
    classifier, noise = meter
    return class_histogram(probabilities(classifier, images_from_noise(generator, noise)))


def gan_session(
    cfg: GANConfig,
    device: str | None = None,
    yield_every_s: float = 0.25,
    samples_every_s: float = 2.0,
    delay_s: float = 0.0,
    save_every: int = 0,
    players: Players | None = None,
) -> Generator[GANSnapshot | None, object, Checkpoint]:
    """Train a GAN (Algorithm 1) that a GUI can steer by sending commands in at any yield; return the checkpoint.

    It first yields the untrained nets (step 0), then trains, yielding a snapshot at most every
    ``yield_every_s`` seconds (the MNIST preview grid at most every ``samples_every_s`` seconds and at
    the end; toy points and D's heat map with every snapshot). Each command is answered by one yield:

    - ``("step", "d" | "g" | "both")``: one D step, one G step or one iteration; a full snapshot but for the
      digit meter (classifying its 500 digits takes three times as long as the step: a click paints first);
    - ``("meter", None)``: the same moment's snapshot with the meter's class counts (MNIST with a classifier);
    - ``("delay", seconds)``: slow motion, a wait before each iteration and a full snapshot after it; None.

    A paused caller can thus single-step. Slow motion waits in slices, yielding None between them.
    Every ``save_every`` iterations (0: never) a snapshot also carries the run so far as a checkpoint.
    ``players``: a conditional GAN's (its preview a style × digit grid, its meter the share read as asked).
    """
    started = time.time()
    state = init_gan(cfg, pick_device(device), players)
    asked = None if state.labels is None else meter_labels()  # a conditional G's digits on the meter's z
    points_real = (
        ring_of_gaussians(TOY_POINTS, torch.Generator().manual_seed(cfg.seed)).numpy() if cfg.mode == "toy" else None
    )
    tally = _Tally()
    delay = _checked_delay(delay_s)
    meter = _class_meter(cfg, state.device)
    history: list[
        dict[str, float]
    ] = []  # the means at each snapshot with samples (or toy points), kept in the checkpoint

    def snapshot(with_samples: bool, count: bool | None = None) -> GANSnapshot:
        """The game now; ``with_samples``: the preview grid (toy: the plane) and a point of the record;
        ``count``: the digit meter (default: with the samples)."""
        metrics = tally.collect(max(cfg.lr_g, cfg.lr_d))
        if (with_samples or points_real is not None) and all(math.isfinite(v) for v in metrics.values()):
            history.append({"step": tally.g_steps, **metrics})
        last = tally.last_d
        extras: _Views = {}
        if points_real is not None:
            extras["points_real"] = points_real
            fake = generate(state.generator, state.fixed_noise)  # (TOY_POINTS, 2)
            extras["points_fake"] = fake.cpu().numpy()
            extras["heatmap"] = discriminator_heatmap(state.discriminator)
            extras["d_of_fake_points"] = discriminator_outputs(state.discriminator, fake)
        else:
            if with_samples:
                extras["samples"] = images_from_noise(state.generator, state.fixed_noise, *state.told)
            if meter is not None and (with_samples if count is None else count):
                classifier, noise = meter
                told = () if asked is None else (asked,)
                probs = probabilities(classifier, images_from_noise(state.generator, noise, *told))
                extras["class_counts"] = class_histogram(probs)
                if asked is not None:
                    extras["asked_read"] = read_as_asked(probs, asked.numpy())
        no_outputs = np.zeros(HIST_BINS, dtype=np.int64)
        return GANSnapshot(
            step=tally.g_steps,
            total_steps=cfg.steps,
            d_steps=tally.d_steps,
            d_loss=metrics["d_loss"],
            g_loss=metrics["g_loss"],
            d_real=metrics["d_real"],
            d_fake=metrics["d_fake"],
            d_real_hist=no_outputs if last is None or last.real_probs is None else histogram(last.real_probs),
            d_fake_hist=no_outputs if last is None else histogram(last.fake_probs),
            **extras,
        )

    def checkpoint(partial: str = "") -> Checkpoint:
        """The game so far as a checkpoint (G's weights as saved: its EMA where it keeps one); ``partial`` marks
        a run saved midway."""
        info: dict[str, object] = {
            "steps": tally.g_steps,
            "d_steps": tally.d_steps,
            "dataset": "ring-of-8-gaussians" if cfg.mode == "toy" else dataset_fingerprint(),
            "metrics": dict(tally.means),
            "history": list(history),
            "training": training_record(state.device, started),
        }
        if partial:
            info["partial"] = partial
        if state.continues is not None:
            info["continues"] = state.continues
        weights = cpu_copy(_pair(state.saved_generator, state.discriminator).state_dict())
        kind = "gan" if state.players is None else state.players.kind
        return Checkpoint(kind=kind, config=asdict(cfg), state=weights, info=info)

    command = yield snapshot(with_samples=True)
    snapshots, previews = Every(yield_every_s), Every(samples_every_s)
    while tally.g_steps < cfg.steps:
        if command is not None:
            kind, value = command if isinstance(command, tuple) and len(command) == 2 else (command, None)
            if kind == "delay":
                delay = _checked_delay(value)
                command = yield None
            elif kind == "step":
                _one_step(state, tally, value)
                command = yield snapshot(with_samples=True, count=False)
                snapshots.restart()
                previews.restart()
            elif kind == "meter":
                command = yield snapshot(with_samples=False, count=True)
            else:
                raise ValueError(
                    f"Unknown command {command!r} for a GAN session; send ('step', 'd'|'g'|'both'), "
                    "('meter', None) or ('delay', seconds)."
                )
            continue
        if delay:
            command = yield from _wait(delay)
            if command is not None:
                continue
        _one_step(state, tally)
        if save_every and tally.g_steps % save_every == 0 and tally.g_steps < cfg.steps:
            so_far = checkpoint(f"saved at step {tally.g_steps} of {cfg.steps}")
            command = yield dataclasses.replace(snapshot(with_samples=False), checkpoint=so_far)
            continue
        every_step = tally.g_steps == cfg.steps or bool(delay)  # the last step, or slow motion
        if not snapshots.due(force=every_step):
            continue
        command = yield snapshot(with_samples=previews.due(force=every_step))
    return checkpoint()


def train_gan(
    cfg: GANConfig,
    device: str | None = None,
    yield_every_s: float = 0.25,
    samples_every_s: float = 2.0,
    save_every: int = 0,
    players: Players | None = None,
) -> Generator[GANSnapshot, None, Checkpoint]:
    """Train a GAN (Algorithm 1) straight through, yielding snapshots a few times a second; return the checkpoint.

    This is ``gan_session`` without commands and without its opening snapshot of the untrained nets; with
    ``save_every`` (iterations) a snapshot also carries the run so far as a checkpoint.
    """
    session = gan_session(cfg, device, yield_every_s, samples_every_s, save_every=save_every, players=players)
    next(session)
    snapshots = Returning(session)
    for snap in snapshots:
        if snap is not None:  # None only answers a command or a slow-motion wait, and none come here
            yield snap
    return snapshots.value
