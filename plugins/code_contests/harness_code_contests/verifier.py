"""Runs a candidate program in the sandbox: public tests give the verdict, hidden tests the ground truth.

``status`` ("passed"/"failed") comes from the PUBLIC tests only (what an arbitrageur can check before
selling); ``correct`` from the HIDDEN tests (private + generated; HumanEval: the full check). An
infrastructure failure of the sandbox is ``status="error"`` with ``error_kind="sandbox"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness import Candidate, Task, Verdict
from harness.toolkit.sandbox import Limits, SandboxError, SandboxResult, compare_tokens, run_python
from harness_code_contests import humaneval

MiB = 1024 * 1024


@dataclass
class Suite:
    """How a candidate did on one set of tests."""

    total: int
    run: int = 0
    passed: int = 0
    failure: str | None = None  # wrong_answer, runtime_error, timeout, memory, output_limit
    failed_test: int | None = None
    stderr_tail: str = ""
    cpu_s: float = 0.0
    wall_s: float = 0.0
    inferred: bool = False
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
    kind = res.failure_kind or "runtime_error"
    if kind == "runtime_error" and "AssertionError" in res.stderr[-4000:]:
        return "wrong_answer"  # a HumanEval check failed
    return kind


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

    def _run(self, code: str, stdin: str, limits: Limits) -> SandboxResult:
        return run_python(
            code,
            stdin=stdin,
            limits=limits,
            isolation=self.isolation,
            python=self.python,
            site_packages=self.site_packages,
        )

    def _suite(self, code: str, tests: Sequence[Mapping[str, str]], data: Mapping[str, Any]) -> tuple[Suite, str]:
        suite, isolation = Suite(total=len(tests)), ""
        tol = data.get("float_tolerance")
        for i, test in enumerate(tests):
            expected = test["output"]
            res = self._run(code, test["input"], _limits(data, len(expected.encode())))
            suite.add(res)
            isolation = res.isolation
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
        limits = _limits(data)
        public = Suite(total=1)
        res = self._run(humaneval.program(data, code, data["public_test"]), "", limits)
        public.add(res)
        if res.ok:
            public.passed = 1
        else:
            public.failure, public.failed_test, public.stderr_tail = _failure_kind(res), 0, res.stderr[-300:]
        if data["hidden_test"] == data["public_test"] or not public.ok:
            # the public check is a prefix of the hidden one: its outcome decides the hidden one too
            hidden = Suite(
                total=1,
                run=0,
                passed=public.passed,
                failure=public.failure,
                failed_test=public.failed_test,
                stderr_tail=public.stderr_tail,
                inferred=True,
            )
            return public, hidden, res.isolation
        hidden = Suite(total=1)
        res_h = self._run(humaneval.program(data, code, data["hidden_test"]), "", limits)
        hidden.add(res_h)
        if res_h.ok:
            hidden.passed = 1
        else:
            hidden.failure, hidden.failed_test, hidden.stderr_tail = _failure_kind(res_h), 0, res_h.stderr[-300:]
        return public, hidden, res_h.isolation
