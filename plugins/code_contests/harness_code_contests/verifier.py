"""Runs a candidate program in the sandbox: public tests give the verdict, hidden tests the ground truth.

``status`` ("passed"/"failed") comes from the PUBLIC tests only (what an arbitrageur can check before
selling); ``correct`` from the HIDDEN tests (private + generated; HumanEval: the full check). An
infrastructure failure of the sandbox is ``status="error"`` with ``error_kind="sandbox"``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness import Candidate, Task, Verdict
from harness.toolkit.sandbox import Limits, SandboxError, SandboxResult, compare_tokens, run_python
from harness.toolkit.sandbox.data import DataError, decode_json
from harness_code_contests import humaneval

MiB = 1024 * 1024


@dataclass
class Suite:
    """How a candidate did on one set of tests."""

    total: int
    run: int = 0
    passed: int = 0
    #: wrong_answer, runtime_error, timeout, memory, output_limit, missing_result (a call got no answer:
    #: the program exited or crashed first), malformed_result (the result channel held something forged)
    failure: str | None = None
    failed_test: int | None = None
    stderr_tail: str = ""
    cpu_s: float = 0.0
    wall_s: float = 0.0
    inferred: bool = False
    same_run: bool = False
    notes: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.failure is None and self.passed == self.total

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"passed": self.passed, "run": self.run, "total": self.total, "failure": self.failure}
        if self.failure:
            out["failed_test"] = self.failed_test
            out["stderr_tail"] = self.stderr_tail
        if self.inferred:
            out["inferred"] = True
        if self.same_run:
            out["same_run"] = True
        return out

    def add(self, res: SandboxResult) -> None:
        self.notes.update(res.notes)
        self.run += 1
        self.cpu_s += res.cpu_s
        self.wall_s += res.wall_s


def _limits(data: Mapping[str, Any], expected_bytes: int = 0) -> Limits:
    """Sandbox limits for a task: its time limit as CPU, memory plus room for the interpreter."""
    cpu = float(data.get("time_limit_s") or 2.0)
    mem = int(data.get("memory_limit_bytes") or 256 * MiB)
    return Limits(
        wall_s=2 * cpu + 2.0,
        cpu_s=cpu,
        memory_bytes=max(mem + 256 * MiB, 512 * MiB),
        file_size_bytes=16 * MiB,
        processes=32,
        stdout_bytes=2 * expected_bytes + MiB,
        stderr_bytes=64 * 1024,
    )


def _failure_kind(res: SandboxResult) -> str:
    return res.failure_kind or "runtime_error"


@dataclass(frozen=True)
class CodeVerifier:
    """Picklable verifier (plain settings, no state): safe in the core's verification worker processes.

    ``isolation``: ``auto`` or the strongest sandbox allowed; ``python``: interpreter for candidates
    (default: the harness's own); ``site_packages``: let candidates import installed packages (off:
    standard library only, as on most judges, and a start several times faster); ``stop_on_failure``:
    stop a suite at its first failing test.
    """

    name = "tests"
    isolation: str = "auto"
    python: str | None = None
    site_packages: bool = False
    stop_on_failure: bool = True

    def verify(self, task: Task, candidate: Candidate) -> Verdict:
        code = candidate.answer
        if not code or not code.strip():
            return Verdict("failed", correct=False, detail={"failure": "no_code"})
        data = task.data
        try:
            if data.get("kind") == "function":
                public, hidden, isolation = self._function(data, code)
            else:
                public, hidden, isolation = self._stdio(data, code)
        except SandboxError as exc:
            return Verdict("error", correct=None, error_kind="sandbox", detail={"message": str(exc)})
        detail = {
            "isolation": isolation,
            "public": public.as_dict(),
            "hidden": hidden.as_dict(),
            "failure": public.failure or hidden.failure,
            "cpu_s": round(public.cpu_s + hidden.cpu_s, 4),
            "wall_s": round(public.wall_s + hidden.wall_s, 4),
        }
        if public.notes | hidden.notes:  # e.g. a limit the sandbox could not enforce here
            detail["sandbox_notes"] = sorted(public.notes | hidden.notes)
        correct = hidden.ok if hidden.total else None  # no hidden tests: no ground truth
        return Verdict("passed" if public.ok else "failed", correct=correct, detail=detail)

    def _run(self, code: str, stdin: str, limits: Limits, **kw: Any) -> SandboxResult:
        return run_python(
            code,
            stdin=stdin,
            limits=limits,
            isolation=self.isolation,
            python=self.python,
            site_packages=self.site_packages,
            **kw,
        )

    def _suite(self, code: str, tests: Sequence[Mapping[str, str]], data: Mapping[str, Any]) -> tuple[Suite, str]:
        suite, isolation = Suite(total=len(tests)), ""
        tol = data.get("float_tolerance")
        for i, test in enumerate(tests):
            expected = test["output"]
            res = self._run(code, test["input"], _limits(data, len(expected.encode())))
            suite.add(res)
            isolation = res.protection
            if res.ok and compare_tokens(res.stdout, expected, tol):
                suite.passed += 1
                continue
            if suite.failure is None:
                suite.failure = "wrong_answer" if res.ok else _failure_kind(res)
                suite.failed_test = i
                suite.stderr_tail = res.stderr[-300:]
            if self.stop_on_failure:
                break
        return suite, isolation

    def _stdio(self, data: Mapping[str, Any], code: str) -> tuple[Suite, Suite, str]:
        public, iso_p = self._suite(code, data.get("public_tests") or [], data)
        hidden, iso_h = self._suite(code, data.get("hidden_tests") or [], data)
        return public, hidden, iso_p or iso_h

    def _function(self, data: Mapping[str, Any], code: str) -> tuple[Suite, Suite, str]:
        plan = _plan(data["hidden_test"], data["entry_point"])
        if plan is None:
            return self._function_outside(data, code)
        files = {"calls.json": "[" + ",".join(plan.calls) + "]"}
        res = self._run(humaneval.calls_program(dict(data), code), "", _limits(data), files=files, channel=True)
        results, errors, problem = read_results(res.channel, len(plan.calls))
        public = _judge(plan.assertions[: plan.public], results, errors, problem, res)
        hidden = _judge(plan.assertions, results, errors, problem, res)
        public.add(res)
        hidden.same_run = True  # one run answers every call; the public test is its first assertion
        hidden.notes.update(res.notes)
        return public, hidden, res.protection

    def _function_outside(self, data: Mapping[str, Any], code: str) -> tuple[Suite, Suite, str]:
        """Checks that are not calls on constants: the check runs in the harness, the function in the sandbox."""
        public, protection = self._outside(data, code, data["public_test"])
        if data["hidden_test"] == data["public_test"] or not public.ok:
            hidden = Suite(total=1, passed=public.passed, failure=public.failure, inferred=True)
            hidden.failed_test, hidden.stderr_tail = public.failed_test, public.stderr_tail
            return public, hidden, protection
        hidden, protection = self._outside(data, code, data["hidden_test"])
        return public, hidden, protection

    def _outside(self, data: Mapping[str, Any], code: str, test: str) -> tuple[Suite, str]:
        verdict: list[str | None] = []
        res = run_python(
            humaneval.talk_program(dict(data), code),
            limits=_limits(data),
            isolation=self.isolation,
            python=self.python,
            site_packages=self.site_packages,
            talk=lambda conv: verdict.append(humaneval.check_outside(dict(data), test, conv)),
        )
        suite = Suite(total=1)
        suite.add(res)
        failure = verdict[0] if verdict else "missing_result"
        if failure == "missing_result" and not res.ok:
            failure = _failure_kind(res)
        if failure is None:
            suite.passed = 1
        else:
            suite.failure, suite.failed_test, suite.stderr_tail = failure, 0, res.stderr[-300:]
        return suite, res.protection


@functools.lru_cache(maxsize=512)
def _plan(test: str, entry: str) -> humaneval.CheckPlan | None:
    return humaneval.plan_check(test, entry)


def read_results(channel: bytes, n: int) -> tuple[dict[int, Any], dict[int, str], str | None]:
    """Results per call index from the channel: (values, errors, problem). Anything odd is a problem.

    A line that is not JSON, an index out of range or seen twice, a value that is not plain data: the
    whole channel is untrusted (``problem`` says why) and every assertion fails.
    """
    values: dict[int, Any] = {}
    errors: dict[int, str] = {}
    for line in channel.splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            return {}, {}, "malformed_result"
        i = obj.get("i") if isinstance(obj, dict) else None
        if type(i) is not int or not 0 <= i < n or i in values or i in errors or len(obj) != 2:
            return {}, {}, "malformed_result"
        if "ok" in obj:
            try:
                values[i] = decode_json(obj["ok"])
            except DataError:
                return {}, {}, "malformed_result"
        elif isinstance(obj.get("error"), str):
            errors[i] = obj["error"][:200]
        else:
            return {}, {}, "malformed_result"
    return values, errors, None


def _judge(
    assertions: Sequence[humaneval.Assertion],
    values: dict[int, Any],
    errors: dict[int, str],
    problem: str | None,
    res: SandboxResult,
) -> Suite:
    """Evaluate assertions on the decoded results, in the harness."""
    suite = Suite(total=len(assertions))
    for k, a in enumerate(assertions):
        if problem:
            failure = problem
        elif any(c in errors for c in a.calls):
            failure = "runtime_error"
        elif not all(c in values for c in a.calls):  # exited early, crashed, timed out: no answer
            failure = "missing_result" if res.ok else _failure_kind(res)
        elif humaneval.judge(a, values):
            suite.passed += 1
            continue
        else:
            failure = "wrong_answer"
        if suite.failure is None:
            suite.failure, suite.failed_test = failure, k
            suite.stderr_tail = (res.stderr[-300:] + " ".join(errors.get(c, "") for c in a.calls)).strip()
    return suite
