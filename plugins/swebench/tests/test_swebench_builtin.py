"""The built-in set: schema, deterministic git repositories, checkouts, and every instance graded right.

Every instance's gold patch resolves it, a patch that leaves the tests as they were (a no-op) and the
empty patch do not, a patch that fixes the issue but breaks a PASS_TO_PASS test does not, and a
malformed patch is "patch did not apply". The verifications run once per session in a process pool
(two at a time on two cores) and each test checks its own verdict.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from harness_swebench.builtin import DIFFICULTIES, INSTANCES, REPOS
from harness_swebench.instance import FIELDS, public_view
from harness_swebench.repos import built_repo, checkout
from harness_swebench.verify import LocalVerifier

from harness import Candidate, Task

IDS = sorted(INSTANCES)
NOOP = (
    "diff --git a/README.txt b/README.txt\nnew file mode 100644\n--- /dev/null\n+++ b/README.txt\n@@ -0,0 +1 @@\n+hi\n"
)
KINDS = ("gold", "noop", "regression")


def _verify(task: Task, answer: str):
    return LocalVerifier().verify(task, Candidate(answer=answer))


@pytest.fixture(scope="session")
def verdicts(builtin_tasks: dict) -> dict:
    """(instance id, kind) -> verdict, for the gold, no-op and regression patch of every instance."""
    jobs = {}
    workers = max(1, min(2, len(os.sched_getaffinity(0))))
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        for iid in IDS:
            task = builtin_tasks[iid]
            answers = {"gold": task.data["patch"], "noop": NOOP, "regression": INSTANCES[iid].regression_patch()}
            for kind in KINDS:
                jobs[(iid, kind)] = pool.submit(_verify, task, answers[kind])
        return {k: f.result() for k, f in jobs.items()}


def test_the_set_is_graded_and_large_enough() -> None:
    levels = Counter(i.difficulty for i in INSTANCES.values())
    assert len(INSTANCES) >= 12 and set(levels) == set(DIFFICULTIES)
    assert levels["very easy"] >= 5 and levels["hard"] >= 2
    assert len({i.repo.name for i in INSTANCES.values()}) >= 6  # several task groups for --split group:


@pytest.mark.parametrize("iid", IDS)
def test_rows_are_swebench_instances(iid: str) -> None:
    row = INSTANCES[iid].row()
    assert set(FIELDS) <= set(row)
    f2p, p2p = json.loads(row["FAIL_TO_PASS"]), json.loads(row["PASS_TO_PASS"])
    assert f2p and p2p and not set(f2p) & set(p2p)
    assert row["patch"].startswith("diff --git ") and row["test_patch"].startswith("diff --git ")
    assert "tests/" not in "".join(line for line in row["patch"].splitlines() if line.startswith("+++"))
    assert len(row["base_commit"]) == 40 and row["instance_id"].startswith(row["repo"].replace("/", "__") + "-")


@pytest.mark.parametrize("iid", [i for i in IDS if INSTANCES[i].difficulty == "very easy"])
def test_very_easy_instances_fit_in_a_small_prompt(iid: str) -> None:
    inst = INSTANCES[iid]
    changed = [p for p in inst.fix]
    assert len(changed) == 1 and len(inst.repo.files[changed[0]].splitlines()) < 60


def test_public_view_hides_the_answer_key(builtin_tasks: dict) -> None:
    view = public_view(builtin_tasks["builtin__shop-2"])
    assert view["problem_statement"].startswith("Support fixed-amount discount codes")
    assert {"patch", "test_patch", "FAIL_TO_PASS", "PASS_TO_PASS", "harness_options"}.isdisjoint(view)
    blob = json.dumps(view)
    assert "subtract_amount(cents, amount):" not in blob and "test_amount_code_never_negative" not in blob


def test_repositories_build_deterministically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = REPOS["builtin/semver"]
    first = built_repo(repo)
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path))
    again = built_repo(repo)  # a second build elsewhere: the same commits (built_repo checks the id)
    assert first != again
    log = ["git", "log", "--format=%H %an %ad", "--date=raw"]
    assert subprocess.check_output(log, cwd=first) == subprocess.check_output(log, cwd=again)
    assert subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=again).decode().strip() == repo.head


def test_checkout_is_a_clean_working_copy_at_the_base_commit(builtin_tasks: dict, tmp_path: Path) -> None:
    task = builtin_tasks["builtin__duration-2"]
    dest = checkout(task, tmp_path / "wc")
    run = lambda *a: subprocess.check_output(["git", *a], cwd=dest, text=True).strip()  # noqa: E731
    assert run("rev-parse", "HEAD") == task.data["base_commit"]
    assert run("status", "--porcelain") == ""
    assert (dest / "duration" / "parse.py").read_text() == REPOS["builtin/duration"].files["duration/parse.py"]
    assert not (dest / ".git" / "objects" / "info" / "alternates").exists()  # self-contained: safe to hand out
    subprocess.run(["git", "apply", "--check", "-"], input=task.data["patch"], text=True, cwd=dest, check=True)


@pytest.mark.parametrize("iid", IDS)
def test_gold_patch_resolves(verdicts: dict, iid: str) -> None:
    v = verdicts[(iid, "gold")]
    assert v.status == "passed" and v.correct is True, v.detail
    assert v.detail["outcome"] == "resolved" and v.detail["resolution"] == "RESOLVED_FULL"
    assert v.detail["FAIL_TO_PASS"]["passed"] == len(json.loads(INSTANCES[iid].row()["FAIL_TO_PASS"]))


@pytest.mark.parametrize("iid", IDS)
def test_a_patch_that_changes_nothing_tested_does_not_resolve(verdicts: dict, iid: str) -> None:
    v = verdicts[(iid, "noop")]
    assert v.status == "failed" and v.correct is False and v.detail["outcome"] == "unresolved", v.detail
    assert v.detail["FAIL_TO_PASS"]["failed_count"] == len(INSTANCES[iid].fail_to_pass)  # all fail before the fix
    assert v.detail["PASS_TO_PASS"]["failed_count"] == 0  # and the others pass before it


@pytest.mark.parametrize("iid", IDS)
def test_a_patch_that_breaks_a_pass_to_pass_test_does_not_resolve(verdicts: dict, iid: str) -> None:
    v = verdicts[(iid, "regression")]
    assert v.status == "failed" and v.detail["outcome"] == "unresolved", v.detail
    assert v.detail["FAIL_TO_PASS"]["failed_count"] == 0 and v.detail["PASS_TO_PASS"]["failed_count"] >= 1


@pytest.mark.parametrize("iid", IDS)
def test_empty_and_malformed_patches(builtin_tasks: dict, iid: str) -> None:
    task = builtin_tasks[iid]
    assert _verify(task, "").detail["outcome"] == "empty_patch"
    assert _verify(task, "   \n").status == "failed"
    path = next(iter(INSTANCES[iid].fix))
    garbage = f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1,3 +1,3 @@\n-no such line\n+x\n"
    missing = garbage.replace(path, "no/such/file.py")
    for bad in (garbage, missing, "this is not a diff at all\n"):
        v = _verify(task, bad)
        assert v.status == "failed" and v.detail["outcome"] == "patch_did_not_apply", v.detail


def test_a_patch_cut_off_midway_does_not_pass(builtin_tasks: dict) -> None:
    """A reply cut off mid-patch: `patch --fuzz` may apply what is there (as the official harness would)."""
    for iid in ("builtin__shop-2", "builtin__semver-2"):
        patch = builtin_tasks[iid].data["patch"]
        assert _verify(builtin_tasks[iid], patch[: len(patch) // 2]).status == "failed"
