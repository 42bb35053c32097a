"""The dollar thresholds a strategy search tries, derived from the bank's costs per attempt.

Two models: a log grid of the first model's threshold (default 100 points from $0.01 to $0.50, plus 0
and "everything"), the second taking the rest. When the bank's cheapest attempt costs less than the
grid's first point (small local models cost $0.0002 an attempt), the grid is extended downward at the same
log spacing to one step below that attempt, exactly as :func:`~harness.economics.analysis.analysis_grid`
extends the budget grid; the default points stay, so a bank priced in cents searches what it did before
(and can only find a better strategy).

Three or more models: ``values`` thresholds per stage, ``{0}`` and a log grid (default 20 values from
$0.01 to $0.50), and **every** tuple of them (any stage may be 0, i.e. skipped: a cheap model, then nothing
on the middle one, then the third ...) whose sum is under the cap; the last model takes the rest.
``kind="nondecreasing"`` keeps only non-decreasing tuples (zeros first), the older, smaller grid. Below a
cheapest attempt under $0.01 the values are extended downward at their spacing as for two models, when the
grid stays within ``max_allocations``; when it would not (many stages, very cheap models), the values
instead span the bank's own range, from its cheapest attempt to the most a model spends on a task (``n``
attempts at its cost) or $0.50, and their number shrinks until the grid fits.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.bank import BankMatrix
from harness.economics.search import nondecreasing_allocations, product_allocations, two_model_allocations
from harness.errors import HarnessError

DEFAULT_FIRST_LO = 0.01
DEFAULT_FIRST_HI = 0.5
DEFAULT_FIRST_POINTS = 100
KINDS = ("all", "nondecreasing")


@dataclass(frozen=True)
class ThresholdGrid:
    """Where the search looks: the 2-model first-threshold grid, the N-model values, and why.

    ``lo``/``hi``/``points``: the 2-model grid (already extended); ``values_lo``/``values_hi``/``values``:
    the N-model base grid; ``cheapest``/``full``: the bank's cheapest attempt and largest spend on a task
    (``nan`` when the thresholds were given, so nothing is derived).
    """

    lo: float
    hi: float
    points: int
    values_lo: float
    values_hi: float
    values: int
    kind: str = "all"
    cap: float = 1.0
    max_allocations: int = 20000
    cheapest: float = math.nan
    full: float = math.nan
    note: str = ""  # how the 2-model grid was derived from the bank

    def allocations(self, stages: int) -> np.ndarray:
        """The allocations searched for a cascade of ``stages`` models (the last takes the rest)."""
        if stages < 1:
            raise HarnessError("a cascade needs at least one model")
        if stages == 1:
            return np.array([[np.inf]])
        if stages == 2:
            return two_model_allocations(self.lo, self.hi, self.points)
        return _many(self, stages)[0]

    def describe(self, stages: int) -> str:
        """How the grid a cascade of ``stages`` models searches was derived (empty: as the options say)."""
        return self.note if stages <= 2 else _many(self, stages)[1]

    def span(self, stages: int) -> tuple[float, float, int]:
        """(smallest nonzero threshold, largest finite one, values per stage) searched for ``stages`` models."""
        if stages <= 2:
            return self.lo, self.hi, self.points
        finite = _many(self, stages)[0][:, :-1]
        vals = np.unique(finite[finite > 0])
        return float(vals[0]), float(vals[-1]), int(vals.size)

    def _build(self, values: np.ndarray, stages: int) -> np.ndarray:
        build = nondecreasing_allocations if self.kind == "nondecreasing" else product_allocations
        return build(np.concatenate([[0.0], values]), stages, cap=self.cap, rest=True)

    def _count(self, v: int, k: int) -> int:
        return math.comb(v + k - 1, k) if self.kind == "nondecreasing" else v**k


@functools.cache
def _many(g: ThresholdGrid, stages: int) -> tuple[np.ndarray, str]:
    """The 3+ model grid and how it was derived (cached: the search and the report both ask)."""
    k = stages - 1
    v = max(g.values, 2)
    if not (g.cheapest < g.values_lo):
        while v > 2 and g._count(v, k) > g.max_allocations:
            v -= 1
        return g._build(np.geomspace(g.values_lo, g.values_hi, v - 1), stages), ""
    base = np.geomspace(g.values_lo, g.values_hi, v - 1)
    r = (g.values_hi / g.values_lo) ** (1 / max(v - 2, 1))
    extra = math.ceil(math.log(g.values_lo / g.cheapest) / math.log(r) - 1e-9) + 1
    below = g.values_lo * r ** -np.arange(extra, 0, -1, dtype=np.float64)
    if g._count(v + extra, k) <= g.max_allocations:
        note = f"thresholds extended down to ${below[0]:.3g}, below the bank's cheapest attempt (${g.cheapest:.3g})"
        return g._build(np.concatenate([below, base]), stages), note
    hi = min(g.values_hi, g.full) if math.isfinite(g.full) and g.full > g.cheapest else g.values_hi
    while v > 2 and g._count(v, k) > g.max_allocations:
        v -= 1
    note = f"{v - 1} thresholds per stage from the bank's cheapest attempt (${g.cheapest:.3g}) to ${hi:.3g}"
    if hi < g.values_hi:
        note += ", the most a model spends on a task"
    return g._build(np.geomspace(g.cheapest, hi, v - 1), stages), note


def cost_range(matrices: Sequence[BankMatrix]) -> tuple[float, float]:
    """(cheapest attempt, largest spend of all of a task's attempts) over the banks; ``nan`` if unpriced."""
    cheap, full = math.inf, 0.0
    for m in matrices:
        n, cost = np.asarray(m.n), np.asarray(m.cost, dtype=np.float64)
        ok = (n > 0) & (cost > 0)
        if ok.any():
            cheap = min(cheap, float(cost[ok].min()))
            full = max(full, float((cost * n)[ok].max()))
    return (cheap, full) if math.isfinite(cheap) else (math.nan, math.nan)


def threshold_grid(
    matrices: Sequence[BankMatrix],
    first_lo: float | None = None,
    first_hi: float | None = None,
    first_points: int = DEFAULT_FIRST_POINTS,
    values: int = 21,
    kind: str = "all",
    cap: float = 1.0,
    max_allocations: int = 20000,
) -> ThresholdGrid:
    """The search grid for these banks: ``first_lo``/``first_hi`` as given, else derived from the costs."""
    if kind not in KINDS:
        raise HarnessError(f"allocation grid must be one of {', '.join(KINDS)}, got {kind!r}")
    cheap, full = cost_range(matrices)
    lo = DEFAULT_FIRST_LO if first_lo is None else first_lo
    hi = DEFAULT_FIRST_HI if first_hi is None else first_hi
    if not (0 < lo < hi):
        raise HarnessError(f"threshold grid needs 0 < --first-lo < --first-hi, got {lo} and {hi}")
    if first_lo is not None or first_hi is not None:  # given: nothing is derived
        cheap = full = math.nan
    points, note, vlo = int(first_points), "", lo
    if cheap < lo:
        r = (hi / lo) ** (1 / max(points - 1, 1))
        extra = math.ceil(math.log(lo / cheap) / math.log(r) - 1e-9) + 1
        lo, points = lo * r**-extra, points + extra
        note = f"thresholds searched from ${lo:.3g}, below the bank's cheapest attempt (${cheap:.3g}), to ${hi:.3g}"
    return ThresholdGrid(lo, hi, points, vlo, hi, values, kind, cap, max_allocations, cheap, full, note)
