"""Grading rules (against the official package when installed), signed records, per-test statuses, and
which files a verification runs."""

from __future__ import annotations

import hashlib
import hmac
import json
import pickle
import random

import pytest
from harness_swebench.verify import LocalVerifier
from harness_swebench.verify.grading import STATUSES, grade_report, resolution
from harness_swebench.verify.local import files_to_test
from harness_swebench.verify.records import read_records, status_map, status_of

from harness import Candidate, HarnessError, Task

KEY, MARKER = b"k" * 64, "HVabc"


def _line(seq: int, kind: str, key: bytes = KEY, **payload) -> str:
    body = json.dumps({"seq": seq, "kind": kind, **payload}, sort_keys=True)
    return f"{MARKER} {body} {hmac.new(key, body.encode(), hashlib.sha256).hexdigest()}"


def _phases(nodeid: str, call: str, seq: int, xfail: bool = False) -> list[str]:
    return [
        _line(seq, "phase", nodeid=nodeid, when="setup", outcome="passed", xfail=False),
        _line(seq + 1, "phase", nodeid=nodeid, when="call", outcome=call, xfail=xfail),
        _line(seq + 2, "phase", nodeid=nodeid, when="teardown", outcome="passed", xfail=False),
    ]


def test_signed_records_become_statuses_and_noise_is_ignored() -> None:
    lines = ["noise", _line(0, "start", pytest="9"), *_phases("t.py::a", "passed", 1), "PASSED t.py::b"]
    lines += [*_phases("t.py::b", "failed", 4), _line(7, "end", exitstatus=1), "HVabcd not a record"]
    rec = read_records("\n".join(lines), MARKER, KEY)
    assert rec.started and rec.finished and rec.exitstatus == 1 and rec.forged == 0
    assert status_map(rec) == {"t.py::a": "PASSED", "t.py::b": "FAILED"}


def test_forged_reordered_or_missing_records_are_counted() -> None:
    good = [_line(0, "start"), *_phases("t.py::a", "failed", 1)]
    forged = _line(4, "phase", key=b"guess", nodeid="t.py::a", when="call", outcome="passed", xfail=False)
    assert read_records("\n".join([*good, forged]), MARKER, KEY).forged == 1
    skipped_seq = [_line(0, "start"), _line(2, "end", exitstatus=0)]
    rec = read_records("\n".join(skipped_seq), MARKER, KEY)
    assert rec.forged == 1 and not rec.finished
    replayed = [*good, good[1]]  # the same signed line twice
    assert read_records("\n".join(replayed), MARKER, KEY).forged == 1


@pytest.mark.parametrize(
    ("phases", "status"),
    [
        ({"setup": ("failed", False)}, "ERROR"),
        ({"setup": ("skipped", False)}, "SKIPPED"),
        ({"setup": ("skipped", True)}, "XFAIL"),
        ({"setup": ("passed", False), "call": ("skipped", True)}, "XFAIL"),
        ({"setup": ("passed", False), "call": ("passed", True)}, None),  # XPASS: dropped, as the official parser
        ({"setup": ("passed", False), "call": ("passed", False), "teardown": ("failed", False)}, "ERROR"),
        ({"setup": ("passed", False)}, "ERROR"),  # set up, never called: the run broke off
        ({"setup": ("passed", False), "call": ("failed", False)}, "FAILED"),
    ],
)
def test_status_of_each_phase_combination(phases: dict, status: str | None) -> None:
    assert status_of(phases) == status


def test_grading_matches_the_official_package_on_random_status_maps() -> None:
    """Against swebench 5.x exactly; against 4.x (the docker extra) where the rules agree: 5.x also fails a
    skipped FAIL_TO_PASS test and matches ids truncated mid-parameter, which 4.x does not."""
    swebench = pytest.importorskip("swebench")
    grading = pytest.importorskip("swebench.harness.grading")
    constants = pytest.importorskip("swebench.harness.constants")
    newer = int(swebench.__version__.split(".")[0]) >= 5
    rng = random.Random(7)
    names = [f"t.py::test_{i}" for i in range(8)] + (["t.py::test_p[a(b", "t.py::test_p[a(bc]"] if newer else [])
    statuses = STATUSES if newer else tuple(s for s in STATUSES if s != "SKIPPED")
    for _ in range(400):
        sm = {n: rng.choice(statuses) for n in names if rng.random() < 0.8}
        f2p = rng.sample(names, rng.randint(0, 4))
        p2p = rng.sample([n for n in names if n not in f2p], rng.randint(0, 4))
        gold = {constants.FAIL_TO_PASS: f2p, constants.PASS_TO_PASS: p2p}
        theirs = grading.get_eval_tests_report(sm, gold)
        ours = grade_report(sm, f2p, p2p)
        assert ours["FAIL_TO_PASS"] == theirs[constants.FAIL_TO_PASS]
        assert ours["PASS_TO_PASS"] == theirs[constants.PASS_TO_PASS]
        assert resolution(ours) == grading.get_resolution_status(theirs)


def test_resolution_rules() -> None:
    assert resolution(grade_report({"a": "PASSED", "b": "SKIPPED"}, ["a"], ["b"])) == "RESOLVED_FULL"
    assert resolution(grade_report({"a": "SKIPPED"}, ["a"], [])) == "RESOLVED_NO"  # a skipped fix is no fix
    assert resolution(grade_report({"a": "PASSED"}, ["a", "c"], [])) == "RESOLVED_PARTIAL"  # c missing
    assert resolution(grade_report({"a": "XFAIL", "b": "ERROR"}, ["a"], ["b"])) == "RESOLVED_NO"


def test_files_to_run() -> None:
    patch = "diff --git a/tests/test_x.py b/tests/test_x.py\n--- a/tests/test_x.py\n+++ b/tests/test_x.py\n"
    patch += "diff --git a/tests/conftest.py b/tests/conftest.py\n--- a/tests/conftest.py\n+++ b/tests/conftest.py\n"
    assert files_to_test(patch, ["tests/test_y.py::test_a[1]", "tests/test_x.py::T::test_b"]) == [
        "tests/test_x.py",
        "tests/test_y.py",
    ]
    assert files_to_test("", ["test_foo (app.tests.FooTests)"]) is None  # django-style ids: not pytest's


def test_non_pytest_ids_are_an_error_not_a_failure() -> None:
    task = Task("django__django-1", {"FAIL_TO_PASS": '["test_foo (app.tests.FooTests)"]', "PASS_TO_PASS": "[]"})
    v = LocalVerifier().verify(task, Candidate(answer="diff --git a/x b/x\n"))
    assert v.status == "error" and v.error_kind == "unsupported_tests" and "docker" in v.detail["message"]


def test_pytest_itself_is_left_to_the_docker_verifier() -> None:
    task = Task("pytest-dev__pytest-1", {"repo": "pytest-dev/pytest", "FAIL_TO_PASS": "[]", "PASS_TO_PASS": "[]"})
    v = LocalVerifier().verify(task, Candidate(answer="diff --git a/x b/x\n"))
    assert v.status == "error" and v.error_kind == "unsupported_instance"


def test_the_verifier_is_light_to_send_to_a_worker() -> None:
    blob = pickle.dumps(LocalVerifier())
    assert len(blob) < 300 and pickle.loads(blob) == LocalVerifier()


def test_check_names_a_missing_program(monkeypatch: pytest.MonkeyPatch) -> None:
    LocalVerifier().check()
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(HarnessError, match=r"needs git \(apt-get install git\)"):
        LocalVerifier().check()
