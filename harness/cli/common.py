"""Helpers shared by the commands: configuration, store, plugins, JSON output."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from harness.bank import Bank
from harness.bank.formats import find_format
from harness.config import Config, load_config
from harness.registry import Registry, get_registry
from harness.store import Store

console = Console()
err_console = Console(stderr=True)


def config(ctx: typer.Context) -> Config:
    """The validated configuration for this invocation (loaded once)."""
    obj = ctx.find_root().obj
    if "config" not in obj:
        obj["config"] = load_config(obj.get("config_path"))
    return obj["config"]


def store(ctx: typer.Context) -> Store:
    """The attempt store named by the configuration."""
    cfg = config(ctx)
    return Store(cfg.store_path, keep_text=cfg.store.blobs)


def registry() -> Registry:
    return get_registry()


def emit_json(data: Any) -> None:
    """Write machine-readable output to stdout: strict JSON (no NaN or Infinity: null instead)."""
    from harness.report.format import emit_json as strict

    strict(data)


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
