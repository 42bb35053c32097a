"""Attempts out as inspect logs: inspect's reader and viewer open them, and they read back as the same attempts."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from harness import Attempt, Bank, BankEntry
from helpers import run_harness

from harness_inspect.fmt import InspectFormat
from harness_inspect.logread import read_attempts, to_bank


def _attempts() -> list[Attempt]:
    """Two models, three tasks, uneven attempt counts (index 2 of one task missing: an error left out)."""
    rows = []
    for model, fp in (("cheap", "fp-cheap"), ("strong/v1", "fp-strong")):
        for t, task in enumerate(("t-1", "t-2", "t-3")):
            for i in range(4 if t == 0 else 2):
                if (model, task, i) == ("cheap", "t-1", 2):
                    continue
                passed = (i + t) % 3 != 1
                rows.append(
                    Attempt(
                        domain="math",
                        task_id=task,
                        model=model,
                        fingerprint=fp,
                        index=i,
                        verdict="passed" if passed else "failed",
                        cost_usd=0.001 * (i + 1) + 1e-7 * t,
                        run_id="run-1",
                        input_tokens=100 + i,
                        output_tokens=20 + t,
                        latency_s=0.5,
                        correct=passed if i else not passed,  # hidden tests may disagree with the public verdict
                        prompt=f"What is {t} + {i}?",
                        response=f"ANSWER: {t + i}",
                        detail={"answer": str(t + i)},
                        started_at=1_700_000_000.0 + i,
                        finished_at=1_700_000_001.5 + i,
                    )
                )
    return rows


def _key(a: Attempt) -> tuple:
    return (
        a.task_id,
        a.model,
        a.fingerprint,
        a.index,
        a.verdict,
        a.cost_usd,
        a.input_tokens,
        a.output_tokens,
        a.correct,
    )


def test_export_then_import_gives_back_the_same_attempts(tmp_path: Path, prices_config: Path) -> None:
    from inspect_ai.log import read_eval_log

    attempts = _attempts()
    files = InspectFormat().export(attempts, tmp_path / "logs")
    assert len(files) == 2 and all(f.suffix == ".eval" for f in files)
    for f in files:  # inspect's own reader opens them: one sample per task, one epoch per attempt
        log = read_eval_log(str(f))
        mine = [a for a in attempts if f"harness/{a.model}" == log.eval.model]
        assert len(log.samples) == len(mine) and log.eval.dataset.samples == 3
        assert {(s.id, s.epoch) for s in log.samples} == {(a.task_id, a.index + 1) for a in mine}
        assert log.stats.model_usage[log.eval.model].total_cost == pytest.approx(sum(a.cost_usd for a in mine))
        means = [
            sum(a.passed for a in mine if a.task_id == t) / sum(1 for a in mine if a.task_id == t)
            for t in ("t-1", "t-2", "t-3")
        ]
        assert log.results.scores[0].metrics["accuracy"].value == pytest.approx(sum(means) / 3)
        sample = log.samples[0]
        assert sample.scores["harness"].value in ("C", "I") and sample.messages[0].text.startswith("What is")
    back = read_attempts(tmp_path / "logs", domain="math")
    assert sorted(map(_key, back)) == sorted(map(_key, attempts))
    assert to_bank(back) == to_bank(attempts)


def test_the_cli_round_trip_keeps_the_bank_exactly(tmp_path: Path, prices_config: Path) -> None:
    bank = Bank(
        {
            "cheap": {"a": BankEntry(0.25e-3, (0, 1, 1)), "b": BankEntry(1e-3 / 3, (0, 0))},
            "strong": {"a": BankEntry(7e-3, (1,)), "b": BankEntry(0.0123, (1, 1, 0, 1))},
        }
    )
    bank.write_jsonl(tmp_path / "bank")
    # store A: the bank in, inspect logs out; store B: the logs in, a bank out (domain "inspect" in both:
    # the plugin registers it, so no store needs a domain created for it)
    other = prices_config.with_name("other.toml")
    other.write_text(prices_config.read_text().replace("store.sqlite", "other.sqlite"))
    steps = [
        (prices_config, ("import", str(tmp_path / "bank"), "--domain", "inspect")),
        (prices_config, ("export", "--domain", "inspect", "--format", "inspect", "--out", str(tmp_path / "logs"))),
        (other, ("import", str(tmp_path / "logs"))),
        (other, ("export", "--domain", "inspect", "--out", str(tmp_path / "back"), "--no-parquet")),
    ]
    for config, step in steps:
        done = run_harness(*step, config=config)
        assert done.returncode == 0, done.stderr
    for model in ("cheap", "strong"):
        assert (tmp_path / "back" / f"{model}.jsonl").read_bytes() == (
            tmp_path / "bank" / f"{model}.jsonl"
        ).read_bytes()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as r:  # noqa: S310 (127.0.0.1 only)
        return r.status, r.read()


def test_inspect_view_serves_the_exported_log(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    [first, _] = InspectFormat().export(_attempts(), logs)
    port = _free_port()
    inspect = Path(sys.executable).with_name("inspect")
    cmd = [str(inspect)] if inspect.exists() else [sys.executable, "-m", "inspect_ai"]
    view = subprocess.Popen(
        [*cmd, "view", "--log-dir", str(logs), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, body = _get(f"{base}/log-files")
                break
            except OSError:
                if view.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"inspect view did not start: {view.stderr.read().decode()[-500:] if view.poll() is not None else 'timeout'}"
                    )
                time.sleep(0.3)
        assert status == 200
        listed = json.loads(body)["files"]
        assert {Path(urllib.parse.urlparse(f["name"]).path).name for f in listed} == {p.name for p in logs.iterdir()}
        status, body = _get(f"{base}/logs/{urllib.parse.quote(str(first), safe='')}")
        assert status == 200
        log = json.loads(body)
        assert log["eval"]["model"].startswith("harness/") and log["eval"]["task"] == "math"
        assert len(log["samples"]) == sum(1 for a in _attempts() if f"harness/{a.model}" == log["eval"]["model"])
        assert {s["scores"]["harness"]["value"] for s in log["samples"]} <= {"C", "I"}
    finally:
        view.terminate()
        try:
            view.wait(timeout=10)
        except subprocess.TimeoutExpired:
            view.kill()
            view.wait()
