"""Metering of model calls: the spend cap, per-model rate limits, and the client a solver gets.

Every model call of a collection goes through a :class:`MeteredClient`. Before the call it takes a slot
of the model's :class:`ModelGate` (concurrency, requests and tokens per minute), then reserves the
call's worst-case cost (prompt tokens plus the maximum output tokens at the model's price) in the
:class:`SpendLedger`; a call that could take the spend over the cap is never started. After the call the
reservation is replaced by the billed cost. The client also adds up the tokens and dollars of all calls
of one attempt, so an attempt that fails after some calls were billed still records what it cost.
Under a cap, a model's calls go one at a time until one shows that its provider keeps within the
reservation (honours ``max_tokens``); a model billed above a reservation gets no further calls.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import os
import re
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from harness.providers.pricing import Price
from harness.providers.ticket import CallTicket, current_ticket
from harness.types import Completion, Message

#: Safety margin on the local prompt-token count (providers' tokenizers differ from litellm's count).
PROMPT_MARGIN = 1.25
PROMPT_SLACK_TOKENS = 16


class ProviderError(Exception):
    """A model call failed. ``kind`` classifies it (timeout, rate_limit, server_error, auth, ...).

    ``billed_cost`` is what the provider charged for the failed call (0 when it charged nothing, None
    when it charged an unknown amount); tokens likewise. The message never contains an API key.
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        retryable: bool = False,
        input_tokens: int = 0,
        output_tokens: int = 0,
        billed_cost: float | None = 0.0,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.billed_cost = billed_cost


class AuthenticationFailed(ProviderError):
    """The provider rejected the credentials: retrying cannot help, so a collection stops at once."""

    def __init__(self, message: str) -> None:
        super().__init__("auth", message, retryable=False)


class SpendCapReached(Exception):
    """The next call could take the spend over ``--max-spend``; it was not started."""


class CallsStopped(Exception):
    """The collection is stopping (a first Ctrl-C or SIGTERM): this call was not started."""


class AttemptLimitReached(Exception):
    """The next call of an attempt could cost more than the attempt's own dollar limit; it was not started."""


@dataclass(frozen=True)
class CallFailure:
    """Why one metered call gave no completion: ``halted`` (the run is stopping), ``capped`` (the spend
    cap refused it), ``auth``, or the provider's kind (``timeout``, ``rate_limit``, ``server_error``,
    ``unreachable``, ``bad_cost`` ...). ``billed`` tells whether the provider may have charged for it."""

    kind: str
    error: BaseException
    billed: bool = False

    @property
    def refused(self) -> bool:
        """The call was never started (nothing was paid for it)."""
        return self.kind in ("halted", "capped", "attempt_limit")


_KEYLIKE = re.compile(r"\b(sk|pk|rk|key|api|fw|gsk|xai|hf)[-_][A-Za-z0-9_\-]{8,}")


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """Remove secret values (and anything shaped like an API key) from a message."""
    for s in secrets:
        if s and len(s) >= 8:  # short values (flags, "none") are not secrets worth mangling text for
            text = text.replace(s, "[redacted]")
    return _KEYLIKE.sub("[redacted]", text)


def env_secrets(models: Sequence[Any] = ()) -> list[str]:
    """The values of the environment variables that hold keys: named by models, or *_KEY / *_TOKEN."""
    names = {m.api_key_env for m in models if getattr(m, "api_key_env", None)}
    names |= {k for k in os.environ if k.endswith(("_KEY", "_TOKEN", "_SECRET"))}
    return sorted((os.environ[n] for n in names if os.environ.get(n)), key=len, reverse=True)


class SpendLedger:
    """Dollars spent and reserved under an optional hard cap (one asyncio loop; no locks needed).

    A reservation that does not fit waits while other reservations are outstanding (they may release
    money when they settle); it is refused with :class:`SpendCapReached` once it cannot fit even then.
    """

    def __init__(self, cap: float | None = None) -> None:
        self.cap = cap
        self.spent = 0.0
        self.reserved = 0.0
        self.overrun = 0.0  # dollars billed above a call's reservation (a provider exceeding max_tokens)
        self._waiters: list[asyncio.Future[None]] = []

    def fits_ever(self, amount: float) -> bool:
        return self.cap is None or self.spent + amount <= self.cap

    async def reserve(self, amount: float) -> float:
        """Reserve ``amount`` dollars; returns it (pass it to :meth:`settle`)."""
        if amount < 0 or math.isnan(amount):
            raise ValueError(f"reservation must be a non-negative amount, got {amount}")
        while True:
            if not self.fits_ever(amount):
                raise SpendCapReached(
                    f"a call that may cost ${amount:.6f} does not fit under the cap (${self.cap:.6f}; "
                    f"spent ${self.spent:.6f})"
                )
            if self.cap is None or self.spent + self.reserved + amount <= self.cap:
                self.reserved += amount
                return amount
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await fut
            finally:
                if fut in self._waiters:
                    self._waiters.remove(fut)

    def settle(self, reserved: float, cost: float) -> None:
        """Replace a reservation by the billed cost (synchronous, so it is safe in ``finally``)."""
        self.reserved = max(self.reserved - reserved, 0.0)
        self.spent += cost
        self.overrun += max(cost - reserved, 0.0) if self.cap is not None else 0.0
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)


class TokenBucket:
    """A rate limit of ``per_minute`` units, refilled continuously, with one second of burst."""

    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    async def take(self, n: float = 1.0) -> None:
        """Wait until ``n`` units may be spent (a request larger than the burst leaves a debt)."""
        need = min(n, self.capacity)
        while True:
            self._refill()
            if self.tokens >= need:
                self.tokens -= n
                return
            await asyncio.sleep((need - self.tokens) / self.rate)


class ModelGate:
    """The per-model limits: concurrent calls, requests per minute, tokens per minute."""

    def __init__(self, concurrency: int, rpm: int | None = None, tpm: int | None = None) -> None:
        self.semaphore = asyncio.Semaphore(concurrency)
        self.rpm = TokenBucket(rpm) if rpm else None
        self.tpm = TokenBucket(tpm) if tpm else None
        # Under a spend cap a reservation bounds a call only if the provider honours max_tokens: until one
        # call shows it does, calls of the model go one at a time (a provider that ignores it, or a
        # litellm route that drops the parameter, could otherwise overrun the cap once per call in flight).
        self.bounded: bool | None = None
        self.probe = asyncio.Lock()

    async def acquire(self, tokens: int) -> None:
        """Take a slot (concurrency, then the rate limits); pair with :meth:`release`."""
        await self.semaphore.acquire()
        try:
            if self.rpm is not None:
                await self.rpm.take(1)
            if self.tpm is not None:
                await self.tpm.take(tokens)
        except BaseException:
            self.semaphore.release()
            raise

    def release(self) -> None:
        self.semaphore.release()

    @asynccontextmanager
    async def slot(self, tokens: int) -> AsyncIterator[None]:
        await self.acquire(tokens)
        try:
            yield
        finally:
            self.release()


def count_prompt_tokens(route: str, messages: Sequence[Message]) -> int:
    """Prompt tokens as litellm counts them (the model's tokenizer where known, else tiktoken)."""
    import litellm

    try:
        return int(litellm.token_counter(model=route, messages=[_msg(m) for m in messages]))
    except Exception:  # an unknown tokenizer: a generous character-based bound
        return sum(len(m.content) for m in messages) // 2 + 8 * len(messages)


def _msg(m: Message) -> dict[str, str]:
    return {"role": m.role, "content": m.content}


@dataclass
class CallTotals:
    """What the calls of one attempt cost so far. ``latency_s`` is the model's own time (queueing
    excluded); ``queue_s`` the time spent waiting for a slot or a reservation and, inside the provider,
    behind other calls (local generations run one at a time); ``retries`` the requests repeated inside
    the provider after a transient failure, and ``retry_wait_s`` the backoff slept before them."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    queue_s: float = 0.0
    retries: int = 0
    retry_wait_s: float = 0.0
    cost_estimated: bool = False


class MeteredClient:
    """The :class:`harness.ModelClient` a solver gets for one attempt: capped, limited and counted."""

    def __init__(
        self,
        model: Any,
        provider: Any,
        ledger: SpendLedger,
        gate: ModelGate,
        price: Price | None,
        halt: asyncio.Event | None = None,
        limit_usd: float | None = None,
    ) -> None:
        self.name: str = model.name
        self.limit_usd = limit_usd  # the most this attempt may cost (a run's stage budget); None: no limit
        self.model = model
        self.provider = provider
        self.ledger = ledger
        self.gate = gate
        self.price = price
        self.totals = CallTotals()
        self.halt = halt  # set when the collection stops: no call starts after it
        self._tickets: set[CallTicket] = set()  # provider calls made now (running or queued inside)
        self._failures: list[CallFailure] = []  # every call that gave no completion, in order
        self._last_failed = False

    @property
    def in_call(self) -> int:
        """Provider calls running now (started, so possibly billed); calls queued inside the provider,
        e.g. behind another local generation, are not counted: a stopping run abandons them."""
        return sum(1 for t in self._tickets if t.running)

    def outcome(self) -> CallFailure | None:
        """The one failure that decides the attempt, whatever the solver did with the exceptions (None: the
        calls went through). An authentication failure anywhere wins; then a call refused because the run
        is stopping, then one refused by the cap; else the last call, if it failed."""
        for kind in ("auth", "halted", "capped", "attempt_limit"):
            for f in self._failures:
                if f.kind == kind:
                    return f
        return self._failures[-1] if self._last_failed and self._failures else None

    def fail(self, failure: CallFailure) -> None:
        """Make ``failure`` decide the attempt, as a failed last call would (an executor that lost the worker
        running the solve records it so: the attempt is then an ``error`` of its kind, with its totals)."""
        self._failures.append(failure)
        self._last_failed = True

    def _refuse(self, exc: BaseException, kind: str) -> BaseException:
        self._failures.append(CallFailure(kind, exc))
        return exc

    def worst_case(self, prompt_tokens: int, max_tokens: int) -> float | None:
        """The most a call can cost: prompt tokens (with margin) plus every output token allowed."""
        if self.price is None:
            return None
        bound = math.ceil(prompt_tokens * PROMPT_MARGIN) + PROMPT_SLACK_TOKENS
        return self.price.cost(bound, max_tokens)

    async def complete(self, messages: Sequence[Message], **params: Any) -> Completion:
        self._check_halt()
        max_tokens = int(params.get("max_tokens") or self.model.max_tokens)
        params["max_tokens"] = max_tokens
        prompt_tokens = count_prompt_tokens(self.model.route, messages)
        if self.limit_usd is not None:
            max_tokens = params["max_tokens"] = self._within_limit(prompt_tokens, max_tokens)
        worst = self.worst_case(prompt_tokens, max_tokens)
        if worst is None and self.ledger.cap is not None:
            raise self._refuse(
                SpendCapReached(f"model {self.name!r} has no price to reserve against --max-spend"), "capped"
            )
        if worst is not None and not self.ledger.fits_ever(worst):  # before waiting on any rate limit
            raise self._refuse(
                SpendCapReached(f"a call of model {self.name!r} may cost ${worst:.6f}: over the cap"), "capped"
            )
        if self.ledger.cap is not None and not self.gate.bounded:
            async with self.gate.probe:  # the first calls of a model under a cap: one at a time
                if self.gate.bounded is False:
                    raise self._refuse(
                        SpendCapReached(
                            f"model {self.name!r} was billed above its reservation (more output than max_tokens="
                            f"{max_tokens}), so its calls cannot be held under --max-spend; no more calls of it "
                            "are made"
                        ),
                        "capped",
                    )
                if self.gate.bounded is None:
                    return await self._call(messages, params, prompt_tokens, max_tokens, worst)
        return await self._call(messages, params, prompt_tokens, max_tokens, worst)

    def _within_limit(self, prompt_tokens: int, max_tokens: int) -> int:
        """``max_tokens`` lowered so the call's worst case fits in what the attempt's dollar limit has left;
        a call that cannot fit one output token is refused (``attempt_limit``): the attempt stops there. An
        unpriced model (billed what the provider reports) cannot be planned: it stops once the limit is spent."""
        left = (self.limit_usd or 0.0) - self.totals.cost_usd
        worst = self.worst_case(prompt_tokens, max_tokens)
        if (worst is None and left > 0) or (worst is not None and worst <= left):
            return max_tokens
        if worst is None:
            raise self._refuse(
                AttemptLimitReached(
                    f"model {self.name!r}: the attempt's dollar limit (${self.limit_usd:.6g}) is spent"
                ),
                "attempt_limit",
            )
        assert self.price is not None
        base = self.price.cost(math.ceil(prompt_tokens * PROMPT_MARGIN) + PROMPT_SLACK_TOKENS, 0)
        per_token = self.price.output_per_mtok / 1e6
        fits = math.floor((left - base) / per_token) if per_token > 0 else max_tokens
        if left <= base or fits < 1:
            raise self._refuse(
                AttemptLimitReached(
                    f"model {self.name!r}: the attempt's dollar limit (${self.limit_usd:.6g}) has "
                    f"${max(left, 0.0):.6g} left, less than a call costs"
                ),
                "attempt_limit",
            )
        return min(max_tokens, fits)

    async def _call(
        self,
        messages: Sequence[Message],
        params: dict[str, Any],
        prompt_tokens: int,
        max_tokens: int,
        worst: float | None,
    ) -> Completion:
        """One gated, reserved and settled provider call (never started once the collection stops)."""
        queued = time.monotonic()
        await self._unless_halted(self.gate.acquire(prompt_tokens + max_tokens), self.gate.release)
        try:
            try:
                reserved = await self._unless_halted(
                    self.ledger.reserve(worst or 0.0), lambda: self.ledger.settle(worst or 0.0, 0.0)
                )
            except SpendCapReached as exc:
                raise self._refuse(exc, "capped") from None
            self.totals.queue_s += time.monotonic() - queued
            billed = 0.0
            ticket = CallTicket()
            try:
                self._check_halt()
                try:
                    completion = await self._provider_call(messages, params, ticket)
                finally:
                    self._add_waits(ticket)
                billed = float(completion.cost_usd)
                if not math.isfinite(billed) or billed < 0:  # a provider bug: charge the worst case, say so
                    raise ProviderError(
                        "bad_cost",
                        f"the provider reported an invalid cost ({billed!r})",
                        input_tokens=completion.input_tokens,
                        output_tokens=completion.output_tokens,
                        billed_cost=None,
                    )
            except ProviderError as exc:
                billed = reserved if exc.billed_cost is None else float(exc.billed_cost)
                self._failures.append(CallFailure(exc.kind, exc, billed=billed > 0 or exc.billed_cost is None))
                self._last_failed = True
                self._add(exc.input_tokens, exc.output_tokens, billed, 0.0, estimated=exc.billed_cost is None)
                self._learn_bound(exc.output_tokens, max_tokens, billed, reserved)
                raise
            finally:
                self.ledger.settle(reserved, billed)
            self._learn_bound(completion.output_tokens, max_tokens, billed, reserved)
        finally:
            self.gate.release()
        self._last_failed = False
        self._add(completion.input_tokens, completion.output_tokens, billed, completion.latency_s)
        return completion

    async def _provider_call(
        self, messages: Sequence[Message], params: dict[str, Any], ticket: CallTicket
    ) -> Completion:
        """The provider's call with ``ticket`` as the current call: if the run stops while the call waits
        inside the provider (queued, or backing off before a retry) it is abandoned and never started."""

        async def call() -> Completion:  # (any awaitable a provider returns, not only a coroutine)
            return await self.provider.complete(self.model, messages, **params)

        context = contextvars.copy_context()
        context.run(current_ticket.set, ticket)
        task = asyncio.get_running_loop().create_task(call(), context=context)
        self._tickets.add(ticket)
        try:
            if self.halt is not None:
                stop = asyncio.ensure_future(self.halt.wait())
                try:
                    await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stop.cancel()
                if not task.done() and ticket.stop():  # halted while it waited: give it up
                    task.cancel()
            await asyncio.wait({task})
            if ticket.abandoned:
                raise self._refuse(
                    CallsStopped("the collection stopped while this call waited inside the provider: not started"),
                    "halted",
                )
            return task.result()
        except BaseException:
            task.cancel()  # a second Ctrl-C: the call is abandoned
            raise
        finally:
            self._tickets.discard(ticket)

    def _add_waits(self, ticket: CallTicket) -> None:
        self.totals.queue_s += ticket.queue_s
        self.totals.retries += ticket.retries
        self.totals.retry_wait_s += ticket.backoff_s

    def _check_halt(self) -> None:
        if self.halt is not None and self.halt.is_set():
            raise self._refuse(CallsStopped("the collection is stopping: no new model call is started"), "halted")

    async def _unless_halted(self, aw: Any, undo: Any) -> Any:
        """Await ``aw`` (a wait for a slot or a reservation) unless the collection stops first.

        If it stops first the wait is abandoned (``undo`` gives back what it obtained meanwhile) and
        :class:`CallsStopped` is raised: a call still waiting for a slot must not start after a Ctrl-C.
        """
        if self.halt is None:
            return await aw
        if self.halt.is_set():
            aw.close()
            self._check_halt()
        task = asyncio.ensure_future(aw)
        stop = asyncio.ensure_future(self.halt.wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # cancelled (a second Ctrl-C): give back what the wait obtained
            stop.cancel()
            task.cancel()
            task.add_done_callback(lambda t: undo() if not t.cancelled() and t.exception() is None else None)
            raise
        stop.cancel()
        if not task.done():
            task.cancel()
            task.add_done_callback(lambda t: undo() if not t.cancelled() and t.exception() is None else None)
            self._check_halt()
        if task.exception() is None and self.halt.is_set():  # obtained as the collection stopped
            undo()
            self._check_halt()
        return task.result()

    def _learn_bound(self, output_tokens: int, max_tokens: int, billed: float, reserved: float) -> None:
        """Does this model's provider keep calls within their reservation? (Only known once it billed.)"""
        if self.ledger.cap is None:
            return
        if int(output_tokens or 0) > max_tokens or billed > reserved * (1 + 1e-9) + 1e-12:
            self.gate.bounded = False
        elif self.gate.bounded is None and (output_tokens or billed):
            self.gate.bounded = True

    def _add(self, tin: int, tout: int, cost: float, latency: float, estimated: bool = False) -> None:
        t = self.totals
        t.calls += 1
        t.input_tokens += int(tin or 0)
        t.output_tokens += int(tout or 0)
        t.cost_usd += cost
        t.latency_s += latency
        t.cost_estimated = t.cost_estimated or estimated
