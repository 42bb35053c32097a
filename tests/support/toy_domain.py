"""A tiny domain plugin for the collect tests: 'Compute: a+b', answered by the fake server.

It uses only the public API, like a third-party plugin. Options (``[domains.toy] options``):
``count`` tasks (default 20), ``calls`` model calls per attempt (default 1), ``verify_sleep`` seconds,
``verify_raise`` (the verifier raises), ``swallow_errors`` (the solver hides call errors),
``verify_exit`` (task numbers whose verification kills the worker process).
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

from harness import Candidate, Domain, Message, Task, Verdict, hookimpl


class ToySource:
    def tasks(self, options: Any):
        count = int(options.get("count", 20))
        limit = options.get("limit")
        for i in range(count if limit is None else min(count, int(limit))):
            yield Task(
                id=f"t{i:03d}",
                data={
                    "a": i,
                    "b": 2 * i + 1,
                    "calls": int(options.get("calls", 1)),
                    "verify_sleep": float(options.get("verify_sleep", 0.0)),
                    "verify_raise": bool(options.get("verify_raise", False)),
                    "swallow_errors": bool(options.get("swallow_errors", False)),
                    "verify_exit": i in options.get("verify_exit", []),
                },
            )


class ToySolver:
    async def solve(self, task: Task, model: Any) -> Candidate:
        text = prompt = ""
        for step in range(task.data.get("calls", 1)):
            prompt = f"[{task.id} step {step}] Compute: {task.data['a']}+{task.data['b']}"
            try:
                text = (await model.complete([Message("user", prompt)])).text
            except Exception:
                if not task.data.get("swallow_errors"):
                    raise
                return Candidate(answer=None, prompt=prompt, response="")  # a sloppy solver gives up quietly
        m = re.search(r"ANSWER:\s*(-?\d+)", text)
        return Candidate(answer=m.group(1) if m else None, prompt=prompt, response=text)


class ToyVerifier:
    def verify(self, task: Task, candidate: Candidate) -> Verdict:
        if task.data.get("verify_exit"):
            os._exit(3)  # the worker process dies
        if task.data.get("verify_raise"):
            raise RuntimeError("the toy verifier was asked to crash")
        if task.data.get("verify_sleep"):
            time.sleep(task.data["verify_sleep"])
        ok = candidate.answer is not None and int(candidate.answer) == task.data["a"] + task.data["b"]
        return Verdict("passed" if ok else "failed", correct=ok)


TOY = Domain(
    name="toy", source=ToySource(), solver=ToySolver(), verifier=ToyVerifier(), description="adds two numbers (tests)"
)


@hookimpl
def register_domains(register):
    register(TOY)
