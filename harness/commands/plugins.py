"""``harness plugins``: every loaded plugin, its version, origin and what it registered."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from harness.commands.common import console, emit_json, registry
from harness.plugins import KINDS


def plugins(json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False) -> None:
    """List plugins with their version, origin, hooks and registered domains/providers/strategies."""
    reg = registry()
    rows = [
        {"name": i.name, "version": i.version, "origin": i.origin, "hooks": i.hooks, **i.registered}
        for i in reg.infos.values()
    ]
    if json_out:
        emit_json(rows)
        return
    table = Table(title="harness plugins")
    for col in ("plugin", "version", "origin", "hooks", *KINDS):
        table.add_column(col)
    for r in rows:
        hooks = ", ".join(h.removeprefix("register_") for h in r["hooks"])
        table.add_row(r["name"], r["version"] or "-", r["origin"], hooks, *(", ".join(r[k]) or "-" for k in KINDS))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
