"""The harness's contract suite for domain plugins, on the inspect domain with the local addition task."""

from __future__ import annotations

import asyncio
from typing import Any

from harness import Candidate, Completion, Task
from harness.testing import DomainContract

import harness_inspect
from harness_inspect.domain import InspectSolver


class _Answer:
    """A model client that replies with a fixed text (the solver's state then carries it to the scorer)."""

    name = "contract-model"

    def __init__(self, text: str) -> None:
        self.text = text

    async def complete(self, messages: Any, **params: Any) -> Completion:
        return Completion(text=self.text, input_tokens=10, output_tokens=3, cost_usd=1e-5)


def _solved(task: Task, text: str) -> Candidate:
    return asyncio.run(InspectSolver().solve(task, _Answer(text)))


class TestInspectDomainContract(DomainContract):
    plugin = harness_inspect
    domain = "inspect"
    options = {"task": "support/arith_tasks.py@addition"}
    good = staticmethod(lambda task: _solved(task, f"ANSWER: {task.data['sample']['target']}"))
    bad = staticmethod(lambda task: _solved(task, "ANSWER: -1"))
    good_reply = staticmethod(lambda task: f"ANSWER: {task.data['sample']['target']}")
