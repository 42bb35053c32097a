"""Grading by FAIL_TO_PASS and PASS_TO_PASS, with the official harness's rules (swebench 5.0.2,
``swebench.harness.grading``: ``test_passed``/``test_maintained``/``test_failed``,
``get_eval_tests_report`` with ``EvalType.PASS_AND_FAIL``, ``get_resolution_status``), so a verdict
here means what it means on the leaderboard.

It is restated rather than imported because the ``swebench`` package is an optional extra (its
dependencies include docker, modal and pre-commit) while this verifier is the offline default; a test
checks these functions against the installed package's on the same status maps. A status map holds
PASSED, FAILED, SKIPPED, ERROR or XFAIL per test; an XPASS is left out, as the official log parser
leaves it out (so it counts as not passing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

PASSED, FAILED, SKIPPED, ERROR, XFAIL = "PASSED", "FAILED", "SKIPPED", "ERROR", "XFAIL"
STATUSES = (PASSED, FAILED, SKIPPED, ERROR, XFAIL)
_PASSING = (PASSED, XFAIL)


def _resolve_case(case: str, sm: Mapping[str, str]) -> str | None:
    """The status-map key of ``case``; ids truncated mid-parameter (``test_x[a(b``) match by prefix when
    every match agrees on pass or fail, as the official grading does for SWE-bench Verified's cut ids."""
    if case in sm:
        return case
    if case.count("[") > case.count("]"):
        matches = [k for k in sm if k.startswith(case)]
        if matches and len({sm[k] in _PASSING for k in matches}) == 1:
            return matches[0]
    return None


def test_passed(case: str, sm: Mapping[str, str]) -> bool:
    key = _resolve_case(case, sm)
    return key is not None and sm[key] in _PASSING


def test_maintained(case: str, sm: Mapping[str, str]) -> bool:
    """PASS_TO_PASS: a skipped test is not a regression."""
    key = _resolve_case(case, sm)
    return test_passed(case, sm) or (key is not None and sm[key] == SKIPPED)


def test_failed(case: str, sm: Mapping[str, str]) -> bool:
    """Missing, failed, errored, or (for FAIL_TO_PASS) skipped."""
    key = _resolve_case(case, sm)
    return key is None or sm[key] in (FAILED, ERROR, SKIPPED)


def grade_report(sm: Mapping[str, str], fail_to_pass: Sequence[str], pass_to_pass: Sequence[str]) -> dict:
    """``{"FAIL_TO_PASS": {"success": [...], "failure": [...]}, "PASS_TO_PASS": {...}}``."""
    f2p: dict[str, list[str]] = {"success": [], "failure": []}
    p2p: dict[str, list[str]] = {"success": [], "failure": []}
    for case in fail_to_pass:
        if test_passed(case, sm):
            f2p["success"].append(case)
        elif test_failed(case, sm):
            f2p["failure"].append(case)
    for case in pass_to_pass:
        if test_maintained(case, sm):
            p2p["success"].append(case)
        elif test_failed(case, sm):
            p2p["failure"].append(case)
    return {"FAIL_TO_PASS": f2p, "PASS_TO_PASS": p2p}


def _rate(part: Mapping[str, list[str]]) -> float:
    total = len(part["success"]) + len(part["failure"])
    return 1.0 if total == 0 else len(part["success"]) / total


def resolution(report: Mapping[str, Mapping[str, list[str]]]) -> str:
    """RESOLVED_FULL, RESOLVED_PARTIAL or RESOLVED_NO; only FULL counts as resolved."""
    f2p, p2p = _rate(report["FAIL_TO_PASS"]), _rate(report["PASS_TO_PASS"])
    if f2p == 1 and p2p == 1:
        return "RESOLVED_FULL"
    if 0 < f2p < 1 and p2p == 1:
        return "RESOLVED_PARTIAL"
    return "RESOLVED_NO"
