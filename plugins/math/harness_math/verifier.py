"""The math verifier: extract the final answer, then compare it exactly (numbers) or symbolically (LaTeX).

How it decides, per task ``data["answer_type"]``:

- ``numeric`` (GSM8K, the generator): both sides parsed into exact fractions ('70,000' = '70000',
  '$18.00' = '18', trailing unit words dropped); if the candidate is not a plain number, math-verify.
- ``latex`` (MATH-500): exact fractions when both sides are plain numbers, else math-verify.
- ``auto`` (default for local files): ``numeric`` when the reference is a plain number, else ``latex``.

A crash or a timeout of the equivalence check is a Verdict with status "error", never "failed".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness import Candidate, Task, Verdict

from harness_math.equivalence import check_equivalence
from harness_math.extract import extract_answer
from harness_math.numeric import format_number, parse_number

ANSWER_TYPES = ("numeric", "latex", "auto")


def _verdict(ok: bool, detail: dict[str, Any]) -> Verdict:
    return Verdict(status="passed" if ok else "failed", correct=ok, detail=detail)


@dataclass(frozen=True)
class MathVerifier:
    """Judges a math candidate against ``task.data["answer"]``; picklable, no state."""

    name = "exact"
    timeout_s: float = 5.0
    #: What one verification takes on a cluster node (harness.cluster.resources): a CPU, a little memory.
    resources = {"cpus": 1, "memory_mb": 512}

    def verify(self, task: Task, candidate: Candidate) -> Verdict:
        try:
            return self._verify(task, candidate)
        except Exception as exc:  # never let one bad candidate take the pipeline down
            return Verdict(
                status="error",
                error_kind="verifier_crash",
                detail={"error": f"{type(exc).__name__}: {exc}"},
            )

    def _verify(self, task: Task, candidate: Candidate) -> Verdict:
        reference = task.data.get("answer")
        if reference is None or not str(reference).strip():
            return Verdict(status="error", error_kind="missing_reference", detail={"task": task.id})
        reference = str(reference).strip()
        answer_type = str(task.data.get("answer_type", "auto"))
        if answer_type not in ANSWER_TYPES:
            answer_type = "auto"

        extracted, how = candidate.answer, "candidate"
        if extracted is None or not str(extracted).strip():
            extracted, how = extract_answer(candidate.response)
        detail: dict[str, Any] = {"extracted": extracted, "reference": reference, "extraction": how}
        if extracted is None:
            return _verdict(False, {**detail, "method": "none"})
        extracted = str(extracted).strip()

        ref_exact = parse_number(reference, lenient=answer_type == "numeric")
        if answer_type == "auto":
            answer_type = "numeric" if ref_exact is not None else "latex"
        got_exact = parse_number(extracted, lenient=answer_type == "numeric")
        if ref_exact is not None and got_exact is not None:
            detail.update(method="exact", value=format_number(got_exact))
            return _verdict(got_exact == ref_exact, detail)

        timeout_s = float(task.data.get("verify_timeout_s") or self.timeout_s)
        status, result = check_equivalence(reference, extracted, timeout_s)
        detail["method"] = "math-verify"
        if status == "timeout":
            return Verdict(status="error", error_kind="verifier_timeout", detail={**detail, "error": result})
        if status == "crash":
            return Verdict(status="error", error_kind="verifier_crash", detail={**detail, "error": result})
        return _verdict(bool(result), detail)
