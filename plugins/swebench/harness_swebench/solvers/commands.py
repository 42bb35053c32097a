"""The agent's shell commands, each run in the sandbox with the working copy as its directory.

Commands run in worker processes, not in the solver's process: the sandbox sets its limits between
fork and exec, which is only safe in a single-threaded process, and the solver's process has an event
loop, model threads and the agent's thread. One small pool (a worker per core, started once, shared by
all episodes of the process) keeps that cost to a round trip per command.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import threading
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

MiB = 1024 * 1024
#: What each command sees besides the sandbox's own variables (mini-swe-agent's SWE-bench settings).
COMMAND_ENV = {"PAGER": "cat", "MANPAGER": "cat", "LESS": "-R", "PIP_PROGRESS_BAR": "off", "TQDM_DISABLE": "1"}


@dataclass(frozen=True)
class CommandResult:
    """One command's outcome: its output (stderr merged into stdout, in order), exit code, and timings."""

    output: str
    returncode: int
    timed_out: bool
    truncated: bool
    wall_s: float
    isolation: str


def run_command(
    command: str,
    workdir: str,
    timeout_s: float,
    memory_mb: int,
    processes: int,
    env: Mapping[str, str] | None = None,
) -> CommandResult:
    """Run ``command`` with bash in the sandbox, ``workdir`` (a working copy) as its read-write directory."""
    from harness.toolkit.sandbox import Limits, run_sandboxed

    limits = Limits(
        wall_s=timeout_s,
        cpu_s=timeout_s,
        memory_bytes=memory_mb * MiB,
        processes=processes,
        file_size_bytes=64 * MiB,
        stdout_bytes=2 * MiB,
        stderr_bytes=1 * MiB,
    )
    res = run_sandboxed(
        ["bash", "-c", "exec 2>&1\n" + command], workdir=workdir, limits=limits, env={**COMMAND_ENV, **(env or {})}
    )
    code = res.exit_code if res.exit_code is not None else 128 + (res.signal or 0)
    return CommandResult(
        output=res.stdout + res.stderr,
        returncode=code,
        timed_out=res.timed_out,
        truncated=res.output_exceeded,
        wall_s=res.wall_s,
        isolation=res.isolation,
    )


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the collection's to handle


_LOCK = threading.Lock()
_POOL: ProcessPoolExecutor | None = None


def _workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def pool() -> ProcessPoolExecutor:
    """The process's command pool (created on first use)."""
    global _POOL
    with _LOCK:
        if _POOL is None:
            ctx = multiprocessing.get_context("forkserver")
            _POOL = ProcessPoolExecutor(max_workers=_workers(), mp_context=ctx, initializer=_worker_init)
        return _POOL


def _reset(broken: ProcessPoolExecutor) -> None:
    global _POOL
    with _LOCK:
        if _POOL is broken:
            _POOL = None
    broken.shutdown(wait=False, cancel_futures=True)


def execute(
    command: str, workdir: str, timeout_s: float, memory_mb: int, processes: int, env: Mapping[str, str] | None = None
) -> CommandResult:
    """Run one command in a pool worker (blocking; call from the agent's thread). A pool whose worker
    died is replaced and the command tried once more."""
    for attempt in (1, 2):
        p = pool()
        try:
            return p.submit(run_command, command, workdir, timeout_s, memory_mb, processes, env).result()
        except BrokenProcessPool:
            _reset(p)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@atexit.register
def _shutdown() -> None:
    if _POOL is not None:
        _POOL.shutdown(wait=False, cancel_futures=True)
