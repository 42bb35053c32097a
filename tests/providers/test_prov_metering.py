# ruff: noqa: F811  (pytest fixtures imported from tests/support are parameters here)
"""The metered client: worst-case reservations under a hard spend cap, per-model limits, attempt totals."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from collect_fixtures import _fake_key, fake_server, model_config  # noqa: E402, F401

from harness.collect.metering import (  # noqa: E402
    MeteredClient,
    ModelGate,
    ProviderError,
    SpendCapReached,
    SpendLedger,
    TokenBucket,
    count_prompt_tokens,
)
from harness.providers.litellm_provider import LiteLLMProvider, RetryPolicy  # noqa: E402
from harness.providers.pricing import resolve_price  # noqa: E402
from harness.testing.fakeserver import Behaviour  # noqa: E402
from harness.types import Message  # noqa: E402

MSG = [Message("user", "Compute: 2+3")]


def client(model, ledger, gate=None):
    return MeteredClient(
        model,
        LiteLLMProvider(RetryPolicy(0.01, 0.02)),
        ledger,
        gate or ModelGate(model.concurrency),
        resolve_price(model),
    )


def test_ledger_waits_for_outstanding_reservations_then_refuses() -> None:
    async def scenario() -> list[str]:
        ledger = SpendLedger(cap=1.0)
        log: list[str] = []
        r1 = await ledger.reserve(0.6)

        async def second() -> None:
            try:
                await ledger.reserve(0.6)
                log.append("second reserved")
            except SpendCapReached:
                log.append("second refused")

        task = asyncio.create_task(second())
        await asyncio.sleep(0.01)
        log.append("waiting" if not task.done() else "did not wait")
        ledger.settle(r1, 0.5)  # the first call cost 0.5: 0.5 + 0.6 > 1.0, so the second can never fit
        await task
        return log + [f"{ledger.spent:.2f}/{ledger.reserved:.2f}"]

    assert asyncio.run(scenario()) == ["waiting", "second refused", "0.50/0.00"]


def test_ledger_admits_a_waiting_reservation_when_money_is_released() -> None:
    async def scenario() -> float:
        ledger = SpendLedger(cap=1.0)
        r1 = await ledger.reserve(0.6)
        task = asyncio.create_task(ledger.reserve(0.6))
        await asyncio.sleep(0.01)
        ledger.settle(r1, 0.1)
        return await task

    assert asyncio.run(scenario()) == 0.6


def test_worst_case_covers_prompt_and_all_output_tokens(fake_server) -> None:
    model = model_config(fake_server, max_tokens=100, input_cost_per_mtok=1.0, output_cost_per_mtok=10.0)
    c = client(model, SpendLedger())
    prompt = count_prompt_tokens(model.route, MSG)
    worst = c.worst_case(prompt, 100)
    assert worst is not None and worst >= (prompt * 1.0 + 100 * 10.0) / 1e6


@pytest.mark.parametrize("cap_calls", [0.5, 3.7, 11.2])
def test_spend_never_exceeds_a_tiny_cap_under_heavy_concurrency(fake_server, cap_calls: float) -> None:
    """200 concurrent calls, a cap worth a few worst-case calls, real costs far below the worst case."""
    fake_server.latency = 0.01
    model = model_config(fake_server, concurrency=64, max_tokens=40, input_cost_per_mtok=2.0, output_cost_per_mtok=30.0)
    probe = client(model, SpendLedger())
    worst = probe.worst_case(count_prompt_tokens(model.route, MSG), 40)
    assert worst is not None
    cap = worst * cap_calls

    async def scenario() -> tuple[SpendLedger, int, int]:
        ledger = SpendLedger(cap)
        gate = ModelGate(64)
        ok = refused = 0

        async def one() -> None:
            nonlocal ok, refused
            try:
                await client(model, ledger, gate).complete(MSG)
                ok += 1
            except SpendCapReached:
                refused += 1

        await asyncio.gather(*(one() for _ in range(200)))
        return ledger, ok, refused

    ledger, ok, refused = asyncio.run(scenario())
    actual = (20 * 2.0 + 8 * 30.0) / 1e6
    assert ledger.spent <= cap
    assert ledger.reserved == pytest.approx(0.0, abs=1e-15)
    assert ok + refused == 200 and fake_server.count == ok  # no refused call reached the server
    assert ledger.spent == pytest.approx(ok * actual)
    # Released reservations are reused: the cap is filled up to less than one call's worst case.
    assert cap - ledger.spent < worst or ok == 200


def test_attempt_totals_include_billed_failed_calls(fake_server) -> None:
    model = model_config(fake_server)
    fake_server.push("ok", "no_choices", Behaviour("500"), Behaviour("500"), Behaviour("500"))

    async def scenario() -> MeteredClient:
        c = client(model, SpendLedger(cap=1.0))
        await c.complete(MSG)
        for _ in range(2):
            with pytest.raises(ProviderError):
                await c.complete(MSG)
        return c

    c = asyncio.run(scenario())
    one = (20 * 1.0 + 8 * 2.0) / 1e6
    assert c.totals.calls == 3
    assert (c.totals.input_tokens, c.totals.output_tokens) == (40, 16)  # the ok call and the billed one
    assert c.totals.cost_usd == pytest.approx(2 * one)
    assert c.ledger.spent == pytest.approx(2 * one)
    outcome = c.outcome()
    assert outcome is not None and outcome.kind == "server_error" and outcome.billed is False


def test_gate_bounds_concurrent_calls_per_model(fake_server) -> None:
    fake_server.latency = 0.05
    model = model_config(fake_server, concurrency=3)

    async def scenario() -> None:
        gate = ModelGate(3)
        ledger = SpendLedger()
        await asyncio.gather(*(client(model, ledger, gate).complete(MSG) for _ in range(12)))

    asyncio.run(scenario())
    assert fake_server.count == 12 and fake_server.max_in_flight == 3


def test_token_bucket_enforces_a_rate() -> None:
    async def scenario() -> float:
        bucket = TokenBucket(per_minute=3600)  # 60 per second, one second of burst
        t = time.monotonic()
        for _ in range(90):
            await bucket.take()
        return time.monotonic() - t

    elapsed = asyncio.run(scenario())
    assert 0.4 <= elapsed <= 2.0  # 60 from the burst, 30 more at 60/s


def test_unpriced_model_cannot_run_under_a_cap(fake_server) -> None:
    model = model_config(fake_server, input_cost_per_mtok=None, output_cost_per_mtok=None, cost_from_response=True)
    c = MeteredClient(model, LiteLLMProvider(), SpendLedger(cap=1.0), ModelGate(1), None)
    with pytest.raises(SpendCapReached):
        asyncio.run(c.complete(MSG))
    assert fake_server.count == 0


def test_an_invalid_reported_cost_is_charged_at_the_worst_case() -> None:
    from harness.config import parse_config
    from harness.types import Completion

    class Weird:
        name = "weird"

        async def complete(self, model, messages, **params):  # noqa: ANN001, ANN003, ANN201
            return Completion(text="x", input_tokens=5, output_tokens=5, cost_usd=float("nan"))

    model = parse_config(
        {
            "models": {
                "w": {"route": "openai/x", "provider": "weird", "input_cost_per_mtok": 1.0, "output_cost_per_mtok": 1.0}
            }
        }
    ).models["w"]
    c = MeteredClient(model, Weird(), SpendLedger(cap=1.0), ModelGate(1), resolve_price(model))
    with pytest.raises(ProviderError, match="invalid cost"):
        asyncio.run(c.complete(MSG))
    assert c.totals.cost_estimated and c.totals.cost_usd > 0 and c.ledger.spent == c.totals.cost_usd
