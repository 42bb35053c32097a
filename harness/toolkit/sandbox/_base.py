"""The sandbox's value types: limits of a run, what happened to it, and its error."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import HarnessError

ISOLATIONS: tuple[str, ...] = ("bwrap", "rlimits+unshare", "rlimits")
MiB = 1024 * 1024


class SandboxError(HarnessError):
    """The sandbox itself could not run (not the program failing): the message says what broke."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run (seconds and bytes).

    With a per-run cgroup, ``cpu_s``, ``memory_bytes`` and ``processes`` bound the whole run (every
    process together) and ``cpus`` caps its CPU share; without one they hold per process only.
    """

    wall_s: float = 10.0
    cpu_s: float = 5.0
    memory_bytes: int = 512 * MiB
    file_size_bytes: int = 16 * MiB
    processes: int = 64
    open_files: int = 256
    stdout_bytes: int = 16 * MiB
    stderr_bytes: int = 1 * MiB
    #: size of the run directory, /tmp, /var/tmp and /dev/shm (memory-backed tmpfs, counted in the
    #: memory cgroup); a host ``workdir`` or ``tree`` is only capped file by file (``file_size_bytes``)
    disk_bytes: int = 64 * MiB
    #: CPU quota of the run's cgroup, in cores (neighbours keep the rest of the machine)
    cpus: float = 1.0
    channel_bytes: int = 16 * MiB


@dataclass(frozen=True)
class SandboxResult:
    """What happened to one sandboxed run."""

    exit_code: int | None
    signal: int | None
    timed_out: bool
    stdout: str
    stderr: str
    stdout_truncated: bool
    stderr_truncated: bool
    wall_s: float
    cpu_s: float
    isolation: str
    notes: tuple[str, ...] = field(default_factory=tuple)
    uid: int | None = None  # the unprivileged uid the program ran as (root only), for audits and tests
    #: "v2" or "v1" when a per-run cgroup bounded the run's memory, processes and CPU; None otherwise
    cgroup: str | None = None
    #: the cgroup's OOM killer ended a process of the run (its total memory passed ``memory_bytes``)
    oom_killed: bool = False
    #: bytes the run wrote to its result channel (``channel=True``), apart from stdout and stderr
    channel: bytes = b""
    channel_truncated: bool = False

    @property
    def output_exceeded(self) -> bool:
        return self.stdout_truncated or self.stderr_truncated or self.channel_truncated

    @property
    def ok(self) -> bool:
        """Exited 0, in time, within the output caps and the run's memory (no process of it OOM-killed)."""
        return self.exit_code == 0 and not self.timed_out and not self.output_exceeded and not self.oom_killed

    @property
    def memory_exceeded(self) -> bool:
        """The run ran out of memory: the cgroup's OOM killer, or the interpreter says so."""
        tail = self.stderr[-2000:]
        return self.oom_killed or "MemoryError" in tail or "std::bad_alloc" in tail or "Cannot allocate memory" in tail

    @property
    def protection(self) -> str:
        """The isolation with its cgroup, as verdicts record it: e.g. ``bwrap+cgroup-v1`` or ``rlimits``."""
        return f"{self.isolation}+cgroup-{self.cgroup}" if self.cgroup else self.isolation

    @property
    def failure_kind(self) -> str | None:
        """None on success, else one of timeout, output_limit, memory, runtime_error."""
        if self.timed_out:
            return "timeout"
        if self.output_exceeded:
            return "output_limit"
        if self.oom_killed:
            return "memory"
        if self.exit_code == 0:
            return None
        if self.memory_exceeded:
            return "memory"
        return "runtime_error"
