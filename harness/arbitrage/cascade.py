"""A fixed cascade as a strategy: the simple case of the purchase-by-purchase strategy interface.

Stage ``m`` may spend up to ``min(t_m, B - (t_1 + ... + t_(m-1)))`` dollars on its model for a task
(``B`` the per-task budget; ``inf`` takes the rest), stopping at the first verified attempt. Each
attempt is bought with a dollar limit of what its stage has left, so an attempt that would cost more is
cut off there and sells nothing: exactly the survival integral of the economics, so a replayed cascade
spends what ``harness analyze`` predicts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.errors import HarnessError
from harness.types import Buy, FitContext, Outcome, Stage, TaskHistory

#: A stage with less than this many dollars left is spent (float sums of attempt costs).
EPS_USD = 1e-12


def parse_stages(stages: Any, what: str = "cascade") -> tuple[Stage, ...]:
    """``[[model, usd], ...]`` (``"inf"``/``None`` for the rest) to stages; one clear error otherwise."""
    try:
        parsed = tuple(Stage(str(m), math.inf if t in (None, "inf", "rest") else float(t)) for m, t in stages)
    except (TypeError, ValueError):
        raise HarnessError(f"strategy {what!r} needs stages as [[model, threshold_usd], ...]") from None
    if not parsed or any(not (s.threshold_usd >= 0) for s in parsed):
        raise HarnessError(f"strategy {what!r} needs at least one stage and thresholds >= 0 USD")
    models = [s.model for s in parsed]
    if len(set(models)) != len(models):
        raise HarnessError(f"strategy {what!r}: a model appears in two stages ({', '.join(models)})")
    return parsed


def stages_from_thresholds(models: Sequence[str], thresholds: Iterable[float]) -> tuple[Stage, ...]:
    """Stages from per-model thresholds (as the economics' searches return them); zero stages are skipped."""
    return tuple(Stage(m, float(t)) for m, t in zip(models, thresholds, strict=True) if t > 0)


class CascadeStrategy:
    """Models in order, each up to its dollar threshold per task. Subclasses set ``stages`` in ``fit``."""

    name = "cascade"
    description = "given models and dollar thresholds, cheapest first (options: stages=[[model, usd], ...])"

    def __init__(self) -> None:
        self.stages: tuple[Stage, ...] = ()
        self.budget_usd: float = math.inf

    def fit(self, context: FitContext) -> None:
        self.budget_usd = context.budget_usd
        self.use(parse_stages(_stages_option(context.options, self.name), self.name))

    def use(self, stages: Sequence[Stage]) -> None:
        """Serve with ``stages`` from now on (an adaptive strategy calls this again as it learns)."""
        if not stages:
            raise HarnessError(f"strategy {self.name!r} has no stage with a positive threshold")
        self.stages = tuple(stages)

    def stage_budgets(self, budget_usd: float | None = None) -> list[tuple[str, float]]:
        """Each stage's model and the dollars it may spend on one task, under the per-task budget (this
        strategy's, or ``budget_usd``)."""
        out, left = [], self.budget_usd if budget_usd is None else budget_usd
        for s in self.stages:
            usd = max(min(s.threshold_usd, left), 0.0)
            out.append((s.model, usd))
            left -= usd
        return out

    def next_buy(self, history: TaskHistory) -> Buy | None:
        if not self.stages:
            raise HarnessError(f"strategy {self.name!r} was not fitted: call fit() first")
        if history.verified:
            return None
        for model, usd in self.stage_budgets():
            left = usd - history.spent(model)
            cut = any(o.truncated for o in history.outcomes if o.model == model)  # its stage ran out
            if left > EPS_USD and not cut:
                return Buy(model, left)
        return None

    def observe(self, history: TaskHistory, outcome: Outcome) -> None:
        """A fixed cascade learns nothing while it runs."""

    def describe(self) -> list[dict[str, Any]]:
        """The stages as plain data (model, threshold, what it may spend under the budget)."""
        return [
            {
                "model": s.model,
                "threshold_usd": None if math.isinf(s.threshold_usd) else s.threshold_usd,
                "budget_usd": usd,
            }
            for s, (_, usd) in zip(self.stages, self.stage_budgets(), strict=True)
        ]


def _stages_option(options: Mapping[str, Any], name: str) -> Any:
    stages = options.get("stages")
    if stages is None:
        raise HarnessError(
            f"strategy {name!r} needs stages: --stages model:usd,model:usd, [run] stages, or --strategy-file "
            "with a `harness fit` JSON"
        )
    return stages
