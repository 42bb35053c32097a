"""Applying a candidate patch the way the official harness does, and keeping it away from the tests.

The candidate is tried with ``git apply``, then ``git apply --3way``, then ``patch --batch --fuzz=5
-p1``. Before any of them, a patch naming a path outside the repository or inside ``.git`` is refused
(``patch`` would follow it; git commands read the repository's configuration). After it applies,
every file that decides what the tests are or how pytest runs is put back as it was at the base commit
(the official harness does the same for the test patch's files): the test patch's files, the files
holding FAIL_TO_PASS/PASS_TO_PASS tests, any ``conftest.py`` and pytest's configuration files. Then
the test patch is applied.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from harness_swebench.repos import GIT, git, run_quiet

#: Files whose change by a candidate is discarded: they configure pytest (plugins, options, hooks).
CONFIG_FILES = frozenset(
    {
        "conftest.py",
        "pytest.ini",
        ".pytest.ini",
        "pytest.toml",
        ".pytest.toml",
        "tox.ini",
        "setup.cfg",
        "pyproject.toml",
    }
)
MAX_PATCH_BYTES = 4 * 1024 * 1024
_PATH_LINE = re.compile(r"^(?:diff --git a/(\S+) b/(\S+)|--- (\S+)|\+\+\+ (\S+)|rename (?:from|to) (\S+))", re.M)
METHODS = (
    ("git apply", [*GIT, "apply", "--verbose"]),
    ("git apply --3way", [*GIT, "apply", "--verbose", "--3way"]),
    ("patch --fuzz", ["patch", "--batch", "--fuzz=5", "-p1", "--no-backup-if-mismatch", "-i"]),
)


class PatchRefused(Exception):
    """The candidate patch is unsafe or too large (a ``failed`` verdict, not an error)."""


def patch_paths(diff: str) -> set[str]:
    """Every path a unified diff names (``a/``/``b/`` prefixes removed)."""
    out: set[str] = set()
    for m in _PATH_LINE.finditer(diff):
        for p in m.groups():
            if p and p != "/dev/null":
                out.add(p[2:] if p[:2] in ("a/", "b/") else p)
    return out


def check_safe(diff: str) -> None:
    """Refuse a patch that names an absolute path, a ``..`` step or anything inside ``.git``."""
    if len(diff.encode()) > MAX_PATCH_BYTES:
        raise PatchRefused(f"the patch is larger than {MAX_PATCH_BYTES // (1024 * 1024)} MiB")
    for path in patch_paths(diff):
        parts = PurePosixPath(path).parts
        if path.startswith("/") or ".." in parts or ".git" in parts:
            raise PatchRefused(f"the patch names an unsafe path {path!r}")


def _reset(repo: Path) -> None:
    git("reset", "-q", "--hard", cwd=repo)
    git("clean", "-q", "-fdx", cwd=repo)


def apply_candidate(repo: Path, diff_file: Path) -> str | None:
    """Apply the candidate; the method that worked, or None (the repository is left at the base commit)."""
    for name, cmd in METHODS:
        if run_quiet([*cmd, str(diff_file)], repo, timeout=120).returncode == 0:
            return name
        _reset(repo)
    return None


def changed_paths(repo: Path) -> list[str]:
    """Tracked files that differ from HEAD, and every untracked file (ignored ones too: a candidate's
    ``.gitignore`` must not hide a new ``conftest.py``)."""
    tracked = git("diff", "--name-only", "--no-renames", "-z", "HEAD", cwd=repo).split("\0")
    untracked = git("ls-files", "--others", "-z", cwd=repo).split("\0")
    return sorted({p for p in tracked + untracked if p})


def restore(repo: Path, protected: Iterable[str]) -> list[str]:
    """Put back (or delete) every changed file that is protected or configures pytest; the paths touched."""
    keep = set(protected)
    touched = [p for p in changed_paths(repo) if p in keep or PurePosixPath(p).name in CONFIG_FILES]
    for path in touched:
        if run_quiet([*GIT, "cat-file", "-e", f"HEAD:{path}"], repo).returncode == 0:
            _remove(repo / path)
            git("checkout", "-q", "HEAD", "--", path, cwd=repo)
        else:
            _remove(repo / path)
    return touched


def _remove(target: Path) -> None:
    """Delete a file, a link (not what it points to) or a directory a candidate put in a file's place."""
    if target.is_symlink() or target.is_file():
        target.unlink()
    elif target.is_dir():
        shutil.rmtree(target)


def apply_tests(repo: Path, diff_file: Path) -> bool:
    """Apply the test patch (``git apply``); False when it does not apply."""
    return run_quiet([*GIT, "apply", "--verbose", str(diff_file)], repo, timeout=120).returncode == 0
