"""Audit: a provider that bills above a reservation (ignores max_tokens) cannot take spend far over the cap."""

from __future__ import annotations

import asyncio
from typing import Any

from harness.collect.metering import MeteredClient, ModelGate, SpendCapReached, SpendLedger
from harness.config import parse_config
from harness.providers.pricing import resolve_price
from harness.types import Completion, Message

MSG = [Message("user", "Compute: 2+3")]


class Provider:
    """Answers after a short wait with ``output`` tokens whatever max_tokens says; counts calls in flight."""

    name = "p"

    def __init__(self, output: int) -> None:
        self.output = output
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0

    async def complete(self, model: Any, messages: Any, **params: Any) -> Completion:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        out = self.output or params["max_tokens"]
        return Completion(text="5", input_tokens=10, output_tokens=out, cost_usd=resolve_price(model).cost(10, out))


def _run(provider: Provider, cap: float, n: int = 50) -> tuple[SpendLedger, int]:
    model = parse_config(
        {
            "models": {
                "m": {
                    "route": "openai/x",
                    "provider": "p",
                    "input_cost_per_mtok": 1.0,
                    "output_cost_per_mtok": 10.0,
                    "max_tokens": 100,
                    "concurrency": 64,
                }
            }
        }
    ).models["m"]

    async def scenario() -> tuple[SpendLedger, int]:
        ledger, gate = SpendLedger(cap), ModelGate(64)
        refused = 0

        async def one() -> None:
            nonlocal refused
            try:
                await MeteredClient(model, provider, ledger, gate, resolve_price(model)).complete(MSG)
            except SpendCapReached:
                refused += 1

        await asyncio.gather(*(one() for _ in range(n)))
        return ledger, refused

    return asyncio.run(scenario())


def test_a_provider_ignoring_max_tokens_gets_one_call_under_a_cap() -> None:
    provider = Provider(output=5000)  # 50x max_tokens: each call costs ~50x its reservation
    ledger, refused = _run(provider, cap=0.02)  # ~15 worst-case calls would fit concurrently
    one = (10 * 1.0 + 5000 * 10.0) / 1e6
    assert provider.calls == 1 and refused == 49
    assert abs(ledger.spent - one) < 1e-12 and ledger.overrun > 0


def test_a_provider_honouring_max_tokens_keeps_its_concurrency_under_a_cap() -> None:
    provider = Provider(output=0)  # exactly max_tokens: the worst case is what is billed
    ledger, refused = _run(provider, cap=1.0)
    assert provider.calls == 50 and refused == 0 and ledger.spent <= 1.0 and ledger.overrun == 0
    assert provider.max_in_flight > 1  # only the first call ran alone
