"""Fitting cascade thresholds on banks with the economics engine (the searches of ``harness analyze``).

The threshold grid is derived from the banks' costs per attempt (from half the cheapest model's
cheapest attempt to the per-task budget), so a market of sub-cent local models gets thresholds of its own
scale rather than a fixed dollar grid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from harness.arbitrage.cascade import stages_from_thresholds
from harness.bank import Bank, BankMatrix
from harness.economics.analysis import AnalysisOptions, fit_strategy
from harness.errors import HarnessError
from harness.types import Stage


@dataclass(frozen=True)
class Fit:
    """Fitted stages, the (worst-case) mean margin they earn on the fit banks, and what was fitted on."""

    stages: tuple[Stage, ...]
    mean_margin: float
    sources: tuple[str, ...]
    degenerate: bool  # a model of the cascade got no money: the fit fell back to fewer models

    def describe(self) -> dict[str, object]:
        return {
            "stages": [[s.model, None if math.isinf(s.threshold_usd) else s.threshold_usd] for s in self.stages],
            "mean_margin": None if not math.isfinite(self.mean_margin) else self.mean_margin,
            "sources": list(self.sources),
            "degenerate": self.degenerate,
        }


def fit_matrix(bank: Bank, models: Sequence[str], providers: Sequence[str], what: str) -> BankMatrix:
    """The bank's arrays over the cascade models and the providers, with a clear error when one is missing."""
    cols = list(dict.fromkeys([*models, *providers]))
    missing = [m for m in cols if m not in bank.models]
    if missing:
        raise HarnessError(
            f"{what} has no attempts of {', '.join(missing)} (it has: {', '.join(bank.models) or 'none'}); "
            "collect them first (harness collect --domain D --models ...)"
        )
    mx = bank.matrix(cols)
    if not mx.tasks:
        raise HarnessError(f"{what}: the models {', '.join(cols)} have no task in common")
    return mx


def fit_options(
    matrices: Sequence[BankMatrix], providers: Sequence[str], budget_usd: float, base: AnalysisOptions | None = None
) -> AnalysisOptions:
    """Analysis options for a fit: the providers, the per-task budget, and a threshold grid of the banks' scale."""
    costs = np.concatenate([np.asarray(m.cost)[np.asarray(m.n) > 0].ravel() for m in matrices])
    costs = costs[costs > 0]
    lo = float(costs.min()) / 2 if costs.size else 1e-4
    hi = max(budget_usd / 2, lo * 10)
    o = base or AnalysisOptions()
    return replace(o, providers=tuple(providers), budget_hi=max(budget_usd, o.budget_lo * 10), first_lo=lo, first_hi=hi)


def fit_cascade(
    banks: Sequence[tuple[str, Bank]],
    models: Sequence[str],
    providers: Sequence[str],
    budget_usd: float,
    fit_budget_usd: float | None = None,
    seed: int = 0,
    base: AnalysisOptions | None = None,
) -> Fit:
    """Thresholds maximising the worst-case mean margin across ``banks`` (name, bank), all with ``models``."""
    if not banks:
        raise HarnessError("fitting needs at least one bank")
    matrices = [fit_matrix(b, models, providers, f"bank {name!r}") for name, b in banks]
    opts = replace(fit_options(matrices, providers, budget_usd, base), seed=seed)
    res = fit_strategy(matrices, list(models), opts, fit_budget_usd)
    if not math.isfinite(res.mean_margin):
        raise HarnessError(
            f"the fit reaches none of its target solve rates on {', '.join(n for n, _ in banks)}: "
            "the providers there reach no rate the cascade could price; fit on other banks"
        )
    stages = stages_from_thresholds(models, res.thresholds)
    return Fit(stages, res.mean_margin, tuple(n for n, _ in banks), len(stages) < len(models))
