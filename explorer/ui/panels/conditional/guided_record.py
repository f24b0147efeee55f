"""A guided chain kept frame by frame: the Diffusion panel's record, whose ε̂ is the guided ε̃, with the
two predictions it combines, ε(x_t, y) and ε(x_t, ∅), stored beside it the same way (uint8 grey levels)."""

from __future__ import annotations

import numpy as np

from explorer.core.conditional import GuidedFrame
from explorer.core.diffusion.chain_record import EPS_RANGE, ChainRecord, to_grey
from explorer.core.diffusion.sampler import SamplerConfig

PAIR = ("eps_cond", "eps_uncond")  # ε(x_t, y) and ε(x_t, ∅), in storage order


class GuidedChainRecord(ChainRecord):
    """The frames of one guided chain of ``digit`` with weight ``guidance``, appended as they arrive."""

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
