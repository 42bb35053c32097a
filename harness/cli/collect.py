"""``harness collect``: verified attempts of models on a domain's tasks, into the attempt store.

On a terminal a live display shows progress; elsewhere (CI, a log file) one progress line is printed to
stderr every ``$HARNESS_PROGRESS_S`` seconds (default 15). Exit codes beyond the usual: ``3`` when the
collection finished but some of its attempts ended in errors (timeouts, a server that went away ...:
kept apart from failures and retried by the next run), ``130`` when interrupted (with ``--json`` the
partial summary is still printed).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer
from rich.console import Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from harness.cli.common import (
    EXIT_ATTEMPT_ERRORS,
    config,
    console,
    emit_json,
    err_console,
    registry,
    split_csv,
    store,
    usd,
)
from harness.cluster.connection import choose
from harness.collect.collector import CollectOptions, Collector
from harness.errors import HarnessError

OptStr = Optional[str]  # noqa: UP045 (typer needs Optional on 3.11)
OptInt = Optional[int]  # noqa: UP045
OptFloat = Optional[float]  # noqa: UP045


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def render(c: Collector) -> Group:
    """The live display: overall progress, spend and rate, then one row per model."""
    planned = sum(s.planned - s.already_done - s.skipped for s in c.stats.values())
    done = sum(s.done for s in c.stats.values())
    rate = done / c.elapsed if c.elapsed > 0 else 0.0
    cap = f" / ${c.options.max_spend:.4f}" if c.options.max_spend is not None else ""
    head = Text.assemble(
        (f"{c.domain.name} ", "bold"),
        f"{done}/{planned} attempts  ",
        ("spend ", "dim"),
        f"${c.ledger.spent:.4f}{cap}  ",
        ("rate ", "dim"),
        f"{rate:.1f}/s  ",
        ("elapsed ", "dim"),
        f"{c.elapsed:.0f}s",
    )
    table = Table(box=None, pad_edge=False, show_edge=False)
    for col in ("model", "done", "pass rate", "spend $", "errors"):
        table.add_column(col, justify="left" if col in ("model", "errors") else "right")
    for m, s in c.stats.items():
        todo = s.planned - s.already_done
        errors = ", ".join(f"{k}: {n}" for k, n in s.errors.most_common()) or "-"
        if s.skipped:
            errors += f" (spend cap: {s.skipped} not made)"
        table.add_row(m, f"{s.done}/{todo}", _pct(s.pass_rate), f"{s.cost_usd:.4f}", errors)
    bar = Table.grid()
    bar.add_row(ProgressBar(total=max(planned, 1), completed=done, width=50))
    return Group(head, bar, table)


class _SafeRender:
    """Renders from rich's refresh thread; a frame that races an update reuses the previous one."""

    def __init__(self, collector: Collector) -> None:
        self.collector = collector
        self.last: Group | None = None

    def __call__(self) -> Group:
        try:
            self.last = render(self.collector)
        except RuntimeError:  # a dict changed size while it was read
            pass
        return self.last or Group()


def progress_line(c: Collector) -> str:
    """One line of progress for a log: attempts, spend, pass rate, errors, retries, elapsed time."""
    planned = sum(s.planned - s.already_done - s.skipped for s in c.stats.values())
    if not planned:
        return f"{c.domain.name}: preparing (listing tasks, loading models), elapsed {c.elapsed:.0f}s"
    stats = list(c.stats.values())
    done = sum(s.done for s in stats)
    passed, judged = sum(s.passed for s in stats), sum(s.passed + s.failed for s in stats)
    errors = sum(sum(s.errors.values()) for s in stats)
    cap = f" of {usd(c.options.max_spend)}" if c.options.max_spend is not None else ""
    rate = f"pass {100 * passed / judged:.1f}%" if judged else "pass -"
    return (
        f"{c.domain.name}: {done}/{planned} attempts, spend {usd(c.ledger.spent)}{cap}, {rate}, "
        f"errors {errors}, retries {sum(s.retries for s in stats)}, elapsed {c.elapsed:.0f}s"
    )


class _Ticker:
    """Prints ``line()`` to stderr every ``every`` seconds from a background thread (non-TTY progress)."""

    def __init__(self, line: Callable[[], str], every: float) -> None:
        self.line, self.every = line, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="harness-progress", daemon=True)

    def __enter__(self) -> _Ticker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)  # it only ever waits on the event

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                print(f"progress: {self.line()}", file=sys.stderr, flush=True)
            except RuntimeError:  # a dict changed size while it was read: next time
                pass


def progress_every() -> float:
    """Seconds between progress lines when stderr is not a terminal (``$HARNESS_PROGRESS_S``, default 15)."""
    try:
        return max(float(os.environ.get("HARNESS_PROGRESS_S", "15")), 0.05)
    except ValueError:
        return 15.0


def _summary_lines(summary: dict[str, Any]) -> list[str]:
    lines = [
        f"collected {summary['done']} attempts of {summary['planned']} planned "
        f"({summary['already_done']} already in the store) in {summary['elapsed_s']:.1f}s; "
        f"spend {usd(summary['spend_usd'])}; run {summary['run_id']}",
    ]
    if summary["errors"]:
        lines.append(f"{summary['errors']} attempts ended in errors (not failures): run again to retry them")
    if summary.get("retries"):
        lines.append(f"{summary['retries']} requests were retried after transient failures (see each attempt's detail)")
    if summary.get("overran_models"):
        lines.append(
            f"warning: {', '.join(summary['overran_models'])} billed ${summary['spend_overrun_usd']:.6f} above the "
            "reservations (more output than max_tokens: the provider or route ignores it), so it got no more "
            "calls under --max-spend; check that the route supports max_tokens"
        )
    if summary["stopped"] == "spend_cap":
        lines.append(
            f"spend cap {usd(summary['max_spend_usd'])} reached: {summary['skipped_spend_cap']} attempts not made; "
            "run again with a higher --max-spend to complete"
        )
    return lines


def errors_line(summary: dict[str, Any]) -> str | None:
    """What stderr says when attempts of this run ended in errors (the reason for exit code 3)."""
    if not summary.get("errors"):
        return None
    kinds: dict[str, int] = {}
    for m in summary["models"].values():
        for k, n in m["errors"].items():
            kinds[k] = kinds.get(k, 0) + n
    listed = ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    return (
        f"error: {summary['errors']} attempts of this run ended in errors ({listed}), so it exits with code 3; "
        "errors are stored apart from failures, and the same command run again retries them"
    )


def run_with_progress(collector: Collector, json_out: bool = False) -> dict[str, Any]:
    """Run a collection with a live display on a terminal (a progress line every few seconds elsewhere);
    Ctrl-C says what is kept (with ``json_out``, prints the partial summary) and exits 130."""
    collector.on_stopping = lambda n: err_console.print(
        f"stopping: finishing {n} call{'' if n == 1 else 's'} in flight (Ctrl-C again to abandon them)",
        highlight=False,
        soft_wrap=True,
    )
    with contextlib.ExitStack() as progress:
        if err_console.is_terminal:
            live = Live(get_renderable=_SafeRender(collector), console=err_console, refresh_per_second=4)
            progress.enter_context(live)
        else:
            progress.enter_context(_Ticker(lambda: progress_line(collector), progress_every()))
        try:
            return collector.run()
        except KeyboardInterrupt:
            pass
    if json_out:
        emit_json(collector.summary())
        sys.stdout.flush()
    kept = sum(s.done for s in collector.stats.values())
    err_console.print(
        f"interrupted: {kept} attempts of this run are kept in the store; run the same command again to resume",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(130)


def collect(
    ctx: typer.Context,
    domain: Annotated[OptStr, typer.Option(help="domain to collect on (default: [run] domain)")] = None,
    models: Annotated[
        OptStr, typer.Option(help="comma-separated model names (default: [run] models, else [market] providers)")
    ] = None,
    attempts: Annotated[
        OptInt, typer.Option(help="attempts per task and model (default: [run] attempts in harness.toml, else 1)")
    ] = None,
    limit: Annotated[OptInt, typer.Option(help="only the first T tasks")] = None,
    max_spend: Annotated[OptFloat, typer.Option("--max-spend", help="hard cap on this run's spend, USD")] = None,
    concurrency: Annotated[OptInt, typer.Option(help="attempts in flight (default: sum of model concurrency)")] = None,
    verify_workers: Annotated[OptInt, typer.Option(help="verification processes (default: cores)")] = None,
    run_id: Annotated[OptStr, typer.Option(help="run id to record (default: a new one)")] = None,
    executor: Annotated[
        str, typer.Option(help="where solves and verifications run: local (processes here) or ray (a Ray cluster)")
    ] = "local",
    ray_address: Annotated[
        OptStr,
        typer.Option(help="--executor ray: auto, or HOST:PORT of the head (default: $RAY_ADDRESS, else a private one)"),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable summary on stdout")] = False,
) -> None:
    """Collect verified attempts of models on a domain's tasks; resumes where a previous run stopped.

    Exit codes: 0 done, 2 bad input, 3 some attempts of this run ended in errors (run it again to retry
    them), 130 interrupted (everything finished is kept).
    """
    cfg = config(ctx)
    name = domain or cfg.run.domain
    if not name:
        raise HarnessError("no domain: pass --domain D or set [run] domain in harness.toml")
    names = split_csv(models) or list(cfg.run.models) or list(cfg.market.providers)
    executor, ray_address = choose(executor, ray_address)
    for n, v in (("--concurrency", concurrency), ("--verify-workers", verify_workers)):
        if v is not None and v < 1:
            raise HarnessError(f"{n} must be at least 1 (got {v})")
    options = CollectOptions(
        domain=name,
        models=names,
        attempts=attempts if attempts is not None else cfg.run.attempts,
        limit=limit,
        max_spend=max_spend if max_spend is not None else cfg.run.max_spend_usd,
        concurrency=concurrency,
        verify_workers=verify_workers,
        run_id=run_id,
        executor=executor,
        ray_address=ray_address,
    )
    with store(ctx) as st:
        collector = Collector(cfg, registry(), st, options)
        summary = run_with_progress(collector, json_out=json_out)
    if json_out:
        emit_json(summary)
    else:
        if not err_console.is_terminal:
            console.print(render(collector))
        for line in _summary_lines(summary):
            console.print(line, highlight=False, soft_wrap=True)
    sys.stdout.flush()
    trouble = [x for x in (summary.get("stop_message"), errors_line(summary)) if x]
    for line in trouble:
        err_console.print(line, highlight=False, soft_wrap=True, markup=False)
    if summary.get("errors"):
        raise typer.Exit(EXIT_ATTEMPT_ERRORS)


def register(app: typer.Typer) -> None:
    app.command("collect")(collect)
