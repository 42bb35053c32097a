"""Host-side bookkeeping: a private state directory, leases (a fresh uid per run as root), kill and sweep.

Each run holds a *lease*: a lock file in ``<state>/leases`` kept locked (``flock``) for the run's life.
Its name is the run's key (as root the fresh uid it runs as), which also names the run's directory
and cgroup. A lease file that nobody holds belongs to a dead harness: :func:`reap_stale` (once per
process, before the first run) kills what still runs under that uid, removes the files it left in the
shared temporary directories, its cgroup and its run directory.
"""

from __future__ import annotations

import fcntl
import functools
import os
import secrets
import shutil
import signal
import stat
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from harness.toolkit.sandbox._base import SandboxError

UID_BASE = 1_900_000_000  # far above normal users and subordinate-uid ranges
UID_SPAN = 100_000_000
#: the places any uid may write on a normal host (swept by uid after runs without a private /tmp)
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue")


def is_root() -> bool:
    return os.geteuid() == 0


def _private_dir(path: Path) -> bool:
    try:
        path.mkdir(mode=0o711, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid():
        return False  # someone else's (or a symlink planted in /tmp): not ours to trust
    os.chmod(path, 0o711)
    return True


@functools.cache
def state_dir() -> Path:
    """``/run/harness-sandbox`` as root, else ``$TMPDIR/harness-sandbox-<uid>``; owned by us, mode 0711."""
    places = [Path("/run/harness-sandbox")] if is_root() else []
    places.append(Path(tempfile.gettempdir()) / f"harness-sandbox-{os.geteuid()}")
    for base in places:
        if _private_dir(base) and all(_private_dir(base / sub) for sub in ("leases", "runs", "root")):
            return base
    raise SandboxError(f"sandbox state directory unusable (tried {', '.join(map(str, places))}): check permissions")


@functools.cache
def uid_range() -> tuple[int, int] | None:
    """The range of fresh uids, when this user namespace maps it and we are root; else None."""
    if not is_root():
        return None
    try:
        inside, _, count = (int(x) for x in Path("/proc/self/uid_map").read_text().split()[:3])
    except (OSError, ValueError):
        return None
    if inside <= UID_BASE and inside + count >= UID_BASE + UID_SPAN:
        return UID_BASE, UID_SPAN
    return None


class Lease:
    """A run's lock file, held until :meth:`release`; ``uid`` is the run's fresh uid (root) or None."""

    def __init__(self, key: str, fd: int, uid: int | None) -> None:
        self.key, self.fd, self.uid = key, fd, uid

    def release(self) -> None:
        if self.fd >= 0:
            try:
                os.unlink(state_dir() / "leases" / self.key)
            except OSError:
                pass
            os.close(self.fd)
            self.fd = -1


def _try_lock(path: Path, create: bool = False) -> int | None:
    try:
        fd = os.open(path, (os.O_CREAT if create else 0) | os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _new_lock(leases: Path, key: str) -> int | None:
    """A lock file that appears under its name already locked (no window where a reaper could take it)."""
    tmp = leases / f".new-{os.getpid()}-{secrets.token_hex(4)}"
    fd = _try_lock(tmp, create=True)
    if fd is None:
        return None
    try:
        os.link(tmp, leases / key)
    except FileExistsError:
        os.close(fd)
        fd = None
    finally:
        tmp.unlink(missing_ok=True)
    return fd


def lease() -> Lease:
    """A new lease: as root with fresh uids, a uid nobody uses; else a key unique to this run."""
    reap_stale()
    leases = state_dir() / "leases"
    rng = uid_range()
    for _ in range(100):
        uid = rng[0] + secrets.randbelow(rng[1]) if rng else None
        key = str(uid) if uid is not None else f"p{os.getpid()}-{secrets.token_hex(4)}"
        fd = _new_lock(leases, key)
        if fd is not None:
            return Lease(key, fd, uid)
    raise SandboxError("could not lease a fresh sandbox uid (100 tries): is the uid range in use?")


def uid_processes(uid: int) -> list[int]:
    """Pids of live (not zombie) processes owned by ``uid``."""
    pids = []
    for e in os.scandir("/proc"):
        if e.name.isdigit():
            try:
                if e.stat().st_uid != uid:
                    continue
                state = Path(f"/proc/{e.name}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in ("Z", "X"):
                pids.append(int(e.name))
    return pids


def kill_uid(uid: int) -> None:
    """SIGKILL every process of ``uid`` (escaped daemons too): a helper takes the uid and signals -1.

    The helper is spawned, not forked from the harness (a fork of a large process is slow).
    """
    setpriv = shutil.which("setpriv")
    for _ in range(3):
        if setpriv:
            cmd = [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--", "/bin/sh", "-c", "kill -9 -1"]
            subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, check=False, timeout=10)
        else:
            pid = os.fork()
            if pid == 0:  # pragma: no cover - child
                try:
                    os.setgroups([])
                    os.setgid(uid)
                    os.setuid(uid)
                    os.kill(-1, signal.SIGKILL)
                finally:
                    os._exit(0)
            os.waitpid(pid, 0)
        if not uid_processes(uid):
            return


def _sweep_dir(path: str, uid: int) -> None:
    try:
        entries = list(os.scandir(path))
    except OSError:
        return
    for e in entries:
        try:
            st = e.stat(follow_symlinks=False)
        except OSError:
            continue
        if st.st_uid == uid:
            if stat.S_ISDIR(st.st_mode):
                shutil.rmtree(e.path, ignore_errors=True)
            else:
                _unlink(e.path)
        elif stat.S_ISDIR(st.st_mode) and st.st_mode & stat.S_IWOTH:
            _sweep_dir(e.path, uid)  # a fresh uid can only write in world-writable directories


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def sweep_files(uid: int) -> None:
    """Remove what ``uid`` left in the shared temporary directories (and any world-writable one below)."""
    for d in SHARED_TMP:
        _sweep_dir(d, uid)


#: called with a stale lease's key, to remove what other modules made for it (the cgroup)
STALE_HOOKS: list[Callable[[str], None]] = []
#: called with a function listing the leases held now, to remove what belongs to none of them
UNLEASED_HOOKS: list[Callable[[Callable[[], set[str]]], None]] = []


@functools.cache
def reap_stale() -> None:
    """Clean up after dead harnesses (once per process): leases nobody holds, run dirs without a lease."""
    base = state_dir()
    runs = list((base / "runs").iterdir())  # listed before the leases: a run's lease precedes its dir
    for path in (base / "leases").iterdir():
        if path.name.startswith(".new-"):
            continue
        fd = _try_lock(path)
        if fd is None:
            continue  # a live run
        try:
            if path.name.isdigit():
                kill_uid(int(path.name))
                sweep_files(int(path.name))
            for hook in STALE_HOOKS:
                hook(path.name)
            shutil.rmtree(base / "runs" / path.name, ignore_errors=True)
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)
    held = {p.name for p in (base / "leases").iterdir()}
    for run in runs:
        if run.name not in held:
            shutil.rmtree(run, ignore_errors=True)
    for hook in UNLEASED_HOOKS:
        hook(lambda: {p.name for p in (base / "leases").iterdir()})
