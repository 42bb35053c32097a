"""The harness side of a running program: its output under caps, deadlines, and an optional conversation.

The loop reads stdout, stderr and the result channel (each capped: the run is killed on overflow), ends
the run at the wall deadline or when the run's cgroup has used ``cpu_s`` of CPU, and reaps the sandbox
process. A *conversation* (``run_sandboxed(talk=...)``) lets a harness-side function exchange lines with
the program over its stdin and stdout while this loop keeps the limits.
"""

from __future__ import annotations

import os
import queue
import selectors
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.toolkit.sandbox._base import Limits


class Conversation:
    """The program's stdin and stdout, for a harness-side function that talks to it line by line."""

    def __init__(self, stdin_fd: int) -> None:
        self._fd = stdin_fd
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._partial = b""
        self.closed = False

    def send(self, data: bytes) -> bool:
        """Write ``data`` to the program's stdin; False once it is gone (or stopped reading)."""
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError:
            return False
        return True

    def recv_line(self, timeout: float | None = None) -> bytes | None:
        """The program's next stdout line (without the newline); None when it ended or ``timeout`` passed."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            return None
        if line is None:
            self._lines.put(None)  # stays at the end for any later call
        return line

    def feed(self, chunk: bytes) -> None:
        data = self._partial + chunk
        *lines, self._partial = data.split(b"\n")
        for line in lines:
            self._lines.put(line)

    def finish(self) -> None:
        if not self.closed:
            self.closed = True
            if self._partial:
                self._lines.put(self._partial)
            self._lines.put(None)


@dataclass
class Outcome:
    """What the loop saw: exit status, usage, outputs and whether the harness ended the run."""

    status: int = 0
    rusage: object = None
    timed_out: bool = False
    wall_s: float = 0.0
    outputs: dict[str, bytearray] = field(default_factory=dict)
    truncated: dict[str, bool] = field(default_factory=dict)
    talk_error: BaseException | None = None


def communicate(
    proc: subprocess.Popen,
    pipes: dict[str, int],
    caps: dict[str, int],
    limits: Limits,
    *,
    terminate: Callable[[], None],
    cpu_used: Callable[[], float | None],
    talk: Callable[[Conversation], None] | None = None,
    stdin_fd: int | None = None,
) -> Outcome:
    """Drive the run to its end; ``terminate`` kills every process of it (idempotent)."""
    out = Outcome(outputs={k: bytearray() for k in pipes}, truncated={k: False for k in pipes})
    sel = selectors.DefaultSelector()
    names = {}
    for name, fd in pipes.items():
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ)
        names[fd] = name
    pidfd = _pidfd(proc.pid)  # readable when the sandbox process ends: no polling for it
    if pidfd is not None:
        sel.register(pidfd, selectors.EVENT_READ)
        names[pidfd] = ""
    conv = thread = None
    if talk is not None and stdin_fd is not None:
        conv = Conversation(stdin_fd)
        thread = threading.Thread(target=_talk, args=(talk, conv, stdin_fd, out), daemon=True)
        thread.start()
    start = time.monotonic()
    deadline = start + limits.wall_s
    killed_at = exited_at = None
    status = None
    open_pipes = len(pipes)
    while open_pipes or status is None:
        now = time.monotonic()
        if killed_at is None and (now >= deadline or (cpu_used() or 0.0) >= limits.cpu_s):
            out.timed_out, killed_at = True, now
            terminate()
        if exited_at is not None and now - exited_at > 0.1:
            terminate()  # the sandbox is gone but something still holds its pipes
            if now - exited_at > 1.0:
                break
        for key, _ in sel.select(timeout=0.02):
            if key.fd == pidfd:
                continue  # reaped below
            got = _read(key.fd, names[key.fd], out, caps, conv)
            if got is None:
                sel.unregister(key.fd)
                open_pipes -= 1
            elif not got and killed_at is None:  # over its cap: the run ends here
                killed_at = time.monotonic()
                terminate()
        if status is None:
            pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status, out.rusage, exited_at = st, ru, time.monotonic()
                proc.returncode = os.waitstatus_to_exitcode(st)  # reaped: never signal that pid again
                if pidfd is not None:
                    sel.unregister(pidfd)
                    os.close(pidfd)
                    pidfd = None
    if pidfd is not None:
        os.close(pidfd)
    if status is None:
        terminate()
        _, status, out.rusage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    out.status = status
    out.wall_s = time.monotonic() - start
    sel.close()
    if conv is not None:
        conv.finish()
        thread.join(timeout=2.0)  # type: ignore[union-attr]
    return out


def _read(fd: int, name: str, out: Outcome, caps: dict[str, int], conv: Conversation | None) -> bool | None:
    """Read what ``fd`` has: None at its end, False when it went over its cap, else True."""
    try:
        chunk = os.read(fd, 1 << 16)
    except BlockingIOError:
        return True
    if not chunk:
        if name == "stdout" and conv is not None:
            conv.finish()
        return None
    if name == "stdout" and conv is not None:
        conv.feed(chunk)
    room = caps[name] - len(out.outputs[name])
    out.outputs[name] += chunk[: max(room, 0)]
    if len(chunk) > room:
        out.truncated[name] = True
        return False
    return True


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _talk(talk: Callable[[Conversation], None], conv: Conversation, stdin_fd: int, out: Outcome) -> None:
    try:
        talk(conv)
    except BaseException as exc:  # re-raised by the runner in the caller's thread
        out.talk_error = exc
    finally:
        try:
            os.close(stdin_fd)  # end of input for the program
        except OSError:
            pass
