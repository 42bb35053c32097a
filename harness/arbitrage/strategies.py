"""Built-in strategies that need no fitting: ``single`` and ``cascade`` with given thresholds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.errors import HarnessError
from harness.hookspecs import hookimpl
from harness.types import Plan, Stage, Task


class Single:
    """Spend the whole budget on one model (what a customer does without an arbitrageur)."""

    name = "single"
    description = "all of the budget on one model (options: model, budget_usd)"

    def __init__(self) -> None:
        self._plan: Plan | None = None

    def fit(self, bank: Any, options: Mapping[str, Any]) -> None:
        model, budget = options.get("model"), options.get("budget_usd")
        if not isinstance(model, str) or not isinstance(budget, (int, float)) or budget <= 0:
            raise HarnessError("strategy 'single' needs options model=<name> and budget_usd=<dollars > 0>")
        self._plan = Plan((Stage(model, float(budget)),))

    def plan(self, task: Task) -> Plan:
        if self._plan is None:
            raise HarnessError("strategy 'single' was not fitted: call fit() with model and budget_usd")
        return self._plan


class Cascade:
    """Models in a given order, each up to a given dollar threshold per task."""

    name = "cascade"
    description = "given models and dollar thresholds, cheapest first (options: stages=[[model, usd], ...])"

    def __init__(self) -> None:
        self._plan: Plan | None = None

    def fit(self, bank: Any, options: Mapping[str, Any]) -> None:
        stages = options.get("stages")
        try:
            parsed = tuple(Stage(str(m), float(t)) for m, t in stages)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise HarnessError("strategy 'cascade' needs options stages=[[model, threshold_usd], ...]") from None
        if not parsed or any(s.threshold_usd < 0 for s in parsed):
            raise HarnessError("strategy 'cascade' needs at least one stage and thresholds >= 0")
        self._plan = Plan(parsed)

    def plan(self, task: Task) -> Plan:
        if self._plan is None:
            raise HarnessError("strategy 'cascade' was not fitted: call fit() with stages")
        return self._plan


@hookimpl
def register_strategies(register: Any) -> None:
    register(Single)
    register(Cascade)
