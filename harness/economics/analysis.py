"""One full market analysis of a bank: what ``harness analyze`` prints, saves and plots.

Pure computation over a :class:`~harness.bank.BankMatrix`: provider curves and prices, the best cascade
and its margins, the oracle bound, revenue shares, competition between arbitrageurs, and (optionally)
robust fits on a split of the tasks, market entry of a model and gatekeeping of one. Rendering (tables,
CSV, figures) lives in the command.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from harness.bank import BankMatrix
from harness.economics.cascade import cascade_curves, cascade_prices, margins, spend_at_rates
from harness.economics.competition import CompetitionResult, compete
from harness.economics.curves import TaskCurves, provider_prices, task_curves
from harness.economics.grid import LogGrid, budget_grid, solve_rate_grid
from harness.economics.oracle import oracle_price
from harness.economics.robust import RobustResult, fit_robust, objectives, observe, split_tasks
from harness.economics.search import SearchResult, nondecreasing_allocations, search, two_model_allocations
from harness.economics.shares import MarketChange, Shares, gatekeeping, market_entry, revenue_shares
from harness.errors import HarnessError


@dataclass(frozen=True)
class AnalysisOptions:
    """Every knob of an analysis; defaults follow the paper (250 budgets from 1e-4 to 1 USD, ...)."""

    cascade: tuple[str, ...] | None = None  # cascade order; default: models by mean cost per attempt
    providers: tuple[str, ...] | None = None  # who sells in the market; default: every model
    budget_lo: float = 1e-4
    budget_hi: float = 1.0
    budget_points: int = 250
    rate_lo: float = 0.05
    rate_hi: float | None = None  # default: the best provider's top solve rate
    rate_points: int = 100
    report_rates: tuple[float, ...] | None = None
    first_lo: float = 0.01
    first_hi: float = 0.5
    first_points: int = 100
    values: int = 21  # threshold values per model for searches over 3 or more models
    max_allocations: int = 20000  # fewer values per model are used when the grid would be larger
    cap: float | None = None  # cap on the sum of thresholds (N-model search); default: budget_hi
    split: str | None = None  # group:NAME, prefix:STR, regex:PATTERN or ids:ID1|ID2
    group_of: Callable[[str], str] | None = None  # the domain's task groups, for group:NAME
    fit_budgets: tuple[float | None, ...] = (None,)
    bootstraps: int = 100
    seed: int = 0
    competitors: int = 3
    rounds: int = 50
    undercut: float = 0.93
    entrant: str | None = None  # market entry: the market without and with this model
    gatekeep: str | None = None  # gatekeeping: this model withheld from sale, still in the arbitrageur's cascade


@dataclass(frozen=True)
class ModelSummary:
    """One provider in the summary table: pass@1, coverage at the largest budget, USD per attempt."""

    name: str
    tasks: int
    attempts: int
    pass_at_1: float
    coverage: float
    mean_cost: float


@dataclass(frozen=True)
class Analysis:
    """The results of :func:`analyze_matrix`; arrays are indexed by ``targets`` unless said otherwise."""

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
    robust_label: str = ""
    entry: MarketChange | None = None  # before/after ``options.entrant`` joins
    gatekept: MarketChange | None = None  # open market / ``options.gatekeep`` withheld

    def at(self, values: np.ndarray, rates: np.ndarray | None = None) -> np.ndarray:
        """``values`` (last axis = targets) read at the report rates (nearest target)."""
        r = self.report_rates if rates is None else np.asarray(rates)
        idx = np.abs(self.targets[:, None] - r[None, :]).argmin(axis=0)
        return np.asarray(values)[..., idx]

    @property
    def max_margin(self) -> tuple[float, float]:
        """(largest margin, the solve rate where it occurs); (0, nan) if there is none."""
        m = np.where(np.isfinite(self.margins), self.margins, -np.inf)
        if not np.isfinite(m).any():
            return 0.0, float("nan")
        i = int(np.argmax(m))
        return float(m[i]), float(self.targets[i])


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


def task_predicate(split: str, group_of: Callable[[str], str] | None = None) -> Callable[[str], bool]:
    """Parse a task spec: ``group:NAME`` (the domain's task groups, e.g. a SWE-bench repository),
    ``prefix:STR``, ``regex:PAT`` or ``ids:A|B``."""
    kind, _, arg = split.partition(":")
    if not arg:
        raise HarnessError(f"split {split!r} must look like group:NAME, prefix:STR, regex:PATTERN or ids:A|B")
    if kind == "group":
        if group_of is None:
            raise HarnessError(
                f"split {split!r}: this bank's domain declares no task groups; name the domain (--domain) "
                "or use prefix:, regex: or ids:"
            )
        return lambda t: group_of(t) == arg
    if kind == "prefix":
        return lambda t: t.startswith(arg)
    if kind == "regex":
        try:
            pat = re.compile(arg)
        except re.error as exc:
            raise HarnessError(f"split regex {arg!r} is invalid: {exc}") from None
        return lambda t: pat.search(t) is not None
    if kind == "ids":
        ids = set(arg.split("|"))
        return lambda t: t in ids
    raise HarnessError(f"unknown split kind {kind!r}: use group:, prefix:, regex: or ids: (or file: on the CLI)")


def default_order(matrix: BankMatrix) -> tuple[str, ...]:
    """The default cascade: every model, cheapest mean cost per attempt first."""
    n, cost = np.asarray(matrix.n), np.asarray(matrix.cost, dtype=np.float64)
    mean_cost = (cost * n).sum(axis=0) / np.maximum(n.sum(axis=0), 1)
    return tuple(matrix.models[j] for j in np.argsort(mean_cost, kind="stable"))


def allocation_grid(stages: int, opts: AnalysisOptions) -> np.ndarray:
    """The search grid: the 2-model log grid, or non-decreasing thresholds (the last model takes the rest)."""
    if stages == 1:
        return np.array([[np.inf]])
    if stages == 2:
        return two_model_allocations(opts.first_lo, opts.first_hi, opts.first_points)
    k = stages - 1
    v = max(opts.values, 2)
    while v > 2 and math.comb(v + k - 1, k) > opts.max_allocations:
        v -= 1
    values = np.concatenate([[0.0], np.geomspace(opts.first_lo, opts.first_hi, v - 1)])
    cap = opts.budget_hi if opts.cap is None else opts.cap
    return nondecreasing_allocations(values, stages, cap=cap, rest=True)


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


def analyze_matrix(
    matrix: BankMatrix, opts: AnalysisOptions | None = None, sources: Sequence[BankMatrix] = ()
) -> Analysis:
    """Run the whole analysis of a bank matrix (models = its columns).

    ``sources`` are other domains' banks for a robust fit evaluated on this bank (or on the tasks outside
    ``opts.split``): each has exactly the cascade's models, in cascade order (names may differ), and its
    market is those models.
    """
    o = opts or AnalysisOptions()
    check_matrix(matrix)
    grid = analysis_grid(o, [matrix, *sources])
    tc = task_curves(matrix, grid)
    n, c, cost = (np.asarray(a) for a in (matrix.n, matrix.c, matrix.cost))
    with np.errstate(invalid="ignore"):
        p1 = np.where(n > 0, c / np.maximum(n, 1), 0.0).mean(axis=0)
        mean_cost = np.where(n.sum(axis=0) > 0, (cost * n).sum(axis=0) / np.maximum(n.sum(axis=0), 1), 0.0)
    P = tc.pass_curves()
    models = [
        ModelSummary(m, len(matrix.tasks), int(n[:, j].sum()), float(p1[j]), float(P[j, -1]), float(mean_cost[j]))
        for j, m in enumerate(matrix.models)
    ]
    order = tuple(o.cascade) if o.cascade else default_order(matrix)
    providers = tuple(o.providers) if o.providers else tuple(matrix.models)
    tc.index(order), tc.index(providers)  # unknown names fail clearly
    top = float(P[tc.index(providers)].max())
    hi = top if o.rate_hi is None else o.rate_hi
    if hi <= 0:
        raise HarnessError("no provider solves any task within the budget grid: raise --budget-hi")
    lo = min(o.rate_lo, hi)
    u = solve_rate_grid(lo, hi, o.rate_points)
    report = np.asarray(o.report_rates if o.report_rates else np.round(np.linspace(lo, hi, 5), 3), dtype=float)
    prices = provider_prices(tc, u, providers)
    C = prices.min(axis=0)
    res = search(tc, order, allocation_grid(len(order), o), u, market=C)
    cc = cascade_curves(tc, order, res.thresholds[None, :], by_model=True)
    Cq = cascade_prices(cc, u)[0]
    spend = spend_at_rates(cc, u)[0]
    oracle = oracle_price(matrix, u)
    shares = revenue_shares(tc, providers, order, res.thresholds, u)
    competition = _competition(tc, order, providers, res, u, C, prices, o)
    robust = _robust(tc, order, providers, u, o, [_aligned(s, order, grid) for s in sources])
    entry = _entry(tc, order, providers, u, o) if o.entrant else None
    gatekept = _gatekeep(tc, order, providers, u, o) if o.gatekeep else None
    return Analysis(
        o,
        models,
        tc,
        order,
        providers,
        u,
        report,
        prices,
        C,
        res,
        Cq,
        margins(C, Cq),
        oracle,
        margins(C, oracle),
        spend,
        shares,
        competition,
        robust,
        _robust_label(o, len(sources)),
        entry,
        gatekept,
    )


def _entry(
    tc: TaskCurves, order: Sequence[str], providers: Sequence[str], u: np.ndarray, o: AnalysisOptions
) -> MarketChange:
    """The market of ``providers`` without the entrant against with it (its cascade: ``order`` without/with)."""
    e = str(o.entrant)
    tc.index([e])
    incumbents = [p for p in providers if p != e]
    if not incumbents:
        raise HarnessError(f"the entrant {e!r} is the only provider: market entry needs an incumbent to enter against")
    after = list(order) if e in order else [e, *order]
    before = [m for m in after if m != e]
    if not before:
        raise HarnessError(f"the cascade holds only the entrant {e!r}: add incumbents to --cascade")
    return market_entry(
        tc,
        incumbents,
        e,
        u,
        allocation_grid(len(before), o),
        allocation_grid(len(after), o),
        cascade_before=before,
        cascade_after=after,
    )


def _gatekeep(
    tc: TaskCurves, order: Sequence[str], providers: Sequence[str], u: np.ndarray, o: AnalysisOptions
) -> MarketChange:
    """The open market against one where ``o.gatekeep`` is not sold but the arbitrageur still runs it."""
    g = str(o.gatekeep)
    tc.index([g])
    sold = [p for p in providers if p != g]
    if not sold:
        raise HarnessError(f"withholding {g!r} leaves no provider in the market: gatekeep one of several providers")
    cascade = list(order) if g in order else [g, *order]
    return gatekeeping(tc, sold, g, g, u, allocation_grid(len(cascade), o), cascade=cascade)


def _robust_label(o: AnalysisOptions, others: int) -> str:
    """What a robust fit was fitted on and evaluated on, in words."""
    parts = ([f"tasks matching {o.split}"] if o.split else []) + ([f"{others} other bank(s)"] if others else [])
    held = "the other tasks" if o.split else "this bank"
    return f"{' and '.join(parts)}, evaluated on {held}" if parts else ""


def _competition(
    tc: TaskCurves,
    order: Sequence[str],
    providers: Sequence[str],
    res: SearchResult,
    u: np.ndarray,
    C: np.ndarray,
    prices: np.ndarray,
    o: AnalysisOptions,
) -> CompetitionResult:
    """The top-K distinct allocations of the search compete; revenue goes to the providers they buy from."""
    ranked = np.argsort(-res.objective, kind="stable")[: max(1, o.competitors)]
    cc = cascade_curves(tc, order, res.allocations[ranked], by_model=True)
    costs = cascade_prices(cc, u)
    spend = np.nan_to_num(spend_at_rates(cc, u))  # (K, cascade models, targets)
    names = list(dict.fromkeys(list(providers) + list(order)))
    full = np.zeros((len(ranked), len(names), u.size))
    for m, name in enumerate(order):
        full[:, names.index(name)] = spend[:, m]
    cheapest = np.where(np.isfinite(C), np.argmin(prices, axis=0), -1)
    return compete(u, C, costs, rounds=o.rounds, undercut=o.undercut, spend=full, cheapest=cheapest)


def _aligned(source: BankMatrix, order: Sequence[str], grid: LogGrid) -> TaskCurves:
    """A source bank's curves with its models renamed to the cascade's (matched by position)."""
    check_matrix(source)
    if len(source.models) != len(order):
        raise HarnessError(
            f"a source bank must hold the {len(order)} cascade models in order, it has {len(source.models)}"
        )
    tc = task_curves(source, grid)
    return TaskCurves(tc.tasks, tuple(order), tc.grid, tc.survival)


def _robust(
    tc: TaskCurves,
    order: Sequence[str],
    providers: Sequence[str],
    u: np.ndarray,
    o: AnalysisOptions,
    others: list[TaskCurves],
) -> list[RobustResult]:
    """Fit on the split side and/or other domains' banks; evaluate on the rest of this bank."""
    if not o.split and not others:
        return []
    held = tc
    fit_sets = list(others)
    if o.split:
        fit, held = split_tasks(tc, task_predicate(o.split, o.group_of))
        fit_sets.insert(0, fit)
    source_market = tuple(order) if others else tuple(providers)
    allocs = allocation_grid(len(order), o)
    return [
        fit_robust(
            fit_sets,
            held,
            order,
            allocs,
            u,
            fit_budget=b,
            bootstraps=o.bootstraps,
            seed=o.seed,
            providers=providers,
            source_providers=source_market,
        )
        for b in o.fit_budgets
    ]


def fit_strategy(
    sources: Sequence[BankMatrix],
    cascade: Sequence[str],
    opts: AnalysisOptions | None = None,
    fit_budget: float | None = None,
) -> SearchResult:
    """Thresholds that maximise the worst-case mean margin across source banks (all with the same models).

    With ``fit_budget`` the fit sees only what that many dollars per source buy (one draw, ``opts.seed``).
    """
    o = opts or AnalysisOptions()
    if not sources:
        raise HarnessError("fitting needs at least one source bank")
    for mx in sources:
        check_matrix(mx)
    grid = analysis_grid(o, sources)
    curves = [task_curves(mx, grid) for mx in sources]
    providers = tuple(o.providers) if o.providers else None
    tops = [float(tc.pass_curves(providers).max()) for tc in curves]
    hi = min(tops) if o.rate_hi is None else o.rate_hi
    u = solve_rate_grid(min(o.rate_lo, hi), hi, o.rate_points)
    allocs = allocation_grid(len(cascade), o)
    rng = np.random.default_rng(o.seed)
    worst = np.full(allocs.shape[0], np.inf)
    for tc in curves:
        src = tc if fit_budget is None else observe(tc, fit_budget, rng)
        obj, _ = objectives(src, cascade, allocs, u, providers)
        worst = np.minimum(worst, obj)
    best = int(np.argmax(worst))
    ref = curves[0]
    res = search(ref, cascade, allocs[best : best + 1], u, providers=providers)
    return SearchResult(res.models, allocs, u, res.market, worst, best, res.best_margins, res.best_price)
