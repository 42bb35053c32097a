"""A cgroup per run where this process may make one: the run's total memory, processes and CPU are bounded.

Layout: ``<the harness's own cgroup>/harness-sandbox/run-<lease key>`` in each hierarchy, so every run
stays inside whatever bounds the harness itself has. cgroup v2 is used when the harness's cgroup (or
the root) delegates ``memory``, ``pids`` and ``cpu``; else the v1 ``memory``, ``pids``, ``cpu`` and
``cpuacct`` controllers when they are mounted and writable (as on this project's CI machine). The
program joins its cgroup between fork and exec (before any of its code runs), so no process of the run
is ever outside it. The CPU quota (``Limits.cpus``) keeps a forking program from starving its
neighbours; the harness reads the run's CPU time from the cgroup and judges ``cpu_s`` on it.
"""

from __future__ import annotations

import atexit
import functools
import multiprocessing.util
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.toolkit.sandbox import _state
from harness.toolkit.sandbox._base import Limits

_PERIOD_US = 100_000
_V1 = ("memory", "pids", "cpu", "cpuacct")
_V2 = ("memory", "pids", "cpu")
_PARENT = "harness-sandbox"


def _mountinfo() -> list[tuple[str, str, set[str]]]:
    """(mount point, fs type, super options) of every cgroup mount."""
    out = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, rfields = left.split(), right.split()
        if len(rfields) >= 3 and rfields[0] in ("cgroup", "cgroup2"):
            out.append((fields[4], rfields[0], set(rfields[2].split(","))))
    return out


def _own_paths() -> dict[str, str]:
    """Controller name (``""`` for v2) -> this process's cgroup path in that hierarchy."""
    out: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        _, names, path = line.split(":", 2)
        for name in names.split(",") if names else [""]:
            out[name] = path
    return out


def _write(path: Path, value: str) -> bool:
    try:
        path.write_text(value)
        return True
    except OSError:
        return False


def _v2_parent(mount: str, own: str) -> Path | None:
    base = Path(mount + own)
    try:
        have = set((base / "cgroup.controllers").read_text().split())
    except OSError:
        return None
    if not set(_V2) <= have:
        return None
    enabled = set((base / "cgroup.subtree_control").read_text().split())
    if not set(_V2) <= enabled and not _write(base / "cgroup.subtree_control", " ".join(f"+{c}" for c in _V2)):
        return None  # not delegated (a cgroup with processes cannot enable controllers for children)
    parent = base / _PARENT
    try:
        parent.mkdir(exist_ok=True)
    except OSError:
        return None
    if not _write(parent / "cgroup.subtree_control", " ".join(f"+{c}" for c in _V2)):
        return None
    return parent


@dataclass(frozen=True)
class Layout:
    """Where run cgroups go: version and the parent directory of each controller (one for v2)."""

    version: str
    parents: dict[str, Path]


@functools.cache
def layout() -> Layout | None:
    """The writable cgroup layout of this machine, or None (probed once per process)."""
    mounts, own = _mountinfo(), _own_paths()
    for mount, kind, _ in mounts:
        if kind == "cgroup2" and "" in own:
            parent = _v2_parent(mount, own[""])
            if parent is not None:
                return Layout("v2", {"": parent})
    parents: dict[str, Path] = {}
    for mount, kind, opts in mounts:
        for ctl in _V1:
            if kind == "cgroup" and ctl in opts and ctl in own and ctl not in parents:
                base = Path(mount + own[ctl])
                if os.access(base, os.W_OK):
                    try:
                        (base / _PARENT).mkdir(exist_ok=True)
                    except OSError:
                        continue
                    parents[ctl] = base / _PARENT
    if {"memory", "pids", "cpu"} <= set(parents):
        return Layout("v1", parents)
    return None


class RunCgroup:
    """One run's cgroup(s): create with limits, join from the child, read CPU and OOM, kill, remove."""

    def __init__(self, version: str, dirs: dict[str, Path]) -> None:
        self.version, self.dirs = version, dirs

    @classmethod
    def create(cls, key: str, limits: Limits) -> RunCgroup | None:
        lay = layout()
        if lay is None:
            return None
        dirs = {ctl: parent / f"run-{key}" for ctl, parent in lay.parents.items()}
        made = cls(lay.version, {})
        try:
            for ctl, d in dirs.items():
                d.mkdir()
                made.dirs[ctl] = d
            made._limit(limits)
        except OSError:
            made.remove()
            return None
        return made

    def _limit(self, limits: Limits) -> None:
        quota = max(1000, int(limits.cpus * _PERIOD_US))
        pids = str(limits.processes + 8)  # the sandbox's own init, watchdog and privilege-drop steps
        if self.version == "v2":
            d = self.dirs[""]
            (d / "memory.max").write_text(str(limits.memory_bytes))
            _write(d / "memory.swap.max", "0")
            (d / "pids.max").write_text(pids)
            (d / "cpu.max").write_text(f"{quota} {_PERIOD_US}")
            return
        mem = self.dirs["memory"]
        (mem / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
        _write(mem / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))  # no swap either
        (self.dirs["pids"] / "pids.max").write_text(pids)
        (self.dirs["cpu"] / "cpu.cfs_period_us").write_text(str(_PERIOD_US))
        (self.dirs["cpu"] / "cpu.cfs_quota_us").write_text(str(quota))

    def join_fds(self) -> list[int]:
        """Open ``cgroup.procs`` of each hierarchy: the child writes ``0`` (itself) to each before exec."""
        return [os.open(d / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC) for d in self.dirs.values()]

    def cpu_s(self) -> float | None:
        """CPU seconds used by every process of the run so far (None where no counter exists)."""
        try:
            if self.version == "v2":
                for line in (self.dirs[""] / "cpu.stat").read_text().splitlines():
                    if line.startswith("usage_usec "):
                        return int(line.split()[1]) / 1e6
                return None
            if "cpuacct" in self.dirs:
                return int((self.dirs["cpuacct"] / "cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError):
            pass
        return None

    def oom_killed(self) -> bool:
        name, d = ("memory.events", self.dirs.get("")) if self.version == "v2" else ("memory.oom_control", None)
        d = d or self.dirs.get("memory")
        try:
            for line in (d / name).read_text().splitlines():  # type: ignore[operator]
                if line.startswith("oom_kill "):
                    return int(line.split()[1]) > 0
        except (OSError, ValueError, TypeError):
            pass
        return False

    def pids(self) -> list[int]:
        d = self.dirs.get("") or self.dirs.get("pids") or next(iter(self.dirs.values()), None)
        try:
            return [int(x) for x in (d / "cgroup.procs").read_text().split()] if d else []
        except (OSError, ValueError):
            return []

    def kill(self) -> None:
        """SIGKILL every process in the run's cgroup (``cgroup.kill`` where the kernel has it)."""
        if self.version == "v2" and _write(self.dirs[""] / "cgroup.kill", "1"):
            return
        for _ in range(20):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def remove(self) -> None:
        """Kill what is left and remove the directories (waiting a moment for the kernel to reap)."""
        self.kill()
        deadline = time.monotonic() + 2.0
        for d in self.dirs.values():
            while True:
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    self.kill()
                    time.sleep(0.005)
        self.dirs = {}

    def release(self) -> None:
        """After a run: kill what is left; an empty cgroup is removed in the background (rmdir is slow)."""
        self.kill()
        if self.pids():
            self.remove()
            return
        _removals().put(list(self.dirs.values()))
        self.dirs = {}


def _rmdir(dirs: list[Path]) -> None:
    deadline = time.monotonic() + 2.0
    for d in dirs:
        while True:
            try:
                d.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)


@functools.cache
def _removals() -> queue.Queue[list[Path]]:
    """A queue of empty run cgroups to remove, served by one daemon thread (what is left at exit, or after
    a crash, goes at the next start: run cgroups without a lease are stale)."""
    q: queue.Queue[list[Path]] = queue.Queue()

    def serve() -> None:
        while True:
            _rmdir(q.get())
            q.task_done()

    def drain() -> None:
        while not q.empty():
            _rmdir(q.get_nowait())

    threading.Thread(target=serve, name="sandbox-cgroup-removal", daemon=True).start()
    atexit.register(drain)
    multiprocessing.util.Finalize(None, drain, exitpriority=0)  # pool workers leave without atexit
    return q


def _remove_stale(key: str) -> None:
    lay = layout()
    if lay is not None:
        stale = {ctl: p / f"run-{key}" for ctl, p in lay.parents.items() if (p / f"run-{key}").exists()}
        if stale:
            RunCgroup(lay.version, stale).remove()


def remove_unleased(leases: Callable[[], set[str]]) -> None:
    """Remove run cgroups whose lease is gone (a removal cut short by an exit or a crash).

    The cgroups are listed before the leases: a run takes its lease before it makes its cgroup.
    """
    lay = layout()
    found = [d for parent in (lay.parents.values() if lay else []) for d in parent.glob("run-*")]
    held = leases() if found else set()
    for d in found:
        if d.name[4:] not in held:
            RunCgroup(lay.version, {"": d}).remove()  # type: ignore[union-attr]


_state.STALE_HOOKS.append(_remove_stale)
_state.UNLEASED_HOOKS.append(remove_unleased)
