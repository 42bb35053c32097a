"""Strategy search: choose cascade thresholds that maximise the mean margin over target solve rates."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.economics.cascade import cascade_curves, cascade_prices, margins
from harness.economics.curves import TaskCurves, market_price
from harness.errors import HarnessError


@dataclass(frozen=True)
class SearchResult:
    """Every allocation's objective and the best one.

    ``objective[a]`` is allocation a's mean margin over the targets (``-inf`` if the market reaches none
    of them); ``best_margins`` and ``best_price`` are the chosen allocation's margin and price per target.
    """

    models: tuple[str, ...]
    allocations: np.ndarray
    targets: np.ndarray
    market: np.ndarray
    objective: np.ndarray
    best: int
    best_margins: np.ndarray
    best_price: np.ndarray

    @property
    def thresholds(self) -> np.ndarray:
        """The chosen allocation's per-model dollar thresholds."""
        return self.allocations[self.best]

    @property
    def mean_margin(self) -> float:
        """The chosen allocation's mean margin over the targets."""
        return float(self.objective[self.best])


def two_model_allocations(lo: float = 0.01, hi: float = 0.5, num: int = 100) -> np.ndarray:
    """``{0} U geomspace(lo, hi, num) U {inf}`` dollars for the first model; the second takes the rest."""
    if not (0 < lo < hi) or num < 1:
        raise HarnessError(f"first-threshold grid needs 0 < lo < hi and num >= 1, got {lo}, {hi}, {num}")
    first = np.concatenate([[0.0], np.geomspace(lo, hi, int(num)), [np.inf]])
    return np.stack([first, np.full_like(first, np.inf)], axis=1)


def nondecreasing_allocations(
    values: Sequence[float], models: int, cap: float | None = None, rest: bool = False
) -> np.ndarray:
    """All non-decreasing threshold tuples from ``values`` for ``models`` stages with sum <= ``cap``.

    With ``rest`` the last model takes the rest of the budget (its threshold is ``inf``) and only the first
    ``models - 1`` thresholds are enumerated.
    """
    vals = np.unique(np.asarray(values, dtype=np.float64))
    if vals.size == 0 or np.any(vals < 0) or not np.all(np.isfinite(vals)):
        raise HarnessError("threshold values must be a non-empty list of finite dollars >= 0")
    if models < 1:
        raise HarnessError("need at least one model")
    k = models - 1 if rest else models
    combos = np.array(list(itertools.combinations_with_replacement(vals, k)), dtype=np.float64).reshape(-1, k)
    if cap is not None:
        combos = combos[combos.sum(axis=1) <= cap * (1 + 1e-12)]
    if combos.shape[0] == 0:
        raise HarnessError(f"no allocation of these threshold values fits under the cap {cap}")
    if rest:
        combos = np.concatenate([combos, np.full((combos.shape[0], 1), np.inf)], axis=1)
    return combos


def mean_margin(margin: np.ndarray) -> np.ndarray:
    """Mean over the last axis ignoring targets the market cannot reach (``-inf`` if none is reachable)."""
    m = np.asarray(margin, dtype=np.float64)
    valid = np.isfinite(m)
    count = valid.sum(axis=-1)
    total = np.where(valid, m, 0.0).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), -np.inf)


def search(
    curves: TaskCurves,
    models: Sequence[str | int],
    allocations: np.ndarray,
    targets: np.ndarray,
    market: np.ndarray | None = None,
    providers: Sequence[str | int] | None = None,
    chunk: int = 2048,
) -> SearchResult:
    """Evaluate every allocation's cascade over ``models`` and pick the best mean margin.

    The market price defaults to the cheapest of ``providers`` (default: every model in ``curves``).
    Allocations are evaluated ``chunk`` at a time (a few matrix products each).
    """
    u = np.asarray(targets, dtype=np.float64)
    C = market_price(curves, u, providers) if market is None else np.asarray(market, dtype=np.float64)
    allocs = np.atleast_2d(np.asarray(allocations, dtype=np.float64))
    A = allocs.shape[0]
    objective = np.empty(A)
    for s in range(0, A, max(1, chunk)):
        cc = cascade_curves(curves, models, allocs[s : s + chunk], chunk=chunk)
        objective[s : s + chunk] = mean_margin(margins(C[None, :], cascade_prices(cc, u)))
    best = int(np.argmax(objective))
    cc = cascade_curves(curves, models, allocs[best : best + 1])
    price = cascade_prices(cc, u)[0]
    names = tuple(curves.models[i] for i in curves.index(models))
    return SearchResult(names, allocs, u, C, objective, best, margins(C, price), price)
