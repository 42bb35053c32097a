"""Run untrusted programs (generated code) in a subprocess with limits, and compare their output.

Every run gets a fresh temporary directory, wall-clock and CPU limits, an address-space limit, a
file-size limit, a process limit, no network, capped stdout/stderr (the program is killed on overflow)
and a ``timeout`` watchdog inside the sandbox that ends it even if this process dies. The strongest
isolation that works on this machine is used (probed once per process), and each result says which:

- ``bwrap``: bubblewrap gives a private filesystem (only system directories and the interpreter,
  read-only; the run's own directory and ``/tmp`` as tmpfs of ``Limits.disk_bytes``), private network,
  PID, IPC and UTS namespaces. As root, bwrap runs privileged and the program drops to a fresh unprivileged uid
  (``setpriv``); as a normal user, bwrap makes an unprivileged user namespace.
- ``rlimits+unshare``: no usable bwrap; the program gets fresh network and IPC namespaces (made by
  root, or through a user namespace) and, as root, a fresh unprivileged uid; files are protected by
  permissions only (no private filesystem).
- ``rlimits``: neither works; resource limits and, as root, the fresh uid only (no network isolation).

RLIMIT_NPROC does not bind root, so as root every run uses its own uid from a high, otherwise unused
range: the process limit holds, and leftover processes are killed by uid (or with the PID namespace).
The environment is replaced (no API keys reach the program). Call from one thread per process (the
limits are set in a ``preexec_fn``); verification pools of processes are the intended use.
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import resource
import secrets
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError

__all__ = [
    "ISOLATIONS",
    "Limits",
    "SandboxError",
    "SandboxResult",
    "compare_tokens",
    "detect_isolation",
    "python_for",
    "run_python",
    "run_sandboxed",
]

ISOLATIONS: tuple[str, ...] = ("bwrap", "rlimits+unshare", "rlimits")
MiB = 1024 * 1024
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_CLONE_NEWIPC = 0x08000000
_PR_SET_PDEATHSIG = 1
_UID_BASE = 1_900_000_000  # far above normal users and subordinate-uid ranges
_UID_SPAN = 100_000_000
_NOBODY = 65534
_SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/localtime",
    "/etc/python3",
    f"/etc/python{sys.version_info[0]}.{sys.version_info[1]}",
)


class SandboxError(HarnessError):
    """The sandbox itself could not run (not the program failing): the message says what broke."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run (seconds and bytes)."""

    wall_s: float = 10.0
    cpu_s: float = 5.0
    memory_bytes: int = 512 * MiB
    file_size_bytes: int = 16 * MiB
    processes: int = 64
    open_files: int = 256
    stdout_bytes: int = 16 * MiB
    stderr_bytes: int = 1 * MiB
    #: bwrap: size of the run directory and /tmp (memory-backed tmpfs); without bwrap, or with ``tree=``
    #: (the host directory is bound), only each file is capped (``file_size_bytes``)
    disk_bytes: int = 64 * MiB


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

    @property
    def output_exceeded(self) -> bool:
        return self.stdout_truncated or self.stderr_truncated

    @property
    def ok(self) -> bool:
        """Exited 0, in time, within the output caps."""
        return self.exit_code == 0 and not self.timed_out and not self.output_exceeded

    @property
    def memory_exceeded(self) -> bool:
        """The program ran out of its address space (as far as the interpreter says)."""
        tail = self.stderr[-2000:]
        return "MemoryError" in tail or "std::bad_alloc" in tail or "Cannot allocate memory" in tail

    @property
    def failure_kind(self) -> str | None:
        """None on success, else one of timeout, output_limit, memory, runtime_error."""
        if self.timed_out:
            return "timeout"
        if self.output_exceeded:
            return "output_limit"
        if self.exit_code == 0:
            return None
        if self.memory_exceeded:
            return "memory"
        return "runtime_error"


# ---------------------------------------------------------------------------------------------- probing


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _is_root() -> bool:
    return os.geteuid() == 0


@functools.cache
def _uid_range() -> tuple[int, int] | None:
    """A range of uids that are mapped in this user namespace and used by nobody, or None."""
    try:
        lines = Path("/proc/self/uid_map").read_text().split()
        inside, _, count = (int(x) for x in lines[:3])
    except (OSError, ValueError):
        return None
    if inside <= _UID_BASE and inside + count >= _UID_BASE + _UID_SPAN:
        return _UID_BASE, _UID_SPAN
    return None


def _fresh_uid() -> int:
    rng = _uid_range()
    return rng[0] + secrets.randbelow(rng[1]) if rng else _NOBODY


def _others_can_run(path: str) -> bool:
    """True when any uid can execute ``path`` and read its directory tree (no 0700 home on the way)."""
    try:
        real = Path(os.path.realpath(path))
        if not real.stat().st_mode & stat.S_IXOTH:
            return False
        return all(p.stat().st_mode & stat.S_IXOTH for p in real.parents)
    except OSError:
        return False


@functools.cache
def _world_python() -> str | None:
    """A Python 3 interpreter that an unprivileged uid can run (for the no-bwrap fallback as root)."""
    if _others_can_run(sys.executable) and _others_can_run(sys.base_prefix + "/lib"):
        return sys.executable
    ver = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for cand in (f"/usr/bin/python{ver}", f"/usr/local/bin/python{ver}", "/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(cand) and _others_can_run(cand):
            return cand
    return None


def python_for(isolation: str) -> str:
    """The interpreter that runs Python programs under ``isolation``."""
    if isolation == "bwrap" or not _is_root():
        return sys.executable
    return _world_python() or sys.executable


@functools.cache
def _setpriv() -> str | None:
    return shutil.which("setpriv")


def _bwrap_binary() -> str | None:
    return shutil.which("bwrap")


def detect_isolation(prefer: str = "auto") -> str:
    """The strongest isolation that works here (probed once per process); ``prefer`` caps it.

    ``auto`` honours ``$HARNESS_SANDBOX`` (one of the isolations), so an operator can cap it everywhere.
    """
    if prefer == "auto":
        prefer = os.environ.get("HARNESS_SANDBOX", "").strip() or "auto"
    return _detect(prefer)


@functools.cache
def _detect(prefer: str) -> str:
    if prefer not in ("auto", *ISOLATIONS):
        raise SandboxError(
            f"unknown sandbox isolation {prefer!r} (argument or $HARNESS_SANDBOX); use one of "
            f"auto, {', '.join(ISOLATIONS)}"
        )
    order = ISOLATIONS if prefer == "auto" else ISOLATIONS[ISOLATIONS.index(prefer) :]
    probe = Limits(wall_s=10, cpu_s=5)
    for iso in order:
        if iso == "rlimits":
            return iso
        if iso == "bwrap" and (not _bwrap_binary() or (_is_root() and not _setpriv())):
            continue
        try:
            res = _run([python_for(iso), "-c", "print('sandbox-ok')"], {}, b"", probe, iso, None, ())
        except (SandboxError, OSError):
            continue
        if res.exit_code == 0 and res.stdout.strip() == "sandbox-ok":
            return iso
    return "rlimits"


# --------------------------------------------------------------------------------------------- running


def _env(workdir: str, extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    env.update(extra or {})
    return env


@functools.cache
def _bwrap_sized_tmpfs() -> bool:
    """Whether this bwrap can size a tmpfs and copy files in (``--size``, ``--perms``, ``--file``)."""
    try:
        out = subprocess.run([_bwrap_binary() or "bwrap", "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return all(opt in out.stdout for opt in ("--size", "--perms", "--file"))


def _bwrap_argv(
    argv: Sequence[str],
    workdir: str,
    uid: int | None,
    ro_binds: Sequence[str],
    files: Sequence[tuple[int, str]] | None = None,
    disk_bytes: int = 64 * MiB,
) -> list[str]:
    """bwrap command line: read-only system dirs and interpreter, private /tmp, the run's own dir.

    With ``files`` (file descriptor, relative name), the run directory is a tmpfs of ``disk_bytes``
    holding copies of them, so the program cannot fill the host's disk; else the host directory is bound.
    """
    bw = [
        _bwrap_binary() or "bwrap",
        "--die-with-parent",
        "--new-session",
        "--unshare-net",
        "--unshare-pid",
        "--as-pid-1",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--hostname",
        "sandbox",
    ]
    if uid is None:
        bw.append("--unshare-user")
    for d in _SYSTEM_DIRS:
        if os.path.islink(d):
            bw += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            bw += ["--ro-bind", d, d]
    for f in _ETC_FILES:
        if os.path.exists(f):
            bw += ["--ro-bind", f, f]
    extra = {sys.base_prefix, sys.prefix, *ro_binds}
    made: set[str] = set()
    for p in sorted(extra):
        if p and os.path.exists(p) and not any(p == d or p.startswith(d + "/") for d in _SYSTEM_DIRS):
            for parent in reversed(Path(p).parents[:-1]):  # bwrap would make them 0700 (e.g. /root)
                if str(parent) not in made:
                    made.add(str(parent))
                    bw += ["--perms", "0755", "--dir", str(parent)]
            bw += ["--ro-bind", p, p]
    bw += ["--proc", "/proc", "--dev", "/dev"]
    if files is None:
        bw += ["--tmpfs", "/tmp", "--bind", workdir, workdir]
    else:
        size = str(disk_bytes)
        bw += ["--size", size, "--tmpfs", "/tmp", "--perms", "0777", "--size", size, "--tmpfs", workdir]
        dirs: set[str] = set()
        for fd, name in files:
            for parent in reversed(Path(name).parents[:-1]):
                d = os.path.join(workdir, parent)
                if d not in dirs:
                    dirs.add(d)
                    bw += ["--perms", "0777", "--dir", d]
            bw += ["--perms", "0644", "--file", str(fd), os.path.join(workdir, name)]
    bw += ["--chdir", workdir, "--"]
    if uid is not None:
        bw += [
            _setpriv() or "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
        ]
        bw.append("--")
    return bw + list(argv)


def _nproc_limit(limits: Limits, uid: int | None) -> int:
    """RLIMIT_NPROC counts all processes of a uid: a fresh uid gets the limit, a shared one a margin."""
    if uid is not None and uid != _NOBODY:
        return limits.processes
    me = uid if uid is not None else os.getuid()
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == me:
                    count += 1
            except OSError:
                pass
    return count + limits.processes


def _preexec(limits: Limits, isolation: str, uid: int | None, nproc: int):
    """Runs in the child between fork and exec: limits, namespaces, then the unprivileged uid."""
    cpu = max(1, math.ceil(limits.cpu_s))
    rlims = [
        (resource.RLIMIT_CPU, (cpu, cpu)),  # soft == hard: SIGKILL (PID 1 ignores SIGXCPU)
        (resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes)),
        (resource.RLIMIT_FSIZE, (limits.file_size_bytes, limits.file_size_bytes)),
        (resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files)),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_NPROC, (nproc, nproc)),
    ]
    libc = _libc()

    def drop() -> None:
        if uid is not None and isolation != "bwrap":
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
        if isolation != "bwrap":  # set after the uid change (which clears it): die with this process
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    def run() -> None:
        for which, value in rlims:
            resource.setrlimit(which, value)
        if isolation != "rlimits+unshare":
            drop()
            return
        namespaces = _CLONE_NEWNET | _CLONE_NEWIPC
        if _is_root() and libc.unshare(namespaces) == 0:
            drop()  # root made the namespaces, then gives up root
            return
        # a normal user, or root without CAP_SYS_ADMIN: an unprivileged user namespace owns the new ones
        drop()
        if libc.unshare(_CLONE_NEWUSER | namespaces) != 0:
            raise OSError(ctypes.get_errno(), "unshare failed")

    return run


def _kill_uid(uid: int) -> None:
    """Kill every process of a fresh uid (escaped daemons too): a helper takes the uid and kills -1."""

    def become_and_kill() -> None:
        os.setgid(uid)
        os.setuid(uid)
        os.kill(-1, signal.SIGKILL)

    try:
        subprocess.run(["/bin/true"], preexec_fn=become_and_kill, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        pass


def _pidfd(pid: int) -> int | None:
    """A pidfd for ``pid`` (Linux 5.3+), or None where the kernel or Python lacks it."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _terminate(plan: _Plan, proc: subprocess.Popen) -> None:
    """Kill the run: with a fresh uid every process of that uid (bwrap then exits and reaps), else its group."""
    if plan.fresh_uid:
        _kill_uid(plan.uid)  # type: ignore[arg-type]
    else:
        _kill_group(proc)


@dataclass
class _Plan:
    """One run's setup: command, directory, uid and limits."""

    cmd: list[str]
    workdir: str
    limits: Limits
    isolation: str
    uid: int | None
    env: Mapping[str, str] | None
    notes: list[str]
    pass_fds: tuple[int, ...] = ()

    @property
    def fresh_uid(self) -> bool:
        """True when the uid is this run's alone, so everything running under it may be killed."""
        return self.uid is not None and self.uid != _NOBODY


def _run(
    argv: Sequence[str],
    files: Mapping[str, str | bytes],
    stdin: bytes,
    limits: Limits,
    isolation: str,
    env: Mapping[str, str] | None,
    ro_binds: Sequence[str],
    tree: str | os.PathLike[str] | None = None,
) -> SandboxResult:
    notes: list[str] = []
    uid = _fresh_uid() if _is_root() else None
    if uid is not None and isolation != "bwrap" and argv[0] == sys.executable and not _others_can_run(sys.executable):
        uid = None  # this interpreter is unreachable for other uids (python_for picks a reachable one)
        notes.append("process limit not enforced: interpreter not reachable by an unprivileged uid")
    workdir = tempfile.mkdtemp(prefix="harness-sbx-")
    plan = _Plan([], workdir, limits, isolation, uid, env, notes)
    try:
        root = Path(workdir).resolve()
        if tree is not None:
            shutil.copytree(tree, workdir, symlinks=True, dirs_exist_ok=True)
        for name, content in files.items():
            target = Path(workdir, name).resolve()
            if root not in target.parents:
                raise SandboxError(f"sandbox file name {name!r} must stay inside the run directory")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content.encode() if isinstance(content, str) else content)
        if uid is not None:
            for base, dirs, fnames in os.walk(workdir):
                for n in (base, *(os.path.join(base, x) for x in (*dirs, *fnames))):
                    os.chown(n, uid, uid)
        os.chmod(workdir, 0o700)
        # bwrap: a watchdog inside ends the program even if this process dies (a PID namespace's init
        # ignores the parent-death signal); elsewhere the program is our child, with a parent-death signal
        watchdog = shutil.which("timeout") if isolation == "bwrap" else None
        inner = [watchdog, "--signal=KILL", f"{limits.wall_s + 2:.1f}s", *argv] if watchdog else list(argv)
        if isolation != "bwrap":
            plan.cmd = inner
        elif tree is None and _bwrap_sized_tmpfs():  # copies on a sized tmpfs: the disk cannot fill up
            copies = [(os.open(Path(workdir, name), os.O_RDONLY), str(name)) for name in files]
            plan.pass_fds = tuple(fd for fd, _ in copies)
            plan.cmd = _bwrap_argv(inner, workdir, uid, ro_binds, copies, limits.disk_bytes)
        else:
            plan.cmd = _bwrap_argv(inner, workdir, uid, ro_binds)
        with tempfile.TemporaryFile() as fin:
            fin.write(stdin)
            fin.seek(0)
            return _communicate(plan, fin)
    finally:
        for fd in plan.pass_fds:
            os.close(fd)
        if plan.fresh_uid and isolation != "bwrap":  # bwrap: the PID namespace died with the program
            _kill_uid(plan.uid)  # type: ignore[arg-type]
        shutil.rmtree(workdir, ignore_errors=True)


def _communicate(plan: _Plan, fin) -> SandboxResult:
    """Start the program, read its output under the caps until it ends or the deadline passes."""
    limits = plan.limits
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            plan.cmd,
            stdin=fin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=plan.workdir,
            env=_env(plan.workdir, plan.env),
            start_new_session=True,
            close_fds=True,
            pass_fds=plan.pass_fds,
            preexec_fn=_preexec(limits, plan.isolation, plan.uid, _nproc_limit(limits, plan.uid)),
        )
    except subprocess.SubprocessError as exc:  # preexec failed: namespaces or uid not available
        raise SandboxError(f"sandbox ({plan.isolation}) could not start: {exc}") from None
    except OSError as exc:
        raise SandboxError(f"sandbox ({plan.isolation}) could not start {plan.cmd[0]!r}: {exc}") from None
    out, err = proc.stdout, proc.stderr
    assert out is not None and err is not None
    caps = {out: limits.stdout_bytes, err: limits.stderr_bytes}
    bufs = {out: bytearray(), err: bytearray()}
    truncated = {out: False, err: False}
    sel = selectors.DefaultSelector()
    for f in caps:
        os.set_blocking(f.fileno(), False)
        sel.register(f, selectors.EVENT_READ)
    pidfd = _pidfd(proc.pid)  # readable when the process exits: no polling for its end
    if pidfd is not None:
        sel.register(pidfd, selectors.EVENT_READ)
    deadline = start + limits.wall_s
    timed_out = swept = False
    status = rusage = exited_at = killed_at = None
    pipes_open = len(caps)
    while pipes_open or status is None:
        now = time.monotonic()
        if now >= deadline and killed_at is None:
            timed_out, killed_at = True, now
            _terminate(plan, proc)
        if killed_at is not None and status is None and now - killed_at > 0.5:
            _kill_group(proc)  # the program's death did not end the sandbox process: end it too
        if exited_at is not None:
            if now - exited_at > 0.1 and not swept:
                swept = True  # the program is gone but something still holds its pipes: end it
                _terminate(plan, proc)
            if now - exited_at > 1.0:
                break
        ready = sel.select(timeout=0.05) if sel.get_map() else time.sleep(0.005) or []
        for key, _ in ready:
            f = key.fileobj
            if f == pidfd:
                continue  # reaped below
            try:
                chunk = os.read(f.fileno(), 1 << 16)  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(f)
                pipes_open -= 1
                continue
            room = caps[f] - len(bufs[f])
            bufs[f] += chunk[: max(room, 0)]
            if len(chunk) > room:
                truncated[f] = True
                if killed_at is None:
                    killed_at = time.monotonic()
                    _terminate(plan, proc)
        if status is None:
            pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status, rusage, exited_at = st, ru, time.monotonic()
                _kill_group(proc)
                if pidfd is not None:
                    sel.unregister(pidfd)
    if pidfd is not None:
        os.close(pidfd)
    if status is None:
        _terminate(plan, proc)
        _, status, rusage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    sel.close()
    out.close()
    err.close()
    return _result(plan, status, rusage, bufs[out], bufs[err], truncated[out], truncated[err], timed_out, wall)


def _result(
    plan: _Plan,
    status: int,
    rusage,
    out: bytes,
    err: bytes,
    out_trunc: bool,
    err_trunc: bool,
    timed_out: bool,
    wall: float,
) -> SandboxResult:
    code = sig = None
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
    else:
        code = os.WEXITSTATUS(status)
        if plan.isolation == "bwrap" and code > 128 and code - 128 < signal.NSIG:
            code, sig = None, code - 128  # bwrap reports the program's death by signal as 128 + n
    cpu = (rusage.ru_utime + rusage.ru_stime) if rusage else 0.0
    if sig in (signal.SIGXCPU, signal.SIGKILL) and cpu >= 0.75 * math.ceil(plan.limits.cpu_s):
        timed_out = True  # the CPU limit ended it
    errtext = err.decode("utf-8", "replace")
    if (plan.isolation == "bwrap" and code == 1 and errtext.startswith(("bwrap: ", "setpriv: "))) or (
        code in (126, 127) and errtext.startswith("timeout: failed to run command")
    ):
        raise SandboxError(f"sandbox ({plan.isolation}) failed to set up: {errtext.strip().splitlines()[0]}")
    return SandboxResult(
        exit_code=code,
        signal=sig,
        timed_out=timed_out,
        stdout=out.decode("utf-8", "replace"),
        stderr=errtext,
        stdout_truncated=out_trunc,
        stderr_truncated=err_trunc,
        wall_s=wall,
        cpu_s=cpu,
        isolation=plan.isolation,
        notes=tuple(plan.notes),
        uid=plan.uid,
    )


def run_sandboxed(
    argv: Sequence[str],
    *,
    files: Mapping[str, str | bytes] | None = None,
    stdin: str | bytes = b"",
    limits: Limits | None = None,
    isolation: str = "auto",
    env: Mapping[str, str] | None = None,
    ro_binds: Sequence[str] = (),
    tree: str | os.PathLike[str] | None = None,
) -> SandboxResult:
    """Run ``argv`` in a fresh directory holding ``files`` (cwd), feeding ``stdin``, under limits.

    ``tree``: a host directory copied into the run directory first (e.g. a repository to test);
    ``ro_binds``: host paths the program may read under bwrap (system dirs and the interpreter always);
    ``env``: extra environment variables. ``isolation`` is ``auto`` (the strongest that works) or the
    strongest one allowed. Raises SandboxError when the sandbox itself cannot run; a failing program is
    a result, not an error.
    """
    if tree is not None and not Path(tree).is_dir():
        raise SandboxError(f"sandbox tree {tree} is not a directory")
    if not argv:
        raise SandboxError("run_sandboxed needs a command (argv is empty)")
    if not shutil.which(argv[0]):
        raise SandboxError(f"sandbox could not start {argv[0]!r}: no such program (give a path or a name on PATH)")
    iso = detect_isolation(isolation)
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return _run(argv, files or {}, data, limits or Limits(), iso, env, ro_binds, tree)


def run_python(
    code: str,
    *,
    stdin: str | bytes = b"",
    limits: Limits | None = None,
    isolation: str = "auto",
    files: Mapping[str, str | bytes] | None = None,
    python: str | None = None,
    site_packages: bool = True,
) -> SandboxResult:
    """Run a Python 3 program (source text) in the sandbox as ``main.py``.

    ``python``: interpreter path (default: this one, or one an unprivileged uid can run);
    ``site_packages=False`` runs ``python -S``: standard library only, and a much faster start.
    """
    iso = detect_isolation(isolation)
    interpreter = python or python_for(iso)
    binds = [str(Path(os.path.realpath(interpreter)).parent.parent)] if python else []
    argv = [interpreter, "main.py"] if site_packages else [interpreter, "-S", "main.py"]
    return run_sandboxed(
        argv, files={**(files or {}), "main.py": code}, stdin=stdin, limits=limits, isolation=iso, ro_binds=binds
    )


# ------------------------------------------------------------------------------------------- comparing


def _float(tok: str) -> float | None:
    try:
        v = float(tok)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def compare_tokens(actual: str, expected: str, float_tol: float | None = None) -> bool:
    """Whitespace-insensitive token comparison; with ``float_tol``, numbers match within abs/rel tol."""
    a, e = actual.split(), expected.split()
    if len(a) != len(e):
        return False
    for x, y in zip(a, e, strict=True):
        if x == y:
            continue
        if float_tol is None:
            return False
        fx, fy = _float(x), _float(y)
        if fx is None or fy is None:
            return False
        if abs(fx - fy) > float_tol * max(1.0, abs(fy)):
            return False
    return True
