"""`harness collect` as a user runs it: a subprocess, killed mid-run and resumed, and its bad inputs."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from collect_fixtures import KEY_ENV, SECRET, env_for, stored, toml_for

from harness.testing.fakeserver import Behaviour, FakeServer

TOTAL = 30 * 2 * 2  # tasks x models x attempts


def setup(server: FakeServer, tmp_path: Path, **models_kw: object) -> tuple[Path, Path]:
    store = tmp_path / "store.sqlite"
    models = {"good": dict(models_kw), "bad": dict(models_kw)}
    cfg = tmp_path / "harness.toml"
    cfg.write_text(toml_for(server, store, models, toy={"count": 30}))
    return cfg, store


def harness(cfg: Path, env: dict[str, str], *args: str) -> list[str]:
    return [
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
        *args,
    ]


def run_until(cmd: list[str], env: dict[str, str], store: Path, at_least: int, sig: int) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while len(stored(store)) < at_least:
        assert proc.poll() is None, f"finished before it could be stopped: {proc.communicate()}"
        assert time.monotonic() < deadline, "collection made no progress"
        time.sleep(0.05)
    proc.send_signal(sig)
    proc.wait(30)
    return proc


def test_killed_and_interrupted_runs_resume_without_losing_or_repeating_attempts(tmp_path: Path) -> None:
    with FakeServer(latency=0.15) as server:
        # (0.15 s per call: at 3 in flight the run lasts long enough to be signalled on a loaded machine)
        cfg, store = setup(server, tmp_path, concurrency=3)
        env = env_for(tmp_path)
        cmd = harness(cfg, env, "--attempts", "2")

        # 1. kill -9 mid-run: whatever was committed stays committed.
        proc = run_until(cmd, env, store, 15, signal.SIGKILL)
        assert proc.returncode == -signal.SIGKILL
        first = stored(store)
        requests1 = server.count
        assert 15 <= len(first) < TOTAL and requests1 >= len(first)

        # 2. Ctrl-C mid-run: exits 130 with a clear line, and keeps every finished attempt.
        proc = run_until(cmd, env, store, len(first) + 15, signal.SIGINT)
        _, err = proc.communicate()
        assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
        second = stored(store)
        done2 = {k for k, v in second.items() if v[0] != "error"}
        assert all(second[k] == v for k, v in first.items())  # nothing committed was redone
        requests2 = server.count - requests1
        assert requests2 >= len(done2) - len(first)

        # 2b. SIGTERM is handled like Ctrl-C.
        proc = run_until(cmd, env, store, len(second) + 10, signal.SIGTERM)
        _, err = proc.communicate()
        assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
        third = stored(store)
        assert all(third[k] == second[k] for k in done2)
        done2 = {k for k, v in third.items() if v[0] != "error"}
        second = third

        # 3. Run to the end: exactly the missing attempts are requested, and the summary says so.
        before = server.count
        out = subprocess.run([*cmd, "--json"], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        summary = json.loads(out.stdout)
        final = stored(store)
        assert len(final) == TOTAL and all(v[0] != "error" for v in final.values())
        assert server.count - before == TOTAL - len(done2)  # none requested twice, none lost
        assert summary["done"] == TOTAL - len(done2) and summary["already_done"] == len(done2)
        assert all(final[k] == second[k] for k in done2)
        assert {v[0] for k, v in final.items() if k[1] == "good"} == {"passed"}
        assert {v[0] for k, v in final.items() if k[1] == "bad"} == {"failed"}
        db = sqlite3.connect(store)
        superseded = db.execute("SELECT COUNT(*), COALESCE(SUM(verdict != 'error'), 0) FROM superseded").fetchone()
        db.close()
        assert superseded[1] == 0  # only error rows (interrupted verifications) were ever replaced


@pytest.mark.parametrize(
    ("args", "env_change", "message"),
    [
        (["--domain", "nope", "--models", "good"], {}, "unknown domain 'nope'"),
        (["--domain", "toy", "--models", "good,zz"], {}, "unknown model 'zz'"),
        (["--domain", "toy", "--models", "good"], {KEY_ENV: ""}, f"environment variable {KEY_ENV} is not set"),
        (["--domain", "toy", "--models", "good", "--attempts", "0"], {}, "--attempts must be at least 1"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, args: list[str], env_change: dict[str, str], message: str
) -> None:
    server = FakeServer()  # not started: none of these may reach a model
    server.port = 9
    cfg, store = setup(server, tmp_path)
    env = {**env_for(tmp_path), **env_change}
    out = subprocess.run(
        [sys.executable, "-m", "harness", "--config", str(cfg), "collect", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2 and len(lines) == 1 and message in lines[0], out.stderr


def test_api_key_never_reaches_output_or_store(tmp_path: Path) -> None:
    with FakeServer() as server:
        cfg, store = setup(server, tmp_path, concurrency=1)
        env = env_for(tmp_path)
        server.push("400", "no_choices")  # errors whose messages are stored
        ok = subprocess.run([*harness(cfg, env, "--limit", "3")], env=env, capture_output=True, text=True, timeout=120)
        assert ok.returncode == 3, ok.stderr  # finished, with error attempts (retried by the next run)
        server.default = Behaviour("401")  # the server echoes the key it was sent
        server.answer = lambda model, messages: "never reached"
        bad = subprocess.run([*harness(cfg, env, "--limit", "4")], env=env, capture_output=True, text=True, timeout=120)
        assert bad.returncode == 2 and "authentication failed" in bad.stderr and KEY_ENV in bad.stderr
        assert all(r["headers"]["Authorization"] == f"Bearer {SECRET}" for r in server.requests)
    for text in (ok.stdout, ok.stderr, bad.stdout, bad.stderr):
        assert SECRET not in text
    for path in tmp_path.glob("store.sqlite*"):
        assert SECRET.encode() not in path.read_bytes()
    kinds = {v[0] for v in stored(store).values()}
    assert "error" in kinds
