"""``harness run``: the live arbitrageur on a stream of a domain's tasks, or replayed on a recorded bank."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import threading
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.live import Live
from rich.table import Table
from rich.text import Text

from harness.arbitrage.banks import BankPlan
from harness.arbitrage.ledger import Ledger, TaskRecord
from harness.arbitrage.outputs import write_outputs
from harness.arbitrage.run import RunFailed, RunInterrupted, Runner, RunOptions, RunResult
from harness.bank.formats import read_bank
from harness.cli.collect import progress_every
from harness.cli.common import config, console, emit_json, err_console, registry, split_csv, store
from harness.cluster.connection import choose
from harness.collect.collector import CollectOptions, Collector
from harness.config import Config
from harness.errors import HarnessError

Opt = Optional  # noqa: UP045 (typer needs Optional on 3.11)


def parse_stages(value: str | None) -> list[list[Any]] | None:
    """``model:usd,model:usd`` (``inf`` or nothing for the rest) to ``[[model, usd], ...]``."""
    if not value:
        return None
    out: list[list[Any]] = []
    for part in split_csv(value):
        model, _, usd = part.rpartition(":")
        if not model:
            model, usd = usd, "inf"
        try:
            out.append([model, math.inf if usd in ("", "inf", "rest") else float(usd)])
        except ValueError:
            raise HarnessError(f"--stages must look like model:usd,model:usd (got {part!r})") from None
    return out


def _strategy_file(path: Path) -> list[list[Any]]:
    """The stages of a `harness fit` JSON: its ``models`` and ``thresholds_usd`` (null: the rest of this run's
    budget, whatever budget the fit had), else its ``stages`` (those spell the rest under the fit's budget)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HarnessError(f"{path}: cannot read a `harness fit` strategy JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("stages"), list):
        raise HarnessError(f"{path}: expected a `harness fit` JSON with 'stages': [[model, usd], ...]")
    models, values = data.get("models"), data.get("thresholds_usd")
    if isinstance(models, list) and isinstance(values, list) and len(models) == len(values):
        return [[m, math.inf if t is None else t] for m, t in zip(models, values, strict=True) if t != 0]
    return data["stages"]


def _names(bank_path: Path | None, names: list[str]) -> list[str]:
    """Model names as the replay bank spells them (a unique suffix or substring is enough)."""
    if bank_path is None or not names:
        return names
    from harness.cli.analyze import resolve_models

    return resolve_models(read_bank(bank_path), names)


def build_options(cfg: Config, a: dict[str, Any]) -> RunOptions:
    """The run's options from the command line (``a``) over ``[run]`` and ``[market]``."""
    domain = a["domain"] or cfg.run.domain
    if not domain:
        raise HarnessError("no domain: pass --domain D or set [run] domain in harness.toml")
    models = _names(a["replay"], split_csv(a["models"]) or list(cfg.run.models) or list(cfg.market.providers))
    if not models:
        raise HarnessError("no models: pass --models cheap,strong or set [market] providers in harness.toml")
    providers = _names(a["replay"], split_csv(a["providers"]) or list(cfg.market.providers))
    if a["replay"] is not None and not split_csv(a["providers"]):
        held = read_bank(a["replay"]).models
        providers = [p for p in providers if p in held] or list(models)
    opts: dict[str, Any] = {}
    stages = parse_stages(a["stages"]) or (_strategy_file(a["strategy_file"]) if a["strategy_file"] else None)
    stages = stages or (cfg.run.stages or None)
    if stages:
        named = _names(a["replay"], [str(m) for m, *_ in stages])
        opts["stages"] = [[m, *rest] for m, (_, *rest) in zip(named, stages, strict=True)]
    if a["model"]:
        opts["model"] = _names(a["replay"], [a["model"]])[0]
    executor, ray_address = choose(a.get("executor", "local"), a.get("ray_address"))
    return RunOptions(
        domain=domain,
        strategy=a["strategy"] or cfg.run.strategy,
        models=tuple(models),
        providers=tuple(providers or models),
        budget_usd=a["budget"] or cfg.run.budget_usd,
        pricing=a["pricing"] or cfg.market.pricing,
        undercut=cfg.market.undercut if a["undercut"] is None else a["undercut"],
        target_rate=a["target_rate"] if a["target_rate"] is not None else cfg.run.target_rate,
        limit=a["limit"] if a["limit"] is not None else cfg.run.limit,
        seed=cfg.run.seed if a["seed"] is None else a["seed"],
        task_ids=tuple(split_csv(a["tasks"])),
        replay=a["replay"],
        market_bank=a["market_bank"],
        fit_domains=tuple(a["fit_domain"] or ()),
        fit_banks=tuple(a["fit_bank"] or ()),
        fit_budget_usd=a["fit_budget"] if a["fit_budget"] is not None else cfg.run.fit_budget_usd,
        max_spend=a["max_spend"] if a["max_spend"] is not None else cfg.run.max_spend_usd,
        run_id=a["run_id"],
        concurrency=a["concurrency"] or cfg.run.concurrency,
        strategy_options=opts,
        refund_wrong=cfg.market.refund_wrong,
        executor=executor,
        ray_address=ray_address,
    )


class Progress:
    """The live line of a run: tasks done, spend, revenue, running margin, solve rate. When stderr is not a
    terminal, a line every ``$HARNESS_PROGRESS_S`` seconds (default 15) from a thread once serving has
    begun, whether or not a task finished meanwhile (a task of agent attempts can take minutes)."""

    def __init__(self, ledger_of: Any, total: int | None, every: float | None = None) -> None:
        self.ledger_of = ledger_of
        self.total = total
        self.started = time.monotonic()
        self.every = progress_every() if every is None else every
        self.live: Live | None = None
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def text(self) -> Text:
        ledger: Ledger | None = self.ledger_of()
        t = ledger.totals() if ledger else {}
        done = t.get("tasks", 0)
        margin = t.get("margin")
        rate = t.get("solve_rate")
        return Text.assemble(
            ("run ", "bold"),
            f"{done}{'/' + str(self.total) if self.total else ''} tasks  ",
            ("spend ", "dim"),
            f"${t.get('cost_usd', 0.0):.4g}  ",
            ("revenue ", "dim"),
            f"${t.get('revenue_usd', 0.0):.4g}  ",
            ("margin ", "dim"),
            "-" if margin is None else f"{margin:.3f}  ",
            ("solve rate ", "dim"),
            "-" if rate is None else f"{rate:.3f}  ",
            ("elapsed ", "dim"),
            f"{time.monotonic() - self.started:.0f}s",
        )

    def start(self) -> None:
        if err_console.is_terminal:
            self.live = Live(get_renderable=self.text, console=err_console, refresh_per_second=4, transient=False)
            self.live.start()
        else:
            self._ticker = threading.Thread(target=self._tick, name="harness-run-progress", daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(self.every):
            if self.ledger_of() is not None:  # serving (banks are collected first, with their own progress)
                with contextlib.suppress(RuntimeError):  # the ledger grew while it was read: next time
                    err_console.print(self.text(), highlight=False, soft_wrap=True)

    def task_done(self, rec: TaskRecord) -> None:
        """A task was served (the terminal display and the log lines read the ledger themselves)."""

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
        if self._ticker is not None:
            self._stop.set()
            self._ticker.join(timeout=2)
            if time.monotonic() - self.started >= self.every and self.ledger_of() is not None:
                err_console.print(self.text(), highlight=False, soft_wrap=True)  # a long run on a log: its last line


def _collect_for_run(cfg: Config, st: Any, o: RunOptions) -> Any:
    def collect(options: CollectOptions, why: str) -> dict[str, Any]:
        from harness.cli.collect import run_with_progress

        options = dataclasses.replace(options, executor=o.executor, ray_address=o.ray_address)  # the run's executor

        err_console.print(
            f"collecting first: {why}: {options.limit} tasks x {options.attempts} attempts of "
            f"{', '.join(options.models)} on {options.domain!r}",
            highlight=False,
            soft_wrap=True,
        )
        return run_with_progress(Collector(cfg, registry(), st, options))

    return collect


def print_result(result: RunResult, data: dict[str, Any]) -> None:
    """The ledger's summary on the terminal."""
    table = Table(title=f"harness run: {data['strategy']} on {data['domain']} ({data['pricing']})", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")

    def usd(x: Any) -> str:
        return "-" if x is None else f"${x:.6g}"

    def num(x: Any) -> str:
        return "-" if x is None else f"{x:.3f}"

    bands = data["bands_5_95"]
    rows = [
        ("tasks served", str(data["tasks"])),
        ("price per task" if data["pricing"] == "per_task" else "price per solution", usd(data["price_usd"])),
        ("revenue", usd(data["revenue_usd"])),
        ("cost", usd(data["cost_usd"])),
        ("profit", usd(data["profit_usd"])),
        ("margin (5-95%)", f"{num(data['margin'])} {_band(bands['margin'])}"),
        ("solve rate achieved (5-95%)", f"{num(data['solve_rate'])} {_band(bands['solve_rate'])}"),
        ("solve rate promised", num(data["promised_rate"])),
        ("sold but wrong", str(data["sold_wrong"])),
        ("oracle margin", num(data["oracle_margin"])),
    ]
    for m in data["models"]:
        rows.append((f"spend on {m}", f"{usd(data['spend_usd'][m])} ({data['attempts'][m]} attempts)"))
    for m, v in data["single_providers_usd"].items():
        rows.append((f"{m} alone would charge", usd(v)))
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)
    for s in data["stages"] or []:
        limit = "the rest" if s["threshold_usd"] is None else f"${s['threshold_usd']:.4g}"
        console.print(f"stage {s['model']}: up to {limit} per task (${s['budget_usd']:.4g} under the budget)")
    if data.get("fitted") and data["fitted"].get("degenerate"):
        console.print("note: the fit gave a model no money: the strategy uses fewer models than named")
    refits = data.get("refits") or []
    for before, r in zip(refits, refits[1:], strict=False):  # the refits that changed the strategy
        if r["stages"] != before["stages"]:
            console.print(
                f"refit after {r['tasks']} exploration tasks ({r['served']} served): fitted margin "
                f"{num(r['fitted_margin'])}, stages {', '.join(_stage(s) for s in r['stages'])}"
            )
    if refits:
        marks = data["margin_evolution"]
        shown = marks[:: max(1, len(marks) // 10)]
        shown += [] if shown[-1] is marks[-1] else [marks[-1]]
        evolution = ", ".join(f"{e['tasks']}: {num(e['margin'])}" for e in shown)
        console.print(f"{len(refits) - 1} refits; the run's margin after N tasks: {evolution}")
    if data.get("attempts_reused"):
        console.print(
            f"{data['attempts_reused']} attempts were taken from the store (paid for earlier), "
            f"{data.get('attempts_bought', 0)} bought now"
        )


def _stage(s: dict[str, Any]) -> str:
    usd = s["threshold_usd"]
    return f"{s['model']} {'the rest' if usd is None else f'${usd:.4g}'}"


def _band(b: list[float] | None) -> str:
    return "" if not b else f"[{b[0]:.3f}, {b[1]:.3f}]"


def run(
    ctx: typer.Context,
    domain: Annotated[Opt[str], typer.Option(help="domain to serve (default: [run] domain)")] = None,
    strategy: Annotated[
        Opt[str], typer.Option(help="single, cascade, optimal, robust, adaptive, oracle, or a plugin's")
    ] = None,
    models: Annotated[
        Opt[str], typer.Option(help="models the arbitrageur may buy, cheapest first (default: [market] providers)")
    ] = None,
    providers: Annotated[Opt[str], typer.Option(help="models the market sells (default: [market] providers)")] = None,
    budget: Annotated[Opt[float], typer.Option(help="most spent on one task, USD (default: [run] budget_usd)")] = None,
    target_rate: Annotated[
        Opt[float], typer.Option(help="solve rate promised to the customer (default: what the last stage reaches)")
    ] = None,
    pricing: Annotated[Opt[str], typer.Option(help="per_task or per_solution (default: [market] pricing)")] = None,
    undercut: Annotated[
        Opt[float], typer.Option(help="fraction below the market price charged (default: [market] undercut)")
    ] = None,
    limit: Annotated[Opt[int], typer.Option(help="serve the first N tasks (default: [run] limit)")] = None,
    seed: Annotated[Opt[int], typer.Option(help="shuffle the tasks and the replay order with this seed")] = None,
    tasks: Annotated[Opt[str], typer.Option(help="only these task ids (comma-separated)")] = None,
    replay: Annotated[Opt[Path], typer.Option(help="serve recorded attempts of this bank instead of buying")] = None,
    market_bank: Annotated[
        Opt[Path], typer.Option(help="price the market from this bank (default: the store, or --replay)")
    ] = None,
    fit_domain: Annotated[
        Opt[list[str]], typer.Option(help="robust: fit on this other domain's store bank (repeat)")
    ] = None,
    fit_bank: Annotated[Opt[list[Path]], typer.Option(help="robust: fit on this bank file (repeat)")] = None,
    fit_budget: Annotated[
        Opt[float], typer.Option(help="USD a fit may observe, and may spend collecting a missing bank")
    ] = None,
    stages: Annotated[
        Opt[str], typer.Option(help="cascade: model:usd,model:usd (the last may omit usd: the rest)")
    ] = None,
    strategy_file: Annotated[Opt[Path], typer.Option(help="cascade: a `harness fit` JSON")] = None,
    model: Annotated[Opt[str], typer.Option(help="single: the model (default: the last of --models)")] = None,
    max_spend: Annotated[
        Opt[float], typer.Option("--max-spend", help="hard cap on everything this command spends, USD")
    ] = None,
    concurrency: Annotated[Opt[int], typer.Option(help="tasks served at once (live)")] = None,
    run_id: Annotated[Opt[str], typer.Option(help="run id recorded with new attempts")] = None,
    executor: Annotated[
        str, typer.Option(help="live: where solves and verifications run: local or ray (a Ray cluster)")
    ] = "local",
    ray_address: Annotated[
        Opt[str],
        typer.Option(help="--executor ray: auto, or HOST:PORT of the head (default: $RAY_ADDRESS, else a private one)"),
    ] = None,
    no_collect: Annotated[
        bool, typer.Option("--no-collect", help="never collect a missing bank: say how to make it")
    ] = False,
    out: Annotated[
        Opt[Path], typer.Option("--out", "-o", help="folder for ledger.csv, summary.json and figures")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable summary on stdout")] = False,
) -> None:
    """Serve a domain's tasks with an arbitrageur: buy attempts by strategy, verify, sell, keep a ledger."""
    cfg = config(ctx)
    o = build_options(cfg, dict(locals()))
    if out is not None:  # an unusable --out is bad input before anything is spent, not after
        _writable(out)
    with store(ctx) as st:
        plan = BankPlan(
            collect_missing=cfg.run.collect_missing and not no_collect,
            tasks=cfg.run.fit_tasks,
            attempts=cfg.run.fit_attempts,
            collect=_collect_for_run(cfg, st, o),
        )
        runner = Runner(cfg, registry(), st, o, plan)
        progress = Progress(lambda: runner.loop.ledger if runner.loop else None, o.limit)
        runner.on_task = progress.task_done
        runner.on_stopping = lambda n: err_console.print(
            f"stopping: finishing {n} call{'' if n == 1 else 's'} in flight (Ctrl-C again to abandon them)",
            highlight=False,
            soft_wrap=True,
        )
        progress.start()
        interrupted = False
        failed: RunFailed | None = None
        try:
            result = runner.run()
        except RunInterrupted as exc:
            result, interrupted = exc.result, True
        except RunFailed as exc:  # the ledger of what was bought, then the error
            result, failed = exc.result, exc
        finally:
            progress.stop()
    data = result.summary()
    unwritten: HarnessError | None = None
    try:
        files = write_outputs(result.ledger, data, out) if out else []
    except HarnessError as exc:  # the ledger of what was spent is printed all the same
        files, unwritten = [], exc
    data["files"] = [str(f) for f in files]
    if json_out:
        emit_json(data)
    else:
        print_result(result, data)
        for f in files:
            console.print(f"wrote {f}")
    if failed is not None:
        raise failed
    if unwritten is not None and not interrupted:
        raise unwritten
    if interrupted:
        if unwritten is not None:
            err_console.print(f"error: {unwritten}", highlight=False, soft_wrap=True)
        err_console.print("interrupted: the ledger above is the run so far; every completed attempt is in the store")
        raise typer.Exit(130)


def _writable(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HarnessError(
            f"{out}: cannot write the run's outputs there ({exc.strerror or exc}); choose another --out"
        ) from None


def register(app: typer.Typer) -> None:
    app.command("run")(run)
