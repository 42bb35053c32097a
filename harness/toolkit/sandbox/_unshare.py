"""The no-bubblewrap filesystem (``rlimits+unshare``): a private mount namespace built between fork and exec.

The child of the harness makes a mount namespace (as root directly, else inside a new user namespace
that maps the user to root without any other uid), makes every mount private, then builds a new root on
a tmpfs at an empty directory of the sandbox's state: the visible trees bound read-only (no setuid, no
devices), hidden paths covered, private tmpfs for /tmp, /var/tmp, /dev/shm and the run directory (the
run's files are written straight into it), a minimal /dev and the workdir bound read-write. It then
execs util-linux ``unshare``, which makes the PID, network, IPC and UTS namespaces, forks, mounts a
fresh /proc, changes root to the new tree and runs the watchdog as the namespace's init.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.toolkit.sandbox import _fs

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
_LIBC = ctypes.CDLL(None, use_errno=True)


def _mount(src: str | None, dst: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = [x.encode() if x is not None else None for x in (src, dst, fstype, data)]
    if _LIBC.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"mount {src or fstype} on {dst}: {os.strerror(err)}")


def _ro_bind(src: str, dst: str, extra: int = 0) -> None:
    _mount(src, dst, None, MS_BIND)
    _mount(None, dst, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | extra)


def unshare_binary() -> str | None:
    return shutil.which("unshare")


@dataclass
class NewRoot:
    """Everything the child needs to build the run's root (computed before the fork)."""

    root: str  # empty host directory the new root's tmpfs goes on
    ro: Sequence[str]
    hidden: Sequence[str]
    cwd: str
    workdir: str | None
    files: dict[str, bytes] = field(default_factory=dict)
    disk_bytes: int = 64 * 1024 * 1024
    owner: int | None = None  # uid that gets the run directory and its files (root only)

    def _at(self, path: str) -> str:
        return self.root + path

    def _dirs(self, path: str) -> None:
        for p in [*_fs.parents_of(path), path]:
            try:
                os.mkdir(self._at(p), 0o755)
            except FileExistsError:
                pass

    def _bind_target(self, src: str, dst: str) -> None:
        self._dirs(os.path.dirname(dst))
        if os.path.isdir(src):
            self._dirs(dst)
        elif not os.path.exists(self._at(dst)):
            os.close(os.open(self._at(dst), os.O_CREAT | os.O_WRONLY, 0o644))

    def _tmpfs(self, path: str, mode: int, size: int) -> None:
        self._dirs(path)
        _mount("tmpfs", self._at(path), "tmpfs", MS_NOSUID | MS_NODEV, f"mode={mode:o},size={size}")

    def _dev(self) -> None:
        self._tmpfs("/dev", 0o755, 1 << 20)
        for name in _DEVICES:
            if os.path.exists(f"/dev/{name}"):
                self._bind_target(f"/dev/{name}", f"/dev/{name}")
                _mount(f"/dev/{name}", self._at(f"/dev/{name}"), None, MS_BIND)
                _mount(None, self._at(f"/dev/{name}"), None, MS_REMOUNT | MS_BIND | MS_NOSUID)
        for i, name in enumerate(("stdin", "stdout", "stderr")):
            os.symlink(f"/proc/self/fd/{i}", self._at(f"/dev/{name}"))
        os.symlink("/proc/self/fd", self._at("/dev/fd"))

    def _run_dir(self) -> None:
        self._tmpfs(self.cwd, 0o700 if self.owner is not None else 0o755, self.disk_bytes)
        for name, content in self.files.items():
            path = os.path.join(self._at(self.cwd), name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_NOFOLLOW, 0o644)
            try:
                view = memoryview(content)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)
        if self.owner is not None:
            for base, dirs, names in os.walk(self._at(self.cwd)):
                for p in (base, *(os.path.join(base, n) for n in (*dirs, *names))):
                    os.chown(p, self.owner, self.owner)

    def build(self) -> None:
        """In the child: a private mount namespace holding only the new root (then ``unshare --root``)."""
        if os.geteuid() == 0:
            flags = CLONE_NEWNS
        else:
            uid, gid, flags = os.geteuid(), os.getegid(), CLONE_NEWNS | CLONE_NEWUSER
        if _LIBC.unshare(flags) != 0:
            raise OSError(ctypes.get_errno(), "unshare(mount namespace) failed")
        if flags & CLONE_NEWUSER:  # map the user to root of the new user namespace (and nothing else)
            for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
                with open(f"/proc/self/{name}", "w") as f:
                    f.write(text)
        _mount(None, "/", None, MS_REC | MS_PRIVATE)  # nothing made here reaches the host
        _mount("tmpfs", self.root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=1048576")
        for d in ("/tmp", "/var/tmp"):  # first: trees bound below /tmp stay visible
            self._tmpfs(d, 0o1777, self.disk_bytes)
        self._dev()
        self._tmpfs("/dev/shm", 0o1777, self.disk_bytes)
        for target, path in _fs.symlinks():
            os.symlink(target, self._at(path))
        for p in self.ro:
            self._bind_target(p, p)
            _ro_bind(p, self._at(p))
        for h in self.hidden:
            if os.path.isdir(h):
                _mount("tmpfs", self._at(h), "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "mode=755,size=4096")
            elif stat.S_ISREG(os.stat(h).st_mode):
                _ro_bind("/dev/null", self._at(h))
        os.mkdir(self._at("/proc"), 0o555)
        if self.workdir is not None:
            self._bind_target(self.workdir, self.workdir)
            _mount(self.workdir, self._at(self.workdir), None, MS_BIND)
            _mount(None, self._at(self.workdir), None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV)
        else:
            self._run_dir()
        _mount(None, self.root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=755")
