"""`harness collect|run --executor ray` against the fake server on the session's local Ray cluster: the same
attempts and bank as the local executor, killed workers lose nothing and pay nothing twice, Ctrl-C drains,
the spend cap and per-model concurrency hold across the cluster, a live run buys through the cluster."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from collect_fixtures import env_for, toml_for

from harness.testing.fakeserver import FakeServer

CALL_COST = 20 * 1e-6 + 8 * 2e-6  # the fake server's 20 prompt and 8 completion tokens at 1 and 2 USD/Mtok


def write_config(server: FakeServer, tmp_path: Path, name: str, models: dict[str, Any], toy: dict[str, Any]) -> Path:
    cfg = tmp_path / f"{name}.toml"
    cfg.write_text(toml_for(server, tmp_path / f"{name}.sqlite", models, toy))
    return cfg


def command(cfg: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "harness", "--config", str(cfg), *args]


def collect_cmd(cfg: Path, models: str, *args: str) -> list[str]:
    return command(cfg, "collect", "--domain", "toy", "--models", models, *args)


def run(cmd: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def cluster_env(tmp_path: Path, ray_cluster: Any) -> dict[str, str]:
    return {**env_for(tmp_path), **ray_cluster.env}


def rows(store: Path, table: str = "attempts") -> list[dict[str, Any]]:
    db = sqlite3.connect(store, timeout=30)
    db.row_factory = sqlite3.Row
    out = [dict(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY task_id, model, idx")]  # noqa: S608
    db.close()
    return out


def calls_recorded(store: Path) -> int:
    """The model calls the stored attempts say they made, superseded ones included (all were billed)."""
    return sum(int(json.loads(r["detail"]).get("calls", 0)) for t in ("attempts", "superseded") for r in rows(store, t))


def identity(r: dict[str, Any]) -> tuple[Any, ...]:
    """What an attempt is, leaving out when it ran and how long it took."""
    detail = json.loads(r["detail"])
    keep = (
        *("task_id", "model", "fingerprint", "idx", "verdict", "error_kind", "correct", "cost_usd"),
        *("input_tokens", "output_tokens", "params", "prompt_sha", "response_sha"),
    )
    return (*(r[k] for k in keep), detail.get("answer"), detail.get("calls"), detail.get("verdict"))


def bank_lines(path: Path) -> list[dict[str, Any]]:
    """A bank file's lines, without the verification's measured CPU time (it differs between any two runs)."""
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for line in lines:
        assert line.pop("verify_cpu_s", 0.0) >= 0.0
    return lines


def test_ray_gives_the_same_attempts_and_bank_as_local_and_resumes(ray_cluster, tmp_path: Path) -> None:
    models = {"good": {"concurrency": 3, "seed": 7}, "bad": {"concurrency": 3, "seed": 7}}
    toy = {"count": 8}
    with FakeServer(latency=0.02) as server:
        env = cluster_env(tmp_path, ray_cluster)
        local = write_config(server, tmp_path, "local", models, toy)
        ray = write_config(server, tmp_path, "ray", models, toy)
        out = run(collect_cmd(local, "good,bad", "--attempts", "2"), env)
        assert out.returncode == 0, out.stderr
        local_requests = server.count
        ray_args = ("--attempts", "2", "--executor", "ray", "--ray-address", ray_cluster.address, "--json")
        out = run(collect_cmd(ray, "good,bad", *ray_args), env)
        assert out.returncode == 0, out.stderr
        summary = json.loads(out.stdout)
        assert summary["done"] == 32 and summary["errors"] == 0
        assert server.count - local_requests == local_requests == 32
        assert server.max_in_flight <= 6  # each model's concurrency (3), held by the driver for the cluster

        a, b = rows(tmp_path / "local.sqlite"), rows(tmp_path / "ray.sqlite")
        assert len(a) == len(b) == 32
        assert [identity(r) for r in a] == [identity(r) for r in b]
        assert {r["verdict"] for r in b if r["model"] == "good"} == {"passed"}
        assert {r["verdict"] for r in b if r["model"] == "bad"} == {"failed"}

        banks = {}
        for name, cfg in (("local", local), ("ray", ray)):
            out = run(command(cfg, "export", "--domain", "toy", "--out", str(tmp_path / f"bank-{name}")), env)
            assert out.returncode == 0, out.stderr
            banks[name] = {p.name: bank_lines(p) for p in (tmp_path / f"bank-{name}").glob("*.jsonl")}
        assert set(banks["ray"]) == {"good.jsonl", "bad.jsonl"} and banks["ray"] == banks["local"]

        before = server.count  # resumable: everything is stored, so a second run asks for nothing
        out = run(collect_cmd(ray, "good,bad", *ray_args), env)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["done"] == 0 and server.count == before


def wait_for(cond: Any, proc: subprocess.Popen[str], what: str, limit: float = 180) -> None:
    deadline = time.monotonic() + limit
    while not cond():
        assert proc.poll() is None, f"finished before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"no progress: waiting for {what}"
        time.sleep(0.05)


def stored(store: Path) -> int:
    try:
        return len(rows(store)) if store.exists() else 0
    except sqlite3.OperationalError:  # the schema is not there yet
        return 0


def test_a_killed_solve_worker_and_verification_worker_lose_nothing_and_pay_nothing_twice(
    ray_cluster, tmp_path: Path
) -> None:
    tasks = 12
    models = {"good": {"concurrency": 4}, "bad": {"concurrency": 4}}
    with FakeServer(latency=0.4) as server:
        cfg = write_config(server, tmp_path, "kill", models, {"count": tasks, "verify_sleep": 0.5})
        store = tmp_path / "kill.sqlite"
        env = cluster_env(tmp_path, ray_cluster)
        args = ("--executor", "ray", "--ray-address", ray_cluster.address, "--json")
        proc = subprocess.Popen(
            collect_cmd(cfg, "good,bad", *args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        # the solve hosts die while model calls of their solves are in flight (the driver is making them)
        wait_for(lambda: stored(store) >= 2 and server.in_flight >= 2, proc, "calls in flight")
        hosts = ray_cluster.processes("ray::SolveHost")
        assert hosts, "no solve host process found"
        for pid in hosts:
            subprocess.run(["kill", "-9", str(pid)], check=True)
        # a verification worker dies in the middle of a verification
        wait_for(lambda: ray_cluster.processes("ray::verify_task"), proc, "a verification running")
        time.sleep(0.1)
        for pid in ray_cluster.processes("ray::verify_task")[:1]:
            subprocess.run(["kill", "-9", str(pid)], check=True)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode in (0, 3), err  # 3: some attempts ended in errors (worker_lost), kept apart
        summary = json.loads(out)

        first = rows(store)
        assert len(first) == 2 * tasks  # nothing lost: every attempt is stored, verified or an error
        assert server.count == calls_recorded(store)  # every call made is recorded with its cost, none twice
        lost = [r for r in first if r["verdict"] == "error"]
        assert lost and {r["error_kind"] for r in lost} == {"worker_lost"}
        for r in lost:  # lost after a call was made: recorded with what it cost
            assert json.loads(r["detail"])["calls"] == 1 and r["cost_usd"] == pytest.approx(CALL_COST)
        for r in first:
            if r["verdict"] != "error":  # the killed verification was run again: no verifier_crashed
                assert r["verdict"] == ("passed" if r["model"] == "good" else "failed")
        assert summary["errors"] == len(lost)

        before = server.count  # the next run retries exactly the lost attempts
        again = run(collect_cmd(cfg, "good,bad", *args), env)
        assert again.returncode == 0, again.stderr
        assert server.count - before == len(lost)
        final = rows(store)
        assert len(final) == 2 * tasks and all(r["verdict"] != "error" for r in final)
        assert server.count == calls_recorded(store)
        paid = sum(r["cost_usd"] for t in ("attempts", "superseded") for r in rows(store, t))
        assert paid == pytest.approx(server.count * CALL_COST)


def test_ctrl_c_drains_the_calls_in_flight_on_ray(ray_cluster, tmp_path: Path) -> None:
    tasks = 12
    models = {"good": {"concurrency": 4}, "bad": {"concurrency": 4}}
    with FakeServer(latency=0.5) as server:
        cfg = write_config(server, tmp_path, "drain", models, {"count": tasks})
        store = tmp_path / "drain.sqlite"
        env = cluster_env(tmp_path, ray_cluster)
        cmd = collect_cmd(
            cfg, "good,bad", "--concurrency", "4", "--executor", "ray", "--ray-address", ray_cluster.address
        )
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: stored(store) >= 2 and server.in_flight >= 3, proc, "calls in flight")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 130, err
        assert "stopping: finishing" in err and "Traceback" not in err
        first = rows(store)
        assert 2 <= len(first) < 2 * tasks
        assert server.count == calls_recorded(store) == len(first)  # the calls in flight finished and were kept
        before = server.count
        out = run(cmd, env)
        assert out.returncode == 0, out.stderr
        assert len(rows(store)) == 2 * tasks and server.count - before == 2 * tasks - len(first)


def test_the_spend_cap_and_a_models_concurrency_hold_across_the_cluster(ray_cluster, tmp_path: Path) -> None:
    cap = 0.0005
    with FakeServer(latency=0.1) as server:
        cfg = write_config(server, tmp_path, "cap", {"good": {"concurrency": 2}}, {"count": 40})
        env = cluster_env(tmp_path, ray_cluster)
        args = ("--concurrency", "16", "--max-spend", str(cap), "--executor", "ray")
        out = run(collect_cmd(cfg, "good", *args, "--ray-address", ray_cluster.address, "--json"), env)
        assert out.returncode == 0, out.stderr
        summary = json.loads(out.stdout)
        assert summary["stopped"] == "spend_cap" and 0 < summary["done"] < 40
        assert summary["spend_usd"] <= cap and server.count * CALL_COST <= cap + 1e-12
        assert summary["spend_usd"] == pytest.approx(sum(r["cost_usd"] for r in rows(tmp_path / "cap.sqlite")))
        assert server.max_in_flight <= 2  # 16 attempts may be in flight, but only 2 calls of the model


def test_a_live_run_buys_through_the_cluster(ray_cluster, tmp_path: Path) -> None:
    with FakeServer() as server:
        cfg = tmp_path / "harness.toml"
        cfg.write_text(
            toml_for(server, tmp_path / "run.sqlite", {"good": {}, "bad": {}}, {"count": 5})
            + "\n[market]\nproviders = ['bad', 'good']\n[run]\nfit_tasks = 5\nfit_attempts = 1\n"
        )
        env = cluster_env(tmp_path, ray_cluster)
        # the market bank (5 tasks x 1 attempt of each model) is collected first, on the cluster; then the
        # cascade buys a second attempt of the wrong model before it takes the stored right one
        args = ("--domain", "toy", "--strategy", "cascade", "--models", "bad,good", "--stages", "bad:0.0001,good")
        ray = ("--executor", "ray", "--ray-address", ray_cluster.address)
        out = run(command(cfg, "run", *args, "--budget", "0.001", "--json", *ray), env)
        assert out.returncode == 0, out.stderr
        data = json.loads(out.stdout)
        assert data["tasks"] == 5 and data["solve_rate"] == 1.0 and "collecting first" in out.stderr
        assert data["attempts_bought"] == 5 and data["attempts_reused"] == 10
        stored_rows = rows(tmp_path / "run.sqlite")
        assert len(stored_rows) == 15 and server.count == calls_recorded(tmp_path / "run.sqlite") == 15
        assert sum(r["run_id"].startswith("run-") for r in stored_rows) == 5


def test_swebench_gold_patches_pass_in_the_sandbox_on_ray_workers(ray_cluster, tmp_path: Path) -> None:
    """The expensive verifier (swebench's local one: checkout, patch, pytest in the sandbox) on the cluster,
    with its declared resources (1 CPU, 5 GB), and a solver that checks out the repository on the worker."""
    builtin = pytest.importorskip("harness_swebench.sources").BuiltinSource
    tasks = list(builtin().tasks({}))[:2]

    def gold(model: str, messages: list[dict[str, Any]]) -> str:
        text = " ".join(str(m.get("content")) for m in messages)
        patch = next(t.data["patch"] for t in tasks if t.data["problem_statement"][:200] in text)
        return f"The fix:\n```diff\n{patch}```\n"

    from harness.testing.fakeserver import FAKE_KEY_ENV

    with FakeServer(answer=gold) as server:
        cfg = tmp_path / "harness.toml"
        cfg.write_text(
            f'[store]\npath = "{tmp_path / "swe.sqlite"}"\n{server.model_toml("fake", max_tokens=400)}\n'
            '[domains.swebench]\nsource = "builtin"\nverifier = "local"\nsolver = "oneshot"\n'
        )
        env = {**env_for(tmp_path), **ray_cluster.env, FAKE_KEY_ENV: "sk-fake", "HARNESS_BLOCK_PLUGINS": ""}
        args = ("--domain", "swebench", "--models", "fake", "--limit", "2", "--json")
        out = run(command(cfg, "collect", *args, "--executor", "ray", "--ray-address", ray_cluster.address), env)
        assert out.returncode == 0, out.stderr
        got = rows(tmp_path / "swe.sqlite")
        assert [(r["task_id"], r["verdict"], r["correct"]) for r in got] == [(t.id, "passed", 1) for t in tasks]
