"""The one-shot solver on built-in instances, through the real metering path and the local verifier."""

from __future__ import annotations

import asyncio
import json
import subprocess
import tempfile
from pathlib import Path

import pytest
from harness_swebench.instance import listed_tests
from harness_swebench.repos import checkout
from harness_swebench.solvers import OneShotSolver
from harness_swebench.solvers.oneshot import reply_tokens
from harness_swebench.verify import LocalVerifier

from harness import Candidate, HarnessError, Task
from harness.collect.metering import SpendCapReached

IID = "builtin__textkit-1"


def gold_files(task: Task) -> dict[str, str]:
    """The files the gold patch changes, as they are after it (what a perfect whole-file reply holds)."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = checkout(task, Path(tmp) / "r")
        subprocess.run(["git", "apply", "-"], input=task.data["patch"].encode(), cwd=repo, check=True)
        names = subprocess.run(["git", "diff", "--name-only"], cwd=repo, capture_output=True, text=True, check=True)
        return {p: (repo / p).read_text() for p in names.stdout.split()}


def sloppy(patch: str) -> str:
    """The gold patch as a model might write it: no a/ b/ prefixes, no index lines, hunk counts off, CRLF, prose."""
    out = []
    for line in patch.splitlines():
        if line.startswith(("diff --git", "index ")):
            continue
        if line.startswith("--- a/") or line.startswith("+++ b/"):
            line = line[:4] + line[6:]
        elif line.startswith("@@"):
            line = "@@ -1,99 +1,99 @@"
        out.append(line)
    return "Here is the patch:\n```diff\r\n" + "\r\n".join(out) + "\r\n```\r\nThis should fix it."


def solve(task: Task, model, solver: OneShotSolver | None = None) -> Candidate:
    return asyncio.run((solver or OneShotSolver()).solve(task, model))


@pytest.mark.parametrize("style", ["whole_files", "sloppy_diff"])
def test_oneshot_reply_becomes_a_patch_that_resolves_the_instance(builtin_tasks, harness_scripted_model, style) -> None:
    task = builtin_tasks[IID]
    if style == "whole_files":
        reply = "\n\n".join(f"### {p}\n```python\n{text}```" for p, text in gold_files(task).items())
    else:
        reply = sloppy(task.data["patch"])
    model = harness_scripted_model(reply)
    cand = solve(task, model)
    assert cand.detail["extraction"] == ("whole_files" if style == "whole_files" else "diff")
    assert cand.answer and cand.answer.startswith("diff --git a/")
    verdict = LocalVerifier().verify(task, cand)
    assert verdict.status == "passed", verdict.detail
    assert model.totals.calls == 1 and model.totals.cost_usd > 0 and model.totals.output_tokens > 0


def test_prompt_shows_issue_and_sources_but_never_the_answer_key(builtin_tasks, harness_scripted_model) -> None:
    task = builtin_tasks[IID]
    model = harness_scripted_model("no idea")
    cand = solve(task, model)
    sent = "\n".join(m.content for m in model.calls[0][0])
    assert task.data["problem_statement"].strip() in sent
    assert all(p in sent for p in cand.detail["files_shown"]) and cand.detail["files_mode"] == "all"
    assert not any(p.startswith("tests/") for p in cand.detail["files_shown"])
    for name in listed_tests(task.data, "FAIL_TO_PASS") + listed_tests(task.data, "PASS_TO_PASS"):
        assert name.split("::")[-1] not in sent
    added = [ln[1:] for ln in task.data["patch"].splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    assert not any(line.strip() and line in sent for line in added if len(line.strip()) > 12)
    # the reply may repeat every shown file: the token limit is sized to them
    with tempfile.TemporaryDirectory() as tmp:
        repo = checkout(task, Path(tmp) / "r")
        shown = {p: (repo / p).read_text() for p in cand.detail["files_shown"]}
    assert model.calls[0][1]["max_tokens"] == reply_tokens(shown) >= 512


def test_malformed_reply_is_billed_and_has_no_candidate(builtin_tasks, harness_scripted_model) -> None:
    model = harness_scripted_model("I think the bug is in truncate. Change < to <=.")
    cand = solve(builtin_tasks[IID], model)
    assert cand.answer is None and cand.detail["extraction"] == "none" and cand.detail["problems"]
    assert model.totals.calls == 1 and model.totals.cost_usd > 0
    assert LocalVerifier().verify(builtin_tasks[IID], cand).status == "failed"


def test_spend_cap_propagates_from_the_solver(builtin_tasks, harness_scripted_model) -> None:
    model = harness_scripted_model("unused", cap=1e-9)
    with pytest.raises(SpendCapReached):
        solve(builtin_tasks[IID], model)
    assert model.totals.calls == 0 and model.remaining == 1


def test_oracle_mode_shows_only_the_gold_patch_files(builtin_tasks, harness_scripted_model) -> None:
    task = builtin_tasks["builtin__iniconf-1"]
    data = {**task.data, "solver_options": {"files": "oracle", "max_tokens": 700}}
    model = harness_scripted_model("nothing")
    cand = solve(Task(task.id, data, task.split), model)
    assert cand.detail["files_mode"] == "oracle"
    assert cand.detail["files_shown"] == sorted(gold_files(task))
    assert model.calls[0][1]["max_tokens"] == 700


def test_bad_solver_options_are_one_line_errors(builtin_tasks, harness_scripted_model) -> None:
    task = builtin_tasks[IID]
    for opts, word in (({"files": "everything"}, "files"), ({"stepz": 3}, "stepz"), ({"max_tokens": -1}, "max_tokens")):
        with pytest.raises(HarnessError, match=word) as info:
            solve(Task(task.id, {**task.data, "solver_options": opts}), harness_scripted_model("x"))
        assert "\n" not in str(info.value) and "solver_options" in str(info.value)


def test_candidate_detail_is_json(builtin_tasks, harness_scripted_model) -> None:
    cand = solve(builtin_tasks[IID], harness_scripted_model(sloppy(builtin_tasks[IID].data["patch"])))
    json.dumps(dict(cand.detail))
    assert cand.detail["files_changed"] == sorted(gold_files(builtin_tasks[IID]))
