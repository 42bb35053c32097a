"""How `harness collect` ends: errors exit 3 and say so, a dead server stops the run quickly with a sentence,
retries are recorded and counted, a log gets progress lines, and an interrupted --json still prints."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from collect_fixtures import config_for, env_for, stored, toml_for, toy_domain

from harness import HarnessError, cli
from harness.collect.collector import CollectOptions, Collector
from harness.collect.pipeline import LOST_AFTER
from harness.registry import load_plugins
from harness.store import Store
from harness.testing.fakeserver import Behaviour, FakeServer


@pytest.fixture
def toy_cli(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``cli.main`` in this process with the toy domain registered (as if its plugin were installed)."""
    registry = load_plugins(extra=[("toy", toy_domain)])
    monkeypatch.setattr("harness.cli.common.registry", lambda: registry)
    monkeypatch.setattr("harness.cli.collect.registry", lambda: registry)

    def run(cfg: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        with pytest.raises(SystemExit) as info:
            cli.main(["--config", str(cfg), "collect", "--domain", "toy", *args])
        out = capsys.readouterr()
        return int(info.value.code or 0), out.out, out.err

    return run


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_that_goes_away_mid_run_stops_it_and_exits_3(tmp_path: Path, toy_cli, capsys) -> None:
    # The server is a process of its own, killed as a crashed model server would be (its sockets close).
    server = subprocess.Popen(
        [sys.executable, "-m", "harness.testing.fakeserver", "0.05"], stdout=subprocess.PIPE, text=True
    )
    try:
        api_base = server.stdout.readline().strip()  # type: ignore[union-attr]
        store = tmp_path / "store.sqlite"
        with FakeServer() as unused:  # (only for its model table)
            table = toml_for(unused, store, {"good": {"max_retries": 2}}, toy={"count": 40})
        cfg = tmp_path / "harness.toml"
        cfg.write_text(table.replace(unused.api_base, api_base))

        def kill_after_some_answers() -> None:
            deadline = time.monotonic() + 120
            while len(stored(store)) < 4 and time.monotonic() < deadline:
                time.sleep(0.02)
            server.kill()

        killer = threading.Thread(target=kill_after_some_answers, daemon=True)
        killer.start()
        t0 = time.monotonic()
        code, out, err = toy_cli(cfg, "--models", "good", "--concurrency", "2", "--json", capsys=capsys)
        took = time.monotonic() - t0
        killer.join(5)
    finally:
        server.kill()
        server.wait(10)
    summary = json.loads(out)
    assert code == 3, err
    assert summary["stopped"] == "unreachable" and "stopped answering" in summary["stop_message"], summary
    assert LOST_AFTER <= summary["errors"] and summary["done"] < 30  # it did not try every remaining attempt
    assert "stopped answering" in err and "exits with code 3" in err and "Traceback" not in err
    assert took < 60
    assert sum(v[0] == "passed" for v in stored(store).values()) >= 4  # what was answered is kept


def test_an_api_base_nobody_listens_on_fails_within_seconds_with_one_sentence(
    fake_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HARNESS_RETRY_BASE_S")  # the real backoff: the guard must not wait it out
    base = f"http://127.0.0.1:{_closed_port()}/v1"
    cfg = config_for(
        fake_server, tmp_path / "store.sqlite", {"hosted": {"api_base": base, "max_retries": 4}}, {"count": 8}
    )
    registry = load_plugins(extra=[("toy", toy_domain)])
    collector = Collector(
        cfg, registry, Store(cfg.store_path), CollectOptions(domain="toy", models=["hosted"], concurrency=4)
    )
    collector.session.check()  # (imports litellm: not part of what is timed)
    t0 = time.monotonic()
    with pytest.raises(HarnessError) as info:
        collector.run()
    assert time.monotonic() - t0 < 5
    message = str(info.value)
    assert message.startswith(f"model 'hosted' cannot connect to api_base {base}")
    assert "start the server or correct [models.hosted]" in message and " - " not in message
    assert "\n" not in message


def test_retries_are_recorded_per_attempt_and_counted_in_the_summary(fake_server, tmp_path: Path) -> None:
    fake_server.push(Behaviour("429", retry_after=0.0), "500")  # the first attempt's call is retried twice
    cfg = config_for(fake_server, tmp_path / "store.sqlite", {"good": {"max_retries": 3}}, {"count": 3})
    store = Store(cfg.store_path)
    summary = Collector(
        cfg,
        load_plugins(extra=[("toy", toy_domain)]),
        store,
        CollectOptions(domain="toy", models=["good"], concurrency=1),
    ).run()
    assert summary["retries"] == 2 and summary["models"]["good"]["retries"] == 2 and summary["errors"] == 0
    attempts = store.attempts(domain="toy")
    retried = [a for a in attempts if a.detail.get("retries")]
    assert len(retried) == 1 and retried[0].detail["retries"] == 2 and retried[0].detail["calls"] == 1
    assert retried[0].detail["retry_wait_s"] >= 0 and retried[0].verdict == "passed"
    assert fake_server.count == 5


def test_a_log_gets_progress_lines_and_the_store_on_stderr(tmp_path: Path, toy_cli, capsys, monkeypatch) -> None:
    monkeypatch.setenv("HARNESS_PROGRESS_S", "0.1")
    with FakeServer(latency=0.1) as server:
        cfg = tmp_path / "harness.toml"
        cfg.write_text(toml_for(server, tmp_path / "store.sqlite", {"good": {}}, toy={"count": 8}))
        code, out, err = toy_cli(cfg, "--models", "good", "--concurrency", "1", "--json", capsys=capsys)
    assert code == 0, err
    progress = [line for line in err.splitlines() if line.startswith("progress: toy: ")]
    assert len(progress) >= 3 and "attempts, spend $" in progress[-1] and "errors 0" in progress[-1]
    assert f"store: {tmp_path / 'store.sqlite'} ([store] path of {cfg})" in err
    assert json.loads(out)["done"] == 8  # stdout is the JSON alone


def test_an_interrupted_json_collection_prints_its_partial_summary(tmp_path: Path) -> None:
    with FakeServer(latency=0.3) as server:
        store = tmp_path / "store.sqlite"
        cfg = tmp_path / "harness.toml"
        cfg.write_text(toml_for(server, store, {"good": {}}, toy={"count": 30}))
        cmd = [sys.executable, "-m", "harness", "--config", str(cfg), "collect", "--domain", "toy"]
        cmd += ["--models", "good", "--concurrency", "2", "--json"]
        proc = subprocess.Popen(cmd, env=env_for(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 90
        while len(stored(store)) < 3:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    summary = json.loads(out)
    assert summary["stopped"] == "interrupted" and 3 <= summary["done"] < 30
    assert summary["done"] == len(stored(store)) and "interrupted:" in err
