"""The collection pipeline: N attempts of each model on each task, solved, verified and stored.

An asyncio pipeline in one process: ``concurrency`` attempt workers take (task, model, index) items
from a queue; each solves through a :class:`~harness.collect.metering.MeteredClient` (per-model limits and the
spend cap), then verifies in a process pool bounded by the machine's cores; a writer commits finished
attempts in batched transactions and notifies observers. Attempts already stored (not errors) are not
planned again, so a collection killed at any point resumes where it stopped and pays nothing twice.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import math
import os
import pickle
import signal
import sys
import time
import uuid
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: no cross-process lock
    fcntl = None  # type: ignore[assignment]

from harness.collect.metering import (
    AuthenticationFailed,
    CallsStopped,
    MeteredClient,
    ModelGate,
    ProviderError,
    SpendCapReached,
    SpendLedger,
    env_secrets,
    redact,
)
from harness.config import Config, ModelConfig
from harness.errors import HarnessError
from harness.providers.pricing import resolve_price
from harness.store.attempt import Attempt, fingerprint
from harness.types import Candidate, Domain, DomainSetup, Task, Verdict

BATCH_MAX = 512
BATCH_WAIT_S = 0.02


def available_cores() -> int:
    """Cores this process may use (affinity-aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the parent only


def verify_in_worker(verifier: Any, task: Task, candidate: Candidate) -> Verdict:
    """Run a verifier (in a worker process); an exception becomes an ``error`` verdict."""
    try:
        verdict = verifier.verify(task, candidate)
        if not isinstance(verdict, Verdict):
            return Verdict(
                "error",
                error_kind="verifier_bad_result",
                detail={"error": f"verify returned {type(verdict).__name__}, not Verdict"},
            )
        return verdict
    except Exception as exc:
        return Verdict("error", error_kind="verifier_exception", detail={"error": f"{type(exc).__name__}: {exc}"[:500]})


@dataclass(frozen=True)
class Work:
    """One planned attempt."""

    task: Task
    model: str
    index: int


@dataclass
class ModelStats:
    """Per-model counts for the progress display and the summary."""

    planned: int = 0
    already_done: int = 0
    done: int = 0
    passed: int = 0
    failed: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def pass_rate(self) -> float | None:
        judged = self.passed + self.failed
        return self.passed / judged if judged else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "already_done": self.already_done,
            "done": self.done,
            "passed": self.passed,
            "failed": self.failed,
            "errors": dict(self.errors),
            "skipped_spend_cap": self.skipped,
            "cost_usd": self.cost_usd,
            "pass_rate": self.pass_rate,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
        }


@dataclass
class CollectOptions:
    """What ``harness collect`` was asked to do."""

    domain: str
    models: Sequence[str]
    attempts: int = 1
    limit: int | None = None
    max_spend: float | None = None
    concurrency: int | None = None
    verify_workers: int | None = None
    run_id: str | None = None


class Collector:
    """Plans and runs one collection against a store. ``on_update`` is called after each batch."""

    def __init__(
        self,
        config: Config,
        registry: Any,
        store: Any,
        options: CollectOptions,
        on_update: Callable[[Collector], None] | None = None,
    ) -> None:
        if options.attempts < 1:
            raise HarnessError(f"--attempts must be at least 1 (got {options.attempts})")
        if options.max_spend is not None and not (math.isfinite(options.max_spend) and options.max_spend > 0):
            raise HarnessError(
                f"--max-spend must be a positive number of dollars (got {options.max_spend}); leave it out for no cap"
            )
        if not options.models:
            raise HarnessError("no models to collect: pass --models a,b or set [run] models in harness.toml")
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
        # The domain's options (prompt template, source, ...) shape what the model is asked: part of the
        # experiment. ``limit`` only chooses how many tasks, so raising it resumes the same experiment.
        task_options = {k: v for k, v in config.domain_options(self.domain.name).items() if k not in ("limit", "_root")}
        identity = (self.domain.name, self.domain.version, *((task_options,) if task_options else ()))
        self.fingerprints = {m: fingerprint(c.sampling, *identity) for m, c in self.models.items()}
        self.run_id = options.run_id or f"collect-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.ledger = SpendLedger(options.max_spend)
        self.stats = {m: ModelStats() for m in self.models}
        self.secrets = env_secrets(list(self.models.values()))
        notify = getattr(store, "on_record", None)
        if notify is not None:  # the store tells the observers itself: an observer's bug must not stop us
            store.on_record = self._guarded(notify)
        self.stopped: str | None = None
        self.fatal: str | None = None
        self.observer_errors = 0
        self.transactions = 0
        self.started = time.monotonic()
        self._cpu0 = time.process_time()
        self.cpu_s = 0.0
        self.finished: float | None = None
        self._pending: list[Attempt] = []
        self._reached: set[str] = set()  # models with a successful call in this run
        self._stopping = False
        self._work: deque[Work] = deque()
        self._wake: asyncio.Event | None = None
        self._halt: asyncio.Event | None = None  # set by a first Ctrl-C/SIGTERM: no new call starts
        self._clients: set[MeteredClient] = set()  # the attempts being solved now
        self.draining = False  # a first Ctrl-C/SIGTERM arrived: finishing the calls in flight
        self.on_stopping: Callable[[int], None] = _say_stopping

    # ---- planning --------------------------------------------------------------------------------

    def preflight(self) -> None:
        """Fail before any call: missing keys, and models that cannot be capped under --max-spend."""
        for name, model in self.models.items():
            check = getattr(self.providers[name], "check", None)
            if callable(check):
                check(model)
            if self.options.max_spend is not None and self.prices[name] is None:
                raise HarnessError(
                    f"model {name!r} has no price, so its calls cannot be reserved under --max-spend; set "
                    f"input_cost_per_mtok and output_cost_per_mtok (an upper bound) in [models.{name}]"
                )
        try:
            pickle.dumps(self.setup.verifier)
        except Exception as exc:
            raise HarnessError(
                f"domain {self.domain.name!r}: its verifier cannot be sent to a worker process ({exc}); "
                "verifiers must be picklable (module-level classes, no open handles)"
            ) from None

    def tasks(self) -> list[Task]:
        opts = self.config.domain_options(self.domain.name)
        if self.options.limit is not None:
            if self.options.limit < 1:
                raise HarnessError(f"--limit must be at least 1 (got {self.options.limit})")
            opts["limit"] = min(self.options.limit, opts.get("limit") or self.options.limit)
        try:
            tasks = self.setup.source.tasks({k: v for k, v in opts.items() if k not in ("solver", "verifier")})
            if self.options.limit is not None:
                tasks = itertools.islice(tasks, self.options.limit)
            out = list(tasks)
        except HarnessError:
            raise
        except Exception as exc:
            raise HarnessError(
                f"domain {self.domain.name!r} could not list its tasks: {type(exc).__name__}: "
                f"{exc}; check [domains.{self.domain.name}] in harness.toml"
            ) from exc
        ids = Counter(t.id for t in out)
        dup = [i for i, n in ids.items() if n > 1]
        if dup:
            raise HarnessError(f"domain {self.domain.name!r} yields task id {dup[0]!r} more than once")
        return out

    def plan(self) -> list[Work]:
        """Every attempt not yet stored, task-major so an interrupted run leaves whole tasks."""
        tasks = self.tasks()
        done = {m: self.store.completed(self.domain.name, m, self.fingerprints[m]) for m in self.models}
        work: list[Work] = []
        for task in tasks:
            for m in self.models:
                for i in range(self.options.attempts):
                    self.stats[m].planned += 1
                    if (task.id, i) in done[m]:
                        self.stats[m].already_done += 1
                    else:
                        work.append(Work(task, m, i))
        return work

    # ---- running ---------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        """Plan, run to the end (or the cap, Ctrl-C, an auth failure), and return the summary."""
        self.preflight()
        with self._exclusive():
            return self._run()

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold a lock per (domain, model, fingerprint) on this store while collecting: a second collection
        of the same experiment would plan the same missing attempts and pay for each of them twice."""
        path = getattr(self.store, "path", None)
        if path is None or fcntl is None:
            yield
            return
        folder = Path(path).parent / f".{Path(path).name}.locks"
        with contextlib.ExitStack() as held:
            for m, fp in self.fingerprints.items():
                try:
                    folder.mkdir(exist_ok=True)
                    fh = held.enter_context(open(folder / f"{fingerprint(self.domain.name, m, fp)}.lock", "a"))
                except OSError as exc:
                    raise HarnessError(
                        f"{folder}: cannot create the collection locks ({exc.strerror or exc}); "
                        "check [store] path in harness.toml"
                    ) from None
                try:
                    fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a process lock: verify workers do not inherit it
                except OSError:
                    raise HarnessError(
                        f"another `harness collect` is collecting model {m!r} on domain {self.domain.name!r} into "
                        f"{path}; wait for it to finish or stop it (two runs would pay for the same attempts twice)"
                    ) from None
            yield

    def _run(self) -> dict[str, Any]:
        work = self.plan()
        self._work = deque(work)
        if not work:
            self.finished = time.monotonic()
            return self.summary()
        self._pool = self._new_pool(self.options.verify_workers or min(available_cores(), len(work)))
        interrupted = False
        # Cancelling in-flight calls on Ctrl-C leaves litellm coroutines unawaited: not worth a warning.
        warnings.filterwarnings("ignore", r"coroutine .* was never awaited", RuntimeWarning)
        try:
            self._pool.submit(int).result()  # start the workers now, before the event loop and its threads
            self.started = time.monotonic()
            self._cpu0 = time.process_time()
            asyncio.run(self._main())
        except (KeyboardInterrupt, asyncio.CancelledError):
            interrupted = True
            self.stopped = "interrupted"
        finally:
            if self.draining and self.fatal is None:  # stopped gracefully: what was in flight is recorded
                self.stopped = "interrupted"
            self._flush()
            self.finished = time.monotonic()
            self.cpu_s = time.process_time() - self._cpu0
            _shutdown(self._pool, force=interrupted or self.fatal is not None)
        if interrupted or self.draining and self.fatal is None:
            raise KeyboardInterrupt
        if self.fatal:
            raise HarnessError(self.fatal)
        return self.summary()

    @staticmethod
    def _new_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(max_workers=workers, initializer=_ignore_sigint)

    async def _main(self) -> None:
        self._wake = asyncio.Event()
        self._halt = asyncio.Event()
        main = asyncio.current_task()
        if main is not None:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
                    loop.add_signal_handler(sig, self._on_signal, main)
        self.gates = {m: ModelGate(c.concurrency, c.rpm, c.tpm) for m, c in self.models.items()}
        n = self.options.concurrency or sum(c.concurrency for c in self.models.values())
        n = max(1, min(n, len(self._work)))
        writer = asyncio.create_task(self._writer())
        workers = [asyncio.create_task(self._worker()) for _ in range(n)]
        all_workers = asyncio.gather(*workers)
        all_workers.add_done_callback(lambda f: f.cancelled() or f.exception())  # always retrieved
        try:
            await asyncio.wait({all_workers, writer}, return_when=asyncio.FIRST_COMPLETED)
            if writer.done():  # the writer only ends by failing (the store cannot be written)
                writer.result()
            all_workers.result()
        except (AuthenticationFailed, HarnessError) as exc:
            if self.fatal is None:  # e.g. the writer found the store unusable: never end as a success
                self.fatal = str(exc)
        finally:
            self._stopping = True
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)

    def _on_signal(self, main: asyncio.Task[Any]) -> None:
        """A first Ctrl-C/SIGTERM drains: no new attempt or call; the calls in flight finish and are recorded
        (a hosted provider bills them anyway). A second one abandons them at once."""
        if self.draining:
            main.cancel()
            return
        self.draining = True
        self._stopping = True
        assert self._halt is not None
        self._halt.set()
        in_flight = sum(c.in_call for c in self._clients)
        with contextlib.suppress(Exception):
            self.on_stopping(in_flight)

    async def _worker(self) -> None:
        me = asyncio.current_task()
        # Stop at Ctrl-C even if a cancellation was swallowed on its way (Python 3.11's asyncio.wait_for
        # returns the result of a call that finishes as it is cancelled): never start another paid attempt.
        while self._work and self.fatal is None and not self._stopping and not (me and me.cancelling()):
            work = self._work.popleft()
            attempt = await self._attempt(work)
            if attempt is not None:
                self._pending.append(attempt)
                assert self._wake is not None
                self._wake.set()

    async def _attempt(self, work: Work) -> Attempt | None:
        cfg = self.models[work.model]
        client = MeteredClient(
            cfg,
            self.providers[work.model],
            self.ledger,
            self.gates[work.model],
            self.prices[work.model],
            halt=self._halt,
        )
        self._clients.add(client)
        try:
            return await self._solve_and_verify(work, client)
        finally:
            self._clients.discard(client)

    async def _solve_and_verify(self, work: Work, client: MeteredClient) -> Attempt | None:
        cfg = self.models[work.model]
        started = time.time()
        candidate: Candidate | None = None
        try:
            candidate = await self.setup.solver.solve(work.task, client)
            # A solver may catch the harness's exceptions: what happened to its calls still decides.
            if isinstance(client.failure, AuthenticationFailed):
                raise client.failure
            if client.halted:
                raise CallsStopped("a call was refused: the collection is stopping")
            if client.capped:
                raise SpendCapReached("a call was refused by the spend cap")
            if client.last_failed and client.failure is not None:
                raise client.failure  # it gave up after a failed call: an infrastructure error, not a failure
            if not isinstance(candidate, Candidate):
                raise TypeError(f"solver returned {type(candidate).__name__}, not Candidate")
            if client.totals.calls:
                self._reached.add(work.model)  # a later connection failure is a blip, not a wrong api_base
        except CallsStopped:
            if client.totals.calls == 0:
                return None  # nothing was paid for: the next run makes this attempt
            return self._error(work, client, started, "interrupted", "the collection stopped between its calls")
        except SpendCapReached:
            if client.totals.calls == 0:
                self.stats[work.model].skipped += 1
                self.stopped = "spend_cap"
                return None
            return self._error(work, client, started, "spend_cap", "the spend cap stopped this attempt")
        except AuthenticationFailed:
            env = cfg.api_key_env or "the provider's key variable"
            self.fatal = (
                f"model {work.model!r} (route {cfg.route!r}): the provider rejected the API key "
                f"(authentication failed); check {env} and run again - completed attempts are kept"
            )
            raise
        except ProviderError as exc:
            if exc.kind == "unreachable" and work.model not in self._reached and self.fatal is None:
                where = f"api_base {cfg.api_base}" if cfg.api_base else f"the provider of route {cfg.route!r}"
                self.fatal = (
                    f"model {work.model!r}: cannot connect to {where} (connection refused or host not found); "
                    f"check that the server is running and [models.{work.model}] - completed attempts are kept"
                )
            return self._error(work, client, started, exc.kind, str(exc))
        except HarnessError as exc:  # a configuration problem (e.g. missing weights): stop, say what
            self.fatal = f"model {work.model!r}: {exc}"
            raise
        except asyncio.CancelledError:
            if client.totals.calls:  # interrupted between calls: keep what the finished ones cost
                self._pending.append(self._error(work, client, started, "interrupted", "solving interrupted"))
            raise
        except Exception as exc:
            return self._error(work, client, started, "solver_exception", f"{type(exc).__name__}: {exc}")
        loop = asyncio.get_running_loop()
        pool = self._pool
        try:
            verdict = await loop.run_in_executor(pool, verify_in_worker, self.setup.verifier, work.task, candidate)
        except asyncio.CancelledError:
            # Paid for but not verified: keep what it cost (recorded as an error, retried next run).
            self._pending.append(
                self._error(work, client, started, "interrupted", "verification interrupted", candidate)
            )
            raise
        except Exception as exc:  # the pool broke (a verifier crashed its worker): replace it
            if isinstance(exc, BrokenProcessPool) and self._pool is pool:
                self._pool = self._new_pool(pool._max_workers)  # type: ignore[attr-defined]
                _shutdown(pool, force=True)
            verdict = Verdict("error", error_kind="verifier_crashed", detail={"error": f"{type(exc).__name__}: {exc}"})
        return self._record(work, client, started, verdict, candidate)

    def _record(
        self,
        work: Work,
        client: MeteredClient,
        started: float,
        verdict: Verdict,
        candidate: Candidate | None,
        error: str | None = None,
    ) -> Attempt:
        t = client.totals
        detail: dict[str, Any] = {"calls": t.calls}
        if candidate is not None:
            detail["answer"] = candidate.answer
            if candidate.detail:
                detail["candidate"] = dict(candidate.detail)
        if verdict.detail:
            detail["verdict"] = dict(verdict.detail)
        if error:
            detail["error"] = redact(error, self.secrets)[:500]
        if t.cost_estimated:
            detail["cost_estimated"] = True
        return Attempt(
            domain=self.domain.name,
            task_id=work.task.id,
            model=work.model,
            fingerprint=self.fingerprints[work.model],
            index=work.index,
            verdict=verdict.status,
            cost_usd=t.cost_usd,
            run_id=self.run_id,
            input_tokens=t.input_tokens,
            output_tokens=t.output_tokens,
            latency_s=t.latency_s,
            error_kind=verdict.error_kind,
            correct=verdict.correct,
            params=self.models[work.model].sampling,
            detail=detail,
            prompt=candidate.prompt if candidate else None,
            response=candidate.response if candidate else None,
            started_at=started,
            finished_at=time.time(),
        )

    def _error(
        self,
        work: Work,
        client: MeteredClient,
        started: float,
        kind: str,
        message: str,
        candidate: Candidate | None = None,
    ) -> Attempt:
        return self._record(work, client, started, Verdict("error", error_kind=kind), candidate, message)

    # ---- writing ---------------------------------------------------------------------------------

    async def _writer(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            if len(self._pending) < BATCH_MAX:
                await asyncio.sleep(BATCH_WAIT_S)  # let a few more finish: one transaction for all
            self._flush()

    def _flush(self) -> None:
        """Commit the finished attempts in one transaction, then tell the observers."""
        while self._pending:
            batch, self._pending = self._pending[:BATCH_MAX], self._pending[BATCH_MAX:]
            written = self.store.record(batch)
            self.transactions += 1
            for a in written:
                s = self.stats[a.model]
                s.done += 1
                s.cost_usd += a.cost_usd
                s.input_tokens += a.input_tokens or 0
                s.output_tokens += a.output_tokens or 0
                if a.verdict == "passed":
                    s.passed += 1
                elif a.verdict == "failed":
                    s.failed += 1
                else:
                    s.errors[a.error_kind or "unknown"] += 1
                if getattr(self.store, "on_record", None) is None:  # else the store notifies them itself
                    try:
                        self.registry.notify_attempt(a)
                    except Exception:
                        self.observer_errors += 1
        if self.on_update is not None:
            self.on_update(self)

    def _guarded(self, notify: Callable[[Attempt], None]) -> Callable[[Attempt], None]:
        def call(attempt: Attempt) -> None:
            try:
                notify(attempt)
            except Exception:
                self.observer_errors += 1

        return call

    # ---- reporting -------------------------------------------------------------------------------

    @property
    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def summary(self) -> dict[str, Any]:
        done = sum(s.done for s in self.stats.values())
        skipped = sum(s.skipped for s in self.stats.values())
        return {
            "domain": self.domain.name,
            "run_id": self.run_id,
            "models": {m: s.as_dict() for m, s in self.stats.items()},
            "fingerprints": dict(self.fingerprints),
            "planned": sum(s.planned for s in self.stats.values()),
            "already_done": sum(s.already_done for s in self.stats.values()),
            "done": done,
            "errors": sum(sum(s.errors.values()) for s in self.stats.values()),
            "skipped_spend_cap": skipped,
            "spend_usd": self.ledger.spent,
            "max_spend_usd": self.options.max_spend,
            "spend_overrun_usd": self.ledger.overrun,  # billed above reservations (a provider ignoring max_tokens)
            "overran_models": sorted(m for m, g in getattr(self, "gates", {}).items() if g.bounded is False),
            "stopped": self.stopped,
            "elapsed_s": self.elapsed,
            "cpu_s": self.cpu_s,  # this process only (verification workers excluded)
            "attempts_per_s": done / self.elapsed if self.elapsed > 0 else None,
            "observer_errors": self.observer_errors,
            "store_transactions": self.transactions,
        }


def _say_stopping(in_flight: int) -> None:
    calls = "call" if in_flight == 1 else "calls"
    print(
        f"stopping: finishing {in_flight} {calls} in flight (Ctrl-C again to abandon them)", file=sys.stderr, flush=True
    )


def _shutdown(pool: concurrent.futures.ProcessPoolExecutor, force: bool) -> None:
    """Stop the verification workers; on an interruption do not wait for running verifications."""
    if force:
        for p in list(getattr(pool, "_processes", {}).values()):
            p.terminate()
    pool.shutdown(wait=not force, cancel_futures=True)
