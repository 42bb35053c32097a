"""Git on working copies the model may have touched: listing files, and a diff that a hostile tree cannot subvert.

An agent's working copy is hostile once a model command has run in it: its ``.git`` may carry hooks, an
``fsmonitor`` or diff drivers that run programs, and moved refs. So the candidate is never computed with
that ``.git``. Before the first command, :meth:`PrivateRepo.snapshot` copies the repository's objects (no
hard links) to a directory outside the sandbox's reach; afterwards the diff is computed against the base
commit with that private git directory, the working copy as the work tree, a scratch index, no system or
global configuration, hooks and fsmonitor off and no external diff or textconv programs. Like
mini-swe-agent's submission (``git add -A && git diff --cached``), the candidate holds every change of
the work tree, new files included; binary files, symlinks, ``__pycache__``/``.pytest_cache`` are left
out (they cannot be part of a text patch the verifier applies), and a tree grown past a size bound is
refused rather than hashed.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness import HarnessError

GIT_TIMEOUT_S = 120.0
MAX_TREE_BYTES = 1 << 30  # a work tree larger than this (regular files, .git excluded) is not diffed
MAX_TREE_FILES = 300_000
MAX_DIFF_BYTES = 4 << 20  # a candidate patch larger than this is refused (no real fix is this large)
_EXCLUDES = "__pycache__/\n*.pyc\n*.pyo\n.pytest_cache/\n*.egg-info/\n"
_SAFE_CONFIG = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.untrackedCache=false",
    "core.autocrlf=false",
    "core.safecrlf=false",
    "core.quotePath=false",
    "core.symlinks=true",
    "core.pager=cat",
    "diff.noprefix=false",
    "diff.mnemonicPrefix=false",
    "diff.renames=false",
    "diff.external=",
    "safe.directory=*",
    "gc.auto=0",
    "commit.gpgSign=false",
)


class GitFailed(HarnessError):
    """A git command on a working copy failed (the harness's own plumbing, not the model's answer)."""


class TreeTooLarge(Exception):
    """The work tree grew past the size bound: no diff is computed from it."""


def _env(scratch: str) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": scratch,
        "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_ATTR_NOSYSTEM": "1",
    }


def git(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[bytes]:
    """Run git with the safe configuration; raises :class:`GitFailed` (one line) when ``check`` and it fails."""
    scratch = tempfile.gettempdir()
    cmd = ["git"] + [x for kv in _SAFE_CONFIG for x in ("-c", kv)] + list(args)
    try:
        proc = subprocess.run(
            cmd,
            cwd=cwd,
            env={**_env(scratch), **(env or {})},
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitFailed(f"git {args[0] if args else ''} could not run: {exc}") from None
    if check and proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitFailed(f"git {' '.join(args[:2])} failed: {err[-1] if err else f'exit {proc.returncode}'}")
    return proc


def list_files(repo: Path) -> list[str]:
    """The tracked files of a (trusted, freshly checked out) repository, as relative POSIX paths."""
    out = git(["ls-files", "-z"], cwd=repo).stdout.decode("utf-8", "replace")
    return [p for p in out.split("\0") if p]


def tree_size(root: Path, max_bytes: int = MAX_TREE_BYTES, max_files: int = MAX_TREE_FILES) -> int:
    """Bytes of the regular files under ``root`` (its top ``.git`` and symlinks not followed); raises
    :class:`TreeTooLarge` past the bounds, before git would hash anything."""
    total = files = 0
    for base, dirs, names in os.walk(root):
        if base == str(root) and ".git" in dirs:
            dirs.remove(".git")
        for name in names:
            try:
                st = os.lstat(os.path.join(base, name))
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
                files += 1
        if total > max_bytes or files > max_files:
            raise TreeTooLarge(f"the working copy grew past {max_bytes >> 20} MiB or {max_files} files")
    return total


@dataclass
class Diff:
    """A candidate patch and what was left out of it."""

    text: str
    files: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # binary files and symlinks, not in the patch


class PrivateRepo:
    """A copy of a repository's objects outside the sandbox's reach, to diff a hostile work tree against."""

    def __init__(self, git_dir: Path, base: str) -> None:
        self.git_dir = git_dir.resolve()
        self.base = base

    @classmethod
    def snapshot(cls, repo: Path, dest: Path, base: str | None = None) -> PrivateRepo:
        """Copy ``repo``'s objects to ``dest`` (before any model command runs in ``repo``)."""
        git(["clone", "--bare", "--no-hardlinks", "--quiet", str(repo), str(dest)])
        commit = git(["--git-dir", str(dest), "rev-parse", "--verify", f"{base or 'HEAD'}^{{commit}}"])
        (dest / "harness-excludes").write_text(_EXCLUDES)
        return cls(dest, commit.stdout.decode().strip())

    @classmethod
    def trusted(cls, repo: Path) -> PrivateRepo:
        """A checkout no model command has run in: its own ``.git`` serves (the one-shot solver)."""
        git_dir = repo / ".git"
        (git_dir / "harness-excludes").write_text(_EXCLUDES)
        head = git(["--git-dir", str(git_dir), "rev-parse", "--verify", "HEAD^{commit}"])
        return cls(git_dir, head.stdout.decode().strip())

    def diff(self, work_tree: Path, max_bytes: int = MAX_DIFF_BYTES) -> Diff:
        """Every change of ``work_tree`` against the base commit, as a git-applicable text patch."""
        work_tree = work_tree.resolve()
        tree_size(work_tree)
        index = self.git_dir / "harness-index"
        index.unlink(missing_ok=True)
        env = {"GIT_INDEX_FILE": str(index), "GIT_DIR": str(self.git_dir), "GIT_WORK_TREE": str(work_tree)}
        base = ["-c", f"core.excludesFile={self.git_dir / 'harness-excludes'}", "-c", "core.bare=false"]
        git([*base, "read-tree", self.base], env=env)
        git([*base, "add", "-A", "--ignore-errors", "."], env=env, cwd=work_tree, check=False)
        skipped = _unpatchable(git([*base, "diff", "--cached", "--numstat", "--raw", "-z", self.base], env=env).stdout)
        spec = ["--", "."] + [f":(exclude,literal){p}" for p in skipped]
        flags = ["--no-color", "--no-ext-diff", "--no-textconv", "--no-renames"]
        out = git([*base, "diff", "--cached", *flags, self.base, *spec], env=env).stdout
        if len(out) > max_bytes:
            raise TreeTooLarge(f"the patch is {len(out) >> 10} KiB, over the {max_bytes >> 10} KiB bound")
        names = git([*base, "diff", "--cached", "--name-only", "-z", self.base, *spec], env=env).stdout
        files = [p for p in names.decode("utf-8", "replace").split("\0") if p]
        return Diff(out.decode("utf-8", "replace"), files, skipped)


def _unpatchable(raw: bytes) -> list[str]:
    """Paths of a ``--raw --numstat -z`` listing that are binary or symlinks (mode 120000)."""
    fields = raw.decode("utf-8", "replace").split("\0")
    skipped: list[str] = []
    i = 0
    while i < len(fields):
        f = fields[i]
        if f.startswith(":"):  # ":old new sha sha status" then the path
            modes = f[1:].split()[:2]
            path = fields[i + 1] if i + 1 < len(fields) else ""
            if "120000" in modes and path not in skipped:
                skipped.append(path)
            i += 2
        elif f.startswith("-\t-\t"):  # a binary file's numstat line: "-\t-\t" then the path
            path = f[4:]
            if path not in skipped:
                skipped.append(path)
            i += 1
        else:
            i += 1
    return skipped


def write_edits(repo: Path, edits: Mapping[str, str | None]) -> list[str]:
    """Write (or delete) files of a trusted checkout (paths already safe and relative); returns the paths
    that could not be written (a file where a directory must go, a symlinked directory leaving the copy)."""
    root = repo.resolve()
    failed = []
    for rel, text in edits.items():
        target = root / rel
        try:
            if root not in target.resolve().parents:
                raise OSError(f"{rel} leaves the repository")
            if text is None:
                target.unlink(missing_ok=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(text.encode("utf-8"))
        except OSError:
            failed.append(rel)
    return failed


def remove_tree(path: Path) -> None:
    """Delete a directory a sandboxed program wrote to (it may have removed permissions on the way)."""

    def retry(func, p, _exc):  # noqa: ANN001 - shutil's onerror signature
        try:
            os.chmod(os.path.dirname(p), 0o700)
            os.chmod(p, 0o700)
            func(p)
        except OSError:
            pass

    if path.exists():
        shutil.rmtree(path, onerror=retry)
