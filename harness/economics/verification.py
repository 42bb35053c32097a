"""Verification that is imperfect and costs money (what an arbitrageur's margin must survive).

**Imperfect.** The verifier may pass a wrong candidate (public tests pass, hidden tests fail). A bank that
records each attempt's hidden correctness (``BankMatrix.good``) separates the rate at which the
arbitrageur *sells* (its first verified candidate: the solve rate every price is quoted at) from the rate
at which what it sells is *correct*; their gap over the sold rate is the **false-sale rate**. Under a full
refund a wrong sale returns its price (its cost is spent), see :class:`~harness.economics.search.Refund`.
Providers sold directly are verified by the same verifier, so the market's price is quoted at the same
sold rate; the table also shows the correct rate of the provider that sets the market price.

**Costly.** Each verification costs the arbitrageur money: a fixed USD per attempt
(``[domains.<d>] verify_cost_usd``) or the measured CPU seconds per attempt priced at
``[market] cpu_usd_per_hour``. It is added to every attempt's cost in the arbitrageur's cascade (so a
threshold buys fewer attempts), never to the providers' prices: the customer pays the market price.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.bank import BankMatrix
from harness.economics.cascade import cascade_curves, cascade_prices, correct_at_rates, spend_at_rates
from harness.economics.curves import TaskCurves, provider_prices
from harness.economics.search import Refund, mean_margin, sale_margins
from harness.errors import HarnessError


def verification_costs(
    matrix: BankMatrix, fixed_usd: float | None = None, cpu_usd_per_hour: float | None = None
) -> tuple[np.ndarray | None, str]:
    """USD per attempt to verify, per (task, model), and where the number comes from (``None``: no cost).

    A fixed cost wins; else measured CPU seconds at ``cpu_usd_per_hour`` (an entry without a measurement
    takes its model's mean over the measured ones; a model with none costs 0, and the note says so).
    """
    shape = np.shape(matrix.cost)
    if fixed_usd is not None:
        if not fixed_usd >= 0:
            raise HarnessError(f"a verification cost must be >= 0 USD per attempt, got {fixed_usd}")
        return np.full(shape, float(fixed_usd)), f"${fixed_usd:g} per attempt"
    if cpu_usd_per_hour is None or matrix.verify_cpu_s is None:
        return None, ""
    cpu = np.asarray(matrix.verify_cpu_s, dtype=np.float64)
    measured = np.isfinite(cpu)
    with np.errstate(invalid="ignore"):
        mean = np.where(measured.any(axis=0), np.nanmean(np.where(measured, cpu, np.nan), axis=0), 0.0)
    cpu = np.where(measured, cpu, mean[None, :])
    unmeasured = [m for m, ok in zip(matrix.models, measured.any(axis=0), strict=True) if not ok]
    note = f"measured CPU seconds x ${cpu_usd_per_hour:g} per CPU hour"
    if unmeasured:
        note += f" (no measurement for {', '.join(unmeasured)}: 0)"
    return cpu * cpu_usd_per_hour / 3600.0, note


@dataclass(frozen=True)
class OperatingPoint:
    """The arbitrageur at each target: price, spend per cascade model and correct rate, for per-target
    allocations ``choice`` (indices into ``allocations``)."""

    price: np.ndarray
    spend: np.ndarray
    correct: np.ndarray | None


def operating_point(
    curves: TaskCurves,
    cascade: Sequence[str],
    allocations: np.ndarray,
    choice: np.ndarray,
    targets: np.ndarray,
    correct: bool = False,
) -> OperatingPoint:
    """Evaluate only the allocations ``choice`` uses, and read each target at its own allocation."""
    u = np.asarray(targets, dtype=np.float64)
    used, inv = np.unique(np.asarray(choice, dtype=np.int64), return_inverse=True)
    cc = cascade_curves(curves, cascade, allocations[used], by_model=True, correct=correct)
    col = np.arange(u.size)
    price = cascade_prices(cc, u)[inv, col]
    spend = spend_at_rates(cc, u)[inv, :, col].T
    good = correct_at_rates(cc, u)[inv, col] if correct else None
    return OperatingPoint(price, spend, good)


@dataclass(frozen=True)
class VerificationReport:
    """Sold against correct: per target sold rate, the arbitrageur's correct rate and false-sale rate,
    the market-setting provider's correct rate, and margins with no refunds and with full refunds."""

    targets: np.ndarray
    correct: np.ndarray
    false_sale: np.ndarray
    market_correct: np.ndarray
    margin_none: np.ndarray
    margin_full: np.ndarray
    refund: Refund

    @property
    def mean_none(self) -> float:
        return float(mean_margin(self.margin_none))

    @property
    def mean_full(self) -> float:
        return float(mean_margin(self.margin_full))


def verification_report(
    curves: TaskCurves,
    providers: Sequence[str],
    market: np.ndarray,
    point: OperatingPoint,
    targets: np.ndarray,
    refund: Refund,
) -> VerificationReport:
    """The imperfect-verification view of the arbitrageur at ``point`` (which must carry correct rates)."""
    if point.correct is None:
        raise HarnessError("the operating point was evaluated without correct rates")
    u = np.asarray(targets, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        false_sale = np.where(np.isfinite(point.correct), 1.0 - point.correct / u, np.nan)
    prices = provider_prices(curves, u, providers)
    cheapest = np.argmin(prices, axis=0)
    rates = np.empty((len(providers), u.size))
    for j, p in enumerate(providers):
        cc = cascade_curves(curves, [p], np.array([[np.inf]]), correct=True)
        rates[j] = correct_at_rates(cc, u)[0]
    market_correct = np.where(np.isfinite(market), rates[cheapest, np.arange(u.size)], np.nan)
    full = Refund("full", refund.per_solution)
    return VerificationReport(
        u,
        point.correct,
        false_sale,
        market_correct,
        sale_margins(market, point.price, u, point.correct, Refund("none")),
        sale_margins(market, point.price, u, point.correct, full),
        refund,
    )
