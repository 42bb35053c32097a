"""The ``harness`` command line: ``app`` (typer) and ``main`` (exit codes); one module per command group."""

from harness.cli.app import app, main

__all__ = ["app", "main"]
