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
import contextlib
import math
import signal
import sys
import time
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.collect import plan
from harness.collect.metering import AuthenticationFailed, SpendLedger, env_secrets
from harness.collect.pipeline import AttemptPipeline
from harness.collect.plan import Work
from harness.collect.state import RunState, StopReason
from harness.collect.stats import ModelStats, count
from harness.collect.verify import ProcessVerification, available_cores
from harness.config import Config, ModelConfig
from harness.errors import HarnessError
from harness.providers.pricing import resolve_price
from harness.store.writer import StoreWriter
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
        self.registry = registry
        self.store = store
        self.options = options
        self.on_update = on_update
        self.setup: DomainSetup = registry.setup(options.domain, config.domain_options(options.domain))
        self.domain: Domain = self.setup.domain
        self.models: dict[str, ModelConfig] = {m: config.model(m) for m in dict.fromkeys(options.models)}
        self.providers = {m: registry.provider(c.provider) for m, c in self.models.items()}
        self.prices = {m: resolve_price(c) for m, c in self.models.items()}
        self.fingerprints = plan.fingerprints(config, self.setup, self.models)
        self.run_id = options.run_id or f"collect-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.ledger = SpendLedger(options.max_spend)
        self.stats = {m: ModelStats() for m in self.models}
        self.state = RunState()
        self.writer = StoreWriter(store, registry.notify_attempt, self._written)
        self.pipeline: AttemptPipeline | None = None
        self.started = time.monotonic()
        self._cpu0 = time.process_time()
        self.cpu_s = 0.0
        self.finished: float | None = None
        self._work: deque[Work] = deque()
        self.on_stopping: Callable[[int], None] = _say_stopping

    def preflight(self) -> None:
        """Fail before any call: missing keys, models that cannot be capped, a verifier that cannot run."""
        for name, model in self.models.items():
            check = getattr(self.providers[name], "check", None)
            if callable(check):
                check(model)
            if self.options.max_spend is not None and self.prices[name] is None:
                raise HarnessError(
                    f"model {name!r} has no price, so its calls cannot be reserved under --max-spend; set "
                    f"input_cost_per_mtok and output_cost_per_mtok (an upper bound) in [models.{name}]"
                )
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
            return self._run()

    def _run(self) -> dict[str, Any]:
        self._work = deque(self.plan())
        if not self._work:
            self.finished = time.monotonic()
            return self.summary()
        verification = ProcessVerification(self.options.verify_workers or min(available_cores(), len(self._work)))
        self.pipeline = AttemptPipeline(
            self.setup, self.models, self.providers, self.prices, self.fingerprints, self.ledger, self.state,
            verification, self.writer, self.run_id, env_secrets(list(self.models.values())),
        )  # fmt: skip
        # Cancelling in-flight calls on Ctrl-C leaves litellm coroutines unawaited: not worth a warning.
        warnings.filterwarnings("ignore", r"coroutine .* was never awaited", RuntimeWarning)
        interrupted = False
        try:
            verification.start()  # start the workers now, before the event loop and its threads
            self.started, self._cpu0 = time.monotonic(), time.process_time()
            asyncio.run(self._main())
        except (KeyboardInterrupt, asyncio.CancelledError):
            interrupted = True
            self.state.stop(StopReason.INTERRUPTED)
        finally:
            self.writer.flush()
            self.finished = time.monotonic()
            self.cpu_s = time.process_time() - self._cpu0
            verification.shutdown(force=interrupted or self.state.fatal is not None)
        if self.state.fatal:
            raise HarnessError(self.state.fatal)
        if self.state.reason in (StopReason.DRAINING, StopReason.INTERRUPTED):
            raise KeyboardInterrupt
        return self.summary()

    async def _main(self) -> None:
        assert self.pipeline is not None
        self.state.halt = asyncio.Event()
        self.pipeline.open()
        main = asyncio.current_task()
        if main is not None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
                    loop.add_signal_handler(sig, self._on_signal, main)
        n = self.options.concurrency or sum(c.concurrency for c in self.models.values())
        n = max(1, min(n, len(self._work)))
        writer = asyncio.create_task(self.writer.run())
        workers = [asyncio.create_task(self._worker()) for _ in range(n)]
        all_workers = asyncio.gather(*workers)
        all_workers.add_done_callback(lambda f: f.cancelled() or f.exception())  # always retrieved
        try:
            await asyncio.wait({all_workers, writer}, return_when=asyncio.FIRST_COMPLETED)
            if writer.done():  # the writer only ends by failing (the store cannot be written)
                writer.result()
            all_workers.result()
        except (AuthenticationFailed, HarnessError) as exc:
            self.state.stop(StopReason.FATAL, str(exc))  # never end as a success (e.g. an unusable store)
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    def _on_signal(self, main: asyncio.Task[Any]) -> None:
        """A first Ctrl-C/SIGTERM drains: no new attempt or call; the calls in flight finish and are recorded
        (a hosted provider bills them anyway). A second one abandons them at once."""
        if self.state.reason is not None and self.state.reason >= StopReason.DRAINING:
            main.cancel()
            return
        self.state.stop(StopReason.DRAINING)
        with contextlib.suppress(Exception):
            self.on_stopping(self.pipeline.in_flight() if self.pipeline else 0)

    async def _worker(self) -> None:
        assert self.pipeline is not None
        me = asyncio.current_task()
        # Stop at Ctrl-C even if a cancellation was swallowed on its way (Python 3.11's asyncio.wait_for
        # returns the result of a call that finishes as it is cancelled): never start another paid attempt.
        while self._work and self.state.accepting and not (me and me.cancelling()):
            work = self._work.popleft()
            bought = await self.pipeline.attempt(work)
            if bought.refused == "capped":
                self.stats[work.model].skipped += 1

    def _written(self, written: Sequence[Any]) -> None:
        count(self.stats, written)
        if self.on_update is not None:
            self.on_update(self)

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def summary(self) -> dict[str, Any]:
        done = sum(s.done for s in self.stats.values())
        gates = self.pipeline.gates if self.pipeline else {}
        return {
            "domain": self.domain.name,
            "source": self.setup.source_name,
            "solver": self.setup.solver_name,
            "verifier": self.setup.verifier_name,
            "run_id": self.run_id,
            "models": {m: s.as_dict() for m, s in self.stats.items()},
            "fingerprints": dict(self.fingerprints),
            "planned": sum(s.planned for s in self.stats.values()),
            "already_done": sum(s.already_done for s in self.stats.values()),
            "done": done,
            "errors": sum(sum(s.errors.values()) for s in self.stats.values()),
            "skipped_spend_cap": sum(s.skipped for s in self.stats.values()),
            "spend_usd": self.ledger.spent,
            "max_spend_usd": self.options.max_spend,
            "spend_overrun_usd": self.ledger.overrun,  # billed above reservations (a provider ignoring max_tokens)
            "overran_models": sorted(m for m, g in gates.items() if g.bounded is False),
            "stopped": self.state.reason.label if self.state.reason else None,
            "elapsed_s": self.elapsed,
            "cpu_s": self.cpu_s,  # this process only (verification workers excluded)
            "attempts_per_s": done / self.elapsed if self.elapsed > 0 else None,
            "observer_errors": self.writer.observer_errors,
            "store_transactions": self.writer.transactions,
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
