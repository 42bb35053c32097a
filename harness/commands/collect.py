"""``harness collect``: not available until the providers issue lands."""

from __future__ import annotations

import typer

from harness.errors import NotAvailableError


def collect() -> None:
    """Collect verified attempts of models on a domain's tasks (not available yet)."""
    raise NotAvailableError(
        "`harness collect` is not available yet: it needs the collection pipeline (providers issue)"
    )


def register(app: typer.Typer) -> None:
    app.command("collect", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})(collect)
