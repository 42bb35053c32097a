"""The run's ledger: per task, the price charged, the spend per model, what was sold; and its summary.

Every dollar of every purchase is in the ledger, including tasks a Ctrl-C or the spend cap left
unfinished (``complete`` false: they earn nothing). ``profit = revenue - cost`` per task and in total;
the margin is profit over revenue; bootstrap bands resample the completed tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.arbitrage.market import Quote
from harness.types import Outcome


@dataclass
class TaskRecord:
    """One task served: what it was charged, what was bought for it, what was sold."""

    task_id: str
    revenue: float
    spend: dict[str, float]
    attempts: dict[str, int]
    sold: bool
    correct: bool | None  # hidden correctness of what was sold (None: the domain has none, or nothing sold)
    reused: int = 0
    truncated: int = 0
    complete: bool = True

    @property
    def cost(self) -> float:
        return sum(self.spend.values())

    @property
    def profit(self) -> float:
        return self.revenue - self.cost

    def row(self, models: Sequence[str]) -> dict[str, Any]:
        """The record as a flat row (the CSV ledger and ``--json``)."""
        out: dict[str, Any] = {
            "task": self.task_id,
            "price_usd": self.revenue,
            "cost_usd": self.cost,
            "profit_usd": self.profit,
            "sold": self.sold,
            "correct": self.correct,
            "complete": self.complete,
            "reused": self.reused,
            "truncated": self.truncated,
        }
        for m in models:
            out[f"spend_usd:{m}"] = self.spend.get(m, 0.0)
            out[f"attempts:{m}"] = self.attempts.get(m, 0)
        return out


def record(
    task_id: str, outcomes: Sequence[Outcome], quote: Quote, complete: bool, refund_wrong: bool = False
) -> TaskRecord:
    """The ledger line of a task from its outcomes and the quoted price."""
    sold = next((o for o in outcomes if o.verified), None)
    spend: dict[str, float] = {}
    attempts: dict[str, int] = {}
    for o in outcomes:
        spend[o.model] = spend.get(o.model, 0.0) + o.cost_usd
        attempts[o.model] = attempts.get(o.model, 0) + 1
    if not complete:
        revenue = 0.0
    elif quote.pricing == "per_task":
        revenue = quote.price_usd
    else:
        revenue = quote.price_usd if sold is not None and not (refund_wrong and sold.correct is False) else 0.0
    return TaskRecord(
        task_id,
        revenue,
        spend,
        attempts,
        sold is not None,
        None if sold is None else sold.correct,
        sum(o.reused for o in outcomes),
        sum(o.truncated for o in outcomes),
        complete,
    )


@dataclass
class Ledger:
    """Every task served by a run, in the order they finished."""

    models: tuple[str, ...]
    quote: Quote
    records: list[TaskRecord] = field(default_factory=list)

    def add(self, rec: TaskRecord) -> None:
        self.records.append(rec)

    @property
    def done(self) -> list[TaskRecord]:
        return [r for r in self.records if r.complete]

    def totals(self) -> dict[str, Any]:
        """Revenue, cost, profit, margin and solve rates of the whole run (every record's cost counts)."""
        done = self.done
        revenue = sum(r.revenue for r in self.records)
        cost = sum(r.cost for r in self.records)
        spend = {m: sum(r.spend.get(m, 0.0) for r in self.records) for m in self.models}
        sold = sum(r.sold for r in done)
        wrong = sum(1 for r in done if r.sold and r.correct is False)
        known = [r for r in done if r.sold and r.correct is not None]
        return {
            "tasks": len(done),
            "unfinished_tasks": len(self.records) - len(done),
            "revenue_usd": revenue,
            "cost_usd": cost,
            "profit_usd": revenue - cost,
            "margin": (revenue - cost) / revenue if revenue > 0 else None,
            "spend_usd": spend,
            "attempts": {m: sum(r.attempts.get(m, 0) for r in self.records) for m in self.models},
            "reused_attempts": sum(r.reused for r in self.records),
            "truncated_attempts": sum(r.truncated for r in self.records),
            "solve_rate": sold / len(done) if done else None,
            "promised_rate": self.quote.promised_rate,
            "sold_wrong": wrong,
            "correct_rate": sum(1 for r in known if r.correct) / len(done) if known and done else None,
            "cost_per_task_usd": cost / len(self.records) if self.records else None,
        }

    def margin_after(self, n: int) -> float | None:
        """The margin of the first ``n`` tasks served (how it evolved during the run)."""
        first = self.records[:n]
        revenue = sum(r.revenue for r in first)
        return (revenue - sum(r.cost for r in first)) / revenue if revenue > 0 else None

    def bands(self, draws: int = 1000, seed: int = 0) -> dict[str, list[float] | None]:
        """Bootstrap 5th-95th percentiles of margin, solve rate and cost per task (tasks resampled)."""
        done = self.done
        if len(done) < 2:
            return {"margin": None, "solve_rate": None, "cost_per_task_usd": None}
        rev = np.array([r.revenue for r in done])
        cost = np.array([r.cost for r in done])
        sold = np.array([r.sold for r in done], dtype=float)
        idx = np.random.default_rng(seed).integers(0, len(done), size=(draws, len(done)))
        r, c = rev[idx].sum(axis=1), cost[idx].sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            margin = np.where(r > 0, (r - c) / r, np.nan)
        return {
            "margin": _band(margin),
            "solve_rate": _band(sold[idx].mean(axis=1)),
            "cost_per_task_usd": _band(cost[idx].mean(axis=1)),
        }

    def providers(self) -> dict[str, float | None]:
        """What each single provider would have charged for the same tasks (per_task: every task; per_solution:
        every task this run sold)."""
        n = len(self.done) if self.quote.pricing == "per_task" else sum(r.sold for r in self.done)
        return {m: (p * n if p is not None else None) for m, p in self.quote.providers_usd.items()}


def _band(x: np.ndarray) -> list[float] | None:
    x = x[np.isfinite(x)]
    return [float(np.percentile(x, 5)), float(np.percentile(x, 95))] if x.size else None
