"""``harness fit`` 's output: the fitted cascade as the ``cascade`` strategy's JSON, and its terminal lines."""

from __future__ import annotations

import math
from typing import Any

from harness.economics.analysis import AnalysisOptions
from harness.economics.search import SearchResult
from harness.report.format import display_names
from harness.report.summary import REST_NOTE, thresholds


def stages(models: list[str], values: Any, budget: float) -> list[list[Any]]:
    """``[model, USD]`` per stage that gets money, the last taking the rest of the per-task ``budget``."""
    out, left = [], budget
    for m, t in zip(models, values, strict=True):
        usd = left if not math.isfinite(t) else min(float(t), left)
        if usd > 0:
            out.append([m, usd])
        left -= usd
        if left <= 0:
            break
    return out


def strategy_json(
    res: SearchResult, opts: AnalysisOptions, sources: list[str], split: str | None, fit_budget: float | None
) -> dict[str, Any]:
    """The strategy document ``harness fit`` writes and prints."""
    order = list(res.models)
    return {
        "strategy": "cascade",
        "stages": stages(order, res.thresholds, opts.budget_hi),
        "thresholds_usd": thresholds(res.thresholds),
        "thresholds_note": REST_NOTE,
        "models": order,
        "providers": list(opts.providers or order),
        "worst_case_mean_margin": res.mean_margin,
        "solve_rates": [float(res.targets[0]), float(res.targets[-1])],
        "sources": sources,
        "split": split,
        "fit_budget_usd": fit_budget,
        "per_task_budget_usd": opts.budget_hi,
    }


def strategy_lines(data: dict[str, Any], sources: int) -> list[str]:
    """The fitted strategy as sentences (short model names)."""
    label = display_names(data["models"])
    lines = [f"{label[m]}: up to ${usd:.4g} per task" for m, usd in data["stages"]]
    lines.append(f"worst-case mean margin across {sources} source(s): {data['worst_case_mean_margin']:.3f}")
    return lines
