"""The agent's shell commands, each run in the sandbox with the working copy as its directory.

Commands run in a worker process of their own (one per episode, ``python -m
harness_swebench.solvers.commands``), not in the solver's process: the sandbox sets its limits between
fork and exec, which is only safe in a single-threaded process, and the solver's process has an event
loop, model threads and the agent's thread. The worker is started with ``subprocess`` (not
``multiprocessing``, which re-imports the caller's main module and fails for ``python -c`` or a
notebook), reads one JSON request per line and answers one JSON result per line; it ignores Ctrl-C (the
collection handles it) and exits when its input closes, so it never outlives the episode.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from harness import HarnessError

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


class CommandWorker:
    """The worker process of one episode; :meth:`run` blocks (call it from the agent's thread)."""

    def __init__(self) -> None:
        self._log = tempfile.TemporaryFile()
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "harness_swebench.solvers.commands"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            close_fds=True,
        )

    def run(self, command: str, workdir: str, timeout_s: float, memory_mb: int, processes: int) -> CommandResult:
        request = {"command": command, "workdir": workdir, "timeout_s": timeout_s, "memory_mb": memory_mb}
        request["processes"] = processes
        with self._lock:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            try:
                self.proc.stdin.write(json.dumps(request).encode() + b"\n")
                self.proc.stdin.flush()
                line = self.proc.stdout.readline()
            except (BrokenPipeError, OSError):
                line = b""
        if not line:
            raise HarnessError(f"swebench: the agent's command worker died ({self._last_error()})")
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise HarnessError(reply["error"])
        return CommandResult(**reply)

    def _last_error(self) -> str:
        code = self.proc.poll()
        self._log.seek(0)
        lines = self._log.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"exit code {code}"

    def close(self) -> None:
        """End the worker (its input closes; killed if it does not exit at once)."""
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        finally:
            if self.proc.stdout is not None:
                self.proc.stdout.close()
            self._log.close()


def _serve() -> None:
    """The worker's loop: one request per input line, one result per output line, until input closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr  # nothing but results on the protocol stream
    for line in sys.stdin:
        try:
            result = asdict(run_command(**json.loads(line)))
        except HarnessError as exc:  # the sandbox itself could not run: the caller stops, saying why
            result = {"error": str(exc)}
        out.write(json.dumps(result) + "\n")
        out.flush()


if __name__ == "__main__":
    _serve()
