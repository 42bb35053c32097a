"""``harness analyze``, ``fit`` and ``report``: not available until the economics engine lands."""

from __future__ import annotations

import typer

from harness.errors import NotAvailableError

_MISSING = "it needs the economics engine (economics issue)"


def analyze() -> None:
    """Analyse the market a bank implies (not available yet)."""
    raise NotAvailableError(f"`harness analyze` is not available yet: {_MISSING}")


def fit() -> None:
    """Fit a strategy on source banks (not available yet)."""
    raise NotAvailableError(f"`harness fit` is not available yet: {_MISSING}")


def report() -> None:
    """Write tables and figures for a paper (not available yet)."""
    raise NotAvailableError(f"`harness report` is not available yet: {_MISSING}")


def register(app: typer.Typer) -> None:
    extra = {"ignore_unknown_options": True, "allow_extra_args": True}
    app.command("analyze", context_settings=extra)(analyze)
    app.command("fit", context_settings=extra)(fit)
    app.command("report", context_settings=extra)(report)
