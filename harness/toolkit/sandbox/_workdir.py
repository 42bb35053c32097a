"""A persistent host directory that runs share (``run_sandboxed(workdir=...)``), made safe for both sides.

Ownership: as root, before each run every file of the tree is handed to the run's fresh uid, and after it
everything that uid owns goes back to the owner of the directory itself (so the caller, and tools such as
git that refuse trees owned by others, see their tree as before). No process of the run is alive while
this happens (the runner kills the uid and its cgroup first), so the walk cannot race the program.

What a run could leave to hurt the harness is removed or defused after it (and before the next):
fifos, sockets and device nodes are deleted (opening a fifo would block the harness), setuid/setgid bits
are cleared, and files with several hard links are replaced by private copies (a hard link into the
host, e.g. the object files of ``git clone --local``, would otherwise be written through). Symbolic links
are kept (repositories hold them) but never followed here; read files of a workdir from the harness with
:func:`read_workdir_file`, which refuses links, or in a later sandboxed run.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from harness.toolkit.sandbox._base import SandboxError

_SPECIAL = stat.S_IFIFO, stat.S_IFSOCK, stat.S_IFCHR, stat.S_IFBLK


def check_workdir(workdir: str | os.PathLike[str]) -> tuple[str, int, int]:
    """(absolute path, owner uid, owner gid) of a caller's directory; refuses symlinks and non-directories."""
    path = os.path.abspath(os.fspath(workdir))
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise SandboxError(
            f"sandbox workdir {path} cannot be used: {exc.strerror} (give an existing directory)"
        ) from None
    if stat.S_ISLNK(st.st_mode):
        raise SandboxError(f"sandbox workdir {path} is a symbolic link: give {os.path.realpath(path)}")
    if not stat.S_ISDIR(st.st_mode):
        raise SandboxError(f"sandbox workdir {path} is not a directory (give an existing directory, not a link)")
    if os.path.realpath(path) != path:
        raise SandboxError(f"sandbox workdir {path} has a symbolic link in its path: give {os.path.realpath(path)}")
    if path == "/" or any(path == d or path.startswith(d + "/") for d in ("/proc", "/sys", "/dev", "/usr", "/etc")):
        raise SandboxError(f"sandbox workdir {path} is a system directory: give a directory of your own")
    return path, st.st_uid, st.st_gid


def _copy_over(path: str, st: os.stat_result) -> None:
    """Replace a hard-linked file by a private copy with the same content and mode."""
    tmp = f"{path}.harness-unlink"
    shutil.copyfile(path, tmp, follow_symlinks=False)
    os.chmod(tmp, stat.S_IMODE(st.st_mode) & 0o1777)
    os.replace(tmp, path)


def _walk(root: str):
    """(path, lstat) of every entry below ``root`` and ``root`` itself, never following links."""
    yield root, os.lstat(root)
    stack = [root]
    while stack:
        d = stack.pop()
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            try:
                st = e.stat(follow_symlinks=False)
            except OSError:
                continue
            yield e.path, st
            if stat.S_ISDIR(st.st_mode):
                stack.append(e.path)


def _defuse(path: str, st: os.stat_result) -> bool:
    """Delete special files, copy hard-linked ones, clear setuid bits; False when ``path`` is gone."""
    kind = stat.S_IFMT(st.st_mode)
    if kind in _SPECIAL:
        os.unlink(path)
        return False
    if kind == stat.S_IFREG and st.st_nlink > 1:
        _copy_over(path, st)
    elif kind != stat.S_IFLNK and st.st_mode & (stat.S_ISUID | stat.S_ISGID):
        os.chmod(path, stat.S_IMODE(st.st_mode) & ~(stat.S_ISUID | stat.S_ISGID))
    return True


def hand_over(root: str, uid: int) -> None:
    """Before a run: every entry becomes the run uid's (defused first)."""
    for path, st in _walk(root):
        if _defuse(path, st) and st.st_uid != uid:
            os.chown(path, uid, uid, follow_symlinks=False)


def take_back(root: str, uid: int | None, owner: tuple[int, int]) -> None:
    """After a run: defuse what it left; what ``uid`` owns goes back to ``owner`` (uid, gid)."""
    for path, st in _walk(root):
        if not _defuse(path, st):
            continue
        if uid is not None and st.st_uid == uid:
            os.chown(path, owner[0], owner[1], follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and st.st_mode & (stat.S_ISUID | stat.S_ISGID):
                os.chmod(path, stat.S_IMODE(st.st_mode) & ~(stat.S_ISUID | stat.S_ISGID))


def read_workdir_file(workdir: str | os.PathLike[str], name: str, limit: int = 64 * 1024 * 1024) -> bytes:
    """Read ``workdir/name`` from the harness side without following any symbolic link on the way.

    Raises SandboxError for a path leaving the directory, a link, a non-regular file or a file over ``limit``.
    """
    parts = Path(name).parts
    if not parts or Path(name).is_absolute() or ".." in parts:
        raise SandboxError(f"workdir file name {name!r} must be relative and stay inside the directory")
    fd = os.open(os.fspath(workdir), os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_NONBLOCK if last else os.O_DIRECTORY)
            try:
                nxt = os.open(part, flags, dir_fd=fd)
            except OSError as exc:
                raise SandboxError(f"workdir file {name!r} cannot be read safely: {exc.strerror}") from None
            os.close(fd)
            fd = nxt
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            raise SandboxError(f"workdir file {name!r} is not a regular file under {limit} bytes")
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read(limit + 1)[:limit]
    finally:
        os.close(fd)
