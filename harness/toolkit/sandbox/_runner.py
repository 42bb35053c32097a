"""One sandboxed run from request to result: lease, cgroup, directories, the command chain, cleanup.

The chain inside every mode ends the same way: GNU ``timeout`` (still root as root: the program can
neither signal nor ptrace it) as a last-resort wall watchdog, ``setpriv`` dropping to the run's uid with
no capabilities, ``no_new_privs`` and a parent-death signal, then ``/bin/sh`` writing a per-run nonce to
stderr and exec'ing the program. The nonce is how the harness knows the sandbox came up: a run whose
stderr lacks it failed in the sandbox's own setup (``SandboxError``); once it is there, anything the
program prints or returns is the program's (printing "bwrap: ..." and exiting 1 is a failure).
"""

from __future__ import annotations

import functools
import math
import os
import resource
import secrets
import shutil
import signal
import stat
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.toolkit.sandbox import _bwrap, _cgroup, _fs, _io, _state, _unshare, _workdir
from harness.toolkit.sandbox._base import Limits, SandboxError, SandboxResult

NOBODY = 65534
RUN_DIR = "/sandbox"
_START = (
    'n=$1; shift; case $1 in */*) [ -x "$1" ] || exit 127;; *) command -v "$1" >/dev/null 2>&1 || exit 127;; esac; '
    'printf "%s" "$n" >&2; exec "$@"'
)
_PR_SET_PDEATHSIG = 1


@dataclass
class Request:
    """A run as the caller asked for it (validated by ``run_sandboxed``)."""

    argv: list[str]
    files: Mapping[str, bytes]
    stdin: bytes
    limits: Limits
    isolation: str
    env: Mapping[str, str] | None = None
    ro_binds: tuple[str, ...] = ()
    workdir: str | None = None
    tree: str | None = None
    python: str | None = None
    channel: bool = False
    talk: Callable[[_io.Conversation], None] | None = None
    notes: tuple[str, ...] = ()


@dataclass
class _Run:
    req: Request
    lease: _state.Lease
    uid: int | None
    nonce: str = field(default_factory=lambda: f"[harness-sandbox-up-{secrets.token_hex(8)}]")
    cgroup: _cgroup.RunCgroup | None = None
    cwd: str = RUN_DIR
    home: str = RUN_DIR
    host_dir: Path | None = None
    workdir: str | None = None
    owner: tuple[int, int] | None = None
    fds: list[int] = field(default_factory=list)
    proc: subprocess.Popen | None = None

    @property
    def fresh_uid(self) -> bool:
        return self.lease.uid is not None


def cgroups_enabled() -> bool:
    """``HARNESS_SANDBOX_CGROUP=off`` turns per-run cgroups off (to compare, or where they misbehave)."""
    return os.environ.get("HARNESS_SANDBOX_CGROUP", "").strip().lower() not in ("off", "0", "no", "false")


def run(req: Request) -> SandboxResult:
    lease = _state.lease()
    r = _Run(req, lease, lease.uid if lease.uid is not None else (NOBODY if _state.is_root() else None))
    try:
        r.cgroup = _cgroup.RunCgroup.create(lease.key, req.limits) if cgroups_enabled() else None
        _prepare(r)
        return _execute(r)
    finally:
        _cleanup(r)


# ------------------------------------------------------------------------------------------ directories


def write_files(base: str, files: Mapping[str, bytes]) -> None:
    root = Path(base).resolve()
    for name, content in files.items():
        target = Path(base, name).resolve()
        if root not in target.parents:
            raise SandboxError(f"sandbox file name {name!r} must stay inside the run directory")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def reachable(path: str) -> bool:
    """True when any uid can traverse to ``path`` (no 0700 directory such as /root on the way)."""
    try:
        return all(os.stat(p).st_mode & stat.S_IXOTH for p in _fs.parents_of(path))
    except OSError:
        return False


def _prepare(r: _Run) -> None:
    req = r.req
    if req.tree is not None or req.isolation == "rlimits":
        r.host_dir = _state.state_dir() / "runs" / r.lease.key
        r.host_dir.mkdir(mode=0o711)
    if req.tree is not None:
        shutil.copytree(req.tree, r.host_dir / "tree", symlinks=True)  # type: ignore[operator]
        r.workdir, r.owner = str(r.host_dir / "tree"), (os.geteuid(), os.getegid())  # type: ignore[operator]
    elif req.workdir is not None:
        path, uid, gid = _workdir.check_workdir(req.workdir)
        r.workdir, r.owner = path, (uid, gid)
    if r.workdir is not None:
        write_files(r.workdir, req.files)
        if r.uid is not None:
            _workdir.hand_over(r.workdir, r.uid)
    if req.isolation == "rlimits":
        work = r.host_dir / "work"  # type: ignore[operator]
        work.mkdir(mode=0o700)
        if r.workdir is None:
            write_files(str(work), req.files)
        if r.uid is not None:
            for base, dirs, names in os.walk(work):
                for p in (base, *(os.path.join(base, n) for n in (*dirs, *names))):
                    os.chown(p, r.uid, r.uid, follow_symlinks=False)
        r.cwd = r.workdir or str(work)
        r.home = str(work)
        parent = os.path.dirname(r.cwd)
        if r.workdir is not None and r.uid is not None and os.stat(parent).st_mode & (stat.S_IWOTH | stat.S_IWGRP):
            raise SandboxError(  # the run would own an entry of a shared directory: it could move it away
                f"sandbox (rlimits) refuses workdir {r.cwd}: its parent {parent} is writable by others "
                "(use a directory inside one of your own, or the bwrap / rlimits+unshare isolation)"
            )
        if r.uid is not None and not reachable(r.cwd):
            raise SandboxError(
                f"sandbox (rlimits) cannot give {r.cwd} to an unprivileged uid (a 0700 directory on the way): "
                "use a directory others can traverse, or the bwrap / rlimits+unshare isolation"
            )
    elif r.workdir is not None:
        r.cwd, r.home = r.workdir, "/tmp"


# ---------------------------------------------------------------------------------------------- command


@functools.cache
def _tool(name: str) -> str:
    path = shutil.which(name, path="/usr/bin:/bin:/usr/sbin:/sbin")
    if not path:
        raise SandboxError(f"sandbox needs {name!r} (util-linux / coreutils), which is not installed")
    return os.path.realpath(path)


def _inner(r: _Run) -> list[str]:
    """timeout (root) -> setpriv (drop to the run's uid) -> sh (writes the nonce) -> the program."""
    chain = [_tool("timeout"), "-s", "KILL", f"{r.req.limits.wall_s + 2:.1f}s"]
    drop = ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
    if r.uid is not None:
        chain += [_tool("setpriv"), f"--reuid={r.uid}", f"--regid={r.uid}", "--clear-groups", *drop]
        chain += ["--pdeathsig=KILL", "--"]
    elif r.req.isolation != "bwrap":
        chain += [_tool("setpriv"), *drop, "--"]
    return chain + ["/bin/sh", "-c", _START, "sh", r.nonce, *r.req.argv]


def _visible(r: _Run) -> tuple[list[str], list[str]]:
    return _fs.visible(r.req.python, r.req.ro_binds, str(_state.state_dir()))


def _memfd(content: bytes) -> int:
    """An anonymous in-memory file holding ``content`` (bwrap copies it in with ``--file``)."""
    fd = os.memfd_create("sandbox-file", os.MFD_CLOEXEC)
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _check_names(files: Mapping[str, bytes]) -> None:
    for name in files:
        path = os.path.normpath(os.path.join(RUN_DIR, name))
        if not path.startswith(RUN_DIR + "/") or os.path.isabs(name):
            raise SandboxError(f"sandbox file name {name!r} must stay inside the run directory")


def _command(r: _Run) -> tuple[list[str], str, Callable[[], None] | None, list[int]]:
    """(argv, cwd for Popen, a mode step to run in the child, fds the child keeps)."""
    req, inner = r.req, _inner(r)
    if req.isolation == "bwrap":
        ro, hidden = _visible(r)
        files = []
        if r.workdir is None:
            _check_names(req.files)
            for name, content in req.files.items():
                fd = _memfd(content)
                r.fds.append(fd)
                files.append((fd, os.path.normpath(name)))
        argv = _bwrap.bwrap_argv(
            inner,
            ro=ro,
            hidden=hidden,
            cwd=r.cwd,
            workdir=r.workdir,
            files=files,
            disk_bytes=req.limits.disk_bytes,
            as_root=_state.is_root(),
        )
        return argv, "/", None, [fd for fd, _ in files]
    if req.isolation == "rlimits+unshare":
        ro, hidden = _visible(r)
        _check_names(req.files)
        root = _unshare.NewRoot(
            root=str(_state.state_dir() / "root"),
            ro=ro,
            hidden=hidden,
            cwd=r.cwd,
            workdir=r.workdir,
            files=dict(req.files) if r.workdir is None else {},
            disk_bytes=req.limits.disk_bytes,
            owner=r.uid,
        )
        ns = ["--fork", "--kill-child=SIGKILL", "--pid", "--net", "--ipc", "--uts", "--mount-proc=/proc"]
        argv = [_tool("unshare"), *ns, f"--root={root.root}", f"--wd={r.cwd}", "--", *inner]
        return argv, "/", root.build, []
    ns = ["--net", "--ipc", "--uts"] if os.geteuid() == 0 else ["--map-current-user", "--net", "--ipc", "--uts"]
    return [_tool("unshare"), *ns, "--", *inner], r.cwd, None, []  # no network namespace: it refuses to run


def _nproc(r: _Run) -> int:
    """RLIMIT_NPROC counts a uid's processes: a fresh uid gets the limit, a shared one a margin."""
    if r.fresh_uid:
        return r.req.limits.processes
    me = r.uid if r.uid is not None else os.getuid()
    return len(_state.uid_processes(me)) + r.req.limits.processes


def _rlimits(r: _Run) -> list[tuple[int, tuple[int, int]]]:
    limits = r.req.limits
    cpu = max(1, math.ceil(limits.cpu_s)) + (1 if r.cgroup is not None else 0)  # the cgroup total rules first
    nproc = _nproc(r)
    return [
        (resource.RLIMIT_CPU, (cpu, cpu)),  # soft == hard: SIGKILL (an init ignores SIGXCPU)
        (resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes)),
        (resource.RLIMIT_FSIZE, (limits.file_size_bytes, limits.file_size_bytes)),
        (resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files)),
        (resource.RLIMIT_CORE, (0, 0)),
        (resource.RLIMIT_NPROC, (nproc, nproc)),
    ]


def _preexec(r: _Run, step: Callable[[], None], join: list[int]):
    """rlimits+unshare: the child builds its filesystem between fork and exec (then joins, limits itself)."""
    rlims = _rlimits(r)
    libc = _unshare._LIBC

    def child() -> None:
        for fd in join:  # into the run's cgroup before anything of the run executes
            os.write(fd, b"0")
        step()
        for which, value in rlims:
            resource.setrlimit(which, value)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # the sandbox dies with this process

    return child


def _gated(argv: list[str], isolation: str) -> list[str]:
    """bwrap and rlimits start without Python between fork and exec (a fork of the harness is slow): a shell
    stops itself until the harness has put it into the cgroup and set its limits, then becomes the chain,
    tied to the harness's life by bwrap's ``--die-with-parent`` or, for rlimits, ``setpriv --pdeathsig``."""
    tie = [] if isolation == "bwrap" else [_tool("setpriv"), "--pdeathsig=KILL", "--"]
    return ["/bin/sh", "-c", 'kill -STOP $$ && exec "$@"', "sh", *tie, *argv]


def _release(r: _Run, pid: int, join: list[int]) -> None:
    """Wait for the gate to stop, put it into the cgroup, limit it, let it go on."""
    _, status = os.waitpid(pid, os.WUNTRACED)
    if not os.WIFSTOPPED(status):
        raise SandboxError(f"sandbox ({r.req.isolation}) could not start its gate (status {status})")
    for fd in join:
        os.write(fd, str(pid).encode())
    for which, value in _rlimits(r):
        resource.prlimit(pid, which, value)
    os.kill(pid, signal.SIGCONT)


def _env(r: _Run) -> dict[str, str]:
    path = "/usr/local/bin:/usr/bin:/bin"
    if r.req.python:
        path = os.path.dirname(os.path.abspath(r.req.python)) + ":" + path
    env = {
        "PATH": path,
        "HOME": r.home,
        "TMPDIR": r.home if r.workdir is None or r.req.isolation == "rlimits" else "/tmp",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
    }
    env.update(r.req.env or {})
    return env


# ---------------------------------------------------------------------------------------------- running


def _terminate(r: _Run) -> Callable[[], None]:
    """Kill the whole run: the sandbox process (its init takes the rest along), the cgroup, the uid."""
    calls = [0]

    def kill() -> None:
        proc = r.proc
        if proc is not None and proc.returncode is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.kill(proc.pid, signal.SIGKILL)  # not proc.kill(): it would reap the process behind our back
            except OSError:
                pass
        if r.cgroup is not None:
            r.cgroup.kill()
        if r.fresh_uid and r.req.isolation == "rlimits" and r.cgroup is None and calls[0] % 5 == 0:
            _state.kill_uid(r.uid)  # type: ignore[arg-type]  # no PID namespace to take everything along
        calls[0] += 1

    return kill


def _execute(r: _Run) -> SandboxResult:
    req, limits = r.req, r.req.limits
    argv, cwd, step, keep = _command(r)
    join = r.cgroup.join_fds() if r.cgroup is not None else []
    r.fds += join
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    r.fds += [out_r, err_r]
    pipes, caps = {"stdout": out_r, "stderr": err_r}, {"stdout": limits.stdout_bytes}
    caps["stderr"] = limits.stderr_bytes + len(r.nonce) + 4096  # room for the nonce and setup messages
    child_fds = [out_w, err_w]
    env = _env(r)
    if req.channel:
        ch_r, ch_w = os.pipe()
        r.fds.append(ch_r)
        child_fds.append(ch_w)
        pipes["channel"], caps["channel"] = ch_r, limits.channel_bytes
        keep = [*keep, ch_w]
        env["HARNESS_CHANNEL_FD"] = str(ch_w)
    if req.talk is not None:
        in_r, in_w = os.pipe()
        stdin: object = in_r
        child_fds.append(in_r)
    else:
        stdin = _memfd(req.stdin)
        r.fds.append(stdin)  # type: ignore[arg-type]
    try:
        r.proc = subprocess.Popen(
            argv if step is not None else _gated(argv, req.isolation),
            stdin=stdin,
            stdout=out_w,
            stderr=err_w,
            cwd=cwd,
            env=env,
            start_new_session=True,
            close_fds=True,
            pass_fds=tuple(keep),
            preexec_fn=_preexec(r, step, join) if step is not None else None,
        )
        if step is None:
            _release(r, r.proc.pid, join)
    except subprocess.SubprocessError as exc:  # the child's setup (namespaces, mounts, uid) failed
        if req.talk is not None:
            os.close(in_w)
        raise SandboxError(f"sandbox ({req.isolation}) could not start: {exc}") from None
    except OSError as exc:
        if req.talk is not None:
            os.close(in_w)
        raise SandboxError(f"sandbox ({req.isolation}) could not start {argv[0]!r}: {exc}") from None
    finally:
        for fd in child_fds:
            os.close(fd)
    outcome = _io.communicate(
        r.proc,
        pipes,
        caps,
        limits,
        terminate=_terminate(r),
        cpu_used=r.cgroup.cpu_s if r.cgroup is not None else (lambda: None),
        talk=req.talk,
        stdin_fd=in_w if req.talk is not None else None,
    )
    result = _result(r, outcome)
    if outcome.talk_error is not None:
        raise outcome.talk_error
    return result


def _status(status: int) -> tuple[int | None, int | None]:
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    code = os.WEXITSTATUS(status)
    if code > 128 and code - 128 < signal.NSIG:
        return None, code - 128  # the sandbox's init reports the program's death by signal as 128 + n
    return code, None


def _result(r: _Run, o: _io.Outcome) -> SandboxResult:
    limits = r.req.limits
    code, sig = _status(o.status)
    cg_cpu = r.cgroup.cpu_s() if r.cgroup is not None else None
    ru_cpu = (o.rusage.ru_utime + o.rusage.ru_stime) if o.rusage else 0.0  # type: ignore[attr-defined]
    cpu = cg_cpu if cg_cpu is not None else ru_cpu
    timed_out = o.timed_out or (sig in (signal.SIGXCPU, signal.SIGKILL) and cpu >= 0.9 * limits.cpu_s)
    raw = bytes(o.outputs["stderr"])
    at = raw.find(r.nonce.encode())
    if at < 0:
        first = raw.decode("utf-8", "replace").strip().splitlines()
        if o.timed_out:
            raise SandboxError(f"sandbox ({r.req.isolation}) did not start within {limits.wall_s} s")
        why = first[0] if first else f"exit status {code if code is not None else -(sig or 0)}"
        raise SandboxError(f"sandbox ({r.req.isolation}) failed to set up: {why}")
    err = raw[at + len(r.nonce) :]
    err_trunc = o.truncated["stderr"] or len(err) > limits.stderr_bytes
    notes = list(r.req.notes)
    if r.cgroup is None:
        notes.append("no per-run cgroup: CPU, memory and processes limited per process only")
    if r.req.isolation == "rlimits":
        notes.append("rlimits: no private filesystem (files any uid may read are readable)")
    return SandboxResult(
        exit_code=code,
        signal=sig,
        timed_out=timed_out,
        stdout=o.outputs["stdout"].decode("utf-8", "replace"),
        stderr=err[: limits.stderr_bytes].decode("utf-8", "replace"),
        stdout_truncated=o.truncated["stdout"],
        stderr_truncated=err_trunc,
        wall_s=o.wall_s,
        cpu_s=cpu,
        isolation=r.req.isolation,
        notes=tuple(notes),
        uid=r.uid,
        cgroup=r.cgroup.version if r.cgroup is not None else None,
        oom_killed=r.cgroup.oom_killed() if r.cgroup is not None else False,
        channel=bytes(o.outputs.get("channel", b"")),
        channel_truncated=o.truncated.get("channel", False),
    )


def _cleanup(r: _Run) -> None:
    """Nothing of the run survives it: processes, cgroup, files its uid left, the run directory."""
    try:
        _terminate(r)()
        if r.proc is not None and r.proc.returncode is None:
            try:
                os.waitpid(r.proc.pid, 0)
            except ChildProcessError:
                pass
        if r.cgroup is not None:
            r.cgroup.release()  # kills whatever is left in it (escaped daemons too)
        if r.fresh_uid and r.req.isolation == "rlimits" and _state.uid_processes(r.uid):  # type: ignore[arg-type]
            _state.kill_uid(r.uid)  # type: ignore[arg-type]  # no PID namespace, no cgroup
        if r.req.tree is None and r.workdir is not None and r.owner is not None:
            _workdir.take_back(r.workdir, r.uid, r.owner)  # type: ignore[arg-type]
        if r.fresh_uid and r.req.isolation == "rlimits":  # after the workdir is the owner's again
            _state.sweep_files(r.uid)  # type: ignore[arg-type]
    finally:
        for fd in r.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        if r.host_dir is not None:
            shutil.rmtree(r.host_dir, ignore_errors=True)
        r.lease.release()
