"""The market a run sells into: the providers' curves on the target domain, and the customer's price.

Pricing (``[market] pricing``; ``undercut`` is the fraction below the market the arbitrageur charges):

- ``per_task`` (the paper's setting): the customer asks for a solve rate ``u`` and pays the market price
  ``C(u) = min_m C_m(u)`` per task, undercut: ``(1 - undercut) * C(u)``, whether or not the task is solved.
- ``per_solution``: the customer pays only for a verified solution, at most what one costs from the
  strongest provider (the one with the highest solve rate at the per-task budget ``B``):
  ``(1 - undercut) * E_s(B) / P_s(B)`` per task sold.

The promised rate ``u`` of a cascade is what it delivers: its own solve rate at its stage budgets on the
market bank, ``P_q = 1 - mean_i prod_m F_im[min(floor(b_m / k_im), n_im)]`` (the exact survival the replay
draws), capped at the best rate a provider sells at the budget (no market price above it). Priced at
``C(P_q)``, the run's margin is the margin ``harness analyze`` gives the same thresholds at that rate.
Where the market bank lacks a model of the cascade, the promise is the lower bound the cascade surely
reaches: the best that one of its stages reaches alone with that stage's budget (``max_m P_m(b_m)``).
``--target-rate u`` instead gives the last model the budget it needs for ``u``. The providers' curves
come from the market bank (attempts of the providers on the target domain).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.arbitrage.fitting import fit_matrix, fit_options
from harness.bank import Bank
from harness.economics.analysis import AnalysisOptions, analysis_grid
from harness.economics.curves import attempts_bought, budget_at, failure_table, price_curve, task_curves
from harness.errors import HarnessError

PRICINGS = ("per_task", "per_solution")


@dataclass(frozen=True)
class Quote:
    """The price the arbitrageur asks, and what each single provider would have asked instead."""

    pricing: str
    promised_rate: float
    price_usd: float  # per task (per_task) or per verified solution (per_solution)
    market_usd: float  # the market's own price for the same (before the undercut)
    providers_usd: dict[str, float | None]  # each single provider's price for the same (None: cannot)


class Market:
    """The providers' pass and spend curves on the target domain, from the market bank."""

    def __init__(self, bank: Bank, providers: Sequence[str], budget_usd: float, base: AnalysisOptions | None = None):
        if not providers:
            raise HarnessError("the market has no providers: set [market] providers or pass --providers a,b")
        self.bank = bank
        self.providers = tuple(providers)
        mx = fit_matrix(bank, self.providers, self.providers, "the market bank")
        self.grid = analysis_grid(fit_options([mx], self.providers, budget_usd, base), [mx])
        self.curves = task_curves(mx, self.grid)
        self.tasks = len(mx.tasks)
        self._p = self.curves.pass_curves(self.providers)
        self._e = self.curves.spend_curves(self.providers)

    def _col(self, model: str) -> int:
        if model not in self.providers:
            raise HarnessError(f"model {model!r} is not a provider of this market ({', '.join(self.providers)})")
        return self.providers.index(model)

    def _at(self, curve: np.ndarray, budget: float) -> float:
        b = self.grid.budgets
        if budget <= 0:
            return 0.0
        if budget <= b[0]:
            return float(curve[0] * budget / b[0])
        return float(np.interp(math.log(min(budget, b[-1])), np.log(b), curve))

    def rate(self, model: str, budget: float) -> float:
        """``P_m(b)``: the provider's solve rate with ``budget`` dollars per task."""
        return self._at(self._p[self._col(model)], budget)

    def spend(self, model: str, budget: float) -> float:
        """``E_m(b)``: the provider's expected spend per task with ``budget`` dollars."""
        return self._at(self._e[self._col(model)], budget)

    def cascade_rate(self, stage_budgets: Sequence[tuple[str, float]]) -> float | None:
        """The cascade's solve rate with these (model, USD per task) stages on the market bank's tasks, exact
        (each stage buys ``floor(b / cost)`` attempts as the economics counts them); None when the bank lacks
        one of its models."""
        models = [m for m, _ in stage_budgets]
        if any(m not in self.bank.models for m in models):
            return None
        mx = self.bank.matrix(models)
        if not mx.tasks:
            return None
        n, c = np.asarray(mx.n), np.asarray(mx.c)
        k = attempts_bought(np.array([usd for _, usd in stage_budgets])[None, :], np.asarray(mx.cost), n)
        fail = np.take_along_axis(failure_table(n, c), k[..., None], axis=-1)[..., 0]
        return float(1.0 - fail.prod(axis=1).mean())

    def top_rate(self, budget: float) -> float:
        """The best solve rate a provider sells with ``budget`` dollars per task."""
        return max(self.rate(m, budget) for m in self.providers)

    def budget_for(self, model: str, rate: float) -> float:
        """The per-task budget the provider needs to reach ``rate`` (``inf`` if it never does)."""
        col = self._col(model)
        return float(budget_at(self._p[col : col + 1], self.grid.budgets, np.array([rate]))[0, 0])

    def prices(self, rate: float) -> dict[str, float]:
        """``C_m(u)`` of every provider for solve rate ``rate`` (``inf`` where it cannot)."""
        c = price_curve(self._p, self._e, np.array([rate]))[:, 0]
        return {m: float(x) for m, x in zip(self.providers, c, strict=True)}

    def quote(self, pricing: str, rate: float, budget_usd: float, undercut: float) -> Quote:
        """The arbitrageur's price for ``rate`` at per-task budget ``budget_usd`` under ``pricing``."""
        if pricing not in PRICINGS:
            raise HarnessError(f"[market] pricing must be one of {', '.join(PRICINGS)} (got {pricing!r})")
        if pricing == "per_task":
            each = self.prices(rate)
            market = min(each.values())
            if not math.isfinite(market):
                best = max(self.rate(m, budget_usd) for m in self.providers)
                raise HarnessError(
                    f"no provider reaches solve rate {rate:.3f} on this market (the best reaches {best:.3f} "
                    "within the budget): lower --target-rate or raise --budget"
                )
        else:
            each = {m: self._per_solution(m, budget_usd) for m in self.providers}
            strongest = max(self.providers, key=lambda m: self.rate(m, budget_usd))
            market = each[strongest]
            if not math.isfinite(market):
                raise HarnessError("the strongest provider solves no task of the market bank: it cannot be priced")
        providers = {m: (x if math.isfinite(x) else None) for m, x in each.items()}
        return Quote(pricing, rate, (1.0 - undercut) * market, market, providers)

    def _per_solution(self, model: str, budget: float) -> float:
        p = self.rate(model, budget)
        return self.spend(model, budget) / p if p > 0 else math.inf
