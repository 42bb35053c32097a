"""``harness run``: not available until the live arbitrageur lands."""

from __future__ import annotations

import typer

from harness.errors import NotAvailableError


def run() -> None:
    """Run an arbitrageur live on a stream of tasks (not available yet)."""
    raise NotAvailableError("`harness run` is not available yet: it needs the live run loop and fitted strategies")


def register(app: typer.Typer) -> None:
    app.command("run", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})(run)
