"""A first Ctrl-C drains `harness collect`: the calls in flight finish and are recorded; a second abandons."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from collect_fixtures import env_for, stored, toml_for

from harness.testing.fakeserver import Behaviour, FakeServer

TASKS = 12
TOTAL = TASKS * 2  # tasks x models, one attempt each


def setup(server: FakeServer, tmp_path: Path) -> tuple[list[str], Path]:
    store = tmp_path / "store.sqlite"
    cfg = tmp_path / "harness.toml"
    cfg.write_text(
        toml_for(server, store, {"good": {"concurrency": 4}, "bad": {"concurrency": 4}}, toy={"count": TASKS})
    )
    cmd = [
        sys.executable,
        "-m",
        "harness",
        "--config",
        str(cfg),
        "collect",
        "--domain",
        "toy",
        "--models",
        "good,bad",
        "--concurrency",
        "4",
    ]
    return cmd, store


def calls_recorded(store: Path) -> int:
    """The model calls the stored attempts say they made (errors included: they were billed too)."""
    db = sqlite3.connect(store, timeout=30)
    rows = db.execute("SELECT detail FROM attempts").fetchall()
    db.close()
    return sum(int(json.loads(d or "{}").get("calls", 0)) for (d,) in rows)


def wait_for(cond, proc: subprocess.Popen, what: str, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while not cond():
        assert proc.poll() is None, f"finished before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"no progress: waiting for {what}"
        time.sleep(0.02)


def test_first_sigint_finishes_and_records_the_calls_in_flight(tmp_path: Path) -> None:
    with FakeServer(latency=0.5) as server:
        cmd, store = setup(server, tmp_path)
        env = env_for(tmp_path)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: len(stored(store)) >= 4 and server.in_flight >= 3, proc, "some attempts are stored")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "stopping: finishing" in err and "Ctrl-C again to abandon" in err and "Traceback" not in err
        first = stored(store)
        assert 4 <= len(first) < TOTAL
        # Every request the server received (billed by a hosted provider) is in the store, with its cost.
        assert server.count == calls_recorded(store) == len(first)
        db = sqlite3.connect(store)
        unpaid = db.execute("SELECT COUNT(*) FROM attempts WHERE cost_usd <= 0 OR input_tokens <= 0").fetchone()[0]
        db.close()
        assert unpaid == 0
        done = {k for k, v in first.items() if v[0] != "error"}

        before = server.count
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        final = stored(store)
        assert len(final) == TOTAL and all(v[0] != "error" for v in final.values())
        assert server.count - before == TOTAL - len(done)  # exactly the missing attempts, none twice
        assert all(final[k] == first[k] for k in done)


def test_second_sigint_abandons_the_calls_in_flight(tmp_path: Path) -> None:
    with FakeServer() as server:
        cmd, store = setup(server, tmp_path)
        server.push(*["ok"] * 6)
        server.default = Behaviour("hang")  # then every call hangs (until its 5 s timeout)
        env = env_for(tmp_path)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: len(stored(store)) >= 6 and server.in_flight == 4, proc, "4 calls hang")
        proc.send_signal(signal.SIGINT)
        time.sleep(1.0)
        assert proc.poll() is None  # the first Ctrl-C waits for the calls in flight ...
        assert server.count == 10  # ... and starts no new one
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130 and time.monotonic() - t0 < 3, err
        assert "stopping: finishing 4 calls in flight" in err and "interrupted" in err and "Traceback" not in err
        assert server.count == 10


def test_a_halt_lets_the_call_in_flight_finish_and_refuses_the_waiting_ones() -> None:
    import asyncio

    import pytest

    from harness.collect.metering import CallsStopped, MeteredClient, ModelGate, SpendLedger
    from harness.config import parse_config
    from harness.providers.pricing import resolve_price
    from harness.types import Completion, Message

    started: list[float] = []

    class Slow:
        async def complete(self, model, messages, **params):  # noqa: ANN001, ANN003, ANN201
            started.append(time.monotonic())
            await asyncio.sleep(0.3)
            return Completion(text="x", input_tokens=5, output_tokens=5, cost_usd=0.01)

    model = parse_config(
        {"models": {"s": {"route": "openai/x", "input_cost_per_mtok": 1.0, "output_cost_per_mtok": 1.0}}}
    ).models["s"]

    async def scenario() -> tuple[MeteredClient, MeteredClient, SpendLedger, ModelGate]:
        halt, ledger, gate = asyncio.Event(), SpendLedger(cap=10.0), ModelGate(1)
        gate.bounded = True
        first, second = (MeteredClient(model, Slow(), ledger, gate, resolve_price(model), halt=halt) for _ in "ab")
        running = asyncio.create_task(first.complete([Message("user", "hi")]))
        waiting = asyncio.create_task(second.complete([Message("user", "hi")]))  # waits for the only slot
        for _ in range(500):  # (the first token count imports litellm)
            if first.in_call:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.02)
        assert first.in_call == 1 and second.in_call == 0
        halt.set()
        with pytest.raises(CallsStopped):
            await asyncio.wait_for(waiting, 0.1)  # refused at once, not after the call in flight
        assert (await running).text == "x"
        with pytest.raises(CallsStopped):
            await first.complete([Message("user", "again")])
        return first, second, ledger, gate

    first, second, ledger, gate = asyncio.run(scenario())
    assert len(started) == 1 and first.totals.calls == 1 and first.totals.cost_usd == 0.01
    assert second.outcome() is not None and second.outcome().kind == "halted" and second.totals.calls == 0
    assert ledger.spent == 0.01 and ledger.reserved == 0 and not gate.semaphore.locked()
