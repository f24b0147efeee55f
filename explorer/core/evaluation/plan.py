"""How an evaluation's work divides between its stages, so that one progress bar and one time left cover it all.

Models cost very different amounts to draw: a VAE decodes thousands of digits in the time a DDPM walks one
chunk of its chains. Counted alike, stages make the run's fraction crawl through the expensive models and leap
through the cheap ones, and every time left drawn from it swings. So each part of the run is weighted by what it
is expected to cost: a model's seconds per digit in the recorded evaluation (``gen-explorer eval all --record``),
scaled by the network evaluations its sampler spends now against then; picking the floor's real digits as
recorded; and embedding an image as recorded too (a record written before that was measured: as much as the
cheapest model's digit, one pass of a small net either way).
The weights are fixed when the run starts, so the fraction only ever grows; a straight-line time left from it
then corrects the record's scale (another machine, another load) by the run's own pace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate
from statistics import median
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from explorer.core.diffusion.sampler import SamplerConfig
    from explorer.core.evaluation.evaluate import EvalResult

TEST = "test"  # the stage that embeds the test digits
DRAW, EMBED = "draw", "embed"
EMBED_KEY = "embedding"  # the costs' entry for embedding one image


@dataclass(frozen=True)
class EvalPlan:
    """The run's parts in order, each ``(stage, step)`` with its expected cost, and where each part starts."""

    parts: tuple[tuple[str, str], ...]
    costs: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.parts) != len(self.costs) or not self.parts or min(self.costs) <= 0:
            raise ValueError("a plan needs one positive cost per part")

    @property
    def total(self) -> float:
        return sum(self.costs)

    def fraction(self, stage: str, step: str, done: float = 1.0) -> float:
        """The share of the whole run's expected cost behind us once ``done`` (0 to 1) of ``step`` of ``stage``
        is done: the parts before it in full, this one in part."""
        i = self.parts.index((stage, step))
        before = list(accumulate(self.costs, initial=0.0))
        return min(1.0, (before[i] + min(max(done, 0.0), 1.0) * self.costs[i]) / before[-1])

    def after(self, stage: str) -> float:
        """The fraction once every part of ``stage`` is done (or skipped: a model without a checkpoint)."""
        return self.fraction(stage, [s for st, s in self.parts if st == stage][-1])


def plan_evaluation(models: list[str], n: int, reference: int, costs: Mapping[str, float]) -> EvalPlan:
    """The plan of a run that embeds ``reference`` test digits, then draws and embeds ``n`` images of each of
    ``models`` and of the floor (``models`` ends with it); ``costs``: seconds per image drawn, by stage, and
    per image embedded (``EMBED_KEY``), as ``expected_costs`` gives them."""
    embed = costs[EMBED_KEY]
    parts: list[tuple[str, str]] = [(TEST, EMBED)]
    weights: list[float] = [reference * embed]
    for name in models:
        parts += [(name, DRAW), (name, EMBED)]
        weights += [n * costs[name], n * embed]
    return EvalPlan(tuple(parts), tuple(weights))


def expected_costs(models: list[str], recorded: EvalResult | None, sampler: SamplerConfig) -> dict[str, float]:
    """Seconds per image for each of ``models`` (the floor among them) to draw and, under ``EMBED_KEY``, to embed,
    from the ``recorded`` evaluation; a model drawn by a reverse chain is scaled by the network evaluations
    ``sampler`` spends against the recorded sampler's. A model the record lacks costs what its median model does;
    with no record at all every image costs the same to draw as to embed (1)."""
    from explorer.core.evaluation.evaluate import FLOOR
    from explorer.core.families import FAMILIES

    rows = {row.name: row.seconds / row.n for row in recorded.rows if row.n > 0 and row.seconds > 0} if recorded else {}
    drawn = [cost for name, cost in rows.items() if name != FLOOR]
    if not drawn:
        return {name: 1.0 for name in [*models, EMBED_KEY]}
    embed = recorded.embed_seconds if recorded is not None and recorded.embed_seconds else min(drawn)
    typical = median(drawn)
    costs = {EMBED_KEY: embed}
    for name in models:
        cost = rows.get(name, embed if name == FLOOR else typical)
        family = FAMILIES.get(name)
        if name in rows and family is not None and family.timesteps is not None and recorded is not None:
            T = family.timesteps(family.config())  # the default T: the shipped models'
            cost *= sampler.nfe(T) / recorded.ddpm_sampler.nfe(T)
        costs[name] = cost
    return costs


def recorded_costs(models: list[str], sampler: SamplerConfig) -> dict[str, float]:
    """``expected_costs`` from the shipped record; a record that is missing or unreadable weighs every image alike
    (the Evaluate panel says why it could not read it)."""
    from explorer.core.evaluation.record import read_record
    from explorer.core.runtime.errors import ExplorerError

    try:
        recorded = read_record()
    except ExplorerError:
        recorded = None
    return expected_costs(models, recorded.result if recorded else None, sampler)
