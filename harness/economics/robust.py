"""Robust strategies: fit thresholds on source tasks with a limited fit budget, evaluate on held-out tasks.

The arbitrageur does not know the curves of the market it enters. To fit, it buys observations: it
draws tasks from each *source* (with replacement, in random order) and, for every model, one
cost-to-solve draw from that task's curve, paying for it, until its **fit budget** (USD per source) is
used. A draw is the first grid budget by which a single run of the model on the task has found a
verified solution (so ``P(draw <= b_j) = P_tm(b_j)`` exactly at every grid budget), or ``inf``. Every
task and model gets its own independent draw. The draws give empirical 0/1 curves; the arbitrageur picks
the allocation maximising the **worst-case** mean margin across sources, and the pick is evaluated on the
*target*'s true curves. Repeating over bootstrap draws gives a mean and a 5th-95th percentile band.

What each side is scored on (:class:`FitProtocol`): each source on its own fit rates (``fit_rates``,
e.g. ``0.1:top`` with ``top`` the best rate its *observed* market reaches: the fitter cannot know the
held-out band) and the target on its own frontier (``eval_rates``, e.g. ``top-0.05:top:20``). How a fit
is paid: a draw is searched for at most ``cap`` USD per task (default: the grid's largest budget); a draw
above the cap is an **unsolved** observation (it stays unsolved, it is never counted as solved at the
cap) that costs the cap; ``charge="all"`` pays every model's draw, ``"last"`` only the last (expensive)
cascade model's, as the paper does. A bootstrap whose fit reaches none of its target rates has no
strategy: it is counted in ``failed`` and earns 0 on the held-out side (the arbitrageur does not sell);
when every bootstrap fails the fit is an error, never a silent default allocation.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from harness.bank import BankMatrix
from harness.economics.curves import TaskCurves, market_price
from harness.economics.rates import RateSpec
from harness.economics.search import Refund, allocation_margins, mean_margin
from harness.errors import HarnessError

CHARGES = ("all", "last")


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
    return matrix.rows(np.flatnonzero(mask)), matrix.rows(np.flatnonzero(~mask))


@dataclass(frozen=True)
class FitProtocol:
    """How a robust fit observes, pays and scores (module docstring). ``None`` rates: the given targets."""

    fit_rates: RateSpec | None = None
    eval_rates: RateSpec | None = None
    cap: float | None = None
    charge: str = "all"

    def __post_init__(self) -> None:
        if self.charge not in CHARGES:
            raise HarnessError(f"--fit-charge must be one of {', '.join(CHARGES)}, got {self.charge!r}")
        if self.cap is not None and not self.cap > 0:
            raise HarnessError(f"--fit-cap must be > 0 USD, got {self.cap}")

    @classmethod
    def paper(cls) -> FitProtocol:
        """The paper's choices: fit on 0.1:top (100 rates), evaluate on top-0.05:top (20), $0.50 cap, last."""
        return cls(RateSpec.parse("0.1:top:100"), RateSpec.parse("top-0.05:top:20"), 0.5, "last")


def draw_cost_to_solve(curves: TaskCurves, tasks: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One independent cost-to-solve draw per (listed task, model): the first grid budget solving a run,
    else ``inf``."""
    S = curves.survival[np.asarray(tasks, dtype=np.int64)]  # (K, M, B), nonincreasing in the budget
    u = rng.random(S.shape[:2])
    j = (S > u[..., None]).sum(axis=-1)  # first grid index with S <= u
    b = curves.budgets
    return np.where(j < b.size, b[np.minimum(j, b.size - 1)], np.inf)


def empirical_curves(curves: TaskCurves, tasks: np.ndarray, draws: np.ndarray) -> TaskCurves:
    """0/1 curves of the drawn runs: a draw is unsolved at every grid budget below its cost-to-solve."""
    surv = (draws[..., None] > curves.budgets).astype(np.float64)
    share = None if curves.good_share is None else curves.good_share[tasks]
    return TaskCurves(tuple(curves.tasks[i] for i in tasks), curves.models, curves.grid, surv, share)


def observe_draws(
    curves: TaskCurves,
    fit_budget: float,
    rng: np.random.Generator,
    cap: float | None = None,
    charged: Sequence[int] | None = None,
    max_rounds: int = 100,
) -> tuple[TaskCurves, float]:
    """Empirical curves bought with ``fit_budget`` USD, and what they cost: random tasks, one draw per model,
    at least one task. A draw above ``cap`` (default: the largest grid budget) is unsolved and costs the
    cap; only the ``charged`` model columns (default: all) are paid for."""
    T = len(curves.tasks)
    cap = float(curves.budgets[-1]) if cap is None else float(cap)
    cols = list(range(len(curves.models))) if charged is None else list(charged)
    picked, drawn, spent = [], [], 0.0
    for _ in range(max_rounds):
        tasks = rng.integers(0, T, size=T)
        d = draw_cost_to_solve(curves, tasks, rng)
        d = np.where(d <= cap * (1 + 1e-12), d, np.inf)  # not found within the cap: unsolved
        cost = np.minimum(d[:, cols], cap).sum(axis=1)
        total = spent + np.cumsum(cost)
        keep = int(np.searchsorted(total, fit_budget, side="right"))
        if not picked and keep == 0:
            keep = 1  # the budget does not cover one task: observe one anyway
        picked.append(tasks[:keep])
        drawn.append(d[:keep])
        spent = float(total[keep - 1]) if keep else spent
        if keep < T:
            break
    tasks = np.concatenate(picked)
    return empirical_curves(curves, tasks, np.concatenate(drawn)), spent


def observe(curves: TaskCurves, fit_budget: float, rng: np.random.Generator, max_rounds: int = 100) -> TaskCurves:
    """Empirical curves bought with ``fit_budget`` USD (every model charged, capped at the grid's top)."""
    return observe_draws(curves, fit_budget, rng, max_rounds=max_rounds)[0]


def frontier(curves: TaskCurves, providers: Sequence[str | int] | None = None) -> float:
    """The best solve rate the market of ``providers`` reaches on these curves (at the largest budget)."""
    return float(curves.pass_curves(providers)[:, -1].max())


def objectives(
    curves: TaskCurves,
    models: Sequence[str | int],
    allocations: np.ndarray,
    targets: np.ndarray,
    providers: Sequence[str | int] | None = None,
    refund: Refund | None = None,
    chunk: int = 2048,
) -> tuple[np.ndarray, np.ndarray]:
    """(mean margin per allocation, margins per allocation and target) on ``curves``."""
    u = np.asarray(targets, dtype=np.float64)
    C = market_price(curves, u, providers)
    allocs = np.atleast_2d(allocations)
    m = np.empty((allocs.shape[0], u.size))
    for s in range(0, allocs.shape[0], chunk):
        m[s : s + chunk] = allocation_margins(curves, models, allocs[s : s + chunk], u, C, refund)[0]
    return mean_margin(m), m


def side_targets(
    curves: TaskCurves, spec: RateSpec | None, targets: np.ndarray | None, providers: Sequence[str | int] | None
) -> np.ndarray | None:
    """A side's target rates: ``spec`` resolved on its own frontier, else the given ``targets``."""
    if spec is None:
        return None if targets is None else np.asarray(targets, dtype=np.float64)
    return spec.resolve(frontier(curves, providers))


@dataclass(frozen=True)
class RobustResult:
    """A robust fit's picks and their held-out results over bootstrap draws.

    ``thresholds`` (bootstraps, stages; ``nan`` rows for failed fits) are the picks; ``margins``
    (bootstraps, targets) their held-out margins; ``objective`` (bootstraps,) the held-out mean margins;
    ``best_in_domain`` is the mean margin of the best allocation chosen with full knowledge of the target
    (an upper reference) and ``best_margins`` its margins per target; ``observed_tasks`` and ``fit_spend``
    (bootstraps, sources) how many tasks the fit budget bought and what they cost; ``failed`` (bootstraps,)
    the fits that reached none of their target rates (held-out margin 0).
    """

    models: tuple[str, ...]
    targets: np.ndarray
    fit_budget: float | None
    thresholds: np.ndarray
    margins: np.ndarray
    objective: np.ndarray
    best_in_domain: float
    observed_tasks: np.ndarray
    best_margins: np.ndarray | None = None
    failed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    fit_spend: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    label: str = ""

    @property
    def mean(self) -> float:
        """Mean held-out mean margin over bootstrap draws."""
        return float(np.mean(self.objective))

    @property
    def band(self) -> tuple[float, float]:
        """5th and 95th percentiles of the held-out mean margin over bootstrap draws."""
        lo, hi = np.percentile(self.objective, [5, 95])
        return float(lo), float(hi)

    @property
    def failures(self) -> int:
        """Bootstraps whose fit reached none of its target rates."""
        return int(np.sum(self.failed))

    def margin_band(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per target solve rate: mean, 5th and 95th percentile of the held-out margin (nan-aware)."""
        m = self.margins
        with warnings.catch_warnings():  # targets the held-out market cannot reach are all-nan columns
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(m, axis=0), np.nanpercentile(m, 5, axis=0), np.nanpercentile(m, 95, axis=0)


@dataclass(frozen=True)
class Fit:
    """What one robust fit needs besides the data (shared by every bootstrap)."""

    models: Sequence[str | int]
    allocations: np.ndarray
    targets: np.ndarray | None
    fit_budget: float | None
    protocol: FitProtocol
    providers: Sequence[str | int] | None
    refund: Refund | None


def worst_case(observed: Sequence[TaskCurves], fit: Fit) -> np.ndarray:
    """Per allocation, the worst mean margin across the observed sources, each on its own fit rates
    (``-inf`` everywhere when some source's fit reaches none of its targets)."""
    worst = np.full(fit.allocations.shape[0], np.inf)
    for emp in observed:
        u = side_targets(emp, fit.protocol.fit_rates, fit.targets, fit.providers)
        if u is None:
            return np.full(fit.allocations.shape[0], -np.inf)
        obj, _ = objectives(emp, fit.models, fit.allocations, u, fit.providers, fit.refund)
        worst = np.minimum(worst, obj)
    return worst


def observe_sources(
    sources: Sequence[TaskCurves], fit: Fit, rng: np.random.Generator, resample: bool = True
) -> tuple[list[TaskCurves], np.ndarray]:
    """What the fit sees of each source (bought with the fit budget, or a resample / the true curves when
    there is none) and, per source, (tasks observed, USD spent)."""
    out, seen = [], np.zeros((len(sources), 2))
    for d, src in enumerate(sources):
        if fit.fit_budget is None:
            idx = rng.integers(0, len(src.tasks), size=len(src.tasks)) if resample else np.arange(len(src.tasks))
            emp, spent = src.select(idx), 0.0
        else:
            charged = src.index(fit.models)[-1:] if fit.protocol.charge == "last" else None
            emp, spent = observe_draws(src, fit.fit_budget, rng, fit.protocol.cap, charged)
        out.append(emp)
        seen[d] = len(emp.tasks), spent
    return out, seen


def fit_once(sources: Sequence[TaskCurves], fit: Fit, rng: np.random.Generator) -> tuple[int, np.ndarray]:
    """One bootstrap's fit: the pick (-1 if a source's fit reaches no target) and, per source, (tasks, USD)."""
    observed, seen = observe_sources(sources, fit, rng)
    worst = worst_case(observed, fit)
    return (int(np.argmax(worst)) if np.isfinite(worst).any() else -1), seen


def fit_robust(
    sources: Sequence[TaskCurves],
    target: TaskCurves,
    models: Sequence[str | int],
    allocations: np.ndarray,
    targets: np.ndarray | None = None,
    fit_budget: float | None = None,
    bootstraps: int = 100,
    seed: int = 0,
    providers: Sequence[str | int] | None = None,
    source_providers: Sequence[str | int] | None = None,
    protocol: FitProtocol | None = None,
    refund: Refund | None = None,
    label: str = "",
) -> RobustResult:
    """Fit on ``sources`` (worst case across them) with ``fit_budget`` USD each; evaluate on ``target``.

    With ``fit_budget=None`` each bootstrap fits on a resample of the sources' true curves (no budget
    limit). ``providers`` set the target's market (default: all models), ``source_providers`` the
    sources' (default: ``providers``). ``targets`` are the rates of both sides unless ``protocol`` gives
    each side its own grid.
    """
    if not sources:
        raise HarnessError("a robust fit needs at least one source set of tasks")
    if bootstraps < 1:
        raise HarnessError(f"need at least one bootstrap draw, got {bootstraps}")
    if fit_budget is not None and not fit_budget > 0:
        raise HarnessError(f"fit budget must be > 0 USD, got {fit_budget}")
    proto = protocol or FitProtocol()
    allocs = np.atleast_2d(np.asarray(allocations, dtype=np.float64))
    u = side_targets(target, proto.eval_rates, targets, providers)
    if u is None:
        raise HarnessError(_unreachable("the held-out side", proto.eval_rates, frontier(target, providers)))
    held_obj, held_m = objectives(target, models, allocs, u, providers, refund)
    if not np.isfinite(held_obj).any():
        raise HarnessError("the held-out market reaches none of its target solve rates: lower --eval-rates")
    src_prov = providers if source_providers is None else source_providers
    fit = Fit(models, allocs, targets, fit_budget, proto, src_prov, refund)
    rng = np.random.default_rng(seed)
    picks = np.empty(bootstraps, dtype=np.int64)
    seen = np.empty((bootstraps, len(sources), 2))
    for k in range(bootstraps):
        picks[k], seen[k] = fit_once(sources, fit, rng)
    failed = picks < 0
    if failed.all():
        raise HarnessError(_no_target(fit_budget, proto, seen))
    zero = np.where(np.isfinite(held_m[0]), 0.0, np.nan)  # no strategy: nothing sold, nothing earned
    names = tuple(target.models[i] for i in target.index(models))
    best = int(np.argmax(held_obj))
    return RobustResult(
        names,
        u,
        fit_budget,
        np.where(failed[:, None], np.nan, allocs[np.maximum(picks, 0)]),
        np.where(failed[:, None], zero[None, :], held_m[np.maximum(picks, 0)]),
        np.where(failed, 0.0, held_obj[np.maximum(picks, 0)]),
        float(held_obj[best]),
        seen[:, :, 0].astype(np.int64),
        held_m[best],
        failed,
        seen[:, :, 1],
        label,
    )


def _unreachable(side: str, spec: RateSpec | None, top: float) -> str:
    what = spec.text if spec is not None else "the target rates"
    return f"{side}'s frontier is {top:.3f}: {what} gives no solve rate there; choose other rates"


def _no_target(fit_budget: float | None, proto: FitProtocol, seen: np.ndarray) -> str:
    budget = "the full source curves" if fit_budget is None else f"a ${fit_budget:g} fit budget"
    rates = proto.fit_rates.text if proto.fit_rates is not None else "the target rates"
    return (
        f"no fit on {budget} reaches any of its target solve rates ({rates}; {seen[:, :, 0].mean():.0f} tasks "
        "observed on average): raise --fit-budget or lower --fit-rates"
    )
