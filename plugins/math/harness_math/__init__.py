"""The math domain for harness: GSM8K, MATH-500, local files or generated word problems.

Registered through the ``harness`` entry point ``math``; it uses only harness's public API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness import Domain, hookimpl

from harness_math.solver import MathSolver
from harness_math.sources import PRESETS, MathSource
from harness_math.verifier import MathVerifier

__version__ = "0.1.0"

DOMAIN_VERSION = "1"


def make_domain() -> Domain:
    """The math domain: source, one-shot solver, exact/symbolic verifier."""
    return Domain(
        name="math",
        source="generator",
        solver=MathSolver(),
        verifier=MathVerifier(),
        description="Math word problems (GSM8K, MATH-500, local files, or generated offline)",
        version=DOMAIN_VERSION,
    )


@hookimpl
def register_domains(register: Callable[[Any], None]) -> None:
    """Register the math domain."""
    register(make_domain())


@hookimpl
def register_task_sources(register: Callable[[str, Any], None]) -> None:
    """One task source per preset: the generator (the offline default), GSM8K, MATH-500, hub, local files."""
    for name in PRESETS:
        register("math", MathSource(name))
