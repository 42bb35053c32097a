"""A buying session: everything a collection or a run needs while attempts are bought.

It builds the :class:`~harness.collect.pipeline.AttemptPipeline` (metered clients, verification workers,
the single writer), runs the caller's coroutine in an event loop with Ctrl-C/SIGTERM handling (a first
signal drains: no new call starts, calls in flight finish and are recorded; a second abandons them),
and always leaves the store with every finished attempt. ``collect`` and ``run`` both buy through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from harness.collect.metering import AuthenticationFailed, SpendLedger, env_secrets
from harness.collect.pipeline import AttemptPipeline
from harness.collect.plan import fingerprints
from harness.collect.state import RunState, StopReason
from harness.collect.verify import ProcessVerification, available_cores
from harness.config import Config, ModelConfig
from harness.errors import HarnessError
from harness.providers.pricing import resolve_price
from harness.store.writer import StoreWriter
from harness.types import DomainSetup


class Session:
    """One domain, some models, one store, one spend cap: the shared state of the attempts bought."""

    def __init__(
        self,
        config: Config,
        registry: Any,
        store: Any,
        setup: DomainSetup,
        models: Sequence[str],
        max_spend: float | None,
        run_id: str | None = None,
        prefix: str = "collect",
        on_written: Callable[[Sequence[Any]], None] | None = None,
        executor: str = "local",
        ray_address: str | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.setup = setup
        self.models: dict[str, ModelConfig] = {m: config.model(m) for m in dict.fromkeys(models)}
        self.providers = {m: registry.provider(c.provider) for m, c in self.models.items()}
        self.prices = {m: resolve_price(c) for m, c in self.models.items()}
        self.fingerprints: Mapping[str, str] = fingerprints(config, setup, self.models)
        self.run_id = run_id or f"{prefix}-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.ledger = SpendLedger(max_spend)
        self.state = RunState()
        self.writer = StoreWriter(store, registry.notify_attempt, on_written)
        self.pipeline: AttemptPipeline | None = None
        self.on_stopping: Callable[[int], None] = lambda n: None
        self.started = time.monotonic()
        self.finished: float | None = None
        self.cpu_s = 0.0
        self.executor = executor  # "local" (worker processes here) or "ray" (harness.cluster)
        self.ray_address = ray_address
        self.cluster: Any = None  # the RayExecutor with executor="ray"

    def check(self) -> None:
        """Fail before any call: missing keys, and models that cannot be priced under a spend cap."""
        for name, model in self.models.items():
            check = getattr(self.providers[name], "check", None)
            if callable(check):
                check(model)
            if self.ledger.cap is not None and self.prices[name] is None:
                raise HarnessError(
                    f"model {name!r} has no price, so its calls cannot be reserved under --max-spend; set "
                    f"input_cost_per_mtok and output_cost_per_mtok (an upper bound) in [models.{name}]"
                )
        if self.executor == "ray":  # connect now: a missing Ray or a wrong address is one line, before any call
            self._cluster().connect()

    def _cluster(self) -> Any:
        if self.cluster is None:
            from harness.cluster import RayExecutor

            self.cluster = RayExecutor(self.ray_address, self.setup)
        return self.cluster

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def run(self, body: Callable[[AttemptPipeline], Awaitable[None]], verify_workers: int) -> None:
        """Run ``body`` with the pipeline; raise HarnessError on a fatal stop, KeyboardInterrupt when stopped
        by a signal (everything finished is committed either way)."""
        if self.executor == "ray":  # solves and verifications on the cluster (harness.cluster.executor)
            verification, setup = self._cluster(), self._cluster().setup
        else:
            verification, setup = ProcessVerification(max(1, min(verify_workers, available_cores()))), self.setup
        self.pipeline = AttemptPipeline(
            setup, self.models, self.providers, self.prices, self.fingerprints, self.ledger, self.state,
            verification, self.writer, self.run_id, env_secrets(list(self.models.values())),
        )  # fmt: skip
        # Cancelling in-flight calls on Ctrl-C leaves litellm coroutines unawaited: not worth a warning.
        warnings.filterwarnings("ignore", r"coroutine .* was never awaited", RuntimeWarning)
        interrupted = False
        cpu0 = time.process_time()
        try:
            verification.start()  # start the workers now, before the event loop and its threads
            self.started = time.monotonic()
            asyncio.run(self._main(body))
        except (KeyboardInterrupt, asyncio.CancelledError):
            interrupted = True
            self.state.stop(StopReason.INTERRUPTED)
        finally:
            self.writer.flush()
            self.finished = time.monotonic()
            self.cpu_s = time.process_time() - cpu0
            verification.shutdown(force=interrupted or self.state.fatal is not None)
        if self.state.fatal:
            raise HarnessError(self.state.fatal)
        if self.state.reason in (StopReason.DRAINING, StopReason.INTERRUPTED):
            raise KeyboardInterrupt

    async def _main(self, body: Callable[[AttemptPipeline], Awaitable[None]]) -> None:
        assert self.pipeline is not None
        self.state.halt = asyncio.Event()
        self.pipeline.open()
        main = asyncio.current_task()
        if main is not None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
                    loop.add_signal_handler(sig, self._on_signal, main)
        writer = asyncio.create_task(self.writer.run())
        work = asyncio.ensure_future(body(self.pipeline))
        work.add_done_callback(lambda f: f.cancelled() or f.exception())  # always retrieved
        try:
            await asyncio.wait({work, writer}, return_when=asyncio.FIRST_COMPLETED)
            if writer.done():  # the writer only ends by failing (the store cannot be written)
                writer.result()
            work.result()
        except (AuthenticationFailed, HarnessError) as exc:
            self.state.stop(StopReason.FATAL, str(exc))  # never end as a success (e.g. an unusable store)
        finally:
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
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


async def run_workers(count: int, worker: Callable[[], Awaitable[None]]) -> None:
    """``count`` copies of ``worker`` until all end; the first failure cancels the others and is raised."""
    tasks = [asyncio.create_task(worker()) for _ in range(max(1, count))]
    try:
        await asyncio.gather(*tasks)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
