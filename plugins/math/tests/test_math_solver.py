"""The solver with a fake model, the plugin's discovery, and parallel verification."""

import asyncio
from collections.abc import Sequence
from typing import Any

from harness import Candidate, Completion, Message, ModelClient, Task

from harness_math.generator import generate
from harness_math.parallel import verify_many
from harness_math.prompts import GSM8K_TEMPLATE
from harness_math.solver import MathSolver
from harness_math.verifier import MathVerifier


class FakeModel:
    """A ModelClient that answers from a script and records what it was asked."""

    name = "fake"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.calls: list[list[Message]] = []

    async def complete(self, messages: Sequence[Message], **params: Any) -> Completion:
        self.calls.append(list(messages))
        return Completion(text=self.reply, input_tokens=10, output_tokens=5, model=self.name)


def _solve(task: Task, model: FakeModel) -> Candidate:
    return asyncio.run(MathSolver().solve(task, model))


def test_solver_asks_once_and_extracts_the_answer() -> None:
    task = Task(id="t", data={"question": "What is 6 * 7?", "answer": "42", "style": "gsm8k"})
    model = FakeModel("6 * 7 = 42\n#### 42")
    assert isinstance(model, ModelClient)
    candidate = _solve(task, model)
    assert len(model.calls) == 1 and len(model.calls[0]) == 1
    message = model.calls[0][0]
    assert message.role == "user" and "What is 6 * 7?" in message.content and "####" in message.content
    assert candidate.prompt == message.content
    assert candidate.response == "6 * 7 = 42\n#### 42"
    assert candidate.answer == "42" and candidate.detail["extraction"] == "####"
    assert MathVerifier().verify(task, candidate).passed


def test_solver_uses_the_math_style_and_custom_templates() -> None:
    model = FakeModel("so \\boxed{\\frac{1}{2}}")
    candidate = _solve(Task(id="m", data={"question": "Half?", "style": "math"}), model)
    assert "\\boxed{}" in candidate.prompt and candidate.answer == "\\frac{1}{2}"
    custom = Task(id="c", data={"question": "Half?", "prompt_template": "{question} -> \\boxed{}"})
    assert _solve(custom, FakeModel("1")).prompt == "Half? -> \\boxed{}"
    assert (
        GSM8K_TEMPLATE.replace("{question}", "Half?")
        == _solve(Task(id="g", data={"question": "Half?"}), FakeModel("1")).prompt
    )


def test_solver_returns_none_when_the_model_gives_no_answer() -> None:
    candidate = _solve(Task(id="t", data={"question": "?", "answer": "3"}), FakeModel("I am unsure."))
    assert candidate.answer is None
    assert MathVerifier().verify(Task(id="t", data={"answer": "3"}), candidate).status == "failed"


def test_plugin_is_discovered_through_its_entry_point(monkeypatch: Any) -> None:
    from importlib.metadata import entry_points

    from harness.registry import load_plugins

    # Other domain plugins are blocked so that one of them failing to import cannot fail this test.
    others = [ep.name for ep in entry_points(group="harness") if not ep.value.startswith(("harness.", "harness_math"))]
    monkeypatch.delenv("HARNESS_DISABLE_PLUGINS", raising=False)
    monkeypatch.setenv("HARNESS_BLOCK_PLUGINS", ",".join(others))
    registry = load_plugins()
    assert "math" in registry.domains
    assert registry.owner("domains", "math") == "math"
    domain = registry.setup("math")
    assert (domain.source_name, domain.solver_name, domain.verifier_name) == ("generator", "oneshot", "exact")
    tasks = list(domain.source.tasks({"limit": 3}))
    assert len(tasks) == 3
    solution = tasks[0].data["solution"]
    candidate = asyncio.run(domain.solver.solve(tasks[0], FakeModel(solution)))
    assert domain.verifier.verify(tasks[0], candidate).passed


def test_verify_many_in_parallel_matches_serial() -> None:
    tasks = list(generate(seed=11, count=96))
    pairs = [
        (t, Candidate(answer=t.data["answer"] if i % 3 else str(int(t.data["answer"]) + 1)))
        for i, t in enumerate(tasks)
    ]
    pairs.append(
        (Task(id="x", data={"answer": "3\\sqrt{13}", "answer_type": "latex"}), Candidate(answer="\\sqrt{117}"))
    )
    serial = verify_many(MathVerifier(), pairs, workers=1)
    parallel = verify_many(MathVerifier(), pairs, workers=2, chunk_size=16)
    assert [v.status for v in parallel] == [v.status for v in serial]
    assert [v.passed for v in serial] == [bool(i % 3) for i in range(96)] + [True]
