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
    """The default search grid: the 2-model log grid, or non-decreasing thresholds (last = rest)."""
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
    casc = [curves.models[i] for i in curves.index(cascade)]
    cc = cascade_curves(curves, casc, np.asarray(thresholds, dtype=np.float64)[None, :], by_model=True)
    return shares_at(curves, providers, casc, cascade_prices(cc, u)[0], spend_at_rates(cc, u)[0], u)


def shares_at(
    curves: TaskCurves,
    providers: Sequence[str],
    cascade: Sequence[str],
    arbitrageur: np.ndarray,
    spend: np.ndarray,
    targets: np.ndarray,
) -> Shares:
    """Shares given the arbitrageur's price (targets,) and spend per cascade model (models, targets) at
    each target: from one allocation, or from a different allocation per target (the per-rate envelope)."""
    u = np.asarray(targets, dtype=np.float64)
    prov = [curves.models[i] for i in curves.index(providers)]
    casc = [curves.models[i] for i in curves.index(cascade)]
    if not prov:
        raise HarnessError("revenue shares need at least one provider")
    prices = provider_prices(curves, u, prov)
    C = prices.min(axis=0)
    cheapest = np.argmin(prices, axis=0)
    Cq = np.asarray(arbitrageur, dtype=np.float64)
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
    cascade_before: Sequence[str] | None = None,
    cascade_after: Sequence[str] | None = None,
) -> MarketChange:
    """Shares before and after ``entrant`` joins the providers ``incumbents``.

    The arbitrageur's cascades default to the incumbents (cheap to expensive) before and the entrant
    first, then the incumbents, after; give ``cascade_before``/``cascade_after`` for another order.
    """
    inc = list(incumbents)
    if entrant in inc:
        raise HarnessError(f"the entrant {entrant!r} is already an incumbent")
    if not inc:
        raise HarnessError(f"the entrant {entrant!r} needs at least one incumbent provider to enter against")
    casc_before = inc if cascade_before is None else list(cascade_before)
    casc_after = [entrant] + inc if cascade_after is None else list(cascade_after)
    if entrant in casc_before:
        raise HarnessError(f"the entrant {entrant!r} cannot be in the cascade before it enters")
    if not casc_before or not casc_after:
        raise HarnessError("market entry needs a non-empty cascade before and after the entry")
    before = _market(curves, inc, casc_before, targets, allocations_before)
    after = _market(curves, inc + [entrant], casc_after, targets, allocations_after)
    return MarketChange(before[0], after[0], before[1], after[1])


def gatekeeping(
    curves: TaskCurves,
    expensive: str | Sequence[str],
    withheld: str,
    student: str,
    targets: np.ndarray,
    allocations: np.ndarray | None = None,
    cascade: Sequence[str] | None = None,
) -> MarketChange:
    """Open market (``withheld`` and ``expensive`` sold) against a gatekept one (only ``expensive`` sold,
    the arbitrageur brings its own ``student`` in the withheld model's place in its cascade).

    ``expensive`` is one model or several; ``cascade`` is the open market's cascade order (default
    ``withheld`` then ``expensive``); ``student`` may equal ``withheld`` (the arbitrageur runs it itself).
    """
    sold = [expensive] if isinstance(expensive, str) else list(expensive)
    if not sold:
        raise HarnessError(f"gatekeeping {withheld!r} leaves no provider in the market: keep at least one model")
    if withheld in sold:
        raise HarnessError(f"the withheld model {withheld!r} cannot also be sold")
    open_cascade = [withheld, *sold] if cascade is None else list(cascade)
    if withheld not in open_cascade:
        raise HarnessError(f"the cascade must hold the withheld model {withheld!r} (the student takes its place)")
    gated_cascade = [student if m == withheld else m for m in open_cascade]
    before = _market(curves, [withheld, *sold], open_cascade, targets, allocations)
    after = _market(curves, sold, gated_cascade, targets, allocations)
    return MarketChange(before[0], after[0], before[1], after[1])
