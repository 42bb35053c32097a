"""The dollar thresholds a strategy search tries, derived from the bank's costs per attempt.

Two models: a log grid of the first model's threshold (default 100 points from $0.01 to $0.50, plus 0
and "everything"), the second taking the rest. When the bank's cheapest attempt costs less than the
grid's first point (small local models cost $0.0002 an attempt), the grid is extended downward at the same
log spacing to one step below that attempt, exactly as :func:`~harness.economics.analysis.analysis_grid`
extends the budget grid; the default points stay, so a bank priced in cents searches what it did before.

Three or more models: ``values`` thresholds per stage, ``{0}`` and a log grid, and **every** tuple of them
(any stage may be 0, i.e. skipped: a cheap model, then nothing on the middle one, then the third ...) whose
sum is under the cap; the last model takes the rest. ``kind="nondecreasing"`` keeps only non-decreasing
tuples (zeros first), the older, smaller grid. The log grid starts at the cheapest attempt when that is
below $0.01 and ends at the largest spend a model can make on one task (``n`` attempts at its cost) when
that is below $0.50, so a few values per stage are not wasted on thresholds no model can use; the number
of values shrinks until the grid has at most ``max_allocations`` allocations.
"""

from __future__ import annotations

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
    """Where the search looks: the 2-model first-threshold grid and the N-model values, and why."""

    lo: float
    hi: float
    points: int
    values_lo: float
    values_hi: float
    values: int
    kind: str = "all"
    cap: float = 1.0
    max_allocations: int = 20000
    note: str = ""  # how the grid was derived from the bank (2-model grid)
    values_note: str = ""  # likewise for the values of 3+ model cascades

    def describe(self, stages: int) -> str:
        """How the grid a cascade of ``stages`` models searches was derived (empty: as the options say)."""
        return self.note if stages <= 2 else self.values_note

    def allocations(self, stages: int) -> np.ndarray:
        """The allocations searched for a cascade of ``stages`` models (the last takes the rest)."""
        if stages < 1:
            raise HarnessError("a cascade needs at least one model")
        if stages == 1:
            return np.array([[np.inf]])
        if stages == 2:
            return two_model_allocations(self.lo, self.hi, self.points)
        k = stages - 1
        v = max(self.values, 2)
        count = (lambda v: math.comb(v + k - 1, k)) if self.kind == "nondecreasing" else (lambda v: v**k)
        while v > 2 and count(v) > self.max_allocations:
            v -= 1
        vals = np.concatenate([[0.0], np.geomspace(self.values_lo, self.values_hi, v - 1)])
        build = nondecreasing_allocations if self.kind == "nondecreasing" else product_allocations
        return build(vals, stages, cap=self.cap, rest=True)


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
    points, note, vnote = int(first_points), "", ""
    vlo, vhi = lo, hi
    if first_lo is None and math.isfinite(cheap) and cheap < lo:
        r = (hi / lo) ** (1 / max(points - 1, 1))
        extra = math.ceil(math.log(lo / cheap) / math.log(r) - 1e-9) + 1
        lo, points = lo * r**-extra, points + extra
        vlo = cheap
        note = f"thresholds searched from ${lo:.3g}, below the bank's cheapest attempt (${cheap:.3g}), to ${hi:.3g}"
        vnote = f"thresholds searched from the bank's cheapest attempt (${cheap:.3g})"
    if first_hi is None and math.isfinite(full) and vlo < full < vhi:
        vhi = full
        vnote = vnote or f"thresholds searched from ${vlo:.3g}"
        vnote += f" to ${full:.3g}, the most a model spends on a task"
    elif vnote:
        vnote += f" to ${vhi:.3g}"
    return ThresholdGrid(lo, hi, points, vlo, vhi, values, kind, cap, max_allocations, note, vnote)
