"""inspect-ai interop for harness: inspect logs in and out, and any inspect task as a domain.

Registered through the ``harness`` entry point ``inspect``. It registers the bank format ``inspect``
(``harness import``/``--bank`` read ``.eval``/``.json`` logs; ``harness export --format inspect`` writes
them) and the domain ``inspect`` (``[domains.inspect] options.task`` names the inspect task). inspect is
imported only when one of them is used: it takes seconds, and other commands should not pay for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness import Domain, hookimpl

from harness_inspect.domain import InspectSolver, InspectSource, InspectVerifier
from harness_inspect.fmt import InspectFormat

__version__ = "0.1.0"

DOMAIN_VERSION = "1"


def make_domain() -> Domain:
    """The inspect domain: the chosen inspect task's dataset, solver chain and scorers."""
    return Domain(
        name="inspect",
        source=InspectSource(),
        solver=InspectSolver(),
        verifier=InspectVerifier(),
        description="an inspect-ai task ([domains.inspect] options.task): its dataset, solver and scorer",
        version=DOMAIN_VERSION,
    )


@hookimpl
def register_domains(register: Callable[[Any], None]) -> None:
    """Register the inspect domain."""
    register(make_domain())


@hookimpl
def register_bank_formats(register: Callable[[Any], None]) -> None:
    """Register the inspect log format."""
    register(InspectFormat())
