"""``harness fit`` 's output: the fitted cascade as the ``cascade`` strategy's JSON, and its terminal lines."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from harness.economics.analysis import AnalysisOptions
from harness.economics.search import SearchResult
from harness.report.format import display_names
from harness.report.summary import REST_NOTE, degenerate_note, thresholds


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
    res: SearchResult,
    opts: AnalysisOptions,
    sources: list[str],
    split: str | None,
    fit_budget: float | None,
    seen: np.ndarray | None = None,
) -> dict[str, Any]:
    """The strategy document ``harness fit`` writes and prints (``seen``: per source, tasks and USD observed)."""
    order = list(res.models)
    staged = stages(order, res.thresholds, opts.budget_hi)
    out: dict[str, Any] = {
        "strategy": "cascade",
        "stages": staged,
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
        "degenerate": len(staged) < len(order),
    }
    if seen is not None:
        out["observed_tasks"] = [int(x) for x in seen[:, 0]]
        out["fit_spend_usd"] = [float(x) for x in seen[:, 1]]
    if out["degenerate"]:
        idle = [m for m in order if m not in {s[0] for s in staged}]
        out["degenerate_note"] = degenerate_note(idle, order)
    return out


def strategy_lines(data: dict[str, Any], sources: int) -> list[str]:
    """The fitted strategy as sentences (short model names)."""
    label = display_names(data["models"])
    lines = [f"{label[m]}: up to ${usd:.4g} per task" for m, usd in data["stages"]]
    lines.append(f"worst-case mean margin across {sources} source(s): {data['worst_case_mean_margin']:.3f}")
    if data.get("fit_budget_usd") is not None and "observed_tasks" in data:
        seen = ", ".join(
            f"{n} tasks for ${usd:.4g}" for n, usd in zip(data["observed_tasks"], data["fit_spend_usd"], strict=True)
        )
        lines.append(f"observed with the fit budget: {seen}")
    if data.get("degenerate_note"):
        lines.append(data["degenerate_note"])
    return lines
