"""The collector: N attempts of each model on each task, solved, verified and stored.

An asyncio loop in one process: ``concurrency`` attempt workers take planned (task, model, index) items
and pass each through the :class:`~harness.collect.pipeline.AttemptPipeline` (metered solve, verification
in a process pool bounded by the machine's cores, the record handed to the single
:class:`~harness.store.writer.StoreWriter`). Attempts already stored (not errors) are not planned again,
so a collection killed at any point resumes where it stopped and pays nothing twice. A first Ctrl-C or
SIGTERM drains (no new call starts; calls in flight finish and are recorded), a second abandons them.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.collect import plan
from harness.collect.pipeline import AttemptPipeline
from harness.collect.plan import Work
from harness.collect.session import Session, run_workers
from harness.collect.stats import ModelStats, count
from harness.collect.verify import available_cores
from harness.config import Config
from harness.errors import HarnessError
from harness.types import Domain, DomainSetup

__all__ = ["CollectOptions", "Collector", "available_cores"]


@dataclass
class CollectOptions:
    """What a collection was asked to do (the command line's wording stays in the command layer)."""

    domain: str
    models: Sequence[str]
    attempts: int = 1
    limit: int | None = None
    max_spend: float | None = None
    concurrency: int | None = None
    verify_workers: int | None = None
    run_id: str | None = None
    executor: str = "local"  # "ray": solves and verifications on a Ray cluster (harness.cluster)
    ray_address: str | None = None


class Collector:
    """Plans and runs one collection against a store. ``on_update`` is called after each committed batch."""

    def __init__(
        self,
        config: Config,
        registry: Any,
        store: Any,
        options: CollectOptions,
        on_update: Callable[[Collector], None] | None = None,
    ) -> None:
        _check_options(options)
        self.config = config
        self.store = store
        self.options = options
        self.on_update = on_update
        self.setup: DomainSetup = registry.setup(options.domain, config.domain_options(options.domain))
        self.domain: Domain = self.setup.domain
        self.session = Session(
            config, registry, store, self.setup, options.models, options.max_spend, options.run_id,
            on_written=self._written, executor=options.executor, ray_address=options.ray_address,
        )  # fmt: skip
        self.session.on_stopping = _say_stopping
        self.models = self.session.models
        self.fingerprints = dict(self.session.fingerprints)
        self.run_id = self.session.run_id
        self.ledger = self.session.ledger
        self.stats = {m: ModelStats() for m in self.models}
        self._work: deque[Work] = deque()

    @property
    def on_stopping(self) -> Callable[[int], None]:
        return self.session.on_stopping

    @on_stopping.setter
    def on_stopping(self, say: Callable[[int], None]) -> None:
        self.session.on_stopping = say

    def preflight(self) -> None:
        """Fail before any call: missing keys, models that cannot be capped, a verifier that cannot run."""
        self.session.check()
        plan.check_domain_runs(self.setup)

    def plan(self) -> list[Work]:
        """Every attempt not yet stored, task-major so an interrupted run leaves whole tasks."""
        tasks = plan.list_tasks(self.config, self.setup, self.options.limit)
        done = {m: self.store.completed(self.domain.name, m, self.fingerprints[m]) for m in self.models}
        work, planned, already = plan.missing_work(tasks, list(self.models), self.options.attempts, done)
        for m, s in self.stats.items():
            s.planned += planned[m]
            s.already_done += already[m]
        return work

    def run(self) -> dict[str, Any]:
        """Plan, run to the end (or the cap, Ctrl-C, an auth failure), and return the summary."""
        self.preflight()
        with plan.experiment_lock(getattr(self.store, "path", None), self.domain.name, self.fingerprints):
            self._work = deque(self.plan())
            if not self._work:
                self.session.finished = time.monotonic()
                return self.summary()
            self.session.run(self._buy_all, self.options.verify_workers or len(self._work))
            return self.summary()

    async def _buy_all(self, pipeline: AttemptPipeline) -> None:
        n = self.options.concurrency or sum(c.concurrency for c in self.models.values())

        async def worker() -> None:
            me = asyncio.current_task()
            # Stop at Ctrl-C even if a cancellation was swallowed on its way (Python 3.11's asyncio.wait_for
            # returns the result of a call that finishes as it is cancelled): never start another paid attempt.
            while self._work and self.session.state.accepting and not (me and me.cancelling()):
                work = self._work.popleft()
                bought = await pipeline.attempt(work)
                if bought.refused == "capped":
                    self.stats[work.model].skipped += 1

        await run_workers(min(n, len(self._work)), worker)

    def _written(self, written: Sequence[Any]) -> None:
        count(self.stats, written)
        if self.on_update is not None:
            self.on_update(self)

    @property
    def elapsed(self) -> float:
        return self.session.elapsed

    def summary(self) -> dict[str, Any]:
        done = sum(s.done for s in self.stats.values())
        s = self.session
        gates = s.pipeline.gates if s.pipeline else {}
        return {
            "domain": self.domain.name,
            "source": self.setup.source_name,
            "solver": self.setup.solver_name,
            "verifier": self.setup.verifier_name,
            "run_id": self.run_id,
            "models": {m: st.as_dict() for m, st in self.stats.items()},
            "fingerprints": dict(self.fingerprints),
            "planned": sum(st.planned for st in self.stats.values()),
            "already_done": sum(st.already_done for st in self.stats.values()),
            "done": done,
            "errors": sum(sum(st.errors.values()) for st in self.stats.values()),
            "retries": sum(st.retries for st in self.stats.values()),
            "skipped_spend_cap": sum(st.skipped for st in self.stats.values()),
            "spend_usd": self.ledger.spent,
            "max_spend_usd": self.options.max_spend,
            "spend_overrun_usd": self.ledger.overrun,  # billed above reservations (a provider ignoring max_tokens)
            "overran_models": sorted(m for m, g in gates.items() if g.bounded is False),
            "stopped": s.state.reason.label if s.state.reason else None,
            "stop_message": s.state.message,
            "elapsed_s": self.elapsed,
            "cpu_s": s.cpu_s,  # this process only (verification workers excluded)
            "attempts_per_s": done / self.elapsed if self.elapsed > 0 else None,
            "observer_errors": s.writer.observer_errors,
            "store_transactions": s.writer.transactions,
        }


def _check_options(options: CollectOptions) -> None:
    if options.attempts < 1:
        raise HarnessError(f"--attempts must be at least 1 (got {options.attempts})")
    if options.max_spend is not None and not (math.isfinite(options.max_spend) and options.max_spend > 0):
        raise HarnessError(
            f"--max-spend must be a positive number of dollars (got {options.max_spend}); leave it out for no cap"
        )
    if not options.models:
        raise HarnessError("no models to collect: pass --models a,b or set [market] providers in harness.toml")


def _say_stopping(in_flight: int) -> None:
    calls = "call" if in_flight == 1 else "calls"
    print(
        f"stopping: finishing {in_flight} {calls} in flight (Ctrl-C again to abandon them)",
        file=sys.stderr,
        flush=True,
    )
