"""The banks a run needs before it serves: the market's (providers on the target domain), the target's own
(for ``optimal``), and other domains' (for ``robust``/``adaptive``), from files or the store.

A bank from the store is the attempts of the *current* experiment (each model's fingerprint under this
configuration), so a changed prompt or model setting never mixes with old attempts. A bank the store does
not hold is collected first when ``collect_missing`` is on (within the fit budget and the run's spend
cap, with progress), else it is one clear line saying how to make it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.bank import Bank
from harness.collect.collector import CollectOptions
from harness.collect.plan import fingerprints
from harness.config import Config
from harness.errors import HarnessError


@dataclass
class BankPlan:
    """How missing banks are made: collect them, with how many tasks and attempts, through ``collect``."""

    collect_missing: bool
    tasks: int
    attempts: int
    collect: Callable[[CollectOptions, str], dict[str, Any]]  # (options, why) -> the collection's summary
    spent_usd: float = 0.0
    collected: list[dict[str, Any]] | None = None


def store_bank(config: Config, registry: Any, store: Any, domain: str, models: Sequence[str]) -> Bank:
    """The store's attempts of ``models`` on ``domain`` under this configuration's fingerprints."""
    setup = registry.setup(domain, config.domain_options(domain))
    fps = fingerprints(config, setup, {m: config.model(m) for m in models})
    entries: dict[str, Any] = {}
    for m in models:
        part = store.bank(domain=domain, models=[m], fingerprint=fps[m])
        if m in part.entries and part.entries[m]:
            entries[m] = part.entries[m]
    return Bank(entries)


def ensure_bank(
    config: Config,
    registry: Any,
    store: Any,
    domain: str,
    models: Sequence[str],
    plan: BankPlan,
    why: str,
    budget_usd: float | None,
) -> Bank:
    """The store bank of ``models`` on ``domain``; collected first when it lacks a model and ``plan`` allows."""
    bank = store_bank(config, registry, store, domain, models)
    missing = [m for m in models if m not in bank.entries]
    if not missing:
        return bank
    if not plan.collect_missing:
        raise HarnessError(
            f"{why}: the store has no attempts of {', '.join(missing)} on domain {domain!r} under this "
            f"configuration; collect them (harness collect --domain {domain} --models {','.join(models)} "
            f"--attempts {plan.attempts} --limit {plan.tasks}) or give a bank file"
        )
    if budget_usd is not None and budget_usd <= 0:
        raise HarnessError(f"{why}: no money left to collect a bank on {domain!r} (raise --max-spend or --fit-budget)")
    options = CollectOptions(
        domain=domain, models=list(models), attempts=plan.attempts, limit=plan.tasks, max_spend=budget_usd
    )
    summary = plan.collect(options, why)
    plan.spent_usd += float(summary.get("spend_usd") or 0.0)
    plan.collected = [*(plan.collected or []), {"domain": domain, "why": why, **_brief(summary)}]
    bank = store_bank(config, registry, store, domain, models)
    still = [m for m in models if m not in bank.entries]
    if still:
        raise HarnessError(f"{why}: collecting on {domain!r} gave no usable attempt of {', '.join(still)}")
    return bank


def other_domains(store: Any, domain: str, models: Sequence[str]) -> list[str]:
    """Every other domain in the store that holds (non-error) attempts of all ``models``."""
    held: dict[str, set[str]] = {}
    for a in store.attempts(models=list(models)):
        if a.verdict != "error":
            held.setdefault(a.domain, set()).add(a.model)
    return sorted(d for d, ms in held.items() if d != domain and set(models) <= ms)


def _brief(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: summary.get(k) for k in ("done", "already_done", "spend_usd", "elapsed_s", "run_id")}
