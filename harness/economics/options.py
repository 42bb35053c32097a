"""Every knob of an analysis (what ``harness analyze`` and ``harness fit`` set from their options)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from harness.economics.rates import RateSpec
from harness.economics.robust import FitProtocol
from harness.economics.search import Refund


@dataclass(frozen=True)
class AnalysisOptions:
    """Defaults follow the paper (250 budgets from 1e-4 to 1 USD, 100 target rates, ...).

    ``first_lo``/``first_hi`` ``None``: the threshold grid is derived from the bank's costs
    (:mod:`harness.economics.thresholds`). ``allocations`` replaces the search grid of the main cascade
    with explicit rows. ``split`` is one task spec or several (one robust fit/eval pair each).
    """

    cascade: tuple[str, ...] | None = None  # cascade order; default: models by mean cost per attempt
    providers: tuple[str, ...] | None = None  # who sells in the market; default: every model
    budget_lo: float = 1e-4
    budget_hi: float = 1.0
    budget_points: int = 250
    rate_lo: float = 0.05
    rate_hi: float | None = None  # default: the best provider's top solve rate
    rate_points: int = 100
    report_rates: tuple[float, ...] | None = None
    first_lo: float | None = None
    first_hi: float | None = None
    first_points: int = 100
    values: int = 21  # threshold values per model for searches over 3 or more models
    max_allocations: int = 20000  # fewer values per model are used when the grid would be larger
    grid: str = "all"  # "all" (any stage may be 0) or "nondecreasing" (3+ models)
    allocations: np.ndarray | None = None  # explicit allocations of the main cascade
    cap: float | None = None  # cap on the sum of thresholds (N-model search); default: budget_hi
    per_rate: bool = False  # price the arbitrageur at the best allocation for each target rate
    split: str | tuple[str, ...] | None = None  # group:NAME, prefix:STR, regex:PATTERN or ids:ID1|ID2
    group_of: Callable[[str], str] | None = None  # the domain's task groups, for group:NAME
    fit_budgets: tuple[float | None, ...] = (None,)
    bootstraps: int = 100
    seed: int = 0
    fit_rates: RateSpec | None = None  # default: rate_lo up to the fit side's observed frontier
    eval_rates: RateSpec | None = None  # default: rate_lo up to the held-out side's own frontier
    fit_cap: float | None = None  # USD searched per task and draw (default: budget_hi)
    fit_charge: str = "all"  # "all" models' draws paid, or only the "last" (expensive) one's
    refund: str = "none"  # wrong sales: "none" (price kept) or "full" (refunded)
    pricing: str = "per_task"  # what a refund returns: the task's price or a solution's
    verify_cost_usd: float | None = None  # USD per verification (else measured CPU x cpu_usd_per_hour)
    cpu_usd_per_hour: float | None = None
    competitors: int = 3
    rounds: int = 50
    undercut: float = 0.93
    entrant: str | None = None  # market entry: the market without and with this model
    gatekeep: str | None = None  # gatekeeping: this model withheld from sale, still in the arbitrageur's cascade

    @property
    def splits(self) -> tuple[str, ...]:
        """The task specs of the robust fit/eval pairs."""
        if not self.split:
            return ()
        return (self.split,) if isinstance(self.split, str) else tuple(self.split)

    @property
    def protocol(self) -> FitProtocol:
        """How robust fits observe, pay and score: each side on its own frontier unless rates are given
        (``--fit-rates``/``--eval-rates``, else ``--rates LO:HI`` as the rest of the analysis)."""
        lo = f"{self.rate_lo:g}"
        hi = "top" if self.rate_hi is None else f"{self.rate_hi:g}"
        return FitProtocol(
            self.fit_rates or RateSpec.parse(f"{lo}:{hi}", 100, "--fit-rates"),
            self.eval_rates or RateSpec.parse(f"{lo}:{hi}", self.rate_points, "--eval-rates"),
            self.fit_cap,
            self.fit_charge,
        )

    @property
    def refund_policy(self) -> Refund:
        return Refund(self.refund, self.pricing == "per_solution")


def paper_protocol() -> dict[str, object]:
    """The option values ``--robust-protocol paper`` sets (each can still be given explicitly)."""
    p = FitProtocol.paper()
    return {
        "fit_rates": p.fit_rates,
        "eval_rates": p.eval_rates,
        "fit_cap": p.cap,
        "fit_charge": p.charge,
        "first_lo": 1e-4,
    }
