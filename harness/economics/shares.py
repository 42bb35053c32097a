"""Revenue shares, market entry and gatekeeping (DESIGN.md "Revenue share and segmentation").

Per task at solve rate u the consumer pays the market price C(u). Without arbitrage it all goes to the
one cheapest provider. With an arbitrageur whose cascade price C_q(u) is below C(u), the consumer still
pays C(u) (the arbitrageur undercuts by a negligible amount); the arbitrageur pays each cascade model its
expected spend there and keeps C(u) - C_q(u). Shares are fractions of C(u) and sum to 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.economics.cascade import cascade_curves, cascade_prices, spend_at_rates
from harness.economics.curves import TaskCurves, provider_prices
from harness.economics.search import SearchResult, nondecreasing_allocations, search, two_model_allocations
from harness.errors import HarnessError

PROFIT = "arbitrageur profit"


@dataclass(frozen=True)
class Shares:
    """Revenue shares per target: rows ``names`` (models, then :data:`PROFIT`), columns targets.

    ``without`` and ``with_arbitrage`` are fractions of the market price (nan where the market cannot
    reach the target); ``market`` and ``arbitrageur`` are the two prices.
    """

    targets: np.ndarray
    names: tuple[str, ...]
    without: np.ndarray
    with_arbitrage: np.ndarray
    market: np.ndarray
    arbitrageur: np.ndarray

    def row(self, name: str, arbitrage: bool = True) -> np.ndarray:
        """One name's share per target."""
        if name not in self.names:
            raise HarnessError(f"{name!r} has no revenue share here (rows: {', '.join(self.names)})")
        table = self.with_arbitrage if arbitrage else self.without
        return table[self.names.index(name)]


def default_allocations(stages: int) -> np.ndarray:
    """The issue's default search grid: the 2-model log grid, or non-decreasing thresholds (last = rest)."""
    if stages < 1:
        raise HarnessError("a cascade needs at least one model")
    if stages == 1:
        return np.array([[np.inf]])
    if stages == 2:
        return two_model_allocations()
    values = np.concatenate([[0.0], np.geomspace(0.005, 0.5, 10)])
    return nondecreasing_allocations(values, stages, rest=True)


def revenue_shares(
    curves: TaskCurves,
    providers: Sequence[str],
    cascade: Sequence[str],
    thresholds: np.ndarray,
    targets: np.ndarray,
) -> Shares:
    """Shares of the market price among ``providers``, the ``cascade`` models and the arbitrageur's profit."""
    u = np.asarray(targets, dtype=np.float64)
    prov = [curves.models[i] for i in curves.index(providers)]
    casc = [curves.models[i] for i in curves.index(cascade)]
    if not prov:
        raise HarnessError("revenue shares need at least one provider")
    prices = provider_prices(curves, u, prov)
    C = prices.min(axis=0)
    cheapest = np.argmin(prices, axis=0)
    cc = cascade_curves(curves, casc, np.asarray(thresholds, dtype=np.float64)[None, :], by_model=True)
    Cq = cascade_prices(cc, u)[0]
    spend = spend_at_rates(cc, u)[0]
    names = tuple(dict.fromkeys(prov + casc)) + (PROFIT,)
    reach = np.isfinite(C)
    without = np.zeros((len(names), u.size))
    for p, name in enumerate(prov):
        without[names.index(name)] = np.where(cheapest == p, 1.0, 0.0)
    without[:, ~reach] = np.nan
    arb = reach & np.isfinite(Cq) & (Cq < C)
    safe_C = np.where(arb, C, 1.0)
    with_ = np.where(arb[None, :], 0.0, without)
    for m, name in enumerate(casc):
        with_[names.index(name)] += np.where(arb, np.nan_to_num(spend[m]) / safe_C, 0.0)
    with np.errstate(invalid="ignore"):
        profit = np.where(arb, C - Cq, 0.0)
    with_[-1] = np.where(arb, profit / safe_C, np.where(reach, 0.0, np.nan))
    return Shares(u, names, without, with_, C, Cq)


@dataclass(frozen=True)
class MarketChange:
    """A market before and after a change (entry or gatekeeping): the searches and the shares of each."""

    before: SearchResult
    after: SearchResult
    shares_before: Shares
    shares_after: Shares

    def share_change(self, name: str, arbitrage: bool = True) -> np.ndarray:
        """After minus before share of ``name`` per target (a name absent on one side counts as 0)."""

        def get(s: Shares) -> np.ndarray:
            return s.row(name, arbitrage) if name in s.names else np.zeros(s.targets.size)

        return get(self.shares_after) - get(self.shares_before)


def _market(
    curves: TaskCurves, providers: Sequence[str], cascade: Sequence[str], targets: np.ndarray, allocations
) -> tuple[SearchResult, Shares]:
    allocs = default_allocations(len(cascade)) if allocations is None else allocations
    res = search(curves, cascade, allocs, targets, providers=providers)
    return res, revenue_shares(curves, providers, cascade, res.thresholds, targets)


def market_entry(
    curves: TaskCurves,
    incumbents: Sequence[str],
    entrant: str,
    targets: np.ndarray,
    allocations_before: np.ndarray | None = None,
    allocations_after: np.ndarray | None = None,
) -> MarketChange:
    """Shares before and after ``entrant`` joins the market; the arbitrageur tries the entrant first.

    ``incumbents`` are in cascade order (cheap to expensive).
    """
    inc = list(incumbents)
    if entrant in inc:
        raise HarnessError(f"the entrant {entrant!r} is already an incumbent")
    before = _market(curves, inc, inc, targets, allocations_before)
    after = _market(curves, inc + [entrant], [entrant] + inc, targets, allocations_after)
    return MarketChange(before[0], after[0], before[1], after[1])


def gatekeeping(
    curves: TaskCurves,
    expensive: str,
    withheld: str,
    student: str,
    targets: np.ndarray,
    allocations: np.ndarray | None = None,
) -> MarketChange:
    """Open market (``withheld`` and ``expensive`` sold; cascade withheld -> expensive) against a gatekept
    one (only ``expensive`` sold; the arbitrageur brings its own ``student``: cascade student -> expensive).
    """
    before = _market(curves, [withheld, expensive], [withheld, expensive], targets, allocations)
    after = _market(curves, [expensive], [student, expensive], targets, allocations)
    return MarketChange(before[0], after[0], before[1], after[1])
