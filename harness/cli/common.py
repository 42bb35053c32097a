"""Helpers shared by the commands: configuration, store, plugins, JSON output, money formatting."""

from __future__ import annotations

import contextlib
import difflib
import json
import sys
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import typer
from rich.console import Console

from harness.bank import Bank
from harness.bank.formats import find_format
from harness.config import Config, load_config
from harness.errors import HarnessError
from harness.registry import Registry, get_registry
from harness.store import Store

console = Console()
err_console = Console(stderr=True)

#: Exit code of a collection that finished but some of whose attempts ended in errors (retried next run).
EXIT_ATTEMPT_ERRORS = 3
#: Significant digits of the floats ``--json`` prints (sums of dollars are not printed as 0.00044280000000000003).
JSON_DIGITS = 15


def config(ctx: typer.Context) -> Config:
    """The validated configuration for this invocation (loaded once)."""
    obj = ctx.find_root().obj
    if "config" not in obj:
        obj["config"] = load_config(obj.get("config_path"))
    return obj["config"]


def store_origin(cfg: Config) -> str:
    """One line naming the store a command uses and where that path came from."""
    where = f"[store] path of {Path(cfg.path).resolve()}" if cfg.path else "default: no configuration file"
    return f"store: {cfg.store_path} ({where})"


_DONE = (typer.Exit, click.exceptions.Exit, KeyboardInterrupt)


@contextlib.contextmanager
def store(ctx: typer.Context) -> Iterator[Store]:
    """The attempt store named by the configuration; says on stderr which one it was (a store path is
    relative to its configuration file, so ``--config ../other.toml`` opens another store)."""
    cfg = config(ctx)
    with Store(cfg.store_path, keep_text=cfg.store.blobs) as st:
        try:
            yield st
        except _DONE:  # finished with an exit code of its own (interrupted, errors in attempts)
            err_console.print(store_origin(cfg), highlight=False, soft_wrap=True, markup=False)
            raise
    err_console.print(store_origin(cfg), highlight=False, soft_wrap=True, markup=False)


def registry() -> Registry:
    return get_registry()


def round_floats(data: Any, digits: int = JSON_DIGITS) -> Any:
    """``data`` with every finite float rounded to ``digits`` significant digits (for printing)."""
    if isinstance(data, float):
        return float(f"{data:.{digits}g}") if data == data and abs(data) != float("inf") else data
    if isinstance(data, dict):
        return {k: round_floats(v, digits) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [round_floats(v, digits) for v in data]
    return data


def emit_json(data: Any) -> None:
    """Write machine-readable output to stdout (floats to 15 significant digits)."""
    json.dump(round_floats(data), sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def usd(x: float | None, digits: int = 4) -> str:
    """Dollars to ``digits`` significant digits, never in exponent form: $0.0004428, $0.05, $140.2."""
    if x is None:
        return "-"
    return "$" + format(Decimal(f"{x:.{digits}g}"), "f")


def split_csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def bank_from_path(path: str | Path, fmt: str | None = None) -> tuple[Bank, str | None]:
    """The bank at ``path`` in whichever registered format it is, and the domain that format names."""
    found = find_format(path, registry().bank_formats, fmt)
    return found.read(Path(path)), getattr(found, "domain", None)


def task_groups(domain: str | None) -> Callable[[str], str] | None:
    """How ``domain`` groups its task ids (for ``--split group:NAME``), if it is installed and says."""
    if domain is None or domain not in registry().domains:
        return None
    return registry().domains[domain].task_group


# ---- what a store holds ---------------------------------------------------------------------------


def held(st: Store, run_id: str | None = None, fingerprint: str | None = None) -> dict[str, int]:
    """The store's domains (with attempts matching the filters) and their number of models."""
    return st.domains(run_id=run_id, fingerprint=fingerprint)


def describe(domains: dict[str, int]) -> str:
    """``math (2 models), swebench (5 models)``."""
    return ", ".join(f"{d} ({n} model{'' if n == 1 else 's'})" for d, n in domains.items()) or "nothing"


def _close(name: str, names: list[str]) -> str:
    match = difflib.get_close_matches(name, names, n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def store_bank(
    st: Store, domain: str | None, run_id: str | None = None, fingerprint: str | None = None
) -> tuple[Bank, str | None]:
    """The store's bank for these filters, and its domain (the only one it holds when none is named).

    An unknown domain, or no domain named on a store that holds several, is one line naming the domains
    the store holds (and those installed), not an error about models further down.
    """
    have = held(st, run_id, fingerprint)
    if domain is not None and domain not in have:
        installed = sorted(registry().domains)
        hint = "collect it first" if domain in installed else f"domains installed: {', '.join(installed) or 'none'}"
        raise HarnessError(
            f"the store {st.path} has no attempts in domain {domain!r}{_close(domain, [*have, *installed])}; "
            f"it holds {describe(have)}; {hint}"
        )
    if domain is None and len(have) > 1:
        raise HarnessError(f"the store {st.path} holds several domains: {describe(have)}; choose one with --domain")
    bank = st.bank(domain=domain, run_id=run_id, fingerprint=fingerprint)
    if not bank.models:
        raise HarnessError(
            f"the store {st.path} has no attempts for these filters (it holds {describe(held(st))}): "
            "give --bank PATH, check --run-id/--fingerprint, or collect first"
        )
    return bank, domain if domain is not None else next(iter(have), None)


def check_domain_name(st: Store, domain: str, new: bool) -> None:
    """A domain no plugin registers and the store does not hold yet needs ``--new-domain``: a typo would
    otherwise silently start a new domain."""
    if new:
        return
    installed = sorted(registry().domains)
    have = held(st)
    if domain in installed or domain in have:
        return
    raise HarnessError(
        f"no installed plugin registers domain {domain!r}{_close(domain, [*installed, *have])} and the store "
        f"holds no attempts in it (installed: {', '.join(installed) or 'none'}; the store holds {describe(have)}); "
        "pass --new-domain to create it"
    )
