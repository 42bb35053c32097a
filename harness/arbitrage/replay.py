"""The ``replay`` provider: serve attempts from a recorded bank instead of calling a model.

Running a strategy on real recorded data costs nothing and is exactly reproducible: for each
(model, task) the recorded attempts are drawn *without replacement* in an order fixed by the seed,
the model name and the task id (so the order does not depend on which tasks are asked first).
Each drawn attempt carries its recorded verdict and cost (a bank keeps the mean cost per attempt,
so every attempt of a task costs the entry's ``mean_cost``). Asking for more attempts than were
recorded is a :class:`ReplayExhausted` error, never a silent reuse.

Interface (used by ``harness run --replay BANK``)::

    replay = registry.provider("replay").with_bank(bank, seed=0)
    attempt = replay.next_attempt(task_id, model)   # ReplayAttempt(passed, cost_usd, index)
    replay.remaining(task_id, model)                # attempts still unserved
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from typing import Any, NamedTuple

from harness.bank import Bank
from harness.errors import HarnessError, NotAvailableError
from harness.types import Completion, Message, Verdict


class ReplayExhausted(HarnessError):
    """Every recorded attempt of a model on a task has been served already."""


class ReplayAttempt(NamedTuple):
    """One recorded attempt: whether it was verified, what it cost, and its index in the bank entry."""

    passed: bool
    cost_usd: float
    index: int

    @property
    def verdict(self) -> Verdict:
        """The recorded outcome as a :class:`~harness.Verdict`."""
        return Verdict(status="passed" if self.passed else "failed")


def _model_name(model: Any) -> str:
    return model if isinstance(model, str) else str(getattr(model, "name", model))


class ReplayProvider:
    """Recorded attempts of a bank, drawn without replacement per (model, task) with a seed."""

    name = "replay"
    description = "serves recorded attempts (verdict and cost) from a bank; no model is called"

    def __init__(self, bank: Bank | None = None, seed: int = 0) -> None:
        self.bank = bank
        self.seed = int(seed)
        self._left: dict[tuple[str, str], list[int]] = {}
        self._lock = threading.Lock()

    def with_bank(self, bank: Bank, seed: int = 0) -> ReplayProvider:
        """A fresh provider replaying ``bank`` with ``seed`` (the registered instance holds no bank)."""
        return ReplayProvider(bank, seed)

    def reset(self) -> None:
        """Start over: every recorded attempt can be served again, in the same seeded order."""
        with self._lock:
            self._left.clear()

    def _entry(self, task_id: str, model: str) -> Any:
        if self.bank is None:
            raise HarnessError("the replay provider has no bank: pass one with --replay BANK")
        tasks = self.bank.entries.get(model)
        if tasks is None:
            raise HarnessError(f"model {model!r} is not in the replay bank (it has: {', '.join(self.bank.models)})")
        entry = tasks.get(task_id)
        if entry is None:
            raise HarnessError(f"task {task_id!r} has no recorded attempts of model {model!r} in the replay bank")
        return entry

    def _order(self, task_id: str, model: str, n: int) -> list[int]:
        key = (model, task_id)
        left = self._left.get(key)
        if left is None:
            order = list(range(n))
            random.Random(f"{self.seed}\x00{model}\x00{task_id}").shuffle(order)
            left = self._left[key] = order[::-1]  # served by pop() from the end
        return left

    def remaining(self, task_id: str, model: Any) -> int:
        """How many recorded attempts of ``model`` on ``task_id`` are still unserved."""
        name = _model_name(model)
        entry = self._entry(task_id, name)
        with self._lock:
            left = self._left.get((name, task_id))
            return entry.n if left is None else len(left)

    def next_attempt(self, task_id: str, model: Any) -> ReplayAttempt:
        """The next recorded attempt of ``model`` on ``task_id``: its verdict and its cost in USD."""
        name = _model_name(model)
        entry = self._entry(task_id, name)
        with self._lock:
            left = self._order(task_id, name, entry.n)
            if not left:
                raise ReplayExhausted(
                    f"the replay bank has only {entry.n} recorded attempt(s) of model {name!r} on task "
                    f"{task_id!r}, all served: record more attempts (harness collect --attempts N) "
                    f"or lower the strategy's budget"
                )
            index = left.pop()
        return ReplayAttempt(bool(entry.attempts[index]), entry.mean_cost, index)

    async def complete(self, model: Any, messages: Sequence[Message], **params: Any) -> Completion:
        """Not available: a bank records verdicts and costs, not text; use :meth:`next_attempt`."""
        raise NotAvailableError(
            "the replay provider serves recorded verdicts and costs, not text: "
            "use it through `harness run --replay BANK` (ReplayProvider.next_attempt)"
        )
