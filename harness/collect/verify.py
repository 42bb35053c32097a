"""Verification in worker processes: a verifier runs away from the event loop, timed, and its crash is an
``error`` verdict, never a failure. :class:`ProcessVerification` is the local executor; another executor
(e.g. a cluster) provides the same ``async verify(verifier, task, candidate)`` and ``shutdown(force)``."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ctypes
import os
import resource
import signal
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.types import Candidate, Task, Verdict

_PR_SET_PDEATHSIG = 1


def available_cores() -> int:
    """Cores this process may use (affinity-aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Checked:
    """A verdict with what verifying it took: wall seconds and CPU seconds (the worker and its children)."""

    verdict: Verdict
    wall_s: float = 0.0
    cpu_s: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)


def _cpu_now() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # sandboxed programs the verifier ran
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def verify_in_worker(verifier: Any, task: Task, candidate: Candidate) -> Checked:
    """Run a verifier (in a worker process), timed; an exception becomes an ``error`` verdict."""
    wall0, cpu0 = time.monotonic(), _cpu_now()
    try:
        verdict = verifier.verify(task, candidate)
        if not isinstance(verdict, Verdict):
            verdict = Verdict(
                "error",
                error_kind="verifier_bad_result",
                detail={"error": f"verify returned {type(verdict).__name__}, not Verdict"},
            )
    except Exception as exc:
        verdict = Verdict(
            "error", error_kind="verifier_exception", detail={"error": f"{type(exc).__name__}: {exc}"[:500]}
        )
    return Checked(verdict, time.monotonic() - wall0, _cpu_now() - cpu0)


class Verification(Protocol):
    """Where verifications run."""

    async def verify(self, verifier: Any, task: Task, candidate: Candidate) -> Checked: ...

    def shutdown(self, force: bool) -> None: ...


def _worker_init(parent: int) -> None:
    """A verification worker ignores Ctrl-C (the parent handles it) and dies with its parent, even one that
    was SIGKILLed (otherwise the pool's idle workers would linger, adopted by init, forever)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)


class ProcessVerification:
    """A pool of worker processes bounded by the machine's cores; a pool a verifier broke is replaced."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool = self._new_pool()

    def _new_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self.workers, initializer=_worker_init, initargs=(os.getpid(),)
        )

    def start(self) -> None:
        """Start the workers now (before an event loop and its threads exist)."""
        self._pool.submit(int).result()

    async def verify(self, verifier: Any, task: Task, candidate: Candidate) -> Checked:
        pool = self._pool
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, verify_in_worker, verifier, task, candidate)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the pool broke (a verifier crashed its worker): replace it
            if isinstance(exc, BrokenProcessPool) and self._pool is pool:
                self._pool = self._new_pool()
                _stop(pool, force=True)
            return Checked(
                Verdict("error", error_kind="verifier_crashed", detail={"error": f"{type(exc).__name__}: {exc}"})
            )

    def shutdown(self, force: bool) -> None:
        """Stop the workers; on an interruption do not wait for running verifications."""
        _stop(self._pool, force)


def _stop(pool: concurrent.futures.ProcessPoolExecutor, force: bool) -> None:
    if force:
        for p in list(getattr(pool, "_processes", {}).values()):
            p.terminate()
    pool.shutdown(wait=not force, cancel_futures=True)
