"""Verify many candidates in parallel, one worker process per available core, never more.

The harness's collect pipeline already verifies in its own worker processes; this helper is for
scripts and benchmarks that hold a list of (task, candidate) pairs. Workers run the verifier in their
main thread, so math-verify's time limit works there directly.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from harness import Candidate, Task, Verdict, Verifier


def available_cores() -> int:
    """Cores this process may run on (the affinity mask, not the machine's total)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _warm_up() -> None:
    """Pay sympy's import and the LaTeX parser's start once per worker, not in the first task."""
    from harness_math.equivalence import check_equivalence

    check_equivalence("\\frac{1}{2}", "1/2", 30.0)


def _verify_chunk(verifier: Verifier, pairs: Sequence[tuple[Task, Candidate]]) -> list[Verdict]:
    return [verifier.verify(task, candidate) for task, candidate in pairs]


def make_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool sized to the available cores, whose workers have math-verify imported already."""
    ctx = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    return ProcessPoolExecutor(max_workers=workers or available_cores(), mp_context=ctx, initializer=_warm_up)


def verify_many(
    verifier: Verifier,
    pairs: Sequence[tuple[Task, Candidate]],
    workers: int | None = None,
    chunk_size: int = 64,
    pool: ProcessPoolExecutor | None = None,
) -> list[Verdict]:
    """Verdicts in input order, in ``pool`` or a fresh one of ``workers`` processes (1 runs here)."""
    chunks = [pairs[i : i + chunk_size] for i in range(0, len(pairs), chunk_size)]
    if pool is not None:
        return [v for chunk in pool.map(_verify_chunk, [verifier] * len(chunks), chunks) for v in chunk]
    workers = min(workers or available_cores(), max(1, len(chunks)))
    if workers <= 1:
        return _verify_chunk(verifier, pairs)
    with make_pool(workers) as own:
        return verify_many(verifier, pairs, chunk_size=chunk_size, pool=own)
