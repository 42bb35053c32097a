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
        }


def count(stats: dict[str, ModelStats], written: Iterable[Attempt]) -> None:
    """Add committed attempts to their models' counts."""
    for a in written:
        stats[a.model].add(a)
