"""Strategy search: choose cascade thresholds that maximise the mean margin over target solve rates.

Two answers come out of one pass over the allocations (evaluated ``chunk`` at a time, so memory stays
bounded whatever their number): the best **single** allocation (one fixed strategy, the best mean
margin) and the per-rate **envelope** (for each target solve rate, the best margin of any allocation and
which one earns it: what an arbitrageur who picks its thresholds per solve rate earns).

Margins count wrong sales according to a :class:`Refund` policy: with ``"none"`` a sold candidate earns
its price whether or not it is correct; with ``"full"`` a wrong one is refunded, so its price is lost
(its cost is not). Under ``per_task`` pricing the refund is the task's price, so the revenue per task is
``C(u) (1 - (u - u_c))`` with ``u_c`` the rate of correct sales; under ``per_solution`` pricing it is the
price of a solution, ``C(u) / u``, so the revenue is ``C(u) u_c / u``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.economics.cascade import MARGIN_FLOOR, cascade_curves, cascade_prices, correct_at_rates, margins
from harness.economics.curves import TaskCurves, market_price
from harness.errors import HarnessError

REFUNDS = ("none", "full")


@dataclass(frozen=True)
class Refund:
    """How a sold candidate that is not correct counts: ``policy`` ``none`` or ``full``; the pricing."""

    policy: str = "none"
    per_solution: bool = False

    def __post_init__(self) -> None:
        if self.policy not in REFUNDS:
            raise HarnessError(f"refund policy must be one of {', '.join(REFUNDS)}, got {self.policy!r}")

    @property
    def needs_correct(self) -> bool:
        return self.policy == "full"

    def revenue_share(self, sold: np.ndarray, correct: np.ndarray) -> np.ndarray:
        """The fraction of the market price the arbitrageur keeps at sold rate ``sold``, correct rate ``correct``."""
        if self.policy == "none":
            return np.ones_like(np.asarray(correct, dtype=np.float64))
        wrong = np.clip(np.asarray(sold) - np.asarray(correct), 0.0, None)
        if self.per_solution:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(np.asarray(sold) > 0, 1.0 - wrong / np.asarray(sold), 1.0)
        return 1.0 - wrong


def sale_margins(
    market: np.ndarray, arbitrageur: np.ndarray, targets: np.ndarray, correct: np.ndarray | None, refund: Refund
) -> np.ndarray:
    """Margins under ``refund``: ``max(C keep - C_q, 0) / C``, ``keep`` the revenue share (1 without refunds)."""
    if not refund.needs_correct or correct is None:
        return margins(market, arbitrageur)
    C = np.asarray(market, dtype=np.float64)
    keep = refund.revenue_share(np.broadcast_to(targets, np.shape(correct)), np.nan_to_num(correct))
    Cq = np.asarray(arbitrageur, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(C > 0, np.maximum(C * keep - Cq, 0.0) / C, 0.0)
    m = np.where(np.isfinite(Cq) & (m > MARGIN_FLOOR), m, 0.0)
    return np.where(np.isfinite(C), m, np.nan)


@dataclass(frozen=True)
class SearchResult:
    """Every allocation's objective, the best one, and the per-rate envelope.

    ``objective[a]`` is allocation a's mean margin over the targets (``-inf`` if the market reaches none
    of them); ``best_margins`` and ``best_price`` are the chosen allocation's margin and price per target;
    ``envelope`` (per target: the best margin of any allocation, ``nan`` where the market cannot reach the
    target) and ``envelope_index`` (which allocation earns it) are the per-rate strategy.
    """

    models: tuple[str, ...]
    allocations: np.ndarray
    targets: np.ndarray
    market: np.ndarray
    objective: np.ndarray
    best: int
    best_margins: np.ndarray
    best_price: np.ndarray
    envelope: np.ndarray | None = None
    envelope_index: np.ndarray | None = None

    @property
    def thresholds(self) -> np.ndarray:
        """The chosen allocation's per-model dollar thresholds."""
        return self.allocations[self.best]

    @property
    def mean_margin(self) -> float:
        """The chosen allocation's mean margin over the targets."""
        return float(self.objective[self.best])

    @property
    def envelope_mean(self) -> float:
        """The per-rate envelope's mean margin over the targets the market reaches."""
        env = self.best_margins if self.envelope is None else self.envelope
        return float(mean_margin(env))


def two_model_allocations(lo: float = 0.01, hi: float = 0.5, num: int = 100) -> np.ndarray:
    """``{0} U geomspace(lo, hi, num) U {inf}`` dollars for the first model; the second takes the rest."""
    if not (0 < lo < hi) or num < 1:
        raise HarnessError(f"first-threshold grid needs 0 < lo < hi and num >= 1, got {lo}, {hi}, {num}")
    first = np.concatenate([[0.0], np.geomspace(lo, hi, int(num)), [np.inf]])
    return np.stack([first, np.full_like(first, np.inf)], axis=1)


def _values(values: Sequence[float]) -> np.ndarray:
    vals = np.unique(np.asarray(values, dtype=np.float64))
    if vals.size == 0 or np.any(vals < 0) or not np.all(np.isfinite(vals)):
        raise HarnessError("threshold values must be a non-empty list of finite dollars >= 0")
    return vals


def _finish(combos: np.ndarray, cap: float | None, rest: bool) -> np.ndarray:
    if cap is not None:
        combos = combos[combos.sum(axis=1) <= cap * (1 + 1e-12)]
    if combos.shape[0] == 0:
        raise HarnessError(f"no allocation of these threshold values fits under the cap {cap}")
    if rest:
        combos = np.concatenate([combos, np.full((combos.shape[0], 1), np.inf)], axis=1)
    return combos


def nondecreasing_allocations(
    values: Sequence[float], models: int, cap: float | None = None, rest: bool = False
) -> np.ndarray:
    """All non-decreasing threshold tuples from ``values`` for ``models`` stages with sum <= ``cap``.

    With ``rest`` the last model takes the rest of the budget (its threshold is ``inf``) and only the first
    ``models - 1`` thresholds are enumerated. Zeros can only come first (no stage is skipped later).
    """
    vals = _values(values)
    if models < 1:
        raise HarnessError("need at least one model")
    k = models - 1 if rest else models
    combos = np.array(list(itertools.combinations_with_replacement(vals, k)), dtype=np.float64).reshape(-1, k)
    return _finish(combos, cap, rest)


def product_allocations(
    values: Sequence[float], models: int, cap: float | None = None, rest: bool = True
) -> np.ndarray:
    """Every tuple of thresholds from ``values`` (any order, so any stage may be 0: skipped) with sum <= cap.

    With ``rest`` the last model takes the rest of the budget and only ``models - 1`` thresholds vary.
    """
    vals = _values(values)
    if models < 1:
        raise HarnessError("need at least one model")
    k = models - 1 if rest else models
    grids = np.meshgrid(*([vals] * k), indexing="ij") if k else []
    combos = np.stack([g.reshape(-1) for g in grids], axis=1) if k else np.zeros((1, 0))
    return _finish(combos, cap, rest)


def mean_margin(margin: np.ndarray) -> np.ndarray:
    """Mean over the last axis ignoring targets the market cannot reach (``-inf`` if none is reachable)."""
    m = np.asarray(margin, dtype=np.float64)
    valid = np.isfinite(m)
    count = valid.sum(axis=-1)
    total = np.where(valid, m, 0.0).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), -np.inf)


def allocation_margins(
    curves: TaskCurves,
    models: Sequence[str | int],
    allocations: np.ndarray,
    targets: np.ndarray,
    market: np.ndarray,
    refund: Refund | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(margins, prices) of each allocation (rows) at each target, wrong sales counted by ``refund``."""
    r = refund or Refund()
    cc = cascade_curves(curves, models, allocations, chunk=allocations.shape[0] or 1, correct=r.needs_correct)
    price = cascade_prices(cc, targets)
    correct = correct_at_rates(cc, targets) if r.needs_correct else None
    return sale_margins(market[None, :], price, targets, correct, r), price


def search(
    curves: TaskCurves,
    models: Sequence[str | int],
    allocations: np.ndarray,
    targets: np.ndarray,
    market: np.ndarray | None = None,
    providers: Sequence[str | int] | None = None,
    chunk: int = 2048,
    refund: Refund | None = None,
) -> SearchResult:
    """Evaluate every allocation's cascade over ``models``; the best mean margin and the per-rate envelope.

    The market price defaults to the cheapest of ``providers`` (default: every model in ``curves``).
    Allocations are evaluated ``chunk`` at a time (a few matrix products each); only per-allocation means
    and the running per-target best are kept, so memory does not grow with the number of allocations.
    """
    u = np.asarray(targets, dtype=np.float64)
    C = market_price(curves, u, providers) if market is None else np.asarray(market, dtype=np.float64)
    allocs = np.atleast_2d(np.asarray(allocations, dtype=np.float64))
    A = allocs.shape[0]
    objective = np.empty(A)
    env = np.full(u.size, -np.inf)
    env_idx = np.full(u.size, -1, dtype=np.int64)
    for s in range(0, A, max(1, chunk)):
        m, _ = allocation_margins(curves, models, allocs[s : s + chunk], u, C, refund)
        objective[s : s + chunk] = mean_margin(m)
        filled = np.where(np.isfinite(m), m, -np.inf)
        top = filled.max(axis=0)
        better = top > env
        env_idx = np.where(better, s + filled.argmax(axis=0), env_idx)
        env = np.maximum(env, top)
    best = int(np.argmax(objective))
    m_best, price = allocation_margins(curves, models, allocs[best : best + 1], u, C, refund)
    tie = env <= m_best[0] + 1e-12  # the single best allocation wherever it is as good
    env_idx = np.where(tie, best, env_idx)
    env = np.where(np.isfinite(C), np.maximum(env, m_best[0]), np.nan)
    names = tuple(curves.models[i] for i in curves.index(models))
    return SearchResult(names, allocs, u, C, objective, best, m_best[0], price[0], env, env_idx)
