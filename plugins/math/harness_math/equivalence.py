"""Symbolic equivalence with math-verify, under a wall-clock limit that also holds off the main thread.

math-verify's own timeouts use ``signal.alarm``, which only works in a process's main thread. So its
timeouts are switched off and one limit is put around the whole check instead: a ``SIGALRM`` interval
timer when we are in the main thread (the harness verifies in worker processes, in their main thread),
and otherwise a small pool of worker processes of our own, whose workers run the same check in their
main thread and which is terminated if a worker does not answer in time.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class EquivalenceTimeout(BaseException):
    """The check ran past its limit (a BaseException, so code that catches Exception cannot eat it)."""


class _NoTimeoutWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Timeout is disabled" not in record.getMessage()


for _name in ("math_verify", "math_verify.grader", "math_verify.parser"):
    logging.getLogger(_name).addFilter(_NoTimeoutWarning())


def _wrap(expr: str) -> str:
    s = expr.strip()
    if "\\boxed" in s or s.startswith("$"):
        return s
    return f"${s}$"


def _equivalent_unbounded(reference: str, answer: str) -> bool:
    """math-verify's parse + verify with its signal timeouts off (the caller bounds the time)."""
    from math_verify import parse, verify

    gold = parse(_wrap(reference), parsing_timeout=None)
    pred = parse(_wrap(answer), parsing_timeout=None)
    if not gold or not pred:
        return False
    return bool(verify(gold, pred, timeout_seconds=None))


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Raise EquivalenceTimeout in the main thread after ``seconds``; restores any previous timer."""

    def on_alarm(signum: int, frame: Any) -> None:
        raise EquivalenceTimeout(f"equivalence check exceeded {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if old_delay:
            signal.setitimer(signal.ITIMER_REAL, old_delay)


def _check_in_main_thread(reference: str, answer: str, timeout_s: float) -> tuple[str, bool | str]:
    try:
        with _alarm(timeout_s):
            return "ok", _equivalent_unbounded(reference, answer)
    except EquivalenceTimeout as exc:
        return "timeout", str(exc)
    except Exception as exc:  # a crash inside sympy / the LaTeX parser
        return "crash", f"{type(exc).__name__}: {exc}"


_pool: Any = None
_pool_lock = threading.Lock()
#: Seconds a worker may overrun its own timer before the pool is killed (a hang in C code).
GRACE_S = 10.0


def _worker_count() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


def _get_pool() -> Any:
    global _pool
    with _pool_lock:
        if _pool is None:
            ctx = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
            _pool = ctx.Pool(processes=_worker_count())
        return _pool


def _kill_pool(pool: Any) -> None:
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    pool.terminate()


def shutdown_pool() -> None:
    """Stop the worker pool used for off-main-thread checks (it restarts on demand)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.terminate()
        pool.join()


atexit.register(shutdown_pool)


def check_equivalence(reference: str, answer: str, timeout_s: float = 5.0) -> tuple[str, bool | str]:
    """Compare two answers symbolically within ``timeout_s`` seconds.

    Returns ``("ok", equal)``, ``("timeout", message)`` or ``("crash", message)``. Safe from any
    thread: off the main thread the check runs in a worker process.
    """
    if threading.current_thread() is threading.main_thread():
        return _check_in_main_thread(reference, answer, timeout_s)
    pool = _get_pool()
    result = pool.apply_async(_check_in_main_thread, (reference, answer, timeout_s))
    try:
        return result.get(timeout=timeout_s + GRACE_S)
    except multiprocessing.TimeoutError:
        _kill_pool(pool)
        return "timeout", f"equivalence worker did not answer within {timeout_s + GRACE_S:g}s"
