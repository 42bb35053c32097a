"""Benchmark the math verifier: 1,000 GSM8K answers (exact path) and MATH-style LaTeX (math-verify path).

Run: python benchmarks/bench_math.py [--n 1000] [--latex 200] [--workers N]
Prints throughput and per-answer time, serial in this process and in parallel worker processes.
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from pathlib import Path

from harness_math.equivalence import shutdown_pool
from harness_math.generator import generate
from harness_math.parallel import available_cores, make_pool, verify_many
from harness_math.sources import MathSource
from harness_math.verifier import MathVerifier

from harness import Candidate, Task

GSM8K = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "gsm8k" / "test.jsonl"


def gsm8k_pairs(n: int) -> tuple[list[tuple[Task, Candidate]], str]:
    """n (task, candidate) pairs: the worked solution as response, every other answer made wrong."""
    if GSM8K.is_file():
        tasks = list(MathSource().tasks({"source": "gsm8k", "path": str(GSM8K)}))
        label = f"GSM8K test ({GSM8K})"
    else:
        tasks = list(generate(seed=0, count=n))
        label = "generated problems (GSM8K data not found)"
    pairs = []
    for i in range(n):
        task = tasks[i % len(tasks)]
        response = task.data["solution"]
        if i % 2:
            wrong = int(task.data["answer"].replace(",", "")) + 1
            response = response.rsplit("####", 1)[0] + f"#### {wrong}"
        pairs.append((task, Candidate(answer=None, response=response)))
    return pairs, label


def latex_pairs(n: int) -> list[tuple[Task, Candidate]]:
    """Distinct MATH-style pairs (no parser cache hits): fractions, roots, intervals, tuples."""
    rng = random.Random(0)
    pairs = []
    for i in range(n):
        a, b, k = rng.randint(2, 97), rng.randint(2, 97), rng.randint(2, 9)
        kind = i % 4
        if kind == 0:
            ref, got = f"\\dfrac{{{a}}}{{{b}}}", f"{a * k}/{b * k}"
        elif kind == 1:
            ref, got = f"{k}\\sqrt{{{a}}}", f"\\sqrt{{{k * k * a}}}"
        elif kind == 2:
            ref, got = f"[-{a},{b}]", f"[-{a}, {b + (i % 8 == 2)}]"
        else:
            ref, got = f"\\left( {a}, \\frac{{\\pi}}{{{b}}} \\right)", f"({a}, \\pi/{b})"
        task = Task(id=f"latex-{i}", data={"question": "", "answer": ref, "answer_type": "latex"})
        pairs.append((task, Candidate(answer=got)))
    return pairs


def timed(label: str, run, count: int) -> list:
    """Run and print wall time, throughput, and this process's CPU time (shows contention on a busy box)."""
    start, cpu = time.perf_counter(), time.process_time()
    verdicts = run()
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    passed = sum(v.status == "passed" for v in verdicts)
    errors = sum(v.status == "error" for v in verdicts)
    print(
        f"  {label:<36} {elapsed:7.3f} s  {count / elapsed:9.1f} answers/s  "
        f"{elapsed / count * 1e3:8.3f} ms/answer  (cpu here {cpu / count * 1e3:7.3f} ms)  "
        f"passed={passed} errors={errors}"
    )
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="GSM8K answers to verify")
    parser.add_argument("--latex", type=int, default=200, help="MATH-style answers to verify")
    parser.add_argument("--workers", type=int, default=available_cores(), help="parallel worker processes")
    args = parser.parse_args()
    verifier = MathVerifier()
    import math_verify  # noqa: F401  (import cost is not verification cost)

    pairs, label = gsm8k_pairs(args.n)
    lpairs = latex_pairs(args.latex * 2 + 8)
    serial_latex, pool_latex = lpairs[: args.latex], lpairs[args.latex : 2 * args.latex]  # distinct pairs
    verify_many(verifier, lpairs[-8:], workers=1)  # load the LaTeX parser before timing

    start = time.perf_counter()
    pool = make_pool(args.workers)
    list(pool.map(int, range(args.workers * 4)))  # start every worker (and its math-verify import)
    print(f"worker pool of {args.workers} processes started in {time.perf_counter() - start:.3f} s")

    print(f"GSM8K-style, exact comparison: {args.n} answers from {label}")
    serial = timed("serial, in process", lambda: verify_many(verifier, pairs, workers=1), args.n)
    parallel = timed(f"parallel, {args.workers} workers", lambda: verify_many(verifier, pairs, pool=pool), args.n)
    assert [v.status for v in serial] == [v.status for v in parallel]
    assert sum(v.passed for v in serial) == (args.n + 1) // 2

    print(f"MATH-style, math-verify equivalence: {args.latex} distinct LaTeX answers")
    timed("serial, in process (main thread)", lambda: verify_many(verifier, serial_latex, workers=1), args.latex)
    timed(
        f"parallel, {args.workers} workers",
        lambda: verify_many(verifier, pool_latex, pool=pool, chunk_size=8),
        args.latex,
    )
    pool.shutdown()

    out: list = []
    thread = threading.Thread(target=lambda: out.extend(verifier.verify(t, c) for t, c in serial_latex[:50]))
    timed("off the main thread (own worker pool)", lambda: (thread.start(), thread.join(), out)[2], 50)
    shutdown_pool()


if __name__ == "__main__":
    main()
