"""SWE-bench instances: the schema, what a solver may show a model, and the tests an instance grades by.

A task's ``data`` is one SWE-bench instance (the dataset's columns, ``FAIL_TO_PASS``/``PASS_TO_PASS`` as
JSON-encoded lists) plus ``harness_options``, the local settings the task source was given (where your
clones are, the verifier's limits): the core hands verifiers only the task and the candidate, so those
settings travel with the task.

``patch`` (the gold fix), ``test_patch`` and the test lists are the answer key. A solver must show a
model only :func:`public_view`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from harness import HarnessError, Task

#: The SWE-bench instance schema (the columns of SWE-bench, Lite and Verified).
FIELDS = (
    "repo",
    "instance_id",
    "base_commit",
    "patch",
    "test_patch",
    "problem_statement",
    "hints_text",
    "created_at",
    "version",
    "FAIL_TO_PASS",
    "PASS_TO_PASS",
    "environment_setup_commit",
)
#: What a solver may put in front of a model: the issue and where the code is, never the answer key.
PUBLIC_FIELDS = ("instance_id", "repo", "base_commit", "problem_statement", "hints_text", "created_at", "version")
#: Columns an instance must have for the harness to verify it.
REQUIRED = ("instance_id", "repo", "base_commit", "test_patch", "FAIL_TO_PASS", "PASS_TO_PASS")
OPTIONS_KEY = "harness_options"
#: ``[domains.swebench.options] solver_options``, copied into each task for the solvers.
SOLVER_OPTIONS_KEY = "solver_options"


def public_view(task: Task) -> dict[str, Any]:
    """What a solver may show the model: issue text, hints, repository, base commit, date and version.

    Never ``patch``, ``test_patch``, ``FAIL_TO_PASS`` or ``PASS_TO_PASS`` (the answer key).
    """
    return {k: task.data[k] for k in PUBLIC_FIELDS if k in task.data}


def listed_tests(data: Mapping[str, Any], key: str) -> list[str]:
    """``FAIL_TO_PASS`` or ``PASS_TO_PASS`` as a list (the dataset stores JSON text; Parquet may hold lists)."""
    value = data.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise HarnessError(f"swebench: instance {data.get('instance_id')!r}: {key} is not a JSON list") from None
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise HarnessError(f"swebench: instance {data.get('instance_id')!r}: {key} must be a list of test names")
    return list(value)


def options_of(task: Task) -> Mapping[str, Any]:
    """The local settings the task source attached (``[domains.swebench.options]``)."""
    opts = task.data.get(OPTIONS_KEY)
    return opts if isinstance(opts, Mapping) else {}


def check_row(row: Mapping[str, Any], where: str) -> None:
    """One line naming the missing column when ``row`` is not a SWE-bench instance."""
    missing = [k for k in REQUIRED if k not in row]
    if missing:
        raise HarnessError(
            f"swebench: {where}: instance {row.get('instance_id', '?')!r} has no {', '.join(missing)} column "
            f"(SWE-bench schema: {', '.join(FIELDS)})"
        )
    listed_tests(row, "FAIL_TO_PASS")
    listed_tests(row, "PASS_TO_PASS")


def to_task(row: Mapping[str, Any], split: str | None, options: Mapping[str, Any], solver_options: Any = None) -> Task:
    """A task holding the instance, the local settings its verifier needs and the solvers' options."""
    data = {k: v for k, v in row.items() if k not in (OPTIONS_KEY, SOLVER_OPTIONS_KEY)}
    data[OPTIONS_KEY] = dict(options)
    if solver_options is not None:
        data[SOLVER_OPTIONS_KEY] = solver_options
    return Task(id=str(row["instance_id"]), data=data, split=split)
