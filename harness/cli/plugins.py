"""``harness plugins``: every loaded plugin, its version, origin, hooks and what it registered per hook."""

from __future__ import annotations

import textwrap
from typing import Annotated, Any

import typer

from harness.cli.common import console, emit_json, registry
from harness.registry import KINDS

_LABEL = {k: k.replace("_", " ") for k in KINDS}


def plugin_rows() -> list[dict[str, Any]]:
    """One record per plugin: name, version, origin, hooks, and the names registered for each kind."""
    return [
        {"name": i.name, "version": i.version, "origin": i.origin, "hooks": i.hooks, **i.registered}
        for i in registry().infos.values()
    ]


def render(rows: list[dict[str, Any]], width: int) -> list[str]:
    """The plugins as indented blocks wrapped to ``width`` columns (names are never cut)."""
    label = max(len(v) for v in _LABEL.values()) + 2
    lines: list[str] = []
    for r in rows:
        lines.append(f"{r['name']} {r['version'] or '-'}  ({r['origin']})")
        fields = [("hooks", [h for h in r["hooks"]])] + [(_LABEL[k], r[k]) for k in KINDS if r[k]]
        for name, values in fields:
            head = f"  {name:<{label}}"
            body = textwrap.wrap(
                ", ".join(values), max(20, width - len(head)), break_long_words=False, break_on_hyphens=False
            ) or ["-"]
            lines.append(head + body[0])
            lines.extend(" " * len(head) + more for more in body[1:])
        lines.append("")
    return lines[:-1]


def plugins(json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False) -> None:
    """List plugins with their version, origin, hooks and what each registered (domains, task sources,
    solvers, verifiers, providers, strategies, bank formats)."""
    rows = plugin_rows()
    if json_out:
        emit_json(rows)
        return
    for line in render(rows, max(console.width, 60)):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("plugins")(plugins)
