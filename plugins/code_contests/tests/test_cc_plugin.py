"""The plugin is discovered through its entry point; the solver prompts once and extracts the code."""

from __future__ import annotations

import asyncio
import pickle
from concurrent.futures import ProcessPoolExecutor

from harness_code_contests import CodeSolver, CodeVerifier, make_domain
from harness_code_contests.sources import CodeContestsSource

from harness import Candidate, Completion, Message
from harness.registry import load_plugins


class FakeModel:
    name = "fake"

    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.calls: list[list[Message]] = []

    async def complete(self, messages, **params):
        self.calls.append(list(messages))
        return Completion(text=self.reply, model=self.name)


def test_plugin_is_discovered():
    registry = load_plugins()
    domain = registry.domains["code_contests"]
    assert domain.name == "code_contests" and isinstance(domain.verifier, CodeVerifier)


def test_solver_prompts_once_and_extracts():
    task = next(iter(CodeContestsSource().tasks({"limit": 1})))
    model = FakeModel("Idea: add.\n```python\na, b = map(int, input().split())\nprint(a + b)\n```\n")
    cand = asyncio.run(CodeSolver().solve(task, model))
    assert len(model.calls) == 1 and model.calls[0][0].role == "user"
    prompt = model.calls[0][0].content
    assert task.data["description"] in prompt and "Python 3" in prompt and "standard input" in prompt
    assert cand.answer == "a, b = map(int, input().split())\nprint(a + b)"
    assert cand.prompt == prompt and cand.response == model.reply
    assert make_domain().verifier.verify(task, cand).correct


def test_humaneval_prompt_asks_for_the_function():
    task = next(iter(CodeContestsSource().tasks({"source": "humaneval", "limit": 1})))
    model = FakeModel("```python\ndef has_close_elements(numbers, threshold):\n    return False\n```")
    cand = asyncio.run(CodeSolver().solve(task, model))
    assert task.data["prompt"] in cand.prompt and "complete function" in cand.prompt
    assert cand.answer.startswith("def has_close_elements")


def _verify_in_worker(args):
    verifier, task, candidate = args
    return verifier.verify(task, candidate)


def test_verifier_runs_in_a_worker_process():
    domain = make_domain()
    task = next(iter(CodeContestsSource().tasks({"limit": 1})))
    verifier = pickle.loads(pickle.dumps(domain.verifier))
    cand = Candidate(answer="a, b = map(int, input().split())\nprint(a + b)\n")
    with ProcessPoolExecutor(max_workers=1) as pool:
        verdict = pool.submit(_verify_in_worker, (verifier, task, cand)).result(timeout=60)
    assert verdict.passed and verdict.correct and verdict.detail["isolation"]
