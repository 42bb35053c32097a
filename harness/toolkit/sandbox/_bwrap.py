"""The bubblewrap command line of a run: the visible trees read-only, private /tmp, the run's directory."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence

from harness.toolkit.sandbox import _fs


def bwrap_binary() -> str | None:
    return shutil.which("bwrap")


@functools.cache
def sized_tmpfs() -> bool:
    """Whether this bwrap can size a tmpfs and copy files in (``--size``, ``--perms``, ``--file``)."""
    try:
        out = subprocess.run([bwrap_binary() or "bwrap", "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return all(opt in out.stdout for opt in ("--size", "--perms", "--file"))


def _dirs_for(path: str, have: set[str], mode: str = "0755") -> list[str]:
    """``--dir`` options for the parents of ``path`` not made yet (bwrap would make them 0700)."""
    out = []
    for parent in _fs.parents_of(path):
        if parent not in have:
            have.add(parent)
            out += ["--perms", mode, "--dir", parent]
    return out


def bwrap_argv(
    inner: Sequence[str],
    *,
    ro: Sequence[str],
    hidden: Sequence[str],
    cwd: str,
    workdir: str | None,
    files: Sequence[tuple[int, str]],
    disk_bytes: int,
    as_root: bool,
) -> list[str]:
    """bwrap argv: namespaces, read-only trees, hidden paths, private tmpfs dirs, the run directory."""
    bw = [bwrap_binary() or "bwrap", "--die-with-parent", "--new-session", "--unshare-net", "--unshare-pid"]
    bw += ["--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    if not as_root:
        bw.append("--unshare-user")
    size = str(disk_bytes)
    bw += ["--proc", "/proc", "--dev", "/dev"]
    for d in ("/tmp", "/var/tmp", "/dev/shm"):  # first: trees bound below /tmp stay visible
        bw += ["--size", size, "--perms", "1777", "--tmpfs", d]
    for target, path in _fs.symlinks():
        bw += ["--symlink", target, path]
    made: set[str] = {"/tmp", "/var", "/var/tmp", "/dev", "/dev/shm"}
    for p in ro:
        if not _fs.under(p, _fs.SYSTEM_DIRS):
            bw += _dirs_for(p, made)
        bw += ["--ro-bind", p, p]
    for h in hidden:
        if os.path.isdir(h):
            bw += ["--size", "4096", "--perms", "0755", "--tmpfs", h, "--remount-ro", h]
        else:
            bw += ["--ro-bind", "/dev/null", h]
    if workdir is not None:
        bw += _dirs_for(workdir, made) + ["--bind", workdir, workdir]
    else:
        bw += ["--size", size, "--perms", "0777", "--tmpfs", cwd]
        dirs: set[str] = set(_fs.parents_of(cwd)) | {cwd}
        for fd, name in files:
            bw += _dirs_for(os.path.join(cwd, name), dirs, "0777")
            bw += ["--perms", "0644", "--file", str(fd), os.path.join(cwd, name)]
    return bw + ["--chdir", cwd, "--", *inner]
