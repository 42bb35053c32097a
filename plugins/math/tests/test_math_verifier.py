"""The verifier: GSM8K references against themselves, wrong answers, tricky equivalences, time limits."""

import json
import threading
import time
from pathlib import Path

import pytest
from harness import Candidate, Task, Verdict

from harness_math.equivalence import shutdown_pool
from harness_math.sources import MathSource
from harness_math.verifier import MathVerifier

GSM8K = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "gsm8k" / "test.jsonl"
SLOW = "9^{9^{9^{9}}}"  # sympy cannot settle this quickly: a dependable timeout


def _task(reference: str, answer_type: str = "auto") -> Task:
    return Task(id="t", data={"question": "q", "answer": reference, "answer_type": answer_type})


def _check(reference: str, answer: str, answer_type: str = "auto", timeout_s: float = 5.0) -> Verdict:
    return MathVerifier(timeout_s=timeout_s).verify(_task(reference, answer_type), Candidate(answer=answer))


@pytest.fixture(scope="module")
def gsm8k_tasks() -> list[Task]:
    if not GSM8K.is_file():
        pytest.skip(f"GSM8K test data not found at {GSM8K}")
    return list(MathSource().tasks({"source": "gsm8k", "path": str(GSM8K)}))


def test_every_gsm8k_reference_verifies_against_itself(gsm8k_tasks: list[Task]) -> None:
    assert len(gsm8k_tasks) == 1319
    verifier = MathVerifier()
    for task in gsm8k_tasks:
        # The whole worked solution is the model's response; the verifier extracts '#### N' itself.
        verdict = verifier.verify(task, Candidate(answer=None, response=task.data["solution"]))
        assert verdict.status == "passed", (task.id, verdict)
        assert verdict.correct is True
        assert verdict.detail["method"] == "exact"
        assert verdict.detail["extraction"] == "####"


def test_wrong_gsm8k_answers_fail(gsm8k_tasks: list[Task]) -> None:
    verifier = MathVerifier()
    for task in gsm8k_tasks[:400]:
        reference = task.data["answer"].replace(",", "")
        for wrong in (str(int(reference) + 1), str(-int(reference) - 1), f"{reference}.5"):
            verdict = verifier.verify(task, Candidate(answer=None, response=f"So...\n#### {wrong}"))
            assert verdict.status == "failed", (task.id, wrong, verdict)
            assert verdict.correct is False


def test_gsm8k_answers_in_other_dress_pass(gsm8k_tasks: list[Task]) -> None:
    verifier = MathVerifier()
    task = next(t for t in gsm8k_tasks if "," in t.data["answer"])
    plain = task.data["answer"].replace(",", "")
    for dressed in (f"${task.data['answer']}", f"{plain}.00", f"\\boxed{{{plain}}}", f"{plain} dollars"):
        verdict = verifier.verify(task, Candidate(answer=dressed))
        assert verdict.status == "passed", (dressed, verdict)


@pytest.mark.parametrize(
    ("reference", "answer", "answer_type", "expected"),
    [
        ("\\dfrac{14}{3}", "14/3", "latex", True),
        ("14/3", "\\dfrac{14}{3}", "latex", True),
        ("3\\sqrt{13}", "\\sqrt{117}", "latex", True),
        ("3\\sqrt{13}", "\\sqrt{118}", "latex", False),
        ("70,000", "70000", "numeric", True),
        ("70000", "70,000", "auto", True),
        ("[-1,1]", "[-1, 1]", "latex", True),
        ("[-1,1]", "(-1,1)", "latex", False),
        ("[-1,1]", "[-1,2]", "latex", False),
        ("90^\\circ", "90", "latex", True),
        ("90", "90^\\circ", "numeric", True),
        ("90^\\circ", "45", "latex", False),
        ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\pi/2)", "latex", True),
        ("(1,2)", "(2,1)", "latex", False),
        ("\\frac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt{3}", "latex", True),
        ("5", "5x", "latex", False),
        ("18", "$18.00", "numeric", True),
        ("18", "18.0000001", "numeric", False),
        ("0.5", "1/2", "numeric", True),
        ("-3", "3", "numeric", False),
        ("2,125", "2125", "numeric", True),
    ],
)
def test_tricky_equivalences(reference: str, answer: str, answer_type: str, expected: bool) -> None:
    verdict = _check(reference, answer, answer_type)
    assert verdict.status == ("passed" if expected else "failed"), verdict
    assert verdict.correct is expected
    assert verdict.detail["reference"] == reference
    assert verdict.detail["extracted"] == answer
    assert verdict.detail["method"] in ("exact", "math-verify")


def test_integer_answers_use_exact_comparison_not_math_verify() -> None:
    assert _check("18", "18.0", "numeric").detail["method"] == "exact"
    assert _check("\\sqrt{2}", "1.41421356", "latex").detail["method"] == "math-verify"


def test_no_answer_fails_and_missing_reference_is_an_error() -> None:
    verdict = MathVerifier().verify(_task("3"), Candidate(answer=None, response="I do not know."))
    assert verdict.status == "failed" and verdict.detail["method"] == "none"
    bad = MathVerifier().verify(Task(id="x", data={"question": "q"}), Candidate(answer="3"))
    assert bad.status == "error" and bad.error_kind == "missing_reference"


def test_slow_equivalence_is_a_timeout_error_in_the_main_thread() -> None:
    start = time.perf_counter()
    verdict = _check(SLOW, "1", "latex", timeout_s=0.5)
    assert time.perf_counter() - start < 3
    assert verdict.status == "error" and verdict.error_kind == "verifier_timeout"
    assert verdict.correct is None
    assert _check("\\dfrac{1}{2}", "0.5", "latex").passed  # the process is still fine afterwards


def test_verify_works_from_a_non_main_thread_with_its_time_limit() -> None:
    results: dict[str, Verdict] = {}

    def run() -> None:
        results["equal"] = _check("3\\sqrt{13}", "\\sqrt{117}", "latex")
        results["slow"] = _check(SLOW, "1", "latex", timeout_s=0.5)

    try:
        worker = threading.Thread(target=run)
        worker.start()
        worker.join(60)
        assert not worker.is_alive()
    finally:
        shutdown_pool()
    assert results["equal"].status == "passed"
    assert results["slow"].status == "error" and results["slow"].error_kind == "verifier_timeout"


def test_verifier_is_picklable_for_worker_processes() -> None:
    import pickle

    verifier = pickle.loads(pickle.dumps(MathVerifier(timeout_s=2.0)))
    assert verifier.verify(_task("7"), Candidate(answer="7")).passed


def test_verdict_details_are_json_serialisable() -> None:
    verdict = _check("\\dfrac{14}{3}", "14/3", "latex")
    json.dumps(dict(verdict.detail))


def test_time_limit_leaves_an_existing_alarm_handler_in_place() -> None:
    import signal

    def mine(signum, frame):  # pragma: no cover - never fires
        pass

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        assert _check("\\dfrac{14}{3}", "14/3", "latex").passed
        assert _check(SLOW, "1", "latex", timeout_s=0.3).error_kind == "verifier_timeout"
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_verify_timeout_option_reaches_the_verifier(tmp_path: Path) -> None:
    path = tmp_path / "slow.jsonl"
    path.write_text(json.dumps({"question": "q", "answer": SLOW}) + "\n", encoding="utf-8")
    (task,) = MathSource().tasks({"path": str(path), "verify_timeout_s": 0.3, "answer_type": "latex"})
    start = time.perf_counter()
    verdict = MathVerifier(timeout_s=30).verify(task, Candidate(answer="1"))
    assert verdict.error_kind == "verifier_timeout"
    assert time.perf_counter() - start < 3
