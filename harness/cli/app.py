"""The ``harness`` command line app. Each command group lives in ``harness/cli/<name>.py``.

Exit codes: 0 success, 2 bad input or configuration (one line on stderr per problem), 1 an internal
error (a short message; the traceback only with ``--debug``), 3 a collection whose attempts ended in
errors (``harness collect``), 130 interrupted.

Every command validates the configuration it is given (``--config``, ``$HARNESS_CONFIG`` or
./harness.toml) before it does anything, even one that does not read it (``harness plugins``): a missing
file or a broken one is an error, not silently ignored. ``--help`` works whatever the configuration.

Help is rendered as plain text (``rich_markup_mode=None``): typer's rich panels read ``[run]`` in a help
string as markup and drop it, and label every flag ``<bool>``.
"""

from __future__ import annotations

import gc
import importlib
import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import click
import typer

from harness import __version__
from harness.cli.common import config as validated_config
from harness.errors import HarnessError

COMMAND_MODULES = ("plugins", "plugin", "bank_io", "collect", "analyze", "run", "sandbox")

app = typer.Typer(
    name="harness",
    help="Benchmark harness for computational arbitrage in AI model markets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"harness {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    config: Annotated[
        Optional[Path],  # noqa: UP045 (typer needs Optional on 3.11)
        typer.Option("--config", "-c", help="harness.toml to use (default: $HARNESS_CONFIG or ./harness.toml)"),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="show tracebacks of internal errors")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    help_only = bool((ctx.obj or {}).get("help"))
    ctx.obj = {"config_path": config, "debug": debug}
    if not help_only:
        validated_config(ctx)  # every command: a missing or broken configuration fails before anything runs


for _name in COMMAND_MODULES:
    importlib.import_module(f"harness.cli.{_name}").register(app)


# typer may vendor its own copy of click: catch the exceptions of both.
_EXIT = (click.exceptions.Exit, typer.Exit)
_ABORT = (click.exceptions.Abort, typer.Abort)
_USAGE = (click.ClickException, getattr(typer, "TyperException", click.ClickException))
_PATH_ERRORS = (FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError, PermissionError)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app and map every failure to its exit code."""
    try:
        _main(sys.argv[1:] if argv is None else argv)
    finally:
        if argv is None:  # the process ends now (not a caller's, e.g. a test's, own call)
            # Everything is written. Interpreter teardown would garbage-collect every object litellm and
            # friends created (seconds on a busy machine, after a Ctrl-C too): frozen objects are skipped.
            gc.freeze()


def _main(args: list[str]) -> None:
    debug = "--debug" in args
    wants_help = any(a in ("--help", "-h") for a in args)
    try:
        result = app(args=args, prog_name="harness", standalone_mode=False, obj={"help": wants_help})
    except _EXIT as exc:
        sys.exit(exc.exit_code)
    except _USAGE as exc:  # usage errors: click's own message, exit 2
        exc.show()
        sys.exit(exc.exit_code)
    except _ABORT:
        print("aborted", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("interrupted: everything completed so far is kept", file=sys.stderr)
        sys.exit(130)
    except HarnessError as exc:
        if debug:
            traceback.print_exc()
        for line in str(exc).splitlines() or [""]:  # several problems: one line each
            print(f"error: {line}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except _PATH_ERRORS as exc:  # a path the user named cannot be read or written: bad input, not a bug
        if debug:
            traceback.print_exc()
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}; check the path (or choose another)", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:  # an internal error: short message, traceback on request
        if debug:
            traceback.print_exc()
        print(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=sys.stderr)
        sys.exit(1)
    sys.exit(result if isinstance(result, int) else 0)
