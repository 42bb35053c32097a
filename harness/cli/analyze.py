"""``harness analyze`` (the market a bank implies) and ``harness fit`` (a robust cascade's thresholds).

The numbers come from :mod:`harness.economics.analysis`; this module reads the bank (a folder or the
store), prints a summary, and writes ``--json`` or ``--out DIR`` (CSV tables and PNG figures).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional

import typer

from harness.bank import Bank, BankMatrix
from harness.cli.common import bank_from_path, config, console, split_csv, store, task_groups
from harness.economics.analysis import (
    AnalysisOptions,
    analyze_matrix,
    default_order,
    fit_strategy,
    task_predicate,
)
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
) -> tuple[Bank, Callable[[str], str] | None]:
    """A bank from ``path`` (any registered bank format) or from the store, filtered; and how its domain
    groups task ids (``--domain``, else the domain the bank format names)."""
    if path is not None:
        bank, fmt_domain = bank_from_path(path)
        return bank, task_groups(domain or fmt_domain)
    with store(ctx) as st:
        bank = st.bank(domain=domain, run_id=run_id, fingerprint=fingerprint)
    if not bank.models:
        raise HarnessError("the store has no attempts for these filters: give --bank PATH or collect first")
    return bank, task_groups(domain)


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


# ---- commands ---------------------------------------------------------------------------------------

Opt = Optional  # noqa: UP045 (typer needs Optional on 3.11)


def analyze(
    ctx: typer.Context,
    bank: Annotated[
        Opt[Path], typer.Option(help="bank folder (<model>.jsonl) or SWE-bench evaluation files; default: the store")
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
    first_lo: Annotated[float, typer.Option(help="smallest nonzero threshold, USD")] = 0.01,
    first_hi: Annotated[float, typer.Option(help="largest finite threshold, USD")] = 0.5,
    first_points: Annotated[int, typer.Option(help="log-spaced first thresholds (2 models)")] = 100,
    values: Annotated[int, typer.Option(help="threshold values per model (3+ models)")] = 21,
    cap: Annotated[Opt[float], typer.Option(help="cap on the sum of thresholds, USD (3+ models)")] = None,
    split: Annotated[
        Opt[str],
        typer.Option(help="robust fit on group:NAME / prefix:S / regex:P / ids:A|B, evaluated on the other tasks"),
    ] = None,
    fit_bank: Annotated[
        Opt[list[str]],
        typer.Option(
            help="another domain's bank to fit on (repeatable), PATH or PATH::cheap,...,expensive "
            "naming its models in cascade order; the fit is evaluated on this bank"
        ),
    ] = None,
    fit_budget: Annotated[Opt[str], typer.Option(help="comma-separated fit budgets in USD ('none': full)")] = None,
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
    b, group_of = load_bank(ctx, bank, domain, run_id, fingerprint)
    lo, hi = parse_rates(rates)
    grid = config(ctx).analysis
    opts = AnalysisOptions(
        cascade=tuple(resolve_models(b, split_csv(cascade))) if cascade else None,
        providers=tuple(resolve_models(b, split_csv(providers))) if providers else None,
        budget_lo=grid.budget_min_usd if budget_lo is None else budget_lo,
        budget_hi=grid.budget_max_usd if budget_hi is None else budget_hi,
        budget_points=grid.budget_points if budget_points is None else budget_points,
        rate_lo=lo,
        rate_hi=hi,
        rate_points=rate_points,
        report_rates=parse_floats(report_rates, "--report-rates"),
        first_lo=first_lo,
        first_hi=first_hi,
        first_points=first_points,
        values=values,
        cap=cap,
        split=expand_spec(split),
        group_of=group_of,
        fit_budgets=parse_budgets(fit_budget),
        bootstraps=bootstraps,
        seed=seed,
        competitors=competitors,
        rounds=rounds,
        undercut=undercut,
        entrant=resolve_models(b, [entrant])[0] if entrant else None,
        gatekeep=resolve_models(b, [gatekeep])[0] if gatekeep else None,
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
    split: Annotated[Opt[str], typer.Option(help="fit only on tasks matching group:/prefix:/regex:/ids:")] = None,
    fit_budget: Annotated[Opt[float], typer.Option(help="USD the fit may spend observing each source")] = None,
    budget_hi: Annotated[
        Opt[float], typer.Option(help="largest per-task budget, USD (default: [analysis] budget_max_usd)")
    ] = None,
    rates: Annotated[Opt[str], typer.Option(help="solve-rate range LO:HI")] = None,
    first_lo: Annotated[float, typer.Option(help="smallest nonzero threshold, USD")] = 0.01,
    first_hi: Annotated[float, typer.Option(help="largest finite threshold, USD")] = 0.5,
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
    matrices, sources, prov = fit_matrices(ctx, bank, domain, run_id, names, providers, split)
    lo, hi = parse_rates(rates)
    order = list(matrices[0].models[: len(names)])
    opts = AnalysisOptions(
        providers=prov,
        budget_hi=budget_hi,
        rate_lo=lo,
        rate_hi=hi,
        first_lo=first_lo,
        first_hi=first_hi,
        values=values,
        seed=seed,
    )
    res = fit_strategy(matrices, order, opts, fit_budget)
    data = strategy_json(res, opts, sources, split, fit_budget)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(json_clean(data), indent=2, allow_nan=False) + "\n")
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
        b, group_of = load_bank(ctx, p, domain, run_id, None)
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
    aligned = [type(m)(m.tasks, first.models, m.n, m.c, m.cost) for m in matrices]
    return aligned, sources, tuple(first.models[i] for i in prov_idx)


def report() -> None:
    """Write tables and figures for a paper (not available yet: use `harness analyze --out DIR`)."""
    raise NotAvailableError("`harness report` is not available yet: use `harness analyze --out DIR`")


def register(app: typer.Typer) -> None:
    """Add ``analyze``, ``fit`` and ``report`` to the command line."""
    app.command("analyze")(analyze)
    app.command("fit")(fit)
    app.command("report", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})(report)
