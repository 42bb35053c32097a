"""The one attempt pipeline: (task, model, index) -> a recorded Attempt, for ``collect`` and ``run`` alike.

Solve through a :class:`~harness.collect.metering.MeteredClient` (per-model limits, the spend cap, the
run's halt), verify in a worker, build the record, hand it to the single writer. What happened to the
model calls is read from the client's one outcome, whatever the solver did with the exceptions: an
attempt that cost money but could not be judged is an ``error`` (retried by the next run, its dollars
kept), never a failure; an attempt refused before any call was paid is not recorded at all.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.collect.metering import CallFailure, MeteredClient, ModelGate, SpendLedger, redact
from harness.collect.plan import Work
from harness.collect.state import RunState, StopReason
from harness.collect.verify import Checked, Verification
from harness.config import ModelConfig
from harness.errors import HarnessError
from harness.providers.pricing import Price
from harness.store.attempt import Attempt
from harness.store.writer import StoreWriter
from harness.types import Candidate, DomainSetup, Verdict


@dataclass(frozen=True)
class Purchase:
    """What one pass through the pipeline gave: the recorded attempt, or why there is none."""

    attempt: Attempt | None
    #: ``None`` with an attempt; else ``stopping`` (refused: the run is stopping), ``capped`` (refused by
    #: the spend cap) or ``attempt_limit`` (its first call did not fit the attempt's dollar limit): nothing
    #: was paid, and the next run makes this attempt.
    refused: str | None = None


#: Attempts in a row of a model that had answered, each unable to connect, after which the run stops: its
#: server went away, and every further attempt would only wait out its retries and fail the same way.
LOST_AFTER = 3

#: An attempt refused part-way (some calls paid): the error kind it is recorded with, and why.
_REFUSED = {
    "capped": ("spend_cap", "the spend cap stopped this attempt"),
    "halted": ("interrupted", "the collection stopped between its calls"),
    "attempt_limit": ("attempt_limit", "the attempt reached its dollar limit"),
}


class AttemptPipeline:
    """Everything one attempt needs, shared by all attempts of a collection or run."""

    def __init__(
        self,
        setup: DomainSetup,
        models: Mapping[str, ModelConfig],
        providers: Mapping[str, Any],
        prices: Mapping[str, Price | None],
        fingerprints: Mapping[str, str],
        ledger: SpendLedger,
        state: RunState,
        verification: Verification,
        writer: StoreWriter,
        run_id: str,
        secrets: list[str],
    ) -> None:
        self.setup = setup
        self.models = dict(models)
        self.providers = dict(providers)
        self.prices = dict(prices)
        self.fingerprints = dict(fingerprints)
        self.ledger = ledger
        self.state = state
        self.verification = verification
        self.writer = writer
        self.run_id = run_id
        self.secrets = secrets
        self.gates: dict[str, ModelGate] = {}
        self.clients: set[MeteredClient] = set()  # the attempts being solved now
        self.reached: set[str] = set()  # models that answered a call in this run
        self.unreachable: Counter[str] = Counter()  # attempts in a row that could not connect, per model

    def open(self) -> None:
        """Create the per-model gates (inside the event loop that runs the attempts)."""
        self.gates = {m: ModelGate(c.concurrency, c.rpm, c.tpm) for m, c in self.models.items()}

    def in_flight(self) -> int:
        """Provider calls running now (started, so possibly billed)."""
        return sum(c.in_call for c in self.clients)

    async def attempt(self, work: Work, limit_usd: float | None = None) -> Purchase:
        """Solve, verify and record one attempt (the record goes to the writer before this returns).

        ``limit_usd``: the most the attempt may cost; a call that would pass it is not made and the attempt
        ends there (recorded as an ``error`` of kind ``attempt_limit``, its cost kept: it is not a whole
        attempt of the model, so banks leave it out).
        """
        client = MeteredClient(
            self.models[work.model],
            self.providers[work.model],
            self.ledger,
            self.gates[work.model],
            self.prices[work.model],
            halt=self.state.halt,
            limit_usd=limit_usd,
        )
        self.clients.add(client)
        started = time.time()
        try:
            candidate, failure = await self._solve(work, client, started)
        finally:
            self.clients.discard(client)
        if failure is not None:
            return self._failed_solve(work, client, started, failure)
        try:
            checked = await self.verification.verify(self.setup.verifier, work.task, candidate)
        except asyncio.CancelledError:  # paid for but not verified: keep what it cost (retried next run)
            self.writer.add(self._error(work, client, started, "interrupted", "verification interrupted", candidate))
            raise
        attempt = self._record(work, client, started, checked.verdict, candidate, checked=checked)
        self.writer.add(attempt)
        return Purchase(attempt)

    async def _solve(
        self, work: Work, client: MeteredClient, started: float
    ) -> tuple[Candidate, CallFailure | str | None]:
        try:
            candidate = await self.setup.solver.solve(work.task, client)
        except asyncio.CancelledError:
            if client.totals.calls:  # interrupted between calls: keep what the finished ones cost
                self.writer.add(self._error(work, client, started, "interrupted", "solving interrupted"))
            raise
        except HarnessError as exc:  # a configuration problem (e.g. missing weights): stop, say what
            if client.outcome() is None:
                self.state.stop(StopReason.FATAL, f"model {work.model!r}: {exc}")
                raise
            candidate = None
        except Exception as exc:
            if client.outcome() is None:
                return Candidate(answer=None), f"{type(exc).__name__}: {exc}"
            candidate = None
        failure = client.outcome()  # a solver may catch the harness's exceptions: the calls still decide
        if failure is None and not isinstance(candidate, Candidate):
            return Candidate(answer=None), f"TypeError: solver returned {type(candidate).__name__}, not Candidate"
        if client.totals.calls and failure is None:
            self.reached.add(work.model)  # a later connection failure is a blip, not a wrong api_base
            self.unreachable[work.model] = 0
        return candidate or Candidate(answer=None), failure

    def _failed_solve(self, work: Work, client: MeteredClient, started: float, failure: CallFailure | str) -> Purchase:
        if isinstance(failure, str):  # the solver raised by itself: its bug, recorded as an error
            return self._keep(self._error(work, client, started, "solver_exception", failure))
        if failure.kind == "auth":
            cfg = self.models[work.model]
            env = cfg.api_key_env or "the provider's key variable"
            self.state.stop(
                StopReason.FATAL,
                f"model {work.model!r} (route {cfg.route!r}): the provider rejected the API key "
                f"(authentication failed); check {env} and run again - completed attempts are kept",
            )
            raise failure.error
        if failure.refused:
            if client.totals.calls == 0:  # nothing was paid: the next run makes this attempt
                if failure.kind == "capped":
                    self.state.stop(StopReason.CAP_REACHED)
                return Purchase(None, "stopping" if failure.kind == "halted" else failure.kind)
            kind, why = _REFUSED[failure.kind]
            return self._keep(self._error(work, client, started, kind, why))
        if failure.kind in ("unreachable", "connection"):
            self._unreachable(work.model, failure.kind)
        return self._keep(self._error(work, client, started, failure.kind, str(failure.error)))

    def _unreachable(self, model: str, kind: str) -> None:
        """A model's server refused the connection (or dropped it): a wrong address or a server that is not
        running (it never answered) stops the run at once; a server that answered and then went away stops
        it after :data:`LOST_AFTER` attempts in a row (one failure is a blip, retried by the next run)."""
        cfg = self.models[model]
        where = f"api_base {cfg.api_base}" if cfg.api_base else f"the provider of route {cfg.route!r}"
        if model not in self.reached:
            if kind != "unreachable":
                return
            self.state.stop(
                StopReason.FATAL,
                f"model {model!r} cannot connect to {where} (connection refused or host not found): start "
                f"the server or correct [models.{model}] in the configuration, then run the same command "
                "again (completed attempts are kept)",
            )
            return
        self.unreachable[model] += 1
        if self.unreachable[model] >= LOST_AFTER:
            self.state.stop(
                StopReason.UNREACHABLE,
                f"model {model!r} stopped answering: {self.unreachable[model]} attempts in a row could not "
                f"connect to {where}, so the collection stopped; run the same command again when the server "
                "is back (completed attempts are kept, the failed ones are retried)",
            )

    def _keep(self, attempt: Attempt) -> Purchase:
        self.writer.add(attempt)
        return Purchase(attempt)

    def _record(
        self,
        work: Work,
        client: MeteredClient,
        started: float,
        verdict: Verdict,
        candidate: Candidate | None,
        error: str | None = None,
        checked: Checked | None = None,
    ) -> Attempt:
        t = client.totals
        detail: dict[str, Any] = {"calls": t.calls}
        if t.queue_s:
            detail["queue_s"] = t.queue_s
        if t.retries:
            detail["retries"] = t.retries
            detail["retry_wait_s"] = t.retry_wait_s
        if client.limit_usd is not None:
            detail["limit_usd"] = client.limit_usd
        if candidate is not None:
            detail["answer"] = candidate.answer
            if candidate.detail:
                detail["candidate"] = dict(candidate.detail)
        if verdict.detail:
            detail["verdict"] = dict(verdict.detail)
        if checked is not None:
            detail["verify_wall_s"] = checked.wall_s
            detail["verify_cpu_s"] = checked.cpu_s
        if error:
            detail["error"] = redact(error, self.secrets)[:500]
        if t.cost_estimated:
            detail["cost_estimated"] = True
        return Attempt(
            domain=self.setup.name,
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
