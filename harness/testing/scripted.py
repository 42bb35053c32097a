"""A scripted model: queued replies served through the harness's real metering path.

A solver under test gets a :class:`ScriptedModel`, a :class:`harness.ModelClient` that is a real
``MeteredClient`` (worst-case reservation against the spend cap, the model's gate, attempt totals, the
stop signal) over a small provider that returns the queued replies instead of calling a model. So a
test sees exactly what a collection would: a call that does not fit under ``cap`` is refused with
``SpendCapReached`` before it reaches the provider, a call after :meth:`ScriptedModel.stop` with
``CallsStopped``, one past the attempt's own dollar limit (``limit_usd``, a run's stage budget) with
``AttemptLimitReached``, and ``totals`` adds up every call's tokens and dollars.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from harness.collect.metering import CallTotals, MeteredClient, ModelGate, SpendLedger
from harness.config import ModelConfig
from harness.providers.pricing import Price
from harness.types import Completion, Message

#: What a reply may be: the text, a complete Completion (tokens and cost as given), an exception to
#: raise (e.g. ``ProviderError("timeout", ...)``), or a function of the messages returning one of these.
Reply = str | Completion | BaseException | Callable[[Sequence[Message]], Any]


class ScriptExhausted(AssertionError):
    """The solver made more model calls than the test queued replies for."""


class ScriptedProvider:
    """A provider that answers each call with the next queued reply and records what it was asked.

    A text reply is billed as a model would bill it: input tokens = the words of the prompt, output
    tokens = the words of the reply (at most ``max_tokens``, as a real model stops there), priced at the
    model's price. A :class:`harness.Completion` reply is returned unchanged (its tokens and cost too).
    """

    name = "scripted"

    def __init__(self, replies: Iterable[Reply], price: Price | None) -> None:
        self.replies: deque[Reply] = deque(replies)
        self.price = price
        self.calls: list[tuple[list[Message], dict[str, Any]]] = []

    async def complete(self, model: Any, messages: Sequence[Message], **params: Any) -> Completion:
        self.calls.append((list(messages), dict(params)))
        if not self.replies:
            raise ScriptExhausted(f"scripted model {model.name!r}: no reply queued for call {len(self.calls)}")
        reply = self.replies.popleft()
        if callable(reply) and not isinstance(reply, BaseException):
            reply = reply(messages)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, Completion):
            return reply
        text = str(reply)
        tin = sum(len(m.content.split()) for m in messages)
        tout = min(len(text.split()), int(params.get("max_tokens") or model.max_tokens))
        cost = self.price.cost(tin, tout) if self.price is not None else 0.0
        return Completion(text=text, input_tokens=tin, output_tokens=tout, cost_usd=cost, model=model.name)


def metered_client(
    model: ModelConfig,
    provider: Any,
    ledger: SpendLedger,
    gate: ModelGate,
    price: Price | None,
    halt: asyncio.Event,
    limit_usd: float | None = None,
) -> MeteredClient:
    """The one place harness.testing builds the core's metered client (its constructor is internal)."""
    return MeteredClient(model, provider, ledger, gate, price, halt=halt, limit_usd=limit_usd)


class ScriptedModel:
    """A :class:`harness.ModelClient` for one attempt (one ``asyncio.run``), as the pipeline gives a solver:
    the real metered client over scripted replies.

    ``calls`` is what the solver sent (messages, params) per call, ``totals`` the attempt's calls,
    tokens and dollars as the harness counts them, ``spent`` the ledger's dollars (shared when several
    models are given the same ``ledger``).
    """

    def __init__(
        self,
        replies: Iterable[Reply] = (),
        *,
        name: str = "scripted",
        cap: float | None = None,
        limit_usd: float | None = None,
        input_cost_per_mtok: float = 1.0,
        output_cost_per_mtok: float = 2.0,
        max_tokens: int = 256,
        concurrency: int = 4,
        ledger: SpendLedger | None = None,
    ) -> None:
        self.config = ModelConfig(
            name=name,
            route=f"scripted/{name}",
            provider=ScriptedProvider.name,
            input_cost_per_mtok=input_cost_per_mtok,
            output_cost_per_mtok=output_cost_per_mtok,
            max_tokens=max_tokens,
            concurrency=concurrency,
        )
        self.price = Price(input_cost_per_mtok, output_cost_per_mtok, source="harness.testing")
        self.provider = ScriptedProvider(replies, self.price)
        self.ledger = ledger if ledger is not None else SpendLedger(cap)
        self.gate = ModelGate(concurrency)
        self.halt = asyncio.Event()
        self.client = metered_client(
            self.config, self.provider, self.ledger, self.gate, self.price, self.halt, limit_usd
        )
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None

    async def complete(self, messages: Sequence[Message], **params: Any) -> Completion:
        loop = asyncio.get_running_loop()
        if self._loop not in (None, loop):  # its gate and stop signal belong to the first loop
            raise RuntimeError("a ScriptedModel serves one attempt (one asyncio.run): make a new one per attempt")
        self._loop = loop
        return await self.client.complete(messages, **params)

    def push(self, *replies: Reply) -> None:
        """Queue more replies."""
        self.provider.replies.extend(replies)

    def stop(self) -> None:
        """Stop the run, as a first Ctrl-C does: no call starts after this."""
        self.halt.set()

    @property
    def calls(self) -> list[tuple[list[Message], dict[str, Any]]]:
        return self.provider.calls

    @property
    def totals(self) -> CallTotals:
        return self.client.totals

    @property
    def spent(self) -> float:
        return self.ledger.spent

    @property
    def remaining(self) -> int:
        """Replies queued and not yet used."""
        return len(self.provider.replies)
