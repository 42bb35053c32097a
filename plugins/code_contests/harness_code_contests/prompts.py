"""The prompts of the code_contests domain: a whole program for stdin/stdout tasks, a function for HumanEval."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STDIO = """Solve the following competitive programming problem in Python 3.

{description}

Time limit: {time_limit:g} seconds. Memory limit: {memory_mb} MB.

Write one complete Python 3 program that reads the input from standard input and prints the answer to
standard output. Reply with the program in a single ```python code block."""

FUNCTION = """Complete the following Python function.

```python
{prompt}```

Reply with the complete function (its signature, body and any imports it needs) in a single ```python
code block."""


def build_prompt(data: Mapping[str, Any]) -> str:
    """The user message for a task's data (kind ``stdio`` or ``function``)."""
    if data.get("kind") == "function":
        return FUNCTION.format(prompt=data["prompt"])
    return STDIO.format(
        description=str(data["description"]).strip(),
        time_limit=float(data.get("time_limit_s") or 2.0),
        memory_mb=int(data.get("memory_limit_bytes") or 256 * 1024 * 1024) // (1024 * 1024),
    )
