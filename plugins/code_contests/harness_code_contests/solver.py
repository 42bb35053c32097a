"""One-shot solver: one model call, then the program is extracted from the reply."""

from __future__ import annotations

from harness import Candidate, Message, ModelClient, Task
from harness_code_contests.extract import extract_code
from harness_code_contests.prompts import build_prompt


class CodeSolver:
    """Asks for a complete Python 3 program (or the function, for HumanEval) and extracts it."""

    name = "oneshot"

    async def solve(self, task: Task, model: ModelClient) -> Candidate:
        prompt = build_prompt(task.data)
        completion = await model.complete([Message("user", prompt)])
        code = extract_code(completion.text)
        return Candidate(answer=code, prompt=prompt, response=completion.text, detail={"extracted": code is not None})
