"""Per-model counts of a collection, for the progress display and the summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.store.attempt import Attempt


@dataclass
class ModelStats:
    """What one model's attempts of this collection did so far."""

    planned: int = 0
    already_done: int = 0
    done: int = 0
    passed: int = 0
    failed: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    cost_usd: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    retries: int = 0  # requests repeated inside the provider after transient failures (rate limits, 5xx ...)
    queue_s: float = 0.0  # waiting for a slot, a reservation, or behind other local generations
    latency_s: float = 0.0  # the model's own time

    @property
    def pass_rate(self) -> float | None:
        judged = self.passed + self.failed
        return self.passed / judged if judged else None

    def add(self, a: Attempt) -> None:
        """Count one committed attempt."""
        self.done += 1
        self.cost_usd += a.cost_usd
        self.input_tokens += a.input_tokens or 0
        self.output_tokens += a.output_tokens or 0
        detail = a.detail or {}
        self.retries += int(detail.get("retries", 0) or 0)
        self.queue_s += float(detail.get("queue_s", 0.0) or 0.0)
        self.latency_s += a.latency_s or 0.0
        if a.verdict == "passed":
            self.passed += 1
        elif a.verdict == "failed":
            self.failed += 1
        else:
            self.errors[a.error_kind or "unknown"] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "planned": self.planned,
            "already_done": self.already_done,
            "done": self.done,
            "passed": self.passed,
            "failed": self.failed,
            "errors": dict(self.errors),
            "skipped_spend_cap": self.skipped,
            "cost_usd": self.cost_usd,
            "pass_rate": self.pass_rate,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "retries": self.retries,
            "queue_s": self.queue_s,
            "latency_s": self.latency_s,
        }


def count(stats: dict[str, ModelStats], written: Iterable[Attempt]) -> None:
    """Add committed attempts to their models' counts."""
    for a in written:
        stats[a.model].add(a)
