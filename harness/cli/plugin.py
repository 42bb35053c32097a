"""``harness plugin new NAME``: write a working third-party domain plugin package to start from.

A command group of its own (``plugin``) beside ``plugins`` (the listing), so later commands for plugin
authors have a home.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from harness.cli.common import console
from harness.cli.plugin_template import write_plugin

group = typer.Typer(help="Tools for plugin authors: `harness plugin new NAME` writes a plugin package.")


@group.command("new")
def new(
    name: Annotated[str, typer.Argument(help="the domain's name (lowercase letters, digits, underscores)")],
    directory: Annotated[
        Path, typer.Option("--dir", "-d", help="folder to create the package in (default: the current one)")
    ] = Path("."),
) -> None:
    """Write harness-NAME/: pyproject (entry point), a domain (source, solver, verifier), tests adopting
    harness.testing's contract suite, a README. It installs and passes its tests as generated."""
    root = write_plugin(name, directory)
    console.print(f"created {root}", highlight=False, soft_wrap=True)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        console.print(f"  {path.relative_to(root)}", highlight=False, soft_wrap=True)
    console.print(
        f"next: pip install -e {root} && python -m pytest {root}   (then `harness plugins` lists {name})",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(group, name="plugin")
