"""The parts of an analysis beyond the main market: competition, market entry, gatekeeping, robust fits.

Each reads a :class:`Market` (the analysed bank's curves, cascade, providers, targets, threshold grid) so
that every scenario searches the same grid the main strategy does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from harness.economics.cascade import cascade_curves, cascade_prices, spend_at_rates
from harness.economics.competition import CompetitionResult, compete
from harness.economics.curves import TaskCurves
from harness.economics.options import AnalysisOptions
from harness.economics.robust import RobustResult, fit_robust, split_tasks
from harness.economics.search import SearchResult
from harness.economics.shares import MarketChange, gatekeeping, market_entry
from harness.economics.thresholds import ThresholdGrid
from harness.errors import HarnessError


@dataclass(frozen=True)
class Market:
    """What every scenario of one analysis shares."""

    curves: TaskCurves
    cascade: tuple[str, ...]
    providers: tuple[str, ...]
    targets: np.ndarray
    options: AnalysisOptions
    grid: ThresholdGrid


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


def competition(mk: Market, res: SearchResult, C: np.ndarray, prices: np.ndarray) -> CompetitionResult:
    """The top-K distinct allocations of the search compete; revenue goes to the providers they buy from."""
    o = mk.options
    ranked = np.argsort(-res.objective, kind="stable")[: max(1, o.competitors)]
    cc = cascade_curves(mk.curves, mk.cascade, res.allocations[ranked], by_model=True)
    costs = cascade_prices(cc, mk.targets)
    spend = np.nan_to_num(spend_at_rates(cc, mk.targets))  # (K, cascade models, targets)
    names = list(dict.fromkeys(list(mk.providers) + list(mk.cascade)))
    full = np.zeros((len(ranked), len(names), mk.targets.size))
    for m, name in enumerate(mk.cascade):
        full[:, names.index(name)] = spend[:, m]
    cheapest = np.where(np.isfinite(C), np.argmin(prices, axis=0), -1)
    return compete(mk.targets, C, costs, rounds=o.rounds, undercut=o.undercut, spend=full, cheapest=cheapest)


def entry(mk: Market) -> MarketChange:
    """The market of the providers without the entrant against with it (its cascade: without/with)."""
    e = str(mk.options.entrant)
    mk.curves.index([e])
    incumbents = [p for p in mk.providers if p != e]
    if not incumbents:
        raise HarnessError(f"the entrant {e!r} is the only provider: market entry needs an incumbent to enter against")
    after = list(mk.cascade) if e in mk.cascade else [e, *mk.cascade]
    before = [m for m in after if m != e]
    if not before:
        raise HarnessError(f"the cascade holds only the entrant {e!r}: add incumbents to --cascade")
    return market_entry(
        mk.curves,
        incumbents,
        e,
        mk.targets,
        mk.grid.allocations(len(before)),
        mk.grid.allocations(len(after)),
        cascade_before=before,
        cascade_after=after,
    )


def gatekept(mk: Market) -> MarketChange:
    """The open market against one where the gatekept model is not sold but the arbitrageur still runs it."""
    g = str(mk.options.gatekeep)
    mk.curves.index([g])
    sold = [p for p in mk.providers if p != g]
    if not sold:
        raise HarnessError(f"withholding {g!r} leaves no provider in the market: gatekeep one of several providers")
    cascade = list(mk.cascade) if g in mk.cascade else [g, *mk.cascade]
    return gatekeeping(mk.curves, sold, g, g, mk.targets, mk.grid.allocations(len(cascade)), cascade=cascade)


def robust_pairs(mk: Market, allocations: np.ndarray, others: list[TaskCurves]) -> list[RobustResult]:
    """One fit/eval pair per split (fit on its tasks and any other banks, evaluate on the rest), or the
    other banks evaluated on this whole bank; each pair at every fit budget."""
    o = mk.options
    if not o.splits and not others:
        return []
    pairs: list[tuple[list[TaskCurves], TaskCurves, str]] = []
    extra = f" and {len(others)} other bank(s)" if others else ""
    for spec in o.splits:
        fit, held = split_tasks(mk.curves, task_predicate(spec, o.group_of))
        pairs.append(([fit, *others], held, f"tasks matching {spec}{extra}, evaluated on the other tasks"))
    if not o.splits:
        pairs.append((list(others), mk.curves, f"{len(others)} other bank(s), evaluated on this bank"))
    source_market = tuple(mk.cascade) if others else tuple(mk.providers)
    return [
        fit_robust(
            sources,
            held,
            mk.cascade,
            allocations,
            mk.targets,
            fit_budget=b,
            bootstraps=o.bootstraps,
            seed=o.seed,
            providers=mk.providers,
            source_providers=source_market,
            protocol=o.protocol,
            refund=o.refund_policy,
            label=label,
        )
        for sources, held, label in pairs
        for b in o.fit_budgets
    ]


def aligned(curves: TaskCurves, order: Sequence[str]) -> TaskCurves:
    """A source bank's curves with its models renamed to the cascade's (matched by position)."""
    if len(curves.models) != len(order):
        raise HarnessError(
            f"a source bank must hold the {len(order)} cascade models in order, it has {len(curves.models)}"
        )
    return curves.renamed(order)
