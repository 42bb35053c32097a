"""``harness analyze`` (the market a bank implies) and ``harness fit`` (a robust cascade's thresholds).

Option parsing and wiring only: this module reads the bank (a path in any registered format, or the
store) and the options into :class:`~harness.economics.analysis.AnalysisOptions`; the numbers come from
:mod:`harness.economics.analysis`, the tables, JSON, CSV files and figures from :mod:`harness.report`.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Optional

import numpy as np
import typer

from harness.bank import Bank, BankMatrix
from harness.cli.common import bank_from_path, config, console, split_csv, store, store_bank, task_groups
from harness.economics.analysis import (
    AnalysisOptions,
    analyze_matrix,
    default_order,
    fit_strategy_detail,
    paper_protocol,
    task_predicate,
)
from harness.economics.rates import RateSpec
from harness.economics.robust import split_matrix
from harness.errors import HarnessError, NotAvailableError
from harness.report.format import emit_json, json_clean
from harness.report.output import write_outputs
from harness.report.strategy import strategy_json, strategy_lines
from harness.report.summary import analysis_json
from harness.report.terminal import print_analysis

# ---- inputs -----------------------------------------------------------------------------------------


def resolve_models(bank: Bank, names: list[str]) -> list[str]:
    """Bank model names for user-given names: exact, else a unique suffix, else a unique substring."""
    out = []
    for name in names:
        if name in bank.models:
            out.append(name)
            continue
        for rule in (lambda m, n=name: m.endswith(n), lambda m, n=name: n in m):
            hits = [m for m in bank.models if rule(m)]
            if len(hits) == 1:
                out.append(hits[0])
                break
            if len(hits) > 1:
                raise HarnessError(f"model {name!r} is ambiguous ({', '.join(hits)}): give more of the name")
        else:
            raise HarnessError(f"model {name!r} not in the bank (it has: {', '.join(bank.models)})")
    return out


def load_bank(
    ctx: typer.Context, path: Path | None, domain: str | None, run_id: str | None, fingerprint: str | None
) -> tuple[Bank, Callable[[str], str] | None, str | None]:
    """A bank from ``path`` (any registered bank format) or from the store, filtered; how its domain
    groups task ids; and the domain (``--domain``, else the domain the bank format names)."""
    if path is not None:
        bank, fmt_domain = bank_from_path(path)
        return bank, task_groups(domain or fmt_domain), domain or fmt_domain
    with store(ctx) as st:  # an unknown domain, or several held, is one line naming the store's domains
        bank, domain = store_bank(st, domain, run_id, fingerprint)
    return bank, task_groups(domain), domain


def expand_spec(spec: str | None) -> str | None:
    """Turn ``file:PATH`` (one task id per line) into ``ids:...``; other task specs pass through."""
    if not spec or not spec.startswith("file:"):
        return spec
    path = Path(spec[5:])
    try:
        ids = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError as exc:
        raise HarnessError(f"cannot read task ids from {path}: {exc.strerror}") from None
    if not ids:
        raise HarnessError(f"{path} lists no task ids (one per line)")
    return "ids:" + "|".join(ids)


def source_matrix(spec: str, order: list[str]) -> BankMatrix:
    """``PATH`` or ``PATH::m1,...,mk``: another domain's bank with the cascade's models in cascade order."""
    path, _, names = spec.partition("::")
    src = bank_from_path(path)[0]
    wanted = split_csv(names) if names else order
    if len(wanted) != len(order):
        raise HarnessError(f"--fit-bank {spec!r}: name {len(order)} models (the cascade has {len(order)})")
    return src.matrix(resolve_models(src, wanted))


def parse_rates(value: str | None) -> tuple[float, float | None]:
    """``LO:HI`` (HI optional) to a solve-rate range; default 0.05 to the best provider's top rate."""
    if not value:
        return 0.05, None
    lo, _, hi = value.partition(":")
    try:
        return float(lo), (float(hi) if hi else None)
    except ValueError:
        raise HarnessError(f"--rates must look like LO:HI (solve rates in (0, 1]), got {value!r}") from None


def parse_floats(value: str | None, what: str) -> tuple[float, ...] | None:
    """Comma-separated numbers, or None when not given."""
    if not value:
        return None
    try:
        return tuple(float(v) for v in split_csv(value))
    except ValueError:
        raise HarnessError(f"{what} must be comma-separated numbers, got {value!r}") from None


def parse_budgets(value: str | None) -> tuple[float | None, ...]:
    """Fit budgets in USD; ``none`` (or ``inf``) fits on the full source curves."""
    out: list[float | None] = []
    for v in split_csv(value) or ["none"]:
        if v.lower() in ("none", "inf", "full"):
            out.append(None)
            continue
        try:
            x = float(v)
        except ValueError:
            raise HarnessError(f"--fit-budget must be USD amounts or 'none', got {v!r}") from None
        if not x > 0:
            raise HarnessError(f"--fit-budget must be > 0 USD, got {v!r}")
        out.append(x)
    return tuple(out)


def read_allocations(path: Path, bank: Bank) -> tuple[list[str], np.ndarray]:
    """An allocations CSV: a header naming the cascade's models in order, one row of USD thresholds per
    allocation (``inf``, ``rest`` or empty: the rest of the budget)."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError) as exc:
        raise HarnessError(f"--allocations {path}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    if len(rows) < 2:
        raise HarnessError(f"--allocations {path}: needs a header of model names and at least one row of USD")
    models = resolve_models(bank, [c.strip() for c in rows[0]])
    out = []
    for k, row in enumerate(rows[1:], start=2):
        if len(row) != len(models):
            raise HarnessError(f"--allocations {path}:{k}: {len(row)} values for {len(models)} models")
        try:
            vals = [math.inf if c.strip().lower() in ("", "inf", "rest") else float(c) for c in row]
        except ValueError:
            raise HarnessError(f"--allocations {path}:{k}: thresholds must be USD amounts, inf or rest") from None
        if any(not (v >= 0) for v in vals):
            raise HarnessError(f"--allocations {path}:{k}: thresholds must be >= 0 USD")
        out.append(vals)
    return models, np.array(out, dtype=np.float64)


def rate_spec(value: str | None, what: str, points: int) -> RateSpec | None:
    """``--fit-rates``/``--eval-rates``: ``LO:HI[:N]`` with numbers or ``top``/``top-X`` (None: default)."""
    return RateSpec.parse(value, points, what) if value else None


def protocol_options(
    preset: str | None,
    fit_rates: str | None,
    eval_rates: str | None,
    fit_cap: float | None,
    fit_charge: str | None,
    first_lo: float | None,
    rate_points: int,
) -> dict[str, Any]:
    """The robust-fit options: ``--robust-protocol paper`` 's values, overridden by any given explicitly."""
    if preset not in (None, "paper"):
        raise HarnessError(f"--robust-protocol must be 'paper', got {preset!r}")
    out: dict[str, Any] = dict(paper_protocol()) if preset else {"fit_charge": "all"}
    given = {
        "fit_rates": rate_spec(fit_rates, "--fit-rates", 100),
        "eval_rates": rate_spec(eval_rates, "--eval-rates", rate_points),
        "fit_cap": fit_cap,
        "fit_charge": fit_charge,
        "first_lo": first_lo,
    }
    out.update({k: v for k, v in given.items() if v is not None})
    return out


def verification_options(ctx: typer.Context, domain: str | None, verify_cost: float | None) -> dict[str, Any]:
    """Where verification costs come from: ``--verify-cost``, else ``[domains.<d>] verify_cost_usd``, else
    measured CPU seconds at ``[market] cpu_usd_per_hour``; and the market's pricing (for refunds)."""
    cfg = config(ctx)
    fixed = verify_cost
    if fixed is None and domain and domain in cfg.domains:
        fixed = cfg.domains[domain].verify_cost_usd
    return {"verify_cost_usd": fixed, "cpu_usd_per_hour": cfg.market.cpu_usd_per_hour, "pricing": cfg.market.pricing}


# ---- commands ---------------------------------------------------------------------------------------

Opt = Optional  # noqa: UP045 (typer needs Optional on 3.11)
BUDGETS_HELP = "fit budgets in USD per source, comma-separated ('none': the full source curves)"


def analyze(
    ctx: typer.Context,
    bank: Annotated[
        Opt[Path],
        typer.Option(help="bank: <model>.jsonl folder, attempts.parquet or SWE-bench results (default: the store)"),
    ] = None,
    domain: Annotated[Opt[str], typer.Option(help="store: only this domain")] = None,
    run_id: Annotated[Opt[str], typer.Option(help="store: only this run")] = None,
    fingerprint: Annotated[Opt[str], typer.Option(help="store: only this configuration fingerprint")] = None,
    models: Annotated[Opt[str], typer.Option(help="comma-separated models to analyse (default: all)")] = None,
    tasks: Annotated[
        Opt[str], typer.Option(help="only tasks matching group:NAME / prefix:S / regex:P / ids:A|B / file:PATH")
    ] = None,
    cascade: Annotated[Opt[str], typer.Option(help="cascade order (default: by cost per attempt)")] = None,
    providers: Annotated[Opt[str], typer.Option(help="models sold in the market (default: all)")] = None,
    budget_lo: Annotated[
        Opt[float], typer.Option(help="smallest per-task budget, USD (default: [analysis] budget_min_usd)")
    ] = None,
    budget_hi: Annotated[
        Opt[float], typer.Option(help="largest per-task budget, USD (default: [analysis] budget_max_usd)")
    ] = None,
    budget_points: Annotated[
        Opt[int], typer.Option(help="log-spaced budget points (default: [analysis] budget_points)")
    ] = None,
    rates: Annotated[Opt[str], typer.Option(help="solve-rate range LO:HI (default 0.05:best provider)")] = None,
    rate_points: Annotated[int, typer.Option(help="target solve rates in the range")] = 100,
    report_rates: Annotated[Opt[str], typer.Option(help="comma-separated solve rates to tabulate")] = None,
    first_lo: Annotated[
        Opt[float], typer.Option(help="smallest nonzero threshold, USD (default: from the bank's cheapest attempt)")
    ] = None,
    first_hi: Annotated[Opt[float], typer.Option(help="largest finite threshold, USD (default 0.5)")] = None,
    first_points: Annotated[int, typer.Option(help="log-spaced first thresholds (2 models)")] = 100,
    values: Annotated[int, typer.Option(help="threshold values per model (3+ models)")] = 21,
    grid: Annotated[
        str, typer.Option(help="3+ models: 'all' tuples (any stage may be 0: skipped) or 'nondecreasing'")
    ] = "all",
    allocations: Annotated[
        Opt[Path], typer.Option(help="CSV of allocations to search: header = cascade models, rows = USD thresholds")
    ] = None,
    cap: Annotated[Opt[float], typer.Option(help="cap on the sum of thresholds, USD (3+ models)")] = None,
    per_rate: Annotated[
        bool, typer.Option("--per-rate", help="price the arbitrageur at the best allocation for each solve rate")
    ] = False,
    refund: Annotated[str, typer.Option(help="wrong sales: 'none' (price kept) or 'full' (refunded)")] = "none",
    verify_cost: Annotated[
        Opt[float], typer.Option(help="USD per verification (default: [domains.<d>] verify_cost_usd or measured)")
    ] = None,
    split: Annotated[
        Opt[list[str]],
        typer.Option(
            help="robust fit on group:NAME / prefix:S / regex:P / ids:A|B, evaluated on the rest (repeat); group: is "
            "the domain's task group (SWE-bench: the repository, e.g. group:django__django)"
        ),
    ] = None,
    fit_bank: Annotated[
        Opt[list[str]],
        typer.Option(
            help="another domain's bank to fit on (repeatable), PATH or PATH::cheap,...,expensive "
            "naming its models in cascade order; the fit is evaluated on this bank"
        ),
    ] = None,
    fit_budget: Annotated[Opt[str], typer.Option(help=BUDGETS_HELP)] = None,
    fit_rates: Annotated[Opt[str], typer.Option(help="fit side's rates LO:HI[:N], e.g. 0.1:top")] = None,
    eval_rates: Annotated[Opt[str], typer.Option(help="held-out side's rates LO:HI[:N], e.g. top-0.05:top:20")] = None,
    fit_cap: Annotated[Opt[float], typer.Option(help="USD a fit searches per task and draw")] = None,
    fit_charge: Annotated[Opt[str], typer.Option(help="fit budget pays 'all' models' draws or the 'last'")] = None,
    robust_protocol: Annotated[Opt[str], typer.Option(help="'paper': the paper's rates, cap, charging, grid")] = None,
    bootstraps: Annotated[int, typer.Option(help="bootstrap draws of the robust fit")] = 100,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    competitors: Annotated[int, typer.Option(help="competing arbitrageurs")] = 3,
    rounds: Annotated[int, typer.Option(help="undercutting rounds")] = 50,
    undercut: Annotated[float, typer.Option(help="each undercut's fraction of the current price")] = 0.93,
    entrant: Annotated[
        Opt[str], typer.Option(help="market entry: shares without and with this model among the providers")
    ] = None,
    gatekeep: Annotated[
        Opt[str], typer.Option(help="gatekeeping: this model is not sold but the arbitrageur still runs it")
    ] = None,
    out: Annotated[Opt[Path], typer.Option("--out", "-o", help="folder for CSV tables and PNG figures")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Analyse the market a bank implies: prices, the best cascade and its margins, shares, competition."""
    b, group_of, dom = load_bank(ctx, bank, domain, run_id, fingerprint)
    lo, hi = parse_rates(rates)
    cfg = config(ctx).analysis
    explicit = read_allocations(allocations, b) if allocations else None
    order = explicit[0] if explicit else (resolve_models(b, split_csv(cascade)) if cascade else None)
    if explicit and cascade and resolve_models(b, split_csv(cascade)) != explicit[0]:
        raise HarnessError("--cascade and the header of --allocations name different models: give one of them")
    opts = AnalysisOptions(
        cascade=tuple(order) if order else None,
        providers=tuple(resolve_models(b, split_csv(providers))) if providers else None,
        budget_lo=cfg.budget_min_usd if budget_lo is None else budget_lo,
        budget_hi=cfg.budget_max_usd if budget_hi is None else budget_hi,
        budget_points=cfg.budget_points if budget_points is None else budget_points,
        rate_lo=lo,
        rate_hi=hi,
        rate_points=rate_points,
        report_rates=parse_floats(report_rates, "--report-rates"),
        first_hi=first_hi,
        first_points=first_points,
        values=values,
        grid=grid,
        allocations=explicit[1] if explicit else None,
        cap=cap,
        per_rate=per_rate,
        refund=refund,
        split=tuple(s for s in (expand_spec(x) for x in split or []) if s),
        group_of=group_of,
        fit_budgets=parse_budgets(fit_budget),
        bootstraps=bootstraps,
        seed=seed,
        competitors=competitors,
        rounds=rounds,
        undercut=undercut,
        entrant=resolve_models(b, [entrant])[0] if entrant else None,
        gatekeep=resolve_models(b, [gatekeep])[0] if gatekeep else None,
        **protocol_options(robust_protocol, fit_rates, eval_rates, fit_cap, fit_charge, first_lo, rate_points),
        **verification_options(ctx, dom, verify_cost),
    )
    mx = analysis_matrix(b, opts, models, tasks, group_of)
    order = list(opts.cascade or default_order(mx))
    sources = [source_matrix(spec, order) for spec in fit_bank or []]
    a = analyze_matrix(mx, opts, sources)
    files = write_outputs(a, out) if out else []
    if json_out:
        emit_json({**analysis_json(a), "files": [str(f) for f in files]})
        return
    print_analysis(a, console)
    for f in files:
        console.print(f"wrote {f}")


def analysis_matrix(
    b: Bank, opts: AnalysisOptions, models: str | None, tasks: str | None, group_of: Callable[[str], str] | None
) -> BankMatrix:
    """The bank matrix of the chosen models (plus every model an option names) on the chosen tasks."""
    chosen = resolve_models(b, split_csv(models)) if models else b.models
    named = [m for m in (opts.entrant, opts.gatekeep) if m]
    for group in (opts.cascade or (), opts.providers or (), named):
        chosen = chosen + [m for m in group if m not in chosen]
    keep = None
    if tasks:
        pred = task_predicate(expand_spec(tasks) or "", group_of)
        keep = {t for m in chosen for t in b.tasks(m) if pred(t)}
        if not keep:
            raise HarnessError(f"no task matches --tasks {tasks!r}")
    return b.matrix(chosen, tasks=keep)


def fit(
    ctx: typer.Context,
    bank: Annotated[
        Opt[list[Path]],
        typer.Option(help="source bank(s); repeat for a worst case across domains (default: the store)"),
    ] = None,
    domain: Annotated[Opt[str], typer.Option(help="store: only this domain")] = None,
    run_id: Annotated[Opt[str], typer.Option(help="store: only this run")] = None,
    cascade: Annotated[str, typer.Option(help="comma-separated cascade models, cheap first")] = "",
    providers: Annotated[Opt[str], typer.Option(help="models sold in the market (default: the cascade's)")] = None,
    split: Annotated[
        Opt[str],
        typer.Option(
            help="fit only on tasks matching group:NAME/prefix:S/regex:P/ids:A|B (group: the domain's task group; "
            "SWE-bench: the repository, e.g. group:django__django)"
        ),
    ] = None,
    fit_budget: Annotated[Opt[str], typer.Option(help="fit budget in USD per source ('none': the full curves)")] = None,
    fit_rates: Annotated[Opt[str], typer.Option(help="rates scored on each source LO:HI[:N], e.g. 0.1:top")] = None,
    fit_cap: Annotated[Opt[float], typer.Option(help="USD the fit searches per task and draw")] = None,
    fit_charge: Annotated[Opt[str], typer.Option(help="fit budget pays 'all' models' draws or the 'last'")] = None,
    robust_protocol: Annotated[Opt[str], typer.Option(help="'paper': the paper's rates, cap, charging, grid")] = None,
    budget_hi: Annotated[
        Opt[float], typer.Option(help="largest per-task budget, USD (default: [analysis] budget_max_usd)")
    ] = None,
    rates: Annotated[Opt[str], typer.Option(help="solve-rate range LO:HI (default: each source's 0.05:best)")] = None,
    first_lo: Annotated[
        Opt[float], typer.Option(help="smallest nonzero threshold, USD (default: from the bank's cheapest attempt)")
    ] = None,
    first_hi: Annotated[Opt[float], typer.Option(help="largest finite threshold, USD (default 0.5)")] = None,
    values: Annotated[int, typer.Option(help="threshold values per model (3+ models)")] = 21,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    out: Annotated[Opt[Path], typer.Option("--out", "-o", help="write the strategy JSON here")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Fit cascade thresholds maximising the worst-case mean margin across source banks; print/save them."""
    names = split_csv(cascade)
    budget_hi = config(ctx).analysis.budget_max_usd if budget_hi is None else budget_hi
    if len(names) < 2:
        raise HarnessError("--cascade needs at least two comma-separated models, cheap first")
    budgets = parse_budgets(fit_budget)
    if len(budgets) != 1:
        raise HarnessError("harness fit writes one strategy: give one --fit-budget (analyze compares several)")
    matrices, sources, prov = fit_matrices(ctx, bank, domain, run_id, names, providers, split)
    lo, hi = parse_rates(rates)
    order = list(matrices[0].models[: len(names)])
    opts = AnalysisOptions(
        providers=prov,
        budget_hi=budget_hi,
        rate_lo=lo,
        rate_hi=hi,
        first_hi=first_hi,
        values=values,
        seed=seed,
        **protocol_options(robust_protocol, fit_rates, None, fit_cap, fit_charge, first_lo, 100),
    )
    res, seen = fit_strategy_detail(matrices, order, opts, budgets[0])
    data = strategy_json(res, opts, sources, split, budgets[0], seen)
    if out:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(json_clean(data), indent=2, allow_nan=False) + "\n")
        except OSError as exc:
            raise HarnessError(f"--out {out}: cannot write the strategy there ({exc.strerror or exc})") from None
    if json_out:
        emit_json(data)
        return
    for line in strategy_lines(data, len(sources)):
        console.print(line)
    if out:
        console.print(f"wrote {out}")


def fit_matrices(
    ctx: typer.Context,
    banks: list[Path] | None,
    domain: str | None,
    run_id: str | None,
    names: list[str],
    providers: str | None,
    split: str | None,
) -> tuple[list[BankMatrix], list[str], tuple[str, ...]]:
    """The source banks as matrices: the cascade models in order, then any other provider (aligned by
    position across sources, named as in the first), each restricted to ``split``; their names; and the
    providers (default: the cascade's models)."""
    matrices, sources, prov_idx = [], [], []
    for p in banks or [None]:
        b, group_of, _ = load_bank(ctx, p, domain, run_id, None)
        order = resolve_models(b, names)
        prov = resolve_models(b, split_csv(providers)) if providers else order
        cols = list(dict.fromkeys(order + prov))
        prov_idx = [cols.index(m) for m in prov]
        mx = b.matrix(cols)
        if split:
            mx = split_matrix(mx, task_predicate(expand_spec(split) or "", group_of))[0]
        matrices.append(mx)
        sources.append(str(p or "store"))
    first = matrices[0]
    if any(len(m.models) != len(first.models) for m in matrices):
        raise HarnessError("every source bank must hold the cascade and provider models")
    # run names may differ per domain: align models by position, named as in the first source
    aligned = [replace(m, models=first.models) for m in matrices]
    return aligned, sources, tuple(first.models[i] for i in prov_idx)


def report() -> None:
    """Write tables and figures for a paper (not available yet: use `harness analyze --out DIR`)."""
    raise NotAvailableError("`harness report` is not available yet: use `harness analyze --out DIR`")


def register(app: typer.Typer) -> None:
    """Add ``analyze``, ``fit`` and ``report`` to the command line."""
    app.command("analyze")(analyze)
    app.command("fit")(fit)
    app.command("report", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})(report)
