"""A reverse chain kept frame by frame, compactly, so a timeline can scrub it instantly.

Every frame of every sample is stored as uint8 grey levels, exactly as the views show it:
x_t and x̂_0 map [-1, 1] to 0..255, the predicted noise ε̂ maps [-EPS_RANGE, EPS_RANGE]
to 0..255 (values beyond are clipped). A 1000-step chain of 16 samples takes
1000 x 3 x 16 x 28 x 28 bytes = 38 MB, a quarter of float32. A guided chain (classifier-free guidance)
keeps the two noise predictions it combines beside them, the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from explorer.core.diffusion.sampler import ChainFrame, SamplerConfig

if TYPE_CHECKING:  # the conditional family builds on this one: its frame type is only named here
    from explorer.core.conditional.guidance import GuidedFrame

KINDS = ("x_t", "eps", "x0_pred")  # the three pictures of a step, in storage order
PAIR = ("eps_cond", "eps_uncond")  # a guided step's ε(x_t, y) and ε(x_t, ∅), in storage order
EPS_RANGE = 3.0  # ε̂ ~ N(0, I): ±3 holds 99.7% of its values


def to_grey(values: np.ndarray, span: float = 1.0) -> np.ndarray:
    """Map [-span, span] to uint8 0..255, clipping what lies beyond (any shape)."""
    scaled = (np.asarray(values, dtype=np.float32) / span + 1.0) * 127.5
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


class ChainRecord:
    """The frames of one run of one sampler, appended as they arrive."""

    def __init__(self, config: SamplerConfig, seed: int, n: int, T: int) -> None:
        self.config = config
        self.seed = seed
        self.n = n
        self.total_steps = total_steps = config.chain_length(T)
        # np.zeros only reserves the memory: pages are touched as frames arrive.
        self.images = np.zeros((total_steps, len(KINDS), n, 28, 28), dtype=np.uint8)  # (frame, kind, sample, H, W)
        self.t = np.zeros(total_steps, dtype=np.int64)  # 0-based timestep of each frame (paper's t - 1)
        self.alpha_bar = np.zeros(total_steps, dtype=np.float64)
        self.count = 0

    @property
    def sampler(self) -> str:
        return self.config.sampler

    @property
    def eta(self) -> float:
        return self.config.eta

    @property
    def complete(self) -> bool:
        return self.count == self.total_steps

    @property
    def nbytes(self) -> int:
        return self.images.nbytes

    def append(self, frame: ChainFrame) -> int:
        """Store the next frame and return its index."""
        k = self.count
        if k >= self.total_steps:
            raise ValueError(f"The chain already holds all its {self.total_steps} frames.")
        if frame.x_t.shape != (self.n, 28, 28):
            raise ValueError(f"A frame of shape {frame.x_t.shape} does not fit a chain of {self.n} samples.")
        self.images[k, 0] = to_grey(frame.x_t)
        self.images[k, 1] = to_grey(frame.eps, EPS_RANGE)
        self.images[k, 2] = to_grey(frame.x0_pred)
        self.t[k] = frame.t
        self.alpha_bar[k] = frame.alpha_bar
        self.count = k + 1
        return k

    def image(self, k: int, kind: str, sample: int) -> np.ndarray:
        """One stored picture, uint8 (28, 28)."""
        return self.images[k, KINDS.index(kind), sample]

    def paper_t(self, k: int) -> int:
        """Frame ``k``'s timestep in the paper's numbering t = 1..T, as every view writes it (the core counts 0..T-1):
        the one place that turns a stored frame into the t a learner reads."""
        return int(self.t[k]) + 1

    def frame_at(self, t: int) -> int | None:
        """Index of the stored frame whose step starts at the smallest timestep >= t (None if none yet).

        DDIM visits only some timesteps: this is the frame it shows while a DDPM chain passes t.
        """
        ts = self.t[: self.count]
        at_or_after = np.flatnonzero(ts >= t)
        return int(at_or_after[-1]) if len(at_or_after) else None

    def final(self, sample: int) -> np.ndarray | None:
        """The finished digit (x̂_0 of the last step, which the sampler returns), uint8 (28, 28)."""
        return self.image(self.total_steps - 1, "x0_pred", sample) if self.complete else None


class GuidedChainRecord(ChainRecord):
    """A guided chain of ``digit`` with weight ``guidance``: the record above, whose ε̂ is the guided ε̃, with the
    two predictions it combines, ε(x_t, y) and ε(x_t, ∅), stored beside it the same way (uint8 grey levels)."""

    def __init__(self, config: SamplerConfig, seed: int, n: int, T: int, digit: int, guidance: float) -> None:
        super().__init__(config, seed, n, T)
        self.digit = digit
        self.guidance = guidance
        self.pair = np.zeros((self.total_steps, len(PAIR), n, 28, 28), dtype=np.uint8)  # (frame, kind, sample, H, W)

    def append(self, frame: GuidedFrame) -> int:  # type: ignore[override]  # a guided chain's frames only
        k = super().append(frame)
        self.pair[k, 0] = to_grey(frame.eps_cond, EPS_RANGE)
        self.pair[k, 1] = to_grey(frame.eps_uncond, EPS_RANGE)
        return k

    def image(self, k: int, kind: str, sample: int) -> np.ndarray:
        """One stored picture, uint8 (28, 28): x_t, eps (the guided ε̃), x0_pred, eps_cond or eps_uncond."""
        if kind in PAIR:
            return self.pair[k, PAIR.index(kind), sample]
        return super().image(k, kind, sample)
