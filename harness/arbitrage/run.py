"""``harness run`` without the command line: banks, fit, quote, serve, summarise.

Live, attempts are bought through the same pipeline as ``harness collect`` and recorded in the store
(so an interrupted run resumes without paying again, and its attempts are a bank for later analysis);
with ``replay`` they are drawn from a recorded bank at no cost. ``max_spend`` caps everything the command
spends, collections of missing banks included.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.arbitrage.banks import BankPlan, ensure_bank, other_domains
from harness.arbitrage.buyers import LiveBuyer, ReplayBuyer
from harness.arbitrage.cascade import CascadeStrategy
from harness.arbitrage.ledger import Ledger, TaskRecord
from harness.arbitrage.loop import RunLoop
from harness.arbitrage.market import PRICINGS, Market, Quote
from harness.arbitrage.replay import ReplayProvider
from harness.bank import Bank
from harness.bank.formats import read_bank as _read_bank
from harness.collect.plan import list_tasks
from harness.collect.session import Session
from harness.config import Config
from harness.economics.oracle import oracle_costs
from harness.errors import HarnessError
from harness.report.format import json_clean
from harness.types import FitContext, Task


@dataclass
class RunOptions:
    """What ``harness run`` was asked to do (the command line's wording stays in the command layer)."""

    domain: str
    strategy: str
    models: tuple[str, ...]
    providers: tuple[str, ...]
    budget_usd: float
    pricing: str = "per_task"
    undercut: float = 0.05
    target_rate: float | None = None
    limit: int | None = None
    seed: int = 0
    task_ids: tuple[str, ...] = ()
    replay: Path | None = None
    market_bank: Path | None = None
    fit_domains: tuple[str, ...] = ()
    fit_banks: tuple[Path, ...] = ()
    fit_budget_usd: float | None = None
    max_spend: float | None = None
    run_id: str | None = None
    concurrency: int = 1
    strategy_options: dict[str, Any] = field(default_factory=dict)
    refund_wrong: bool = False
    executor: str = "local"  # "ray": live attempts solved and verified on a Ray cluster (harness.cluster)
    ray_address: str | None = None


@dataclass
class RunResult:
    """The served ledger and everything the summary reports."""

    options: RunOptions
    ledger: Ledger
    strategy: Any
    quote: Quote
    fitted: dict[str, Any] | None
    spend_before_usd: float
    collected: list[dict[str, Any]]
    elapsed_s: float
    oracle_cost_usd: float | None = None
    live: dict[str, int] = field(default_factory=dict)
    stopped: str | None = None

    def summary(self) -> dict[str, Any]:
        t = self.ledger.totals()
        out = {
            "domain": self.options.domain,
            "strategy": self.options.strategy,
            "pricing": self.quote.pricing,
            "replay": str(self.options.replay) if self.options.replay else None,
            "models": list(self.ledger.models),
            "budget_usd": getattr(self.strategy, "budget_usd", self.options.budget_usd),
            "price_usd": self.quote.price_usd,
            "market_price_usd": self.quote.market_usd,
            "stages": self.strategy.describe() if hasattr(self.strategy, "describe") else None,
            "fitted": self.fitted,
            **t,
            "bands_5_95": self.ledger.bands(seed=self.options.seed),
            "single_providers_usd": self.ledger.providers(),
            "oracle_cost_usd": self.oracle_cost_usd,
            "oracle_margin": _margin(t["revenue_usd"], self.oracle_cost_usd),
            "spend_before_run_usd": self.spend_before_usd,
            "collected": self.collected,
            "elapsed_s": self.elapsed_s,
            "stopped": self.stopped,
            **self.live,
        }
        history = getattr(self.strategy, "history", None)
        if history is not None:
            out["refits"] = history
            marks = [h["served"] for h in history[1:]] + [len(self.ledger.records)]
        else:
            n = len(self.ledger.records)
            marks = sorted({max(1, round(n * k / 10)) for k in range(1, 11)}) if n else []
        out["margin_evolution"] = [{"tasks": k, "margin": self.ledger.margin_after(k)} for k in marks]
        return json_clean(out)


def _margin(revenue: float, cost: float | None) -> float | None:
    return (revenue - cost) / revenue if cost is not None and revenue > 0 else None


class Runner:
    """Prepares and serves one run; ``collect`` makes missing banks (the command line shows its progress)."""

    def __init__(self, config: Config, registry: Any, store: Any, options: RunOptions, plan: BankPlan) -> None:
        self.config, self.registry, self.store, self.o, self.plan = config, registry, store, options, plan
        _check(options)
        registry.domain(options.domain)  # an unknown domain is one line, replayed or not
        if options.replay is None:  # live: every model it may buy or price is configured, before any is paid
            for m in dict.fromkeys([*options.models, *options.providers]):
                config.model(m)
        self.factory = registry.strategy(options.strategy)
        self.on_task: Callable[[TaskRecord], None] | None = None
        self.on_stopping: Callable[[int], None] | None = None
        self.loop: RunLoop | None = None

    # ---- banks ----------------------------------------------------------------------------------

    def _left(self, cap: float | None = None) -> float | None:
        left = None if self.o.max_spend is None else self.o.max_spend - self.plan.spent_usd
        if cap is not None:
            left = cap if left is None else min(left, cap)
        return left

    def _fit_banks(self) -> dict[str, Bank]:
        banks = {str(p): read_bank(p) for p in self.o.fit_banks}
        if self.o.replay is not None and not self.o.fit_domains:
            return banks
        if banks and not self.o.fit_domains:  # --fit-bank alone: exactly those banks
            return banks
        domains = (
            list(self.o.fit_domains)
            or other_domains(self.store, self.o.domain, self.o.models)
            or list(self.config.run.fit_domains)
        )
        domains = [d for d in domains if d != self.o.domain]
        held = list(dict.fromkeys([*self.o.models, *self.o.providers]))  # the fit prices against the providers
        for d in domains:
            why = f"robust fit bank on {d!r} (a domain other than {self.o.domain!r})"
            banks[d] = ensure_bank(
                self.config,
                self.registry,
                self.store,
                d,
                held,
                self.plan,
                why,
                self._left(self.o.fit_budget_usd),
            )
        return banks

    def _market_and_target(self) -> tuple[Bank, Bank | None]:
        if self.o.replay is not None:
            replay = read_bank(self.o.replay)
            market = read_bank(self.o.market_bank) if self.o.market_bank else replay
            return market, replay
        if self.o.market_bank is not None:
            market = read_bank(self.o.market_bank)
        else:
            market = ensure_bank(
                self.config,
                self.registry,
                self.store,
                self.o.domain,
                self.o.providers,
                self.plan,
                f"the market's prices on {self.o.domain!r} (the providers' attempts there)",
                self._left(self.o.fit_budget_usd),
            )
        target = None
        if self.o.strategy == "optimal":  # its fit prices against the providers on the same tasks
            target = ensure_bank(
                self.config,
                self.registry,
                self.store,
                self.o.domain,
                list(dict.fromkeys([*self.o.models, *self.o.providers])),
                self.plan,
                f"the target domain's own bank for strategy 'optimal' on {self.o.domain!r}",
                self._left(self.o.fit_budget_usd),
            )
        return market, target

    # ---- serving --------------------------------------------------------------------------------

    def run(self) -> RunResult:
        started = time.monotonic()
        market_bank, target = self._market_and_target()
        replay = ReplayProvider(target, seed=self.o.seed) if self.o.replay is not None else None
        fit_banks = self._fit_banks() if self.o.strategy in ("robust", "adaptive") else {}
        strategy = self.factory()
        context = FitContext(
            models=self.o.models,
            providers=self.o.providers,
            budget_usd=self.o.budget_usd,
            fit_banks=fit_banks,
            target_bank=target,
            replay=replay,
            costs=_costs(market_bank, target),
            options=self.o.strategy_options,
            fit_budget_usd=self.o.fit_budget_usd,
            seed=self.o.seed,
            market_bank=market_bank,
        )
        strategy.fit(context)
        market = Market(market_bank, self.o.providers, self.o.budget_usd)
        quote = self._quote(strategy, market)
        tasks = self._tasks(target if self.o.replay is not None else None)
        self.loop = RunLoop(
            strategy,
            ReplayBuyer(replay) if replay else None,
            quote,
            self.o.models,  # type: ignore[arg-type]
            concurrency=1 if replay else self.o.concurrency,
            on_task=self.on_task,
            refund_wrong=self.o.refund_wrong,
        )
        result = RunResult(
            self.o,
            self.loop.ledger,
            strategy,
            quote,
            _fitted(strategy),
            self.plan.spent_usd,
            self.plan.collected or [],
            0.0,
        )
        try:
            if replay is not None:
                asyncio.run(self.loop.serve(tasks))
                budget = getattr(strategy, "budget_usd", self.o.budget_usd)
                result.oracle_cost_usd = _oracle(target, self.o.models, self.loop.ledger, budget)
            else:
                self._serve_live(tasks, result)
        except KeyboardInterrupt:
            result.stopped = "interrupted"
            result.elapsed_s = time.monotonic() - started
            raise RunInterrupted(result) from None
        except HarnessError as exc:  # a fatal stop (a server down, a rejected key) after money was spent
            if not self.loop.ledger.records:
                raise
            result.stopped = "fatal"
            result.elapsed_s = time.monotonic() - started
            raise RunFailed(result, exc) from None
        result.elapsed_s = time.monotonic() - started
        return result

    def _serve_live(self, tasks: Sequence[Task], result: RunResult) -> None:
        assert self.loop is not None
        setup = self.registry.setup(self.o.domain, self.config.domain_options(self.o.domain))
        session = Session(
            self.config, self.registry, self.store, setup, self.o.models, self._left(), self.o.run_id, prefix="run",
            executor=self.o.executor, ray_address=self.o.ray_address,
        )  # fmt: skip
        session.check()
        if self.on_stopping is not None:
            session.on_stopping = self.on_stopping
        self.loop.state = session.state
        buyer: LiveBuyer | None = None

        async def body(pipeline: Any) -> None:
            nonlocal buyer
            buyer = LiveBuyer(pipeline, self.store)
            assert self.loop is not None
            self.loop.buyer = buyer
            await self.loop.serve(tasks)

        try:
            session.run(body, verify_workers=self.o.concurrency)
        finally:
            result.live = {
                "attempts_bought": buyer.bought if buyer else 0,
                "attempts_reused": buyer.reused if buyer else 0,
            }
            result.live["run_spend_usd"] = session.ledger.spent  # type: ignore[assignment]
            if self.loop.refused and session.state.reason is not None:
                result.stopped = session.state.reason.label

    def _quote(self, strategy: Any, market: Market) -> Quote:
        if self.o.target_rate is not None:
            rate = self.o.target_rate
            if not 0 < rate <= 1:
                raise HarnessError(f"--target-rate must be in (0, 1] (got {rate})")
            if isinstance(strategy, CascadeStrategy) and strategy.stages:
                last = strategy.stages[-1].model
                cheap = sum(usd for _, usd in strategy.stage_budgets()[:-1])
                need = market.budget_for(last, rate)
                if not math.isfinite(need):
                    raise HarnessError(f"the last model {last!r} never reaches solve rate {rate} on this market")
                strategy.budget_usd = cheap + need
        elif isinstance(strategy, CascadeStrategy) and (own := market.cascade_rate(strategy.stage_budgets())):
            rate = min(own, market.top_rate(strategy.budget_usd))  # what it delivers, as far as the market prices
            if rate < own:  # it would deliver more than the market sells: serve at the budget that reaches it
                strategy.budget_usd = _budget_for(strategy, market, rate)
        elif isinstance(strategy, CascadeStrategy) and any(m in market.providers for m, _ in strategy.stage_budgets()):
            # each stage alone buys that provider's service with its budget: the cascade reaches at least that
            rate = max(market.rate(m, usd) for m, usd in strategy.stage_budgets() if m in market.providers)
        else:
            rate = max(market.rate(m, self.o.budget_usd) for m in market.providers)
        if not rate > 0:
            raise HarnessError("the strategy's promised solve rate on this market is 0: nothing could be sold")
        budget = getattr(strategy, "budget_usd", self.o.budget_usd)
        return market.quote(self.o.pricing, rate, budget, self.o.undercut)

    def _tasks(self, replay_bank: Bank | None) -> list[Task]:
        if replay_bank is not None:
            common = set.intersection(*(set(replay_bank.tasks(m)) for m in self.o.models))
            tasks = [Task(id=t) for t in sorted(common)]
        else:
            setup = self.registry.setup(self.o.domain, self.config.domain_options(self.o.domain))
            tasks = list_tasks(self.config, setup, None if self.o.task_ids else self.o.limit)
        if self.o.task_ids:
            wanted = set(self.o.task_ids)
            tasks = [t for t in tasks if t.id in wanted]
            unknown = wanted - {t.id for t in tasks}
            if unknown:
                raise HarnessError(f"--tasks names tasks the domain does not have: {', '.join(sorted(unknown))}")
        if self.o.seed:
            random.Random(self.o.seed).shuffle(tasks)
        if self.o.limit is not None:
            tasks = tasks[: self.o.limit]
        if not tasks:
            raise HarnessError(f"no task to serve on {self.o.domain!r}: check --limit/--tasks and the domain's source")
        return tasks


def _budget_for(strategy: CascadeStrategy, market: Market, rate: float, steps: int = 60) -> float:
    """The smallest per-task budget at which the cascade reaches ``rate`` on the market bank (bisection:
    its solve rate only grows with the budget); the market then prices what it delivers, as analyze does."""
    lo, hi = 0.0, strategy.budget_usd
    for _ in range(steps):
        mid = (lo + hi) / 2
        if (market.cascade_rate(strategy.stage_budgets(mid)) or 0.0) >= rate - 1e-12:
            hi = mid
        else:
            lo = mid
    return hi


def _check(o: RunOptions) -> None:
    """Bad input is one line before anything is collected or bought."""
    if o.budget_usd <= 0 or not math.isfinite(o.budget_usd):
        raise HarnessError(f"--budget must be a positive number of dollars (got {o.budget_usd})")
    if o.max_spend is not None and not (math.isfinite(o.max_spend) and o.max_spend > 0):
        raise HarnessError(f"--max-spend must be a positive number of dollars (got {o.max_spend})")
    if not 0 <= o.undercut < 1:
        raise HarnessError(f"[market] undercut must be in [0, 1) (got {o.undercut})")
    if o.pricing not in PRICINGS:
        raise HarnessError(f"[market] pricing must be one of {', '.join(PRICINGS)} (got {o.pricing!r})")
    if o.target_rate is not None and not 0 < o.target_rate <= 1:
        raise HarnessError(f"--target-rate must be in (0, 1] (got {o.target_rate})")
    if o.limit is not None and o.limit < 1:
        raise HarnessError(f"--limit must be at least 1 task (got {o.limit})")
    if o.concurrency < 1:
        raise HarnessError(f"--concurrency must be at least 1 (got {o.concurrency})")
    if o.domain in o.fit_domains:
        raise HarnessError(
            f"--fit-domain {o.domain} is the domain the run serves: a robust fit sees only other domains "
            "(strategy 'optimal' fits on the target's own bank)"
        )
    stages = o.strategy_options.get("stages") if o.strategy == "cascade" else None
    named = [s[0] for s in stages if isinstance(s, (list, tuple)) and s] if isinstance(stages, (list, tuple)) else []
    named += [o.strategy_options["model"]] if o.strategy == "single" and o.strategy_options.get("model") else []
    outside = [str(m) for m in named if m not in o.models]
    if outside:
        raise HarnessError(
            f"--stages/--model name {', '.join(outside)}, not among --models ({', '.join(o.models)}): the "
            "arbitrageur buys only --models; add them there"
        )


class RunInterrupted(Exception):
    """Ctrl-C during a run: ``result`` holds the ledger so far (every completed attempt is in the store)."""

    def __init__(self, result: RunResult) -> None:
        super().__init__("interrupted")
        self.result = result


class RunFailed(HarnessError):
    """A run stopped by a fatal error after it had bought something: ``result`` holds the ledger so far."""

    def __init__(self, result: RunResult, error: HarnessError) -> None:
        super().__init__(str(error))
        self.result = result
        self.exit_code = error.exit_code


def read_bank(path: Path) -> Bank:
    """A bank file, read once per process however many roles it plays (replay, market, fit, model names)."""
    p = Path(path).resolve()
    stat = p.stat() if p.exists() else None
    key = (str(p), stat.st_mtime_ns if stat else None)
    if key not in _BANKS:
        _BANKS[key] = _read_bank(p)
    return _BANKS[key]


_BANKS: dict[tuple[str, int | None], Bank] = {}


def _costs(*banks: Bank | None) -> dict[str, float]:
    out: dict[str, float] = {}
    for b in banks:
        for m, tasks in b.entries.items() if b else ():
            costs = [e.mean_cost for e in tasks.values() if e.n]
            if costs and m not in out:
                out[m] = sum(costs) / len(costs)
    return out


def _fitted(strategy: Any) -> dict[str, Any] | None:
    fitted = getattr(strategy, "fitted", None)
    return fitted.describe() if fitted is not None else None


def _oracle(bank: Bank | None, models: Sequence[str], ledger: Ledger, budget_usd: float) -> float | None:
    """What the oracle would have paid for the tasks this run served (cheapest verified attempt each), within
    the per-task budget as the run (a task whose cheapest verified attempt costs more cannot be bought)."""
    if bank is None:
        return None
    served = {r.task_id for r in ledger.records}
    mx = bank.matrix(list(models), tasks=served)
    costs = oracle_costs(mx)
    return float(costs[costs <= budget_usd].sum())
