"""The economics engine: the market that a bank implies (DESIGN.md "The economics").

Pure computation on numpy arrays (no I/O, no model calls). Start from a
:class:`harness.bank.BankMatrix`, build per-task curves with :func:`task_curves`, then price providers,
cascades, strategies and markets from them.
"""

from __future__ import annotations

from harness.economics.cascade import CascadeCurves, cascade_curves, cascade_prices, margins, spend_at_rates
from harness.economics.competition import CompetitionResult, compete
from harness.economics.curves import (
    TaskCurves,
    attempts_bought,
    failure_table,
    market_price,
    pass_at_k,
    price_curve,
    provider_prices,
    task_curves,
)
from harness.economics.grid import LogGrid, budget_grid, solve_rate_grid
from harness.economics.oracle import oracle_costs, oracle_margin, oracle_price
from harness.economics.robust import RobustResult, fit_robust, observe, split_matrix, split_tasks
from harness.economics.search import (
    SearchResult,
    mean_margin,
    nondecreasing_allocations,
    search,
    two_model_allocations,
)
from harness.economics.shares import PROFIT, MarketChange, Shares, gatekeeping, market_entry, revenue_shares

__all__ = [
    "PROFIT",
    "CompetitionResult",
    "MarketChange",
    "RobustResult",
    "Shares",
    "compete",
    "fit_robust",
    "gatekeeping",
    "market_entry",
    "observe",
    "oracle_costs",
    "oracle_margin",
    "oracle_price",
    "revenue_shares",
    "split_matrix",
    "split_tasks",
    "CascadeCurves",
    "LogGrid",
    "SearchResult",
    "TaskCurves",
    "attempts_bought",
    "budget_grid",
    "cascade_curves",
    "cascade_prices",
    "failure_table",
    "margins",
    "market_price",
    "mean_margin",
    "nondecreasing_allocations",
    "pass_at_k",
    "price_curve",
    "provider_prices",
    "search",
    "solve_rate_grid",
    "spend_at_rates",
    "task_curves",
    "two_model_allocations",
]
