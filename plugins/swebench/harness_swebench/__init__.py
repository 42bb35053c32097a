"""The swebench domain: SWE-bench issue resolution, for real instances and a built-in offline set.

Task sources ``builtin`` (default: small repositories written for this project, built with git at run
time), ``local`` (a JSON/JSONL/Parquet file in the SWE-bench schema) and ``hub`` (SWE-bench Verified or
Lite, pinned). Verifiers ``local`` (default: git + pytest in the sandbox) and ``docker`` (the official
SWE-bench harness). Solvers come from ``harness_swebench.solvers``. Also the bank format of the SWE-bench
experiments' ``per_instance_details.json`` files, and task groups by repository (``--split group:``).
"""

from __future__ import annotations

from typing import Any

from harness import Domain, hookimpl
from harness_swebench.bank import ExperimentsFormat, repository
from harness_swebench.instance import public_view
from harness_swebench.repos import checkout
from harness_swebench.sources import HUB_REVISIONS, BuiltinSource, HubSource, LocalSource

__version__ = "0.2.0"
#: Bumped when what is asked or how it is judged changes, so old attempts are not reused.
DOMAIN_VERSION = "3"

__all__ = ["HUB_REVISIONS", "checkout", "public_view", "repository"]


def _solvers() -> tuple[list[Any], str | None]:
    """``harness_swebench.solvers.SOLVERS`` (solver objects) and ``DEFAULT_SOLVER`` (a name), when present."""
    try:
        from harness_swebench import solvers
    except ImportError:
        return [], None
    return list(getattr(solvers, "SOLVERS", [])), getattr(solvers, "DEFAULT_SOLVER", None)


@hookimpl
def register_domains(register: Any) -> None:
    register(
        Domain(
            name="swebench",
            source="builtin",
            solver=_solvers()[1],
            verifier="local",
            description="SWE-bench issue resolution: built-in set, local files or the hub; local or docker verifier",
            version=DOMAIN_VERSION,
            task_group=repository,
        )
    )


@hookimpl
def register_task_sources(register: Any) -> None:
    for source in (BuiltinSource(), LocalSource(), HubSource()):
        register("swebench", source)


@hookimpl
def register_verifiers(register: Any) -> None:
    from harness_swebench.verify import DockerVerifier, LocalVerifier

    register("swebench", LocalVerifier())
    register("swebench", DockerVerifier())


@hookimpl
def register_solvers(register: Any) -> None:
    for solver in _solvers()[0]:
        register("swebench", solver)


@hookimpl
def register_bank_formats(register: Any) -> None:
    register(ExperimentsFormat())
