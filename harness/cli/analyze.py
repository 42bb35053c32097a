"""``harness analyze`` (the market a bank implies) and ``harness fit`` (a robust cascade's thresholds).

The numbers come from :mod:`harness.economics.analysis`; this module reads the bank (a folder or the
store), prints a summary, and writes ``--json`` or ``--out DIR`` (CSV tables and PNG figures).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import numpy as np
import typer
from rich.table import Table

from harness.bank import Bank, BankMatrix
from harness.cli.common import bank_from_path, config, console, emit_json, split_csv, store, task_groups
from harness.economics.analysis import (
    Analysis,
    AnalysisOptions,
    analyze_matrix,
    default_order,
    fit_strategy,
    task_predicate,
)
from harness.economics.robust import split_matrix
from harness.economics.shares import PROFIT, MarketChange, Shares
from harness.errors import HarnessError, NotAvailableError

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


# ---- outputs ----------------------------------------------------------------------------------------

_RUN_NAME = re.compile(r"^\d{8}_[^_]+_(?P<model>.+)$")  # SWE-bench experiment runs: date_scaffold_model


def display_names(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Short labels for tables and legends (SWE-bench run names lose their date and scaffold) if unique."""
    short = {n: (m.group("model") if (m := _RUN_NAME.match(n)) else n) for n in names}
    return short if len(set(short.values())) == len(short) else {n: n for n in names}


def _num(x: float) -> float | None:
    """JSON-safe float (None for inf/nan)."""
    return float(x) if math.isfinite(float(x)) else None


def _thresholds(values: np.ndarray) -> list[float | None]:
    """Thresholds for JSON: ``None`` stands for "the rest of the budget"."""
    return [_num(t) for t in values]


def summary(a: Analysis) -> dict[str, Any]:
    """The machine-readable summary (``--json``)."""
    rr = a.report_rates
    best, where = a.max_margin
    out: dict[str, Any] = {
        "models": [m.__dict__ for m in a.models],
        "tasks": len(a.curves.tasks),
        "cascade": list(a.cascade),
        "providers": list(a.providers),
        "budget_grid_usd": [float(a.curves.budgets[0]), float(a.curves.budgets[-1]), int(a.curves.budgets.size)],
        "solve_rates": [float(a.targets[0]), float(a.targets[-1]), int(a.targets.size)],
        "thresholds_usd": _thresholds(a.search.thresholds),
        "allocations_searched": int(a.search.allocations.shape[0]),
        "mean_margin": float(a.search.mean_margin),
        "max_margin": best,
        "max_margin_at": _num(where),
        "oracle_mean_margin": float(np.nanmean(a.oracle_margins)),
        "rates": [
            {
                "solve_rate": float(r),
                "market_price": _num(m),
                "arbitrageur_price": _num(q),
                "margin": _num(g),
                "oracle_margin": _num(om),
                "competitive_price": _num(cp),
            }
            for r, m, q, g, om, cp in zip(
                rr,
                *(a.at(x) for x in (a.market, a.arbitrageur, a.margins, a.oracle_margins, a.competition.final_price)),
                strict=True,
            )
        ],
        "shares": {name: [_num(x) for x in a.at(a.shares.with_arbitrage[i])] for i, name in enumerate(a.shares.names)},
    }
    if a.entry is not None:
        out["entry"] = entry_summary(a, a.entry)
    if a.gatekept is not None:
        out["gatekeeping"] = gatekeeping_summary(a, a.gatekept)
    if a.robust:
        out["robust"] = [
            {
                "fit_on": a.robust_label,
                "split": a.options.split,
                "fit_budget_usd": r.fit_budget,
                "bootstraps": int(r.objective.size),
                "held_out_mean_margin": r.mean,
                "band_5_95": list(r.band),
                "best_in_domain": r.best_in_domain,
                "mean_observed_tasks": float(r.observed_tasks.mean()),
            }
            for r in a.robust
        ]
    return out


def _share(s: Shares, name: str, arbitrage: bool) -> np.ndarray:
    """One name's share per target; a name absent from this market has 0 (nan where it is unreachable)."""
    if name in s.names:
        return s.row(name, arbitrage)
    return np.where(np.isfinite(s.market), 0.0, np.nan)


_ENTRY_COLS = (("before", False), ("before", True), ("after", False), ("after", True))


def _entry_names(ch: MarketChange) -> list[str]:
    """Incumbents, the entrant, then the arbitrageur's profit."""
    return [n for n in ch.shares_after.names if n != PROFIT] + [PROFIT]


def _entry_table(ch: MarketChange, name: str) -> dict[str, np.ndarray]:
    """``name``'s share per target in each scenario (before/after entry, without/with arbitrage)."""
    sides = {"before": ch.shares_before, "after": ch.shares_after}
    return {f"{side}_{'with' if arb else 'without'}": _share(sides[side], name, arb) for side, arb in _ENTRY_COLS}


def entry_summary(a: Analysis, ch: MarketChange) -> dict[str, Any]:
    """The market-entry part of ``--json``: shares at the report rates before and after the entry."""
    names = _entry_names(ch)
    tables = {n: {k: a.at(v) for k, v in _entry_table(ch, n).items()} for n in names}
    b, f = ch.shares_before, ch.shares_after
    return {
        "entrant": a.options.entrant,
        "incumbents": [n for n in names if n not in (PROFIT, a.options.entrant)],
        "cascade_before": list(ch.before.models),
        "cascade_after": list(ch.after.models),
        "thresholds_before_usd": _thresholds(ch.before.thresholds),
        "thresholds_after_usd": _thresholds(ch.after.thresholds),
        "rates": [
            {
                "solve_rate": float(r),
                "market_price_before": _num(a.at(b.market)[i]),
                "market_price_after": _num(a.at(f.market)[i]),
                "arbitrageur_price_before": _num(a.at(b.arbitrageur)[i]),
                "arbitrageur_price_after": _num(a.at(f.arbitrageur)[i]),
                "shares": {n: {k: _num(v[i]) for k, v in tables[n].items()} for n in names},
            }
            for i, r in enumerate(a.report_rates)
        ],
    }


def _gate_columns(ch: MarketChange) -> dict[str, np.ndarray]:
    """Market price, arbitrageur price and margin per target, open and gatekept."""
    out = {}
    for side, res, s in (("open", ch.before, ch.shares_before), ("gatekept", ch.after, ch.shares_after)):
        out |= {
            f"market_price_{side}": s.market,
            f"arbitrageur_price_{side}": s.arbitrageur,
            f"margin_{side}": res.best_margins,
        }
    return out


def gatekeeping_summary(a: Analysis, ch: MarketChange) -> dict[str, Any]:
    """The gatekeeping part of ``--json``: prices and margins at the report rates, open against gatekept."""
    cols = {k: a.at(v) for k, v in _gate_columns(ch).items()}
    g = str(a.options.gatekeep)
    sold = [p for p in a.providers if p != g]
    return {
        "withheld": g,
        "providers_open": [g, *sold],
        "providers_gatekept": sold,
        "cascade": list(ch.after.models),
        "thresholds_open_usd": _thresholds(ch.before.thresholds),
        "thresholds_gatekept_usd": _thresholds(ch.after.thresholds),
        "mean_margin_open": float(ch.before.mean_margin),
        "mean_margin_gatekept": float(ch.after.mean_margin),
        "rates": [
            {"solve_rate": float(r), **{k: _num(v[i]) for k, v in cols.items()}} for i, r in enumerate(a.report_rates)
        ],
    }


def print_summary(a: Analysis) -> None:
    """The terminal summary: providers, the chosen cascade, margins at report rates, shares, robust fits."""
    t = Table(title=f"Providers ({len(a.curves.tasks)} common tasks)")
    for col in ("model", "tasks", "attempts", "pass@1", f"coverage @ ${a.curves.budgets[-1]:g}", "USD/attempt"):
        t.add_column(col, justify="left" if col == "model" else "right")
    label = display_names([m.name for m in a.models] + list(a.shares.names))
    for m in a.models:
        t.add_row(
            label[m.name],
            str(m.tasks),
            str(m.attempts),
            f"{m.pass_at_1:.3f}",
            f"{m.coverage:.3f}",
            f"{m.mean_cost:.4g}",
        )
    console.print(t)
    b0 = float(a.curves.budgets[0])
    if b0 < a.options.budget_lo * (1 - 1e-9):
        console.print(
            f"budget grid extended down to ${b0:.3g} ({a.curves.budgets.size} points) so that it starts below "
            "the cheapest attempt"
        )
    thr = ", ".join(
        f"{label[name]}: {'rest' if not math.isfinite(x) else f'${x:.4g}'}"
        for name, x in zip(a.cascade, a.search.thresholds, strict=True)
    )
    best, where = a.max_margin
    console.print(f"market: {', '.join(label[p] for p in a.providers)}")
    console.print(f"cascade thresholds per task: {thr} (best of {a.search.allocations.shape[0]} allocations)")
    console.print(
        f"mean margin {a.search.mean_margin:.3f} over solve rates {a.targets[0]:.3f}-{a.targets[-1]:.3f}; "
        f"max {best:.3f} at {where:.3f}; oracle mean {np.nanmean(a.oracle_margins):.3f}"
    )
    t = Table(title="Market at reported solve rates (USD per task)")
    for col in ("solve rate", "market", "arbitrageur", "margin", "oracle margin", f"after {a.options.rounds} rounds"):
        t.add_column(col, justify="right")
    vals = [a.at(x) for x in (a.market, a.arbitrageur, a.margins, a.oracle_margins, a.competition.final_price)]
    for i, r in enumerate(a.report_rates):
        t.add_row(f"{r:.3f}", *(_usd(v[i]) if k in (0, 1, 4) else _fmt(v[i], 3) for k, v in enumerate(vals)))
    console.print(t)
    t = Table(title="Revenue shares with arbitrage")
    t.add_column("solve rate", justify="right")
    for name in a.shares.names:
        t.add_column(label[name], justify="right")
    sh = a.at(a.shares.with_arbitrage)
    for i, r in enumerate(a.report_rates):
        t.add_row(f"{r:.3f}", *(_fmt(sh[k, i], 3) for k in range(len(a.shares.names))))
    console.print(t)
    if a.entry is not None:
        print_entry(a, a.entry)
    if a.gatekept is not None:
        print_gatekeeping(a, a.gatekept)
    if a.robust:
        t = Table(title=f"Robust fit on {a.robust_label}")
        for col in ("fit budget", "held-out mean margin", "5-95% band", "best in domain", "tasks observed"):
            t.add_column(col, justify="right")
        for r in a.robust:
            lo, hi = r.band
            t.add_row(
                "full" if r.fit_budget is None else f"${r.fit_budget:g}",
                f"{r.mean:.3f}",
                f"{lo:.3f}-{hi:.3f}",
                f"{r.best_in_domain:.3f}",
                f"{r.observed_tasks.mean():.0f}",
            )
        console.print(t)


def print_entry(a: Analysis, ch: MarketChange) -> None:
    """Shares before and after the entrant joins, without and with arbitrage, at the report rates."""
    e = str(a.options.entrant)
    names = _entry_names(ch)
    label = display_names(names)
    label[PROFIT] = "profit"
    t = Table(
        title=f"Market entry of {label[e]}: revenue shares (fraction of the market price)",
        caption="+arb = with arbitrage (else the cheapest provider takes all); * entrant; profit = arbitrageur's",
    )
    for col in ("solve rate", "who", "before", "before+arb", "after", "after+arb", "change+arb"):
        t.add_column(col, justify="left" if col == "who" else "right", no_wrap=col == "who")
    tables = {n: {k: a.at(v) for k, v in _entry_table(ch, n).items()} for n in names}
    for i, r in enumerate(a.report_rates):
        for n in names:
            v = tables[n]
            who = label[n] + ("*" if n == e else "")
            t.add_row(
                f"{r:.3f}" if n == names[0] else "",
                who,
                *(_fmt(v[k][i], 3) for k in v),
                _fmt(v["after_with"][i] - v["before_with"][i], 3),
                end_section=n == names[-1],
            )
    console.print(t)


def print_gatekeeping(a: Analysis, ch: MarketChange) -> None:
    """Market and arbitrageur prices and margins, open market against the gatekept one."""
    g = display_names(list(a.curves.models))[str(a.options.gatekeep)]
    t = Table(
        title=f"Gatekeeping {g}: not sold, the arbitrageur runs its own (prices in USD per task)",
        caption="open = every provider sold; gated = without the withheld model; arb = arbitrageur's cost",
    )
    for col in ("solve rate", "open market", "open arb", "open margin", "gated market", "gated arb", "gated margin"):
        t.add_column(col, justify="right")
    cols = [a.at(v) for v in _gate_columns(ch).values()]
    for i, r in enumerate(a.report_rates):
        t.add_row(f"{r:.3f}", *(_fmt(v[i], 3) if k % 3 == 2 else _usd(v[i]) for k, v in enumerate(cols)))
    console.print(t)
    console.print(f"mean margin: open {ch.before.mean_margin:.3f}, gatekept {ch.after.mean_margin:.3f}")


def _usd(x: float) -> str:
    """A price in USD with 4 significant digits (sub-cent prices of small models stay readable)."""
    return "-" if not math.isfinite(float(x)) else f"{float(x):.4g}"


def _fmt(x: float, digits: int) -> str:
    return "-" if not math.isfinite(float(x)) else f"{float(x):.{digits}f}"


def write_outputs(a: Analysis, out: Path) -> list[Path]:
    """CSV tables and PNG figures into ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    files = []

    def table(name: str, header: list[str], rows: list[list[Any]]) -> None:
        path = out / name
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows(rows)
        files.append(path)

    table(
        "models.csv",
        ["model", "tasks", "attempts", "pass_at_1", "coverage", "usd_per_attempt"],
        [[m.name, m.tasks, m.attempts, m.pass_at_1, m.coverage, m.mean_cost] for m in a.models],
    )
    P, E = a.curves.pass_curves(), a.curves.spend_curves()
    table(
        "curves.csv",
        ["model", "budget_usd", "pass_rate", "expected_spend_usd"],
        [
            [m, float(b), float(P[j, k]), float(E[j, k])]
            for j, m in enumerate(a.curves.models)
            for k, b in enumerate(a.curves.budgets)
        ],
    )
    table(
        "prices.csv",
        [
            "solve_rate",
            *[f"price_{p}" for p in a.providers],
            "market",
            "arbitrageur",
            "oracle",
            "margin",
            "oracle_margin",
            "competitive_price",
        ],
        [
            [
                float(u),
                *a.provider_prices[:, i],
                a.market[i],
                a.arbitrageur[i],
                a.oracle[i],
                a.margins[i],
                a.oracle_margins[i],
                a.competition.final_price[i],
            ]
            for i, u in enumerate(a.targets)
        ],
    )
    table(
        "search.csv",
        [*[f"threshold_{m}" for m in a.cascade], "mean_margin"],
        [[*row, obj] for row, obj in zip(a.search.allocations, a.search.objective, strict=True)],
    )
    table(
        "shares.csv",
        ["solve_rate", "who", "share_without_arbitrage", "share_with_arbitrage"],
        [
            [float(u), name, a.shares.without[k, i], a.shares.with_arbitrage[k, i]]
            for i, u in enumerate(a.targets)
            for k, name in enumerate(a.shares.names)
        ],
    )
    table(
        "spend.csv",
        ["solve_rate", *[f"spend_{m}" for m in a.cascade]],
        [[float(u), *a.spend[:, i]] for i, u in enumerate(a.targets)],
    )
    table(
        "competition.csv",
        ["round", *[f"price_at_{r:.3f}" for r in a.report_rates]],
        [[r, *row] for r, row in enumerate(a.at(a.competition.price))],
    )
    if a.robust:
        rows = []
        for r in a.robust:
            mean, p5, p95 = r.margin_band()
            rows += [
                ["full" if r.fit_budget is None else r.fit_budget, float(u), mean[i], p5[i], p95[i]]
                for i, u in enumerate(r.targets)
            ]
        table("robust.csv", ["fit_budget_usd", "solve_rate", "mean_margin", "p5", "p95"], rows)
    if a.entry is not None:
        ch = a.entry
        rows = []
        for n in _entry_names(ch):
            role = "profit" if n == PROFIT else "entrant" if n == a.options.entrant else "incumbent"
            v = list(_entry_table(ch, n).values())
            rows += [
                [float(u), n, role, ch.shares_before.market[i], ch.shares_after.market[i], *(x[i] for x in v)]
                for i, u in enumerate(a.targets)
            ]
        table(
            "entry.csv",
            [
                "solve_rate",
                "who",
                "role",
                "market_price_before",
                "market_price_after",
                *[f"share_{k}_arbitrage" for k in _entry_table(ch, PROFIT)],
            ],
            rows,
        )
    if a.gatekept is not None:
        cols = _gate_columns(a.gatekept)
        table(
            "gatekeeping.csv",
            ["solve_rate", *cols],
            [[float(u), *(v[i] for v in cols.values())] for i, u in enumerate(a.targets)],
        )
    files += _figures(a, out)
    return files


def _figures(a: Analysis, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []

    def save(fig: Any, name: str) -> None:
        fig.tight_layout()
        path = out / name
        fig.savefig(path, dpi=150)
        plt.close(fig)
        files.append(path)

    u = a.targets
    label = display_names(list(a.shares.names))
    rate_axis = "target solve rate (fraction of tasks solved)"
    tasks = f"{len(a.curves.tasks)} tasks"
    stages = [
        f"{label[m]} {'(rest)' if not math.isfinite(t) else f'≤ ${t:.3g}'}"
        for m, t in zip(a.cascade, a.search.thresholds, strict=True)
        if t > 0
    ]
    cascade = "cascade: " + "\n  → ".join(stages)
    fig, ax = plt.subplots(figsize=(6, 4))
    for j, p in enumerate(a.providers):
        ax.plot(u, a.provider_prices[j], label=label[p])
    ax.plot(u, a.arbitrageur, "k--", lw=2, label=f"arbitrageur, {cascade}")
    ax.plot(u, a.oracle, ":", color="grey", label="oracle bound (outcomes known)")
    ax.set_yscale("log")
    ax.set_xlabel(rate_axis)
    ax.set_ylabel("expected cost per task (USD, log scale)")
    ax.set_title(f"Price of a solve rate ({tasks})")
    ax.legend(fontsize=7)
    save(fig, "prices.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(u, a.margins, lw=2, label=cascade)
    ax.plot(u, a.oracle_margins, ":", color="grey", label="oracle bound (outcomes known)")
    ax.set_xlabel(rate_axis)
    ax.set_ylabel("net margin (fraction of market price)")
    ax.set_ylim(0, 1)
    ax.set_title(f"Arbitrage margin ({tasks})")
    ax.legend(fontsize=7)
    save(fig, "margins.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    sh = np.nan_to_num(a.shares.with_arbitrage)
    ax.stackplot(u, sh, labels=[label[n] for n in a.shares.names])
    ax.set_xlabel(rate_axis)
    ax.set_ylabel("share of consumer spend (market price)")
    ax.set_ylim(0, 1)
    ax.set_title(f"Revenue shares with arbitrage ({tasks})")
    ax.legend(fontsize=7, loc="lower left")
    save(fig, "shares.png")

    fig, ax = plt.subplots(figsize=(6, 4))
    path = a.at(a.competition.price)
    for k, r in enumerate(a.report_rates):
        ax.plot(np.arange(path.shape[0]), path[:, k], label=f"target solve rate {r:.2f}")
    ax.set_yscale("log")
    ax.set_xlabel("undercutting round")
    ax.set_ylabel("consumer price per task (USD, log scale)")
    ax.set_title(f"Competition between {a.options.competitors} arbitrageurs (undercut {a.options.undercut:g})")
    ax.legend(fontsize=7)
    save(fig, "competition.png")

    if a.entry is not None:
        ch = a.entry
        names = _entry_names(ch)
        lab = display_names(names)
        fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
        for ax, arb in zip(axes, (False, True), strict=True):
            for k, n in enumerate(names):
                color = f"C{k}"
                name = lab[n] + (" (entrant)" if n == a.options.entrant else "")
                if n != a.options.entrant:
                    ax.plot(u, _share(ch.shares_before, n, arb), "--", color=color, label=f"{name}, before entry")
                ax.plot(u, _share(ch.shares_after, n, arb), "-", color=color, label=f"{name}, after entry")
            ax.set_xlabel(rate_axis)
            ax.set_ylim(-0.02, 1.02)
            ax.set_title("with arbitrage" if arb else "without arbitrage (cheapest provider takes all)", fontsize=9)
        axes[0].set_ylabel("revenue share (fraction of market price)")
        axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1))
        fig.suptitle(f"Market entry of {lab[str(a.options.entrant)]}: revenue shares ({tasks})")
        save(fig, "entry.png")

    if a.gatekept is not None:
        ch = a.gatekept
        g = display_names(list(a.curves.models))[str(a.options.gatekeep)]
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4))
        for side, res, s, color, lw in (
            ("open market", ch.before, ch.shares_before, "C0", 3.0),
            (f"{g} withheld", ch.after, ch.shares_after, "C3", 1.3),
        ):
            ax.plot(u, s.market, "-", color=color, lw=lw, label=f"market price, {side}")
            ax.plot(u, s.arbitrageur, "--", color=color, lw=lw, label=f"arbitrageur's cost, {side}")
            bx.plot(u, res.best_margins, "-", color=color, lw=lw, label=side)
        ax.set_yscale("log")
        ax.set_xlabel(rate_axis)
        ax.set_ylabel("expected cost per task (USD, log scale)")
        ax.set_title("prices", fontsize=9)
        ax.legend(fontsize=7)
        bx.set_xlabel(rate_axis)
        bx.set_ylabel("net margin (fraction of market price)")
        bx.set_ylim(0, 1)
        bx.set_title("arbitrage margin", fontsize=9)
        bx.legend(fontsize=7)
        fig.suptitle(f"Gatekeeping: {g} not sold, the arbitrageur runs its own ({tasks})")
        save(fig, "gatekeeping.png")

    if a.robust:
        fig, ax = plt.subplots(figsize=(6, 4))
        for r in a.robust:
            mean, p5, p95 = r.margin_band()
            name = "fit on full curves" if r.fit_budget is None else f"fit budget ${r.fit_budget:g} per source"
            (line,) = ax.plot(r.targets, mean, label=f"{name} (mean, 5-95% band)")
            ax.fill_between(r.targets, p5, p95, color=line.get_color(), alpha=0.2)
        ax.plot(a.robust[0].targets, a.robust[0].best_margins, "k--", label="held-out in-domain optimum")
        ax.set_xlabel(rate_axis)
        ax.set_ylabel("held-out net margin (fraction of market price)")
        ax.set_ylim(0, 1)
        ax.set_title(f"Robust fit ({a.robust[0].objective.size} bootstraps): fitted on\n{a.robust_label}", fontsize=9)
        ax.legend(fontsize=7)
        save(fig, "robust.png")
    return files


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
    chosen = resolve_models(b, split_csv(models)) if models else b.models
    lo, hi = parse_rates(rates)
    grid = config(ctx).analysis
    budget_lo = grid.budget_min_usd if budget_lo is None else budget_lo
    budget_hi = grid.budget_max_usd if budget_hi is None else budget_hi
    budget_points = grid.budget_points if budget_points is None else budget_points
    opts = AnalysisOptions(
        cascade=tuple(resolve_models(b, split_csv(cascade))) if cascade else None,
        providers=tuple(resolve_models(b, split_csv(providers))) if providers else None,
        budget_lo=budget_lo,
        budget_hi=budget_hi,
        budget_points=budget_points,
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
    named = [m for m in (opts.entrant, opts.gatekeep) if m]
    for group in (opts.cascade or (), opts.providers or (), named):
        extra = [m for m in group if m not in chosen]
        if extra:
            chosen = chosen + extra
    keep = None
    if tasks:
        pred = task_predicate(expand_spec(tasks) or "", group_of)
        keep = {t for m in chosen for t in b.tasks(m) if pred(t)}
        if not keep:
            raise HarnessError(f"no task matches --tasks {tasks!r}")
    mx = b.matrix(chosen, tasks=keep)
    order = list(opts.cascade or default_order(mx))
    sources = [source_matrix(spec, order) for spec in fit_bank or []]
    a = analyze_matrix(mx, opts, sources)
    files = write_outputs(a, out) if out else []
    if json_out:
        data = summary(a)
        data["files"] = [str(f) for f in files]
        emit_json(data)
        return
    print_summary(a)
    for f in files:
        console.print(f"wrote {f}")


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
    loaded = [load_bank(ctx, p, domain, run_id, None) for p in bank or [None]]
    lo, hi = parse_rates(rates)
    matrices, sources, prov_idx = [], [], []
    for p, (b, group_of) in zip(bank or ["store"], loaded, strict=True):
        order = resolve_models(b, names)
        prov = resolve_models(b, split_csv(providers)) if providers else order
        cols = list(dict.fromkeys(order + prov))
        prov_idx = [cols.index(m) for m in prov]
        mx = b.matrix(cols)
        if split:
            mx = split_matrix(mx, task_predicate(expand_spec(split) or "", group_of))[0]
        matrices.append(mx)
        sources.append(str(p))
    first = matrices[0]
    if any(len(m.models) != len(first.models) for m in matrices):
        raise HarnessError("every source bank must hold the cascade and provider models")
    # run names may differ per domain: align models by position, named as in the first source
    matrices = [type(m)(m.tasks, first.models, m.n, m.c, m.cost) for m in matrices]
    order = list(first.models[: len(names)])
    prov_names = tuple(first.models[i] for i in prov_idx)
    opts = AnalysisOptions(
        providers=prov_names,
        budget_hi=budget_hi,
        rate_lo=lo,
        rate_hi=hi,
        first_lo=first_lo,
        first_hi=first_hi,
        values=values,
        seed=seed,
    )
    res = fit_strategy(matrices, order, opts, fit_budget)
    stages, left = [], budget_hi
    for m, t in zip(order, res.thresholds, strict=True):
        usd = left if not math.isfinite(t) else min(float(t), left)
        if usd > 0:
            stages.append([m, usd])
        left -= usd
        if left <= 0:
            break
    data = {
        "strategy": "cascade",
        "stages": stages,
        "thresholds_usd": _thresholds(res.thresholds),
        "models": order,
        "providers": list(prov_names),
        "worst_case_mean_margin": res.mean_margin,
        "solve_rates": [float(res.targets[0]), float(res.targets[-1])],
        "sources": sources,
        "split": split,
        "fit_budget_usd": fit_budget,
        "per_task_budget_usd": budget_hi,
    }
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(data, indent=2) + "\n")
    if json_out:
        emit_json(data)
        return
    for m, usd in stages:
        console.print(f"{m}: up to ${usd:.4g} per task")
    console.print(f"worst-case mean margin across {len(sources)} source(s): {res.mean_margin:.3f}")
    if out:
        console.print(f"wrote {out}")


def report() -> None:
    """Write tables and figures for a paper (not available yet: use `harness analyze --out DIR`)."""
    raise NotAvailableError("`harness report` is not available yet: use `harness analyze --out DIR`")


def register(app: typer.Typer) -> None:
    """Add ``analyze``, ``fit`` and ``report`` to the command line."""
    app.command("analyze")(analyze)
    app.command("fit")(fit)
    app.command("report", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})(report)
