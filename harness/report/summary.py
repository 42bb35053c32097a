"""The summary of an analysis: headline numbers (terminal lines and JSON keys) and the ``--json`` document.

Every table in the JSON document is a :class:`~harness.report.table.Table` 's records, the same rows the
terminal and the CSV files show. A ``null`` number always has its reason next to it: ``note`` in table
rows, ``*_note`` keys in the summary, and ``thresholds_note`` for the ``null`` threshold (the rest of the
budget).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from harness.economics.analysis import Analysis
from harness.economics.search import mean_margin
from harness.report import tables
from harness.report.format import display_names, fmt_threshold

REST_NOTE = "a null threshold is the rest of the per-task budget"


def thresholds(values: np.ndarray) -> list[float | None]:
    """Thresholds for JSON: ``None`` stands for "the rest of the budget"."""
    return [float(t) if math.isfinite(float(t)) else None for t in values]


def headline(a: Analysis) -> dict[str, Any]:
    """The scalars every output reports: grids, the chosen cascade, mean and max margin, the oracle's."""
    best, where = a.max_margin
    out: dict[str, Any] = {
        "tasks": len(a.curves.tasks),
        "cascade": list(a.cascade),
        "providers": list(a.providers),
        "budget_grid_usd": [float(a.curves.budgets[0]), float(a.curves.budgets[-1]), int(a.curves.budgets.size)],
        "solve_rates": [float(a.targets[0]), float(a.targets[-1]), int(a.targets.size)],
        "thresholds_usd": thresholds(a.search.thresholds),
        "thresholds_note": REST_NOTE,
        "allocations_searched": int(a.search.allocations.shape[0]),
        "per_rate": a.options.per_rate,
        "mean_margin": a.mean_margin,
        "max_margin": best,
        "max_margin_at": where,
        "oracle_mean_margin": float(np.nanmean(a.oracle_margins)) if np.isfinite(a.oracle_margins).any() else None,
        "refund": a.options.refund,
    }
    if a.options.per_rate:
        out["best_single"] = {
            "thresholds_usd": thresholds(a.search.thresholds),
            "mean_margin": a.search.mean_margin,
        }
    if a.grid is not None and a.options.allocations is None:
        g = a.grid
        if len(a.cascade) == 2:
            out["threshold_grid_usd"] = [g.lo, g.hi, g.points]
        else:
            out["threshold_values_usd"] = list(g.span(len(a.cascade)))
            out["threshold_grid"] = g.kind
        if g.describe(len(a.cascade)):
            out["threshold_grid_note"] = g.describe(len(a.cascade)) + " (derived from the bank's costs per attempt)"
    if a.options.allocations is not None:
        out["threshold_grid_note"] = "allocations given explicitly (--allocations)"
    if not math.isfinite(where):
        out["max_margin_note"] = "no target solve rate has a positive margin"
    if a.degenerate:
        out["degenerate_note"] = degenerate_note(a.degenerate, a.cascade)
    return out


def degenerate_note(idle: list[str], cascade: tuple[str, ...] | list[str]) -> str:
    """Why a strategy is fewer models than its cascade."""
    label = display_names(cascade)
    used = [label[m] for m in cascade if m not in idle]
    kind = "the single model " if len(used) == 1 else ""
    return (
        f"the strategy gives no money to {', '.join(label[m] for m in idle)}: it is {kind}{', '.join(used)} "
        "(no allocation using the others earns more)"
    )


def headline_lines(a: Analysis) -> list[str]:
    """The headline as sentences for the terminal."""
    h = headline(a)
    label = tables.labels_for(a)
    lines = []
    b0 = float(a.curves.budgets[0])
    if b0 < a.options.budget_lo * (1 - 1e-9):
        lines.append(
            f"budget grid extended down to ${b0:.3g} ({a.curves.budgets.size} points) so that it starts below "
            "the cheapest attempt"
        )
    if "threshold_grid_note" in h:
        lines.append(h["threshold_grid_note"])
    thr = ", ".join(f"{label[m]}: {fmt_threshold(x)}" for m, x in zip(a.cascade, a.search.thresholds, strict=True))
    lines.append(f"market: {', '.join(label[p] for p in a.providers)}")
    lines.append(f"cascade thresholds per task: {thr} (best of {h['allocations_searched']} allocations)")
    if "degenerate_note" in h:
        lines.append(h["degenerate_note"])
    where = f"{h['max_margin_at']:.3f}" if math.isfinite(h["max_margin_at"]) else "no rate"
    oracle = "-" if h["oracle_mean_margin"] is None else f"{h['oracle_mean_margin']:.3f}"
    what = "per-rate envelope: mean margin" if a.options.per_rate else "mean margin"
    lines.append(
        f"{what} {h['mean_margin']:.3f} over solve rates {a.targets[0]:.3f}-{a.targets[-1]:.3f}; "
        f"max {h['max_margin']:.3f} at {where}; oracle mean {oracle}"
    )
    if a.options.per_rate:
        lines.append(f"best single allocation (above): mean margin {a.search.mean_margin:.3f}")
    if a.options.refund != "none":
        lines.append(f"margins count wrong sales as refunded ({a.options.refund} refund, {a.options.pricing})")
    return lines


def entry_json(a: Analysis) -> dict[str, Any]:
    """The market-entry part of ``--json``."""
    ch = a.entry
    assert ch is not None
    names = tables.entry_names(ch)
    return {
        "entrant": a.options.entrant,
        "incumbents": [n for n in names if n not in (tables.PROFIT, a.options.entrant)],
        "cascade_before": list(ch.before.models),
        "cascade_after": list(ch.after.models),
        "thresholds_before_usd": thresholds(ch.before.thresholds),
        "thresholds_after_usd": thresholds(ch.after.thresholds),
        "rates": tables.entry_table(a, a.report_rates).records(),
    }


def gatekeeping_json(a: Analysis) -> dict[str, Any]:
    """The gatekeeping part of ``--json``."""
    ch = a.gatekept
    assert ch is not None
    g = str(a.options.gatekeep)
    sold = [p for p in a.providers if p != g]
    return {
        "withheld": g,
        "providers_open": [g, *sold],
        "providers_gatekept": sold,
        "cascade": list(ch.after.models),
        "thresholds_open_usd": thresholds(ch.before.thresholds),
        "thresholds_gatekept_usd": thresholds(ch.after.thresholds),
        "mean_margin_open": float(ch.before.mean_margin),
        "mean_margin_gatekept": float(ch.after.mean_margin),
        "rates": tables.gatekeeping_table(a, a.report_rates).records(),
    }


def verification_json(a: Analysis) -> dict[str, Any]:
    """The imperfect-verification part of ``--json``: sold against correct, margins under both refunds."""
    v = a.verification
    assert v is not None
    return {
        "refund": a.options.refund,
        "pricing": a.options.pricing,
        "mean_margin_no_refund": v.mean_none,
        "mean_margin_full_refund": v.mean_full,
        "rates": tables.verification_table(a, a.report_rates).records(),
    }


def verification_cost_json(a: Analysis) -> dict[str, Any]:
    """The costly-verification part of ``--json``: margins without and with paying for each check."""
    cv = a.costly
    assert cv is not None
    return {
        "source": cv.source,
        "usd_per_attempt": dict(zip(a.cascade, (float(x) for x in cv.per_attempt), strict=True)),
        "mean_margin_without": a.mean_margin,
        "mean_margin_with": cv.mean_margin,
        "mean_margin_same_strategy": float(mean_margin(cv.same_strategy)),
        "thresholds_with_usd": thresholds(cv.search.thresholds),
        "rates": tables.verification_cost_table(a, a.report_rates).records(),
    }


def analysis_json(a: Analysis) -> dict[str, Any]:
    """The ``--json`` document of ``harness analyze``."""
    out = {
        "models": tables.models_table(a).records(),
        **headline(a),
        "rates": tables.prices_table(a, a.report_rates).records(),
        "shares": tables.shares_table(a, a.report_rates).records(),
    }
    if a.options.per_rate:
        out["per_rate_allocations"] = tables.per_rate_table(a).records()
    if a.verification is not None:
        out["verification"] = verification_json(a)
    if a.costly is not None:
        out["verification_cost"] = verification_cost_json(a)
    if a.entry is not None:
        out["entry"] = entry_json(a)
    if a.gatekept is not None:
        out["gatekeeping"] = gatekeeping_json(a)
    if a.robust:
        out["robust"] = tables.robust_table(a).records()
    return out
