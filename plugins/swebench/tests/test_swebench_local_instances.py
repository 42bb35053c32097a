"""Hub and local instances: a JSONL file of instances of a repository the user cloned into ``repos_dir``,
listed only when the clone holds every base commit, checked out and verified like the built-in ones."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from harness_swebench.builtin import INSTANCES
from harness_swebench.repos import built_repo, checkout
from harness_swebench.sources import LocalSource
from harness_swebench.verify import LocalVerifier

from harness import Candidate, HarnessError


@pytest.fixture
def clone_and_file(tmp_path: Path, swebench_cache: Path) -> tuple[Path, Path]:
    """``repos/octo__textkit``: a clone (as `git clone` makes one) of a repository, and instances of it."""
    inst = INSTANCES["builtin__textkit-1"]
    repos = tmp_path / "repos"
    subprocess.run(["git", "clone", "-q", str(built_repo(inst.repo)), str(repos / "octo__textkit")], check=True)
    rows = []
    for n, iid in enumerate(["builtin__textkit-1", "builtin__textkit-2"], 1):
        row = INSTANCES[iid].row()
        row.update(repo="octo/textkit", instance_id=f"octo__textkit-{n}")
        row.pop("difficulty")
        rows.append(row)
    path = tmp_path / "instances.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return repos, path


def test_local_instances_check_out_from_the_users_clone(clone_and_file: tuple[Path, Path], tmp_path: Path) -> None:
    repos, path = clone_and_file
    tasks = LocalSource().tasks({"source": str(path), "repos_dir": "repos", "_root": str(tmp_path)})
    assert [t.id for t in tasks] == ["octo__textkit-1", "octo__textkit-2"]
    assert tasks[0].data["harness_options"]["repos_dir"] == str(repos)
    dest = checkout(tasks[0], tmp_path / "wc")
    head = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=dest, text=True).strip()
    assert head == tasks[0].data["base_commit"] and (dest / "textkit" / "core.py").is_file()
    assert (dest / ".git" / "objects" / "info" / "alternates").is_file()  # borrows the clone's objects


def test_local_instances_verify_like_built_in_ones(clone_and_file: tuple[Path, Path], tmp_path: Path) -> None:
    _, path = clone_and_file
    task = LocalSource().tasks({"source": str(path), "repos_dir": str(tmp_path / "repos")})[1]
    assert LocalVerifier().verify(task, Candidate(answer=task.data["patch"])).status == "passed"
    fix_1 = INSTANCES["builtin__textkit-1"].row()["patch"]
    assert LocalVerifier().verify(task, Candidate(answer=fix_1)).detail["outcome"] == "unresolved"


def test_a_clone_without_the_base_commit_is_refused_before_anything_runs(
    clone_and_file: tuple[Path, Path], tmp_path: Path
) -> None:
    repos, path = clone_and_file
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[1]["base_commit"] = "0123456789" * 4
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(HarnessError, match=r"octo__textkit-2: commit 012345678901 is not in .*octo__textkit; update"):
        LocalSource().tasks({"source": str(path), "repos_dir": str(repos)})
    shutil.rmtree(repos / "octo__textkit")
    with pytest.raises(HarnessError, match=r"no clone of octo/textkit .* git clone https://github.com/octo/textkit"):
        LocalSource().tasks({"source": str(path), "repos_dir": str(repos)})
