"""One full market analysis of a bank: what ``harness analyze`` prints, saves and plots.

Pure computation over a :class:`~harness.bank.BankMatrix`: provider curves and prices, the best cascade
(one fixed allocation, or with ``per_rate`` the best allocation at each target rate) and its margins, the
oracle bound, revenue shares, competition between arbitrageurs, imperfect and costly verification, and
(optionally) robust fits, market entry of a model and gatekeeping of one. Rendering lives in
:mod:`harness.report`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from harness.bank import BankMatrix
from harness.economics.competition import CompetitionResult
from harness.economics.curves import TaskCurves, provider_prices, task_curves
from harness.economics.grid import LogGrid, budget_grid, solve_rate_grid
from harness.economics.options import AnalysisOptions, paper_protocol
from harness.economics.oracle import oracle_price
from harness.economics.rates import RateSpec
from harness.economics.robust import Fit, FitProtocol, RobustResult, observe_sources, side_targets, worst_case
from harness.economics.scenarios import (
    Market,
    aligned,
    competition,
    entry,
    gatekept,
    robust_pairs,
    task_predicate,
)
from harness.economics.search import SearchResult, mean_margin, sale_margins, search
from harness.economics.shares import MarketChange, Shares, shares_at
from harness.economics.thresholds import ThresholdGrid, threshold_grid
from harness.economics.verification import (
    OperatingPoint,
    VerificationReport,
    operating_point,
    verification_costs,
    verification_report,
)
from harness.errors import HarnessError

__all__ = [
    "Analysis",
    "AnalysisOptions",
    "CostlyVerification",
    "ModelSummary",
    "allocation_grid",
    "analysis_grid",
    "analyze_matrix",
    "check_matrix",
    "default_order",
    "fit_strategy",
    "paper_protocol",
    "task_predicate",
]


@dataclass(frozen=True)
class ModelSummary:
    """One provider in the summary table: pass@1, coverage at the largest budget, USD per attempt, and
    (when the bank records hidden correctness) the rate at which an attempt is verified *and* correct."""

    name: str
    tasks: int
    attempts: int
    pass_at_1: float
    coverage: float
    mean_cost: float
    correct_at_1: float | None = None


@dataclass(frozen=True)
class CostlyVerification:
    """The arbitrageur paying for every verification: where the cost comes from, its mean per attempt of
    each cascade model, the search redone with it, and margins with it (of that search's strategy, and of
    the strategy chosen without it)."""

    source: str
    per_attempt: np.ndarray
    search: SearchResult
    price: np.ndarray
    margins: np.ndarray
    same_strategy: np.ndarray

    @property
    def mean_margin(self) -> float:
        return float(mean_margin(self.margins))


@dataclass(frozen=True)
class Analysis:
    """The results of :func:`analyze_matrix`; arrays are indexed by ``targets`` unless said otherwise.

    ``arbitrageur``, ``margins`` and ``spend`` are the arbitrageur's at its allocation for each target:
    ``search.allocations[choice]`` (the single best allocation everywhere, or the per-rate envelope's).
    """

    options: AnalysisOptions
    models: list[ModelSummary]
    curves: TaskCurves
    cascade: tuple[str, ...]
    providers: tuple[str, ...]
    targets: np.ndarray
    report_rates: np.ndarray
    provider_prices: np.ndarray  # (providers, targets)
    market: np.ndarray
    search: SearchResult
    arbitrageur: np.ndarray
    margins: np.ndarray
    oracle: np.ndarray
    oracle_margins: np.ndarray
    spend: np.ndarray  # (cascade models, targets)
    shares: Shares
    competition: CompetitionResult
    robust: list[RobustResult] = field(default_factory=list)
    entry: MarketChange | None = None  # before/after ``options.entrant`` joins
    gatekept: MarketChange | None = None  # open market / ``options.gatekeep`` withheld
    grid: ThresholdGrid | None = None
    choice: np.ndarray | None = None  # allocation index per target
    verification: VerificationReport | None = None  # sold against correct (banks with hidden correctness)
    costly: CostlyVerification | None = None  # margins when every verification costs money

    def at(self, values: np.ndarray, rates: np.ndarray | None = None) -> np.ndarray:
        """``values`` (last axis = targets) read at the report rates (nearest target)."""
        r = self.report_rates if rates is None else np.asarray(rates)
        idx = np.abs(self.targets[:, None] - r[None, :]).argmin(axis=0)
        return np.asarray(values)[..., idx]

    @property
    def mean_margin(self) -> float:
        """The mean margin of the strategy reported: the per-rate envelope's or the best allocation's."""
        return self.search.envelope_mean if self.options.per_rate else self.search.mean_margin

    @property
    def max_margin(self) -> tuple[float, float]:
        """(largest margin, the solve rate where it occurs); (0, nan) if there is none."""
        m = np.where(np.isfinite(self.margins), self.margins, -np.inf)
        if not np.isfinite(m).any() or m.max() <= 0:
            return 0.0, float("nan")
        i = int(np.argmax(m))
        return float(m[i]), float(self.targets[i])

    @property
    def degenerate(self) -> list[str]:
        """Cascade models the chosen strategy gives no money at any target (the cascade is fewer models)."""
        used = self.search.allocations[np.unique(self.choice if self.choice is not None else [self.search.best])]
        idle = (used[:, :-1] == 0).all(axis=0) if used.shape[1] > 1 else np.zeros(0, dtype=bool)
        return [m for m, z in zip(self.cascade[:-1], idle, strict=True) if z]


def default_order(matrix: BankMatrix) -> tuple[str, ...]:
    """The default cascade: every model, cheapest mean cost per attempt first."""
    n, cost = np.asarray(matrix.n), np.asarray(matrix.cost, dtype=np.float64)
    mean_cost = (cost * n).sum(axis=0) / np.maximum(n.sum(axis=0), 1)
    return tuple(matrix.models[j] for j in np.argsort(mean_cost, kind="stable"))


def check_matrix(matrix: BankMatrix) -> None:
    """Reject banks no market can be read from, with what to do about it."""
    T, M = np.asarray(matrix.n).shape
    if M < 2:
        raise HarnessError(f"the analysis needs at least two models, got {M}: add models with --models or to the bank")
    if T == 0:
        raise HarnessError("the chosen models have no task in common: choose models run on the same tasks")
    if int(np.asarray(matrix.n).sum()) == 0:
        raise HarnessError("the bank has no attempts on the common tasks: collect attempts first")
    if int(np.asarray(matrix.c).sum()) == 0:
        raise HarnessError("no attempt in the bank was verified: every price is infinite, nothing to analyse")
    cost = np.asarray(matrix.cost)
    if np.all(cost == 0):
        raise HarnessError("every cost per attempt is zero: prices are all 0; record or assign costs first")


def analysis_grid(o: AnalysisOptions, matrices: Sequence[BankMatrix]) -> LogGrid:
    """The options' budget grid, extended downward at the same log spacing to below the cheapest attempt.

    The survival model of grid.py is exact only when no attempt is cheaper than the first budget (below
    it the failure probability is held at its first-budget value, so every attempt that budget buys would
    be spent as if free). A bank with attempts cheaper than ``budget_lo`` (small local models) therefore
    gets extra points so the grid starts at least one step below its cheapest attempt; the requested points
    are kept. The extension stops six decades below ``budget_lo`` (task_curves then warns).
    """
    b = budget_grid(o.budget_lo, o.budget_hi, o.budget_points)
    costs = [np.asarray(m.cost, dtype=np.float64)[(np.asarray(m.cost) > 0) & (np.asarray(m.n) > 0)] for m in matrices]
    cheapest = max(min((float(x.min()) for x in costs if x.size), default=math.inf), b[0] * 1e-6)
    if cheapest <= b[0] * (1 + 1e-9):
        r = b[1] / b[0]
        extra = math.ceil(math.log(b[0] / cheapest) / math.log(r) - 1e-9) + 1
        b = np.concatenate([b[0] * r ** -np.arange(extra, 0, -1, dtype=np.float64), b])
    return LogGrid(b)


def threshold_grid_for(o: AnalysisOptions, matrices: Sequence[BankMatrix]) -> ThresholdGrid:
    """The strategy search grid for these options, derived from the banks' costs where not given."""
    return threshold_grid(
        matrices,
        o.first_lo,
        o.first_hi,
        o.first_points,
        o.values,
        o.grid,
        o.budget_hi if o.cap is None else o.cap,
        o.max_allocations,
    )


def allocation_grid(stages: int, opts: AnalysisOptions, grid: ThresholdGrid | None = None) -> np.ndarray:
    """The search grid for ``stages`` models (``grid``: one derived from a bank, else the options alone)."""
    return (grid or threshold_grid_for(opts, [])).allocations(stages)


def _summaries(matrix: BankMatrix, tc: TaskCurves) -> list[ModelSummary]:
    n, c, cost = (np.asarray(a) for a in (matrix.n, matrix.c, matrix.cost))
    with np.errstate(invalid="ignore"):
        p1 = np.where(n > 0, c / np.maximum(n, 1), 0.0).mean(axis=0)
        mean_cost = np.where(n.sum(axis=0) > 0, (cost * n).sum(axis=0) / np.maximum(n.sum(axis=0), 1), 0.0)
        g1 = None if matrix.good is None else np.where(n > 0, matrix.good / np.maximum(n, 1), 0.0).mean(axis=0)
    P = tc.pass_curves()
    return [
        ModelSummary(
            m,
            len(matrix.tasks),
            int(n[:, j].sum()),
            float(p1[j]),
            float(P[j, -1]),
            float(mean_cost[j]),
            None if g1 is None else float(g1[j]),
        )
        for j, m in enumerate(matrix.models)
    ]


def _targets(o: AnalysisOptions, tc: TaskCurves, providers: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The target solve rates (default: 0.05 up to the best provider's top rate) and the report rates."""
    top = float(tc.pass_curves(providers).max())
    hi = top if o.rate_hi is None else o.rate_hi
    if hi <= 0:
        raise HarnessError("no provider solves any task within the budget grid: raise --budget-hi")
    if o.rate_hi is not None and o.rate_lo > o.rate_hi:
        raise HarnessError(f"--rates {o.rate_lo:g}:{o.rate_hi:g}: LO is above HI; give LO <= HI")
    lo = min(o.rate_lo, hi)
    if lo > top + 1e-12:  # every target unpriced: no allocation can be scored, so no strategy is reported
        raise HarnessError(
            f"no provider reaches the target solve rates {lo:g}-{hi:g}: the best reaches {top:.3f} within "
            f"${tc.budgets[-1]:g} per task; lower --rates or raise --budget-hi"
        )
    report = np.asarray(o.report_rates if o.report_rates else np.round(np.linspace(lo, hi, 5), 3), dtype=float)
    return solve_rate_grid(lo, hi, o.rate_points), report


def _allocations(o: AnalysisOptions, grid: ThresholdGrid, order: Sequence[str]) -> np.ndarray:
    if o.allocations is None:
        return grid.allocations(len(order))
    allocs = np.atleast_2d(np.asarray(o.allocations, dtype=np.float64))
    if allocs.shape[1] != len(order):
        raise HarnessError(f"the allocations have {allocs.shape[1]} thresholds, the cascade {len(order)} models")
    return allocs


def _arbitrageur(
    tc: TaskCurves, order: Sequence[str], res: SearchResult, o: AnalysisOptions, correct: bool
) -> tuple[np.ndarray, OperatingPoint]:
    """The allocation per target (envelope or single best) and the arbitrageur there."""
    env = res.envelope_index if o.per_rate and res.envelope_index is not None else None
    choice = np.full(res.targets.size, res.best) if env is None else np.where(env < 0, res.best, env)
    return choice, operating_point(tc, order, res.allocations, choice, res.targets, correct)


def _costly(
    matrix: BankMatrix, grid: LogGrid, order: Sequence[str], res: SearchResult, choice: np.ndarray, o: AnalysisOptions
) -> CostlyVerification | None:
    """Margins when the arbitrageur pays for every verification (``None`` when no cost is known)."""
    v, source = verification_costs(matrix, o.verify_cost_usd, o.cpu_usd_per_hour)
    if v is None:
        return None
    tv = task_curves(matrix.with_cost(np.asarray(matrix.cost) + v), grid)
    u, C, refund = res.targets, res.market, o.refund_policy
    res_v = search(tv, order, res.allocations, u, market=C, refund=refund)
    choice_v, point = _arbitrageur(tv, order, res_v, o, refund.needs_correct)
    same = operating_point(tv, order, res.allocations, choice, u, refund.needs_correct)
    cols = [matrix.models.index(m) for m in order]
    return CostlyVerification(
        source,
        np.asarray(v)[:, cols].mean(axis=0),
        res_v,
        point.price,
        sale_margins(C, point.price, u, point.correct, refund),
        sale_margins(C, same.price, u, same.correct, refund),
    )


def analyze_matrix(
    matrix: BankMatrix, opts: AnalysisOptions | None = None, sources: Sequence[BankMatrix] = ()
) -> Analysis:
    """Run the whole analysis of a bank matrix (models = its columns).

    ``sources`` are other domains' banks for a robust fit evaluated on this bank (or on the tasks outside
    each split): each has exactly the cascade's models, in cascade order (names may differ), and its
    market is those models.
    """
    o = opts or AnalysisOptions()
    check_matrix(matrix)
    for s in sources:
        check_matrix(s)
    grid = analysis_grid(o, [matrix, *sources])
    tc = task_curves(matrix, grid)
    order = tuple(o.cascade) if o.cascade else default_order(matrix)
    providers = tuple(o.providers) if o.providers else tuple(matrix.models)
    tc.index(order), tc.index(providers)  # unknown names fail clearly
    u, report = _targets(o, tc, providers)
    prices = provider_prices(tc, u, providers)
    C = prices.min(axis=0)
    tg = threshold_grid_for(o, [matrix, *sources])
    allocs = _allocations(o, tg, order)
    refund = o.refund_policy
    res = search(tc, order, allocs, u, market=C, refund=refund)
    choice, point = _arbitrageur(tc, order, res, o, matrix.good is not None)
    oracle = oracle_price(matrix, u)
    mk = Market(tc, order, providers, u, o, tg)
    others = [aligned(task_curves(s, grid), order) for s in sources]
    return Analysis(
        o,
        _summaries(matrix, tc),
        tc,
        order,
        providers,
        u,
        report,
        prices,
        C,
        res,
        point.price,
        sale_margins(C, point.price, u, point.correct, refund),
        oracle,
        sale_margins(C, oracle, u, None, refund),
        point.spend,
        shares_at(tc, providers, order, point.price, point.spend, u),
        competition(mk, res, C, prices),
        robust_pairs(mk, allocs, others),
        entry(mk) if o.entrant else None,
        gatekept(mk) if o.gatekeep else None,
        tg,
        choice,
        verification_report(tc, providers, C, point, u, refund) if point.correct is not None else None,
        _costly(matrix, grid, order, res, choice, o),
    )


def fit_protocol(o: AnalysisOptions) -> FitProtocol:
    """``harness fit`` 's protocol: ``--rates LO:HI`` if given, else each source's own frontier."""
    base = o.protocol
    if o.fit_rates is None and o.rate_hi is not None:
        base = FitProtocol(RateSpec.parse(f"{o.rate_lo:g}:{o.rate_hi:g}", o.rate_points), None, base.cap, base.charge)
    return base


def fit_strategy_detail(
    sources: Sequence[BankMatrix],
    cascade: Sequence[str],
    opts: AnalysisOptions | None = None,
    fit_budget: float | None = None,
) -> tuple[SearchResult, np.ndarray]:
    """Thresholds maximising the worst-case mean margin across source banks (all with the same models),
    each scored on its own fit rates; and per source (tasks observed, USD spent observing).

    With ``fit_budget`` the fit sees only what that many dollars per source buy (one draw, ``opts.seed``),
    paid and capped as the options' protocol says. A fit that reaches none of its targets is an error.
    """
    o = opts or AnalysisOptions()
    if not sources:
        raise HarnessError("fitting needs at least one source bank")
    for mx in sources:
        check_matrix(mx)
    grid = analysis_grid(o, sources)
    curves = [task_curves(mx, grid) for mx in sources]
    providers = tuple(o.providers) if o.providers else None
    allocs = _allocations(o, threshold_grid_for(o, sources), cascade)
    fit = Fit(cascade, allocs, None, fit_budget, fit_protocol(o), providers, o.refund_policy)
    observed, seen = observe_sources(curves, fit, np.random.default_rng(o.seed), resample=False)
    worst = worst_case(observed, fit)
    if not np.isfinite(worst).any():
        where = "the source banks" if fit_budget is None else f"what ${fit_budget:g} per source observed"
        raise HarnessError(
            f"the fit reaches none of its target solve rates on {where} ({seen[:, 0].mean():.0f} tasks): "
            "lower --rates/--fit-rates or raise --fit-budget"
        )
    best = int(np.argmax(worst))
    u = side_targets(observed[0], fit.protocol.fit_rates, None, providers)
    res = search(observed[0], cascade, allocs[best : best + 1], u, providers=providers, refund=o.refund_policy)
    result = SearchResult(res.models, allocs, u, res.market, worst, best, res.best_margins, res.best_price)
    return result, seen


def fit_strategy(
    sources: Sequence[BankMatrix],
    cascade: Sequence[str],
    opts: AnalysisOptions | None = None,
    fit_budget: float | None = None,
) -> SearchResult:
    """:func:`fit_strategy_detail` without the observation counts."""
    return fit_strategy_detail(sources, cascade, opts, fit_budget)[0]
