"""Robust strategies: fit thresholds on source tasks with a limited fit budget, evaluate on held-out tasks.

The arbitrageur does not know the curves of the market it enters. To fit, it buys observations: it
draws tasks from each *source* (with replacement, in random order) and, for every model, one
cost-to-solve draw from that task's curve, paying for it, until its **fit budget** (USD per source) is
used. A draw is the first grid budget by which a single run of the model on the task has found a
verified solution (so ``P(draw <= b_j) = P_tm(b_j)`` exactly at every grid budget), or ``inf``; observing
it costs ``min(draw, largest grid budget)``. The draws give empirical 0/1 curves, the arbitrageur picks the
allocation maximising the **worst-case** mean margin across sources, and the pick is evaluated on the
*target*'s true curves. Repeating over bootstrap draws gives a mean and a 5th-95th percentile band.

Conventions: a solved draw costs its grid budget (at most one grid step above the exact cost-to-solve),
and an unsolved draw costs the largest grid budget, as the survival integral charges a run that never
succeeds; every model is drawn on every observed task. With one attempt per task (SWE-bench) a failed
attempt therefore costs the largest grid budget (``budget_hi``), not its recorded cost.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from harness.bank import BankMatrix
from harness.economics.cascade import cascade_curves, cascade_prices, margins
from harness.economics.curves import TaskCurves, market_price
from harness.economics.search import mean_margin
from harness.errors import HarnessError


def split_tasks(curves: TaskCurves, predicate: Callable[[str], bool]) -> tuple[TaskCurves, TaskCurves]:
    """(tasks where ``predicate(task_id)`` holds, the others); a clear error if either side is empty."""
    mask = np.array([bool(predicate(t)) for t in curves.tasks], dtype=bool)
    if mask.all() or not mask.any():
        side = "no" if not mask.any() else "every"
        raise HarnessError(f"the split puts {side} task on the fit side; choose a predicate that separates tasks")
    return curves.select(np.flatnonzero(mask)), curves.select(np.flatnonzero(~mask))


def split_matrix(matrix: BankMatrix, predicate: Callable[[str], bool]) -> tuple[BankMatrix, BankMatrix]:
    """The bank-matrix counterpart of :func:`split_tasks`."""
    mask = np.array([bool(predicate(t)) for t in matrix.tasks], dtype=bool)
    if mask.all() or not mask.any():
        raise HarnessError("the split leaves one side empty; choose a predicate that separates tasks")

    def part(sel: np.ndarray) -> BankMatrix:
        idx = np.flatnonzero(sel)
        return BankMatrix(
            tuple(matrix.tasks[i] for i in idx), matrix.models, matrix.n[idx], matrix.c[idx], matrix.cost[idx]
        )

    return part(mask), part(~mask)


def draw_cost_to_solve(curves: TaskCurves, tasks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One cost-to-solve draw per (listed task, model): the first grid budget solving a run, else ``inf``."""
    S = curves.survival[np.asarray(tasks, dtype=np.int64)]  # (K, M, B), nonincreasing in the budget
    u = rng.random(S.shape[:2])
    j = (S > u[..., None]).sum(axis=-1)  # first grid index with S <= u
    b = curves.budgets
    return np.where(j < b.size, b[np.minimum(j, b.size - 1)], np.inf)


def empirical_curves(curves: TaskCurves, tasks: np.ndarray, draws: np.ndarray) -> TaskCurves:
    """0/1 curves of the drawn runs: a draw is unsolved at every grid budget below its cost-to-solve."""
    surv = (draws[..., None] > curves.budgets).astype(np.float64)
    return TaskCurves(tuple(curves.tasks[i] for i in tasks), curves.models, curves.grid, surv)


def observe(curves: TaskCurves, fit_budget: float, rng: np.random.Generator, max_rounds: int = 100) -> TaskCurves:
    """Empirical curves bought with ``fit_budget`` USD: random tasks, one draw per model, at least one task."""
    T = len(curves.tasks)
    cap = curves.budgets[-1]
    picked, drawn, spent = [], [], 0.0
    for _ in range(max_rounds):
        tasks = rng.integers(0, T, size=T)
        d = draw_cost_to_solve(curves, tasks, rng)
        cost = np.minimum(d, cap).sum(axis=1)
        total = spent + np.cumsum(cost)
        keep = int(np.searchsorted(total, fit_budget, side="right"))
        if not picked and keep == 0:
            keep = 1  # the budget does not cover one task: observe one anyway
        picked.append(tasks[:keep])
        drawn.append(d[:keep])
        if keep < T:
            break
        spent = float(total[-1])
    tasks = np.concatenate(picked)
    return empirical_curves(curves, tasks, np.concatenate(drawn))


@dataclass(frozen=True)
class RobustResult:
    """A robust fit's picks and their held-out results over bootstrap draws.

    ``thresholds`` (bootstraps, stages) are the picks; ``margins`` (bootstraps, targets) their held-out
    margins; ``objective`` (bootstraps,) the held-out mean margins; ``best_in_domain`` is the mean margin of
    the best allocation chosen with full knowledge of the target (an upper reference);
    ``observed_tasks`` (bootstraps, sources) how many tasks the fit budget bought; ``best_margins`` the
    in-domain best allocation's margins per target.
    """

    models: tuple[str, ...]
    targets: np.ndarray
    fit_budget: float | None
    thresholds: np.ndarray
    margins: np.ndarray
    objective: np.ndarray
    best_in_domain: float
    observed_tasks: np.ndarray
    best_margins: np.ndarray | None = None  # the in-domain best allocation's held-out margins per target

    @property
    def mean(self) -> float:
        """Mean held-out mean margin over bootstrap draws."""
        return float(np.mean(self.objective))

    @property
    def band(self) -> tuple[float, float]:
        """5th and 95th percentiles of the held-out mean margin over bootstrap draws."""
        lo, hi = np.percentile(self.objective, [5, 95])
        return float(lo), float(hi)

    def margin_band(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per target solve rate: mean, 5th and 95th percentile of the held-out margin (nan-aware)."""
        m = self.margins
        with warnings.catch_warnings():  # targets the held-out market cannot reach are all-nan columns
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(m, axis=0), np.nanpercentile(m, 5, axis=0), np.nanpercentile(m, 95, axis=0)


def objectives(
    curves: TaskCurves,
    models: Sequence[str | int],
    allocations: np.ndarray,
    targets: np.ndarray,
    providers: Sequence[str | int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(mean margin per allocation, margins per allocation and target) on ``curves``."""
    C = market_price(curves, targets, providers)
    m = margins(C[None, :], cascade_prices(cascade_curves(curves, models, allocations), targets))
    return mean_margin(m), m


def fit_robust(
    sources: Sequence[TaskCurves],
    target: TaskCurves,
    models: Sequence[str | int],
    allocations: np.ndarray,
    targets: np.ndarray,
    fit_budget: float | None = None,
    bootstraps: int = 100,
    seed: int = 0,
    providers: Sequence[str | int] | None = None,
    source_providers: Sequence[str | int] | None = None,
) -> RobustResult:
    """Fit on ``sources`` (worst case across them) with ``fit_budget`` USD each; evaluate on ``target``.

    With ``fit_budget=None`` each bootstrap fits on a resample of the sources' true curves (no budget
    limit). ``providers`` set the target's market price (default: all models), ``source_providers`` the
    sources' (default: ``providers``).
    """
    if not sources:
        raise HarnessError("a robust fit needs at least one source set of tasks")
    if bootstraps < 1:
        raise HarnessError(f"need at least one bootstrap draw, got {bootstraps}")
    if fit_budget is not None and not fit_budget > 0:
        raise HarnessError(f"fit budget must be > 0 USD, got {fit_budget}")
    u = np.asarray(targets, dtype=np.float64)
    allocs = np.atleast_2d(np.asarray(allocations, dtype=np.float64))
    held_obj, held_m = objectives(target, models, allocs, u, providers)
    rng = np.random.default_rng(seed)
    picks = np.empty(bootstraps, dtype=np.int64)
    observed = np.empty((bootstraps, len(sources)), dtype=np.int64)
    for k in range(bootstraps):
        worst = np.full(allocs.shape[0], np.inf)
        for d, src in enumerate(sources):
            if fit_budget is None:
                emp = src.select(rng.integers(0, len(src.tasks), size=len(src.tasks)))
            else:
                emp = observe(src, fit_budget, rng)
            observed[k, d] = len(emp.tasks)
            obj, _ = objectives(emp, models, allocs, u, providers if source_providers is None else source_providers)
            worst = np.minimum(worst, obj)
        picks[k] = int(np.argmax(worst))
    names = tuple(target.models[i] for i in target.index(models))
    best = int(np.argmax(held_obj))
    return RobustResult(
        names,
        u,
        fit_budget,
        allocs[picks],
        held_m[picks],
        held_obj[picks],
        float(held_obj[best]),
        observed,
        held_m[best],
    )
