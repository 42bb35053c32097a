"""The oracle upper bound: an arbitrageur who knows every attempt's outcome before paying for it.

For each task the oracle pays only for one verified attempt of the cheapest model that has one
(``min`` over models with ``c > 0`` of the cost per attempt) and skips tasks no model solves. To reach a
solve rate u at least cost it buys the cheapest tasks first (a fractional knapsack), so
``C_o(u) = (sum of the ceil(uT) smallest task costs, the last one fractionally) / T``. No strategy that
pays for attempts it has not seen can be cheaper, so every margin is reported as a fraction of the
oracle margin ``max(C(u) - C_o(u), 0) / C(u)``.

Conventions: the oracle uses exact costs per attempt (not the budget grid), ignores the grid's largest
budget, and pays nothing for the tasks it skips. Engine prices are grid-interpolated and can sit up to a
factor ``r`` (one grid step, 3.8% by default) below their exact step value, so a strategy within one grid
step of the oracle could in principle appear to beat it; on real banks the oracle margin is far above
every strategy's (SWE-bench pairs: oracle mean margin 0.80-0.89 against 0.005-0.05).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.bank import BankMatrix
from harness.economics.cascade import margins
from harness.errors import HarnessError


def oracle_costs(matrix: BankMatrix, models: Sequence[str] | None = None) -> np.ndarray:
    """Per task, the cheapest verified attempt over ``models`` (default all); ``inf`` if none verified."""
    cols = list(range(len(matrix.models))) if models is None else [_col(matrix, m) for m in models]
    c = np.asarray(matrix.c)[:, cols]
    cost = np.asarray(matrix.cost, dtype=np.float64)[:, cols]
    return np.where(c > 0, cost, np.inf).min(axis=1, initial=np.inf)


def oracle_price(matrix: BankMatrix, targets: np.ndarray, models: Sequence[str] | None = None) -> np.ndarray:
    """The oracle's price of each target solve rate (``inf`` above the fraction of solvable tasks)."""
    u = np.asarray(targets, dtype=np.float64)
    costs = np.sort(oracle_costs(matrix, models))
    T = costs.size
    if T == 0:
        raise HarnessError("the bank has no tasks common to the chosen models")
    finite = costs[np.isfinite(costs)]
    cum = np.concatenate([[0.0], np.cumsum(finite)])
    k = u * T
    full = np.floor(k + 1e-9).astype(np.int64)
    frac = np.clip(k - full, 0.0, None)
    ok = (k <= finite.size + 1e-9) & (u >= 0)
    fi = np.minimum(full, finite.size)
    nxt = np.append(finite, 0.0)[fi]  # the next-cheapest task, bought fractionally
    price = (cum[fi] + frac * nxt) / T
    return np.where(ok, price, np.inf)


def oracle_margin(market: np.ndarray, oracle: np.ndarray) -> np.ndarray:
    """The best margin any arbitrageur could earn at each target (nan where the market cannot reach it)."""
    return margins(market, oracle)


def _col(matrix: BankMatrix, model: str) -> int:
    if model not in matrix.models:
        raise HarnessError(f"model {model!r} not in the bank (it has: {', '.join(matrix.models)})")
    return matrix.models.index(model)
