"""The math solver: one model call with the task's prompt, then the final answer extracted."""

from __future__ import annotations

from dataclasses import dataclass

from harness import Candidate, Message, ModelClient, Task

from harness_math.extract import extract_answer
from harness_math.prompts import render_prompt


@dataclass(frozen=True)
class MathSolver:
    """Asks the model once for reasoning and a final answer."""

    name = "oneshot"

    async def solve(self, task: Task, model: ModelClient) -> Candidate:
        prompt = render_prompt(task.data)
        completion = await model.complete([Message("user", prompt)])
        answer, how = extract_answer(completion.text)
        return Candidate(answer=answer, prompt=prompt, response=completion.text, detail={"extraction": how})
