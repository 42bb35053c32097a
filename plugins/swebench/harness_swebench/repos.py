"""Working copies of a task's repository at its ``base_commit``.

Built-in instances: the repository is built with git at run time from its definition (fixed author
and dates, so the commit ids are the ones the instance names; checked), once per machine, under
``$HARNESS_CACHE/swebench/repos`` (else ``~/.cache/harness/swebench/repos``, else a temporary folder).
Hub and local instances: a clone you made, found in ``[domains.swebench.options] repos_dir`` as
``<owner>__<name>`` or ``<name>`` (``git clone https://github.com/django/django repos/django__django``).

A working copy is a fresh ``git clone`` (built-in: with its own copy of the objects; your clones:
``--shared``, borrowing their objects read-only, so a checkout of a large repository takes seconds)
checked out detached at ``base_commit``, clean.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from harness import HarnessError, Task
from harness_swebench.builtin import REPOS, BuiltinRepo
from harness_swebench.gitobj import AUTHOR_EMAIL, AUTHOR_NAME
from harness_swebench.instance import options_of

#: git without the user's or the system's configuration (hooks, signing, templates): the same result everywhere.
_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
}


#: Options that make git ignore hooks, signing, line-ending conversion and file-system monitors.
GIT = ["git", "-c", "core.hooksPath=/dev/null", "-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"]
GIT += ["-c", "core.fsmonitor=false"]


def run_quiet(cmd: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a git or patch command without the user's configuration; the completed process."""
    return subprocess.run(cmd, cwd=cwd, env=_GIT_ENV, capture_output=True, text=True, timeout=timeout)


def git(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run git (no user configuration) and return its stdout; a failure is a HarnessError with git's message."""
    try:
        out = subprocess.run(
            [*GIT, *args],
            cwd=cwd,
            env={**_GIT_ENV, **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
        )
    except FileNotFoundError:
        raise HarnessError("swebench: git is not installed (apt-get install git)") from None
    except subprocess.TimeoutExpired:
        raise HarnessError(f"swebench: git {args[0]} took more than 300 s in {cwd}") from None
    if out.returncode != 0:
        msg = (out.stderr.strip() or out.stdout.strip()).splitlines()
        raise HarnessError(f"swebench: git {args[0]} failed in {cwd}: {msg[-1] if msg else out.returncode}")
    return out.stdout


def cache_root() -> Path:
    """Where built repositories are kept: $HARNESS_CACHE/swebench, else ~/.cache/harness/swebench."""
    root = os.environ.get("HARNESS_CACHE")
    base = Path(root) if root else Path.home() / ".cache" / "harness"
    return base / "swebench"


def _writable_cache() -> Path:
    folder = cache_root() / "repos"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    folder = Path(tempfile.gettempdir()) / f"harness-swebench-{os.getuid()}" / "repos"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def built_repo(repo: BuiltinRepo) -> Path:
    """The built-in repository as a git repository in the cache, built on first use (safe across processes)."""
    folder = _writable_cache()
    dest = folder / f"{repo.slug}-{repo.head[:12]}"
    if (dest / ".git").is_dir():
        return dest
    tmp = Path(tempfile.mkdtemp(prefix=f".{repo.slug}-", dir=folder))
    try:
        _build(repo, tmp)
        try:
            os.rename(tmp, dest)  # atomic: another process may have won the race, which is as good
        except OSError:
            if not (dest / ".git").is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _build(repo: BuiltinRepo, where: Path) -> None:
    git("init", "-q", "-b", "main", str(where))
    for commit in repo.commits:
        for path, content in commit.files.items():
            target = where / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        when = f"@{commit.timestamp} +0000"
        env = {
            "GIT_AUTHOR_NAME": AUTHOR_NAME,
            "GIT_AUTHOR_EMAIL": AUTHOR_EMAIL,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": AUTHOR_NAME,
            "GIT_COMMITTER_EMAIL": AUTHOR_EMAIL,
            "GIT_COMMITTER_DATE": when,
        }
        git("add", "-A", cwd=where)
        git("commit", "-q", "--allow-empty", "-m", commit.message, cwd=where, env=env)
    head = git("rev-parse", "HEAD", cwd=where).strip()
    if head != repo.head:
        raise HarnessError(f"swebench: building {repo.name} gave commit {head}, expected {repo.head} (git changed?)")


def source_repo(task: Task) -> tuple[Path, bool]:
    """The local git repository holding the task's commit, and whether it is a built-in one."""
    data = task.data
    name, base = str(data.get("repo", "")), str(data.get("base_commit", ""))
    builtin = REPOS.get(name)
    if builtin is not None and builtin.head == base:
        return built_repo(builtin), True
    repos_dir = options_of(task).get("repos_dir")
    if not repos_dir:
        raise HarnessError(
            f"swebench: {task.id} needs a local clone of {name}: set [domains.swebench.options] repos_dir to a "
            f"folder holding it as {name.replace('/', '__')} (git clone https://github.com/{name})"
        )
    root = Path(str(repos_dir)).expanduser()
    tried = [root / name.replace("/", "__"), root / name.split("/")[-1], root / name]
    for cand in tried:
        if (cand / ".git").exists():
            return cand, False
    raise HarnessError(
        f"swebench: no clone of {name} for {task.id} in {root} (looked for {', '.join(p.name for p in tried[:2])}); "
        f"run: git clone https://github.com/{name} {tried[0]}"
    )


def checkout(task: Task, dest: Path, *, self_contained: bool = False) -> Path:
    """Materialise the task's repository at its ``base_commit`` in ``dest`` (created; must not exist or be
    empty): a real git working copy, clean, HEAD detached at the base commit. Returns ``dest``.

    ``self_contained``: copy a user's clone's objects instead of borrowing them (``--shared``), so git
    works in ``dest`` where the clone is not visible (inside the sandbox); built-in ones always are."""
    src, builtin = source_repo(task)
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise HarnessError(f"swebench: checkout destination {dest} is not empty")
    base = str(task.data["base_commit"])
    # built-in: a self-contained copy (tiny); a user's clone: --shared borrows its objects instead of copying
    how = "--no-hardlinks" if builtin or self_contained else "--shared"
    git("clone", "-q", how, "--no-checkout", str(src), str(dest))
    try:
        git("checkout", "-q", "--detach", base, cwd=dest)
    except HarnessError:
        raise HarnessError(
            f"swebench: {task.id}: commit {base[:12]} is not in {src}; update the clone (git -C {src} fetch)"
        ) from None
    return dest
