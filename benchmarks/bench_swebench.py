"""Benchmark: SWE-bench verification on the built-in set (gold patches), sequential and in a process pool.

Run: python benchmarks/bench_swebench.py [--rounds 2] [--workers N] [--isolation auto]

Verification is the expensive step of a swebench collection. Prints verifications per minute of the
``local`` verifier (fresh checkout, candidate applied, test files put back, test patch, pytest in the
sandbox, grading) run one after another and across a process pool bounded by cores and memory (as the
collector runs it); then where one verification's time goes: the checkout and patching, pytest in the
sandbox, and the same pytest run bare (no sandbox) on the same prepared tree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from harness_swebench.builtin import REPOS
from harness_swebench.instance import listed_tests
from harness_swebench.repos import built_repo, checkout
from harness_swebench.sources import BuiltinSource
from harness_swebench.verify import LocalVerifier
from harness_swebench.verify.local import _run_pytest, _write_canary, files_to_test
from harness_swebench.verify.patching import apply_candidate, apply_tests, patch_paths, restore

from harness import Candidate, Task

MiB = 1024 * 1024
PER_WORKER_MIB = 512  # resident memory one verification may take (pytest of a small repository, with room)


def pool_size(requested: int | None) -> tuple[int, str]:
    """Workers bounded by cores and by available memory (PER_WORKER_MIB each)."""
    cores = len(os.sched_getaffinity(0))
    avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // MiB
    by_memory = max(1, avail // PER_WORKER_MIB)
    workers = requested or min(cores, by_memory)
    return workers, f"{cores} cores, {avail} MiB available -> at most {min(cores, by_memory)}"


def _verify(args: tuple[Task, str, str]) -> tuple[str, float]:
    task, isolation, patch = args
    start = time.perf_counter()
    verdict = LocalVerifier(isolation=isolation).verify(task, Candidate(answer=patch))
    return verdict.status, time.perf_counter() - start


def stages(task: Task, isolation: str) -> dict[str, float]:
    """Seconds of each stage of one verification, and of the same pytest run without the sandbox."""
    out: dict[str, float] = {}
    data = task.data
    f2p, p2p = listed_tests(data, "FAIL_TO_PASS"), listed_tests(data, "PASS_TO_PASS")
    files = files_to_test(data["test_patch"], [*f2p, *p2p]) or []
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        repo = checkout(task, Path(tmp) / "repo")
        out["checkout"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        Path(tmp, "c.diff").write_text(data["patch"])
        Path(tmp, "t.diff").write_text(data["test_patch"])
        apply_candidate(repo, Path(tmp, "c.diff"))
        restore(repo, [*files, *patch_paths(data["test_patch"])])
        apply_tests(repo, Path(tmp, "t.diff"))
        canary = _write_canary(repo, files[0])
        out["patching"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        _run_pytest(repo, [*files, canary.split("::")[0]], "k\nm\n", {"isolation": isolation}, LocalVerifier())
        out["pytest in sandbox"] = time.perf_counter() - t0
        env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": str(repo)}
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files]
        subprocess.run(cmd, cwd=repo, env=env, capture_output=True, check=False)
        out["pytest bare"] = time.perf_counter() - t0
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=2, help="times each built-in instance is verified")
    ap.add_argument("--workers", type=int, default=None, help="pool size (default: bounded by cores and memory)")
    ap.add_argument("--isolation", default="auto")
    ap.add_argument("--solver-only", action="store_true", help="only the agent solver's overhead per step")
    args = ap.parse_args()
    if args.solver_only:
        return solver_overhead(isolation=args.isolation)
    for repo in REPOS.values():
        built_repo(repo)  # once, outside the timings
    tasks = BuiltinSource().tasks({})
    jobs = [(t, args.isolation, t.data["patch"]) for t in tasks] * args.rounds
    print(f"{len(tasks)} built-in instances x {args.rounds} rounds = {len(jobs)} verifications (gold patches)")

    start = time.perf_counter()
    seq = [_verify(j) for j in jobs]
    seq_s = time.perf_counter() - start
    assert all(status == "passed" for status, _ in seq), "a gold patch did not resolve its instance"
    per = [s for _, s in seq]
    print(f"sequential: {len(jobs) / seq_s * 60:7.1f} verifications/min  (median {statistics.median(per):.2f} s each)")

    workers, why = pool_size(args.workers)
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_verify, jobs[:workers]))  # start the workers (imports) outside the timing
        start = time.perf_counter()
        par = list(pool.map(_verify, jobs))
        par_s = time.perf_counter() - start
    assert all(status == "passed" for status, _ in par)
    print(f"pool of {workers} ({why}): {len(jobs) / par_s * 60:7.1f} verifications/min  ({seq_s / par_s:.2f}x)")

    rows = [stages(t, args.isolation) for t in tasks]
    print("one verification, median seconds per stage:")
    for name in rows[0]:
        print(f"  {name:<18} {statistics.median(r[name] for r in rows):.3f}")
    solver_overhead(isolation=args.isolation)


# --------------------------------------------------------------------------------------------------------
# Solver overhead (the agent solver's own cost per step, excluding model time): a scripted model answers
# at once through the real metering path, so what is measured is the episode's setup, the thread/event-loop
# bridge of each model call, each command's sandbox run through the command pool, and the final diff.


def solver_overhead(steps: int = 20, episodes: int = 3, isolation: str = "auto") -> None:
    """Per-step and per-episode overhead of the ``agent`` solver, against a bare ``bash -c`` per command."""
    import asyncio

    from harness_swebench.solvers import AgentSolver

    from harness.testing import ScriptedModel

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # the metered client counts tokens offline
    if isolation != "auto":
        os.environ["HARNESS_SANDBOX"] = isolation
    task = next(t for t in BuiltinSource().tasks({}) if t.id == "builtin__textkit-1")
    task = Task(task.id, {**task.data, "solver_options": {"step_limit": steps + 1}}, task.split)
    step = "THOUGHT: look.\n\n```bash\ngrep -n def textkit/core.py | head -3\n```"
    submit = "```bash\necho COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT\n```"
    rows = []
    for _ in range(episodes):
        model = ScriptedModel([step] * steps + [submit])
        start = time.perf_counter()
        cand = asyncio.run(AgentSolver().solve(task, model))
        wall = time.perf_counter() - start
        d = cand.detail
        assert d["exit_status"] == "Submitted" and len(d["per_step"]) == steps + 1
        model_s = sum(r["model_s"] for r in d["per_step"])
        command_s = sum(r.get("command_s", 0.0) for r in d["per_step"])
        loop_s = wall - d["setup_s"] - d["diff_s"] - model_s - command_s
        rows.append(
            {"model": model_s, "command": command_s, "loop": loop_s, "setup": d["setup_s"], "diff": d["diff_s"]}
        )
    bare = []
    with tempfile.TemporaryDirectory() as tmp:
        repo = checkout(task, Path(tmp) / "r")
        for _ in range(steps):
            t0 = time.perf_counter()
            subprocess.run(["bash", "-c", "grep -n def textkit/core.py | head -3"], cwd=repo, capture_output=True)
            bare.append(time.perf_counter() - t0)
    n = steps + 1
    med = statistics.median
    per = {k: med(r[k] for r in rows) for k in rows[0]}
    print(f"agent solver, {episodes} episodes of {n} steps (scripted model, {cand.detail['isolation']} sandbox):")
    print(
        f"  per step: command in the sandbox  {per['command'] / n * 1000:7.1f} ms   (bare bash: {med(bare) * 1000:.1f} ms)"
    )
    print(f"  per step: agent loop and metering {per['loop'] / n * 1000:7.1f} ms   (bridge, token count, templates)")
    print(f"  per step: model time (scripted)   {per['model'] / n * 1000:7.1f} ms")
    print(f"  per episode: checkout + private copy {per['setup']:.2f} s, final diff {per['diff']:.2f} s")


if __name__ == "__main__":
    main()
