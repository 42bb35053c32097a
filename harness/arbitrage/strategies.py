"""The built-in strategies, registered through ``register_strategies`` like any plugin's.

Every strategy answers one question per purchase (what to buy next for this task, given what was bought
so far) and observes each outcome; the fixed cascades are the simple case.

- ``single``: one provider sampled until a verified candidate or the per-task budget (what the market sells).
- ``cascade``: explicit per-model dollar thresholds (``stages``; command line, ``[run]``, a ``harness fit`` JSON).
- ``optimal``: thresholds fitted on the target domain's own bank (in-sample: the reference for ``robust``).
- ``robust``: thresholds fitted only on banks of other domains, maximising the worst case across them.
- ``adaptive``: starts from the robust thresholds and refits on the run's own exploration tasks.
- ``oracle``: recorded attempts only; buys the cheapest verified attempt of each task (the upper bound).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from harness.arbitrage.cascade import CascadeStrategy, parse_stages
from harness.arbitrage.fitting import Fit, fit_cascade
from harness.bank import Bank, BankEntry, exact_mean
from harness.errors import HarnessError
from harness.hookspecs import hookimpl
from harness.types import Buy, FitContext, Outcome, Stage, TaskHistory


class Single(CascadeStrategy):
    """The whole per-task budget on one model: what a customer buys without an arbitrageur."""

    name = "single"
    description = "one provider until a verified candidate or the budget (option: model; default the last model)"

    def fit(self, context: FitContext) -> None:
        self.budget_usd = context.budget_usd
        model = context.options.get("model") or (context.models[-1] if context.models else None)
        if not isinstance(model, str) or not model:
            raise HarnessError("strategy 'single' needs a model: --models NAME (or option model)")
        self.use((Stage(model, math.inf),))


class Cascade(CascadeStrategy):
    """Models in a given order, each up to a given dollar threshold per task."""


class Optimal(CascadeStrategy):
    """Thresholds chosen on the target domain's own bank: in-sample, the reference a robust fit is measured by."""

    name = "optimal"
    description = "thresholds fitted on the target domain's own bank (in-sample reference)"

    def fit(self, context: FitContext) -> None:
        self.budget_usd = context.budget_usd
        if context.target_bank is None:
            raise HarnessError(
                "strategy 'optimal' fits on the target domain's own bank, and there is none: collect one "
                "(harness collect --domain D --models ...) or replay one (--replay BANK)"
            )
        self.fitted = fit_cascade(
            [("target", context.target_bank)],
            context.models,
            context.providers,
            context.budget_usd,
            seed=context.seed,
            base=context.analysis,
        )
        self.use(self.fitted.stages)


class Robust(CascadeStrategy):
    """Thresholds chosen only on banks of other domains, maximising the worst case across them, under a
    fit budget (the fit sees only what that many dollars of attempts would have shown it)."""

    name = "robust"
    description = "thresholds fitted only on other domains' banks (worst case across them, under a fit budget)"

    def fit(self, context: FitContext) -> None:
        self.budget_usd = context.budget_usd
        if not context.fit_banks:
            raise HarnessError(
                "strategy 'robust' fits on other domains' banks, and there is none: name them with "
                "--fit-domain D or --fit-bank PATH (or set [run] fit_domains)"
            )
        self.fitted: Fit = fit_cascade(
            list(context.fit_banks.items()),
            context.models,
            context.providers,
            context.budget_usd,
            fit_budget_usd=context.fit_budget_usd,
            seed=context.seed,
            base=context.analysis,
        )
        self.use(self.fitted.stages)


class Adaptive(Robust):
    """Starts from the robust thresholds and learns the new domain while it trades.

    Every ``explore_every``-th task (default 20) is an exploration task: whatever sells first, each cheaper
    model is bought until it has spent half again its stage's threshold (at most half the budget), and
    the last model
    ``explore_attempts`` times (default 1) within the rest, so the run collects
    an unbiased bank of its own (a cascade's own purchases are censored: the expensive model is only seen
    where the cheap one failed), with repeated attempts so that retrying a model is valued. After every
    ``refit_every`` exploration tasks the thresholds are refitted on that bank, priced against the market:
    providers the run does not buy are seen through the market bank's attempts on the same tasks.
    ``history`` records each refit (tasks seen, stages, fitted margin) for the summary.
    """

    name = "adaptive"
    description = "robust thresholds first, refitted on the run's own exploration tasks as it trades"

    def fit(self, context: FitContext) -> None:
        super().fit(context)
        self.context = context
        self.explore_every = int(context.options.get("explore_every", 20))
        self.refit_every = int(context.options.get("refit_every", 4))
        self.explore_attempts = int(context.options.get("explore_attempts", 1))
        if min(self.explore_every, self.refit_every, self.explore_attempts) < 1:
            raise HarnessError(
                "strategy 'adaptive': explore_every, refit_every and explore_attempts must be at least 1"
            )
        self.own: dict[str, dict[str, list[Outcome]]] = {m: {} for m in context.models}
        self.served = 0
        self.history: list[dict[str, Any]] = [
            {"tasks": 0, "served": 0, "stages": self.describe(), "fitted_margin": None}
        ]
        self._exploring: set[str] = set()
        self._done: set[str] = set()  # exploration tasks finished with attempts of every model

    def next_buy(self, history: TaskHistory) -> Buy | None:
        if not history.outcomes:
            self.served += 1
            if self.served % self.explore_every == 0:
                self._exploring.add(history.task.id)
        if history.task.id not in self._exploring:
            return super().next_buy(history)
        models = self.context.models
        for i, m in enumerate(models):
            cut = any(o.truncated for o in history.outcomes if o.model == m)
            if i < len(models) - 1:  # a cheaper model: half again what its stage may spend (room to learn more)
                left = min(1.5 * self._threshold(m), self.budget_usd / 2) - history.spent(m)
                if left > 0 and not cut:
                    return Buy(m, left)
            elif history.count(m) < self.explore_attempts and not cut:  # the last: a few attempts, the rest
                left = self.budget_usd - history.spent()
                if left > 0:
                    return Buy(m, left)
        if not self._counted(history.task.id):
            self._done.add(history.task.id)
            if len(self._done) % self.refit_every == 0:
                self._refit(len(self._done))
        return None

    def _threshold(self, model: str) -> float:
        """The current dollar threshold of ``model``'s stage (a skipped model: the smallest stage's)."""
        for s in self.stages:
            if s.model == model:
                return s.threshold_usd
        finite = [s.threshold_usd for s in self.stages if s.threshold_usd < float("inf")]
        return min(finite) if finite else self.budget_usd / 10

    def observe(self, history: TaskHistory, outcome: Outcome) -> None:
        tid = history.task.id
        if tid in self._exploring and not outcome.truncated:
            self.own[outcome.model].setdefault(tid, []).append(outcome)

    def _counted(self, task_id: str) -> bool:
        return task_id in self._done or not all(task_id in self.own[m] for m in self.context.models)

    def _refit_bank(self) -> tuple[Bank, tuple[str, ...], tuple[str, ...]]:
        """The bank a refit learns from, its cascade columns and its provider columns.

        The cascade's models are seen through the run's own exploration attempts (columns ``<m> (run)``);
        the market they are priced against is the market bank's providers on the same tasks where it has
        them all (the exploration's few attempts of a model would misprice it as a seller), else the
        exploration's own attempts.
        """
        own = {
            f"{m} (run)": {
                t: BankEntry(exact_mean(o.cost_usd for o in seen), tuple(int(o.verified) for o in seen))
                for t, seen in tasks.items()
                if t in self._done
            }
            for m, tasks in self.own.items()
        }
        cascade = tuple(f"{m} (run)" for m in self.context.models)
        market = self.context.market_bank
        priced = market is not None and all(
            p in market.entries and self._done <= set(market.entries[p]) for p in self.context.providers
        )
        if priced:
            own.update({p: {t: market.entries[p][t] for t in self._done} for p in self.context.providers})
            return Bank(own), cascade, tuple(self.context.providers)
        for p in self.context.providers:
            if p not in self.context.models:
                raise HarnessError(f"strategy 'adaptive': no attempts of provider {p!r} on the explored tasks")
        return Bank(own), cascade, tuple(f"{p} (run)" for p in self.context.providers)

    def _refit(self, tasks: int) -> None:
        try:
            bank, cascade, providers = self._refit_bank()
            fitted = fit_cascade(
                [("run", bank)],
                cascade,
                providers,
                self.budget_usd,
                seed=self.context.seed,
                base=self.context.analysis,
            )
        except HarnessError:
            return  # too little yet (e.g. no provider reaches a rate): keep the current thresholds
        if not fitted.mean_margin > 0:
            return  # no allocation earns anything on what was seen: no reason to change
        names = dict(zip(cascade, self.context.models, strict=True))
        self.use(tuple(Stage(names[s.model], s.threshold_usd) for s in fitted.stages))
        self.history.append(
            {"tasks": tasks, "served": self.served, "stages": self.describe(), "fitted_margin": fitted.mean_margin}
        )


class Oracle:
    """Knows every recorded attempt's outcome: buys only a verified attempt of the cheapest model that has
    one, and nothing for tasks no model solves. Recorded attempts only (``--replay``)."""

    name = "oracle"
    description = "recorded attempts only: the cheapest verified attempt of each task (the upper bound)"

    def fit(self, context: FitContext) -> None:
        if context.replay is None or getattr(context.replay, "bank", None) is None:
            raise HarnessError("strategy 'oracle' knows recorded outcomes only: run it with --replay BANK")
        self.bank: Bank = context.replay.bank
        self.models = tuple(context.models)
        self.budget_usd = context.budget_usd

    def next_buy(self, history: TaskHistory) -> Buy | None:
        if history.outcomes:
            return None
        best: tuple[float, str] | None = None
        for m in self.models:
            e = self.bank.entries.get(m, {}).get(history.task.id)
            if e is not None and e.c > 0 and e.mean_cost <= self.budget_usd and (best is None or e.mean_cost < best[0]):
                best = (e.mean_cost, m)
        return None if best is None else Buy(best[1], self.budget_usd, verified_only=True)

    def observe(self, history: TaskHistory, outcome: Outcome) -> None:
        """The oracle already knows."""


BUILTIN: Mapping[str, type] = {s.name: s for s in (Single, Cascade, Optimal, Robust, Adaptive, Oracle)}


@hookimpl
def register_strategies(register: Any) -> None:
    for factory in BUILTIN.values():
        register(factory)


__all__ = ["BUILTIN", "Adaptive", "Cascade", "CascadeStrategy", "Optimal", "Oracle", "Robust", "Single", "parse_stages"]
