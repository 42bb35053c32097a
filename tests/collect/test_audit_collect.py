"""Audit: collect never ends as a success when the store cannot take its attempts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from collect_fixtures import config_for, toy_domain

from harness import HarnessError
from harness.collect.collector import CollectOptions, Collector
from harness.registry import load_plugins
from harness.store import Store


class FullDiskStore(Store):
    """A store whose writes fail the way a damaged or full database file does (bad input, exit 2)."""

    def record(self, attempts: Any) -> Any:
        raise HarnessError(f"{self.path}: the attempt store is damaged or cannot be used (disk full)")


def test_a_store_that_cannot_be_written_stops_collect_with_its_error(fake_server, tmp_path: Path) -> None:
    fake_server.latency = 0.3  # the writer fails while other attempts are still being solved
    cfg = config_for(fake_server, tmp_path / "store.sqlite", {"good": {}}, {"count": 20})
    registry = load_plugins(extra=[("toy", toy_domain)])
    store = FullDiskStore(cfg.store_path)
    collector = Collector(
        cfg, registry, store, CollectOptions(domain="toy", models=["good"], attempts=1, concurrency=1)
    )
    with pytest.raises(HarnessError, match="disk full"):
        collector.run()


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_api_base_nobody_listens_on_stops_collect_with_one_line(fake_server, tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{_closed_port()}/v1"
    cfg = config_for(
        fake_server, tmp_path / "store.sqlite", {"good": {"api_base": base, "max_retries": 1}}, {"count": 6}
    )
    registry = load_plugins(extra=[("toy", toy_domain)])
    store = Store(cfg.store_path)
    collector = Collector(
        cfg, registry, store, CollectOptions(domain="toy", models=["good"], attempts=2, concurrency=1)
    )
    with pytest.raises(HarnessError, match=f"cannot connect to api_base {base}"):
        collector.run()
    rows = store.attempts(domain="toy")
    assert rows and len(rows) < 12 and {a.error_kind for a in rows} == {"unreachable"}  # stopped early
    assert fake_server.count == 0
    # The server comes back (the right api_base): the next run retries those errors and completes.
    cfg = config_for(fake_server, tmp_path / "store.sqlite", {"good": {"max_retries": 1}}, {"count": 6})
    summary = Collector(cfg, registry, store, CollectOptions(domain="toy", models=["good"], attempts=2)).run()
    assert summary["done"] == 12 and fake_server.count == 12


def test_a_connection_failure_after_the_model_answered_is_an_error_not_a_stop(fake_server, tmp_path: Path) -> None:
    from harness.collect.metering import ProviderError

    cfg = config_for(fake_server, tmp_path / "store.sqlite", {"good": {}}, {"count": 4})
    registry = load_plugins(extra=[("toy", toy_domain)])
    provider = registry.provider("litellm")
    calls = 0
    real = provider.complete

    async def flaky(model: Any, messages: Any, **params: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise ProviderError("unreachable", "connection refused", retryable=True)
        return await real(model, messages, **params)

    provider.complete = flaky  # type: ignore[method-assign]
    try:
        summary = Collector(
            cfg,
            registry,
            Store(cfg.store_path),
            CollectOptions(domain="toy", models=["good"], attempts=1, concurrency=1),
        ).run()
    finally:
        del provider.complete
    assert summary["done"] == 4 and summary["errors"] == 1


def test_the_summary_says_when_a_model_was_billed_above_its_reservations() -> None:
    from harness.cli.collect import _summary_lines

    summary = {
        "done": 1,
        "planned": 40,
        "already_done": 0,
        "elapsed_s": 1.0,
        "spend_usd": 0.004,
        "run_id": "r",
        "errors": 0,
        "stopped": "spend_cap",
        "max_spend_usd": 0.01,
        "skipped_spend_cap": 39,
        "spend_overrun_usd": 0.0037,
        "overran_models": ["b"],
    }
    text = "\n".join(_summary_lines(summary))
    assert "warning: b billed $0.003700 above the reservations" in text and "max_tokens" in text


@pytest.mark.parametrize("cap", [0.0, -1.0, float("nan"), float("inf")])
def test_max_spend_must_be_a_positive_finite_number(fake_server, tmp_path: Path, cap: float) -> None:
    cfg = config_for(fake_server, tmp_path / "store.sqlite", {"good": {}})
    registry = load_plugins(extra=[("toy", toy_domain)])
    with pytest.raises(HarnessError, match="--max-spend must be a positive number"):
        Collector(cfg, registry, Store(cfg.store_path), CollectOptions(domain="toy", models=["good"], max_spend=cap))
    assert fake_server.count == 0


def test_a_second_collection_of_the_same_experiment_is_refused_not_paid_twice(fake_server, tmp_path: Path) -> None:
    import subprocess
    import sys

    from harness.store.attempt import fingerprint

    cfg = config_for(fake_server, tmp_path / "store.sqlite", {"good": {}})
    registry = load_plugins(extra=[("toy", toy_domain)])
    store = Store(cfg.store_path)
    collector = Collector(cfg, registry, store, CollectOptions(domain="toy", models=["good"]))
    lock = (
        cfg.store_path.parent
        / f".{cfg.store_path.name}.locks"
        / f"{fingerprint('toy', 'good', collector.fingerprints['good'])}.lock"
    )
    lock.parent.mkdir()
    holder = subprocess.Popen(  # another process collecting the same experiment holds its lock
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a'); "
            "fcntl.lockf(f, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
            str(lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(HarnessError, match="another `harness collect` is collecting model 'good'"):
            collector.run()
        assert fake_server.count == 0 and store.count() == 0
    finally:
        holder.kill()
        holder.wait()
    summary = Collector(cfg, registry, store, CollectOptions(domain="toy", models=["good"])).run()
    assert summary["done"] == 5 == fake_server.count  # once the other run has ended, collecting proceeds


def test_an_interrupted_collection_starts_no_new_attempt_even_if_a_call_swallowed_the_cancellation(
    fake_server, tmp_path: Path
) -> None:
    import asyncio
    import types

    from harness import Completion, hookimpl

    class Swallowing:
        """Answers after a short wait; a cancellation that arrives meanwhile is swallowed, as Python 3.11's
        asyncio.wait_for does when the answer lands together with it. The third call interrupts the run."""

        name = "swallowing"
        calls = 0

        async def complete(self, model: Any, messages: Any, **params: Any) -> Completion:
            Swallowing.calls += 1
            if Swallowing.calls == 3:
                for task in asyncio.all_tasks():
                    if task.get_coro().__name__ == "_main":
                        task.cancel()  # what Ctrl-C does
            try:
                await asyncio.sleep(0.02)
            except asyncio.CancelledError:
                pass
            return Completion(text="ANSWER: 0", input_tokens=1, output_tokens=1, cost_usd=1e-6)

    plugin = types.ModuleType("swallowing_provider")

    @hookimpl
    def register_providers(register: Any) -> None:
        register(Swallowing())

    plugin.register_providers = register_providers  # type: ignore[attr-defined]
    cfg = config_for(fake_server, tmp_path / "store.sqlite", {"good": {"provider": "swallowing"}}, {"count": 40})
    registry = load_plugins(extra=[("toy", toy_domain), ("swallowing", plugin)])
    store = Store(cfg.store_path)
    with pytest.raises(KeyboardInterrupt):
        Collector(cfg, registry, store, CollectOptions(domain="toy", models=["good"], concurrency=2)).run()
    assert Swallowing.calls <= 4  # the calls in flight when interrupted, then none
    assert store.count() <= Swallowing.calls
