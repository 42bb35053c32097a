"""The hook specifications: the whole plugin interface of the harness.

Registration hooks receive a ``register`` callback, as in ``simonw/llm``: a plugin calls it once for
each thing it provides. Every hook here is documented in README.md (a test checks it). The hooks follow
the pipeline: task sources, solvers and verifiers (grouped into domains), providers, strategies, bank
formats, and the observers of recorded attempts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT = "harness"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_domains(register: Callable[[Any], None]) -> None:
    """Register domains: call ``register(domain)`` with a :class:`harness.Domain` for each one."""


@hookspec
def register_task_sources(register: Callable[[str, Any], None]) -> None:
    """Register task sources for existing domains: ``register(domain_name, source)``; ``source.name``
    is what ``[domains.<d>] source = "<name>"`` picks."""


@hookspec
def register_solvers(register: Callable[[str, Any], None]) -> None:
    """Register solvers for existing domains: ``register(domain_name, solver)``; ``solver.name`` is
    what ``[domains.<d>] solver = "<name>"`` picks."""


@hookspec
def register_verifiers(register: Callable[[str, Any], None]) -> None:
    """Register verifiers for existing domains: ``register(domain_name, verifier)``; ``verifier.name``
    is what ``[domains.<d>] verifier = "<name>"`` picks."""


@hookspec
def register_providers(register: Callable[[Any], None]) -> None:
    """Register model providers: call ``register(provider)`` with a :class:`harness.Provider`."""


@hookspec
def register_strategies(register: Callable[[Any], None]) -> None:
    """Register arbitrage strategies: call ``register(factory)``; ``factory.name`` names the strategy
    and ``factory()`` returns a fresh :class:`harness.Strategy`."""


@hookspec
def register_bank_formats(register: Callable[[Any], None]) -> None:
    """Register readers of result files as banks: ``register(fmt)`` with a :class:`harness.BankFormat`
    (``harness import`` and ``--bank`` try each format's ``detect``)."""


@hookspec
def attempt_recorded(attempt: Any) -> None:
    """Observe every attempt once it is committed to the store (exporters, live dashboards).

    Called after the transaction commits; an observer must not raise or block for long.
    """
