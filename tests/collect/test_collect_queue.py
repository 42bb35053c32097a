"""Calls queued inside a provider (local generations run one at a time) are not in flight: a halt abandons
them before they start, and an attempt records the time queued apart from the model's own time.

The local route runs for real (litellm -> the ``local/`` custom provider -> the runtime's one worker
thread); only the llama.cpp generation is replaced by a timed sleep, so these tests take a second.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from harness.collect.metering import CallsStopped, MeteredClient, ModelGate, SpendLedger
from harness.config import parse_config
from harness.providers.local import LocalProvider
from harness.providers.local import runtime as rt
from harness.providers.pricing import resolve_price
from harness.types import Completion, Message

GENERATION_S = 0.4


@pytest.fixture
def fake_generation(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """rt.chat replaced by a sleep of GENERATION_S (watching its cancel event); returns the start times."""
    started: list[float] = []

    def chat(name: str, messages: Any, *, cancel: threading.Event | None = None, **kw: Any) -> rt.ChatResult:
        started.append(time.monotonic())
        deadline = time.monotonic() + GENERATION_S
        while time.monotonic() < deadline and not (cancel and cancel.is_set()):
            time.sleep(0.01)
        return rt.ChatResult("ANSWER: 5", 12, 4, "stop", 0, seconds=GENERATION_S)

    monkeypatch.setattr(rt, "chat", chat)
    monkeypatch.setattr(rt, "loaded", lambda: list(rt.MODELS))  # nothing to load
    return started


def _model() -> Any:
    table = {
        "provider": "local",
        "route": "local/qwen2.5-coder-0.5b-instruct",
        "input_cost_per_mtok": 1.0,
        "output_cost_per_mtok": 2.0,
        "max_tokens": 16,
        "timeout_s": 30,
    }
    return parse_config({"models": {"q": table}}).models["q"]


def _clients(n: int, halt: asyncio.Event | None = None) -> list[MeteredClient]:
    model, provider = _model(), LocalProvider()
    ledger, gate = SpendLedger(), ModelGate(n)
    return [MeteredClient(model, provider, ledger, gate, resolve_price(model), halt=halt) for _ in range(n)]


def test_a_halt_abandons_the_queued_local_generations_and_finishes_the_running_one(fake_generation) -> None:
    async def scenario() -> tuple[list[Any], list[MeteredClient], int, float]:
        halt = asyncio.Event()
        clients = _clients(4, halt)
        tasks = [asyncio.create_task(c.complete([Message("user", "Compute: 2+3")])) for c in clients]
        for _ in range(1000):  # (the first call imports litellm)
            if fake_generation:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        in_flight = sum(c.in_call for c in clients)
        halt.set()
        t0 = time.monotonic()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        return results, clients, in_flight, time.monotonic() - t0

    results, clients, in_flight, took = asyncio.run(scenario())
    assert in_flight == 1  # four calls made, one generating: only that one is in flight
    assert len(fake_generation) == 1  # the three queued generations never started
    done = [r for r in results if isinstance(r, Completion)]
    stopped = [r for r in results if isinstance(r, CallsStopped)]
    assert len(done) == 1 and done[0].text == "ANSWER: 5" and len(stopped) == 3, results
    assert took < GENERATION_S + 0.5  # the running generation finished; nothing waited for the others
    refused = [c for c in clients if c.totals.calls == 0]
    assert len(refused) == 3 and all(c.outcome() is not None and c.outcome().kind == "halted" for c in refused)
    assert sum(c.totals.cost_usd for c in clients) == pytest.approx((12 * 1.0 + 4 * 2.0) / 1e6)


def test_time_queued_behind_other_generations_is_recorded_apart_from_model_time(fake_generation) -> None:
    async def scenario() -> list[MeteredClient]:
        clients = _clients(3)
        await asyncio.gather(*(c.complete([Message("user", "Compute: 2+3")]) for c in clients))
        return clients

    clients = asyncio.run(scenario())
    assert len(fake_generation) == 3
    latencies = sorted(c.totals.latency_s for c in clients)
    queued = sorted(c.totals.queue_s for c in clients)
    # Each generation's own time is about GENERATION_S, however long it queued (back to back: 0, 1, 2 x).
    assert all(GENERATION_S * 0.9 <= x <= GENERATION_S + 0.3 for x in latencies), latencies
    assert queued[0] < 0.2 and queued[2] >= 2 * GENERATION_S * 0.9, queued
    assert queued[1] >= GENERATION_S * 0.9
