"""Where a run's attempts come from: bought live through the attempt pipeline, or replayed from a bank.

Both turn a strategy's :class:`~harness.Buy` into an :class:`~harness.Outcome`. An attempt that would cost
more than its dollar limit is cut off there: it costs the limit and sells nothing (the survival-integral
convention of the economics, so a replayed cascade spends what ``harness analyze`` predicts); a replayed
model whose recorded attempts are all served likewise spends what is left of its stage on nothing, as the
economics' clipped pass@k assumes.
"""

from __future__ import annotations

from typing import Any, Protocol

from harness.arbitrage.cascade import EPS_USD
from harness.arbitrage.replay import ReplayProvider
from harness.collect.pipeline import AttemptPipeline
from harness.collect.plan import Work
from harness.errors import HarnessError
from harness.store.attempt import AttemptKey
from harness.types import Buy, Outcome, TaskHistory


class Buyer(Protocol):
    """Turns a purchase decision into an outcome."""

    async def buy(self, history: TaskHistory, buy: Buy) -> Outcome | None: ...


class ReplayBuyer:
    """Serves recorded attempts (drawn without replacement in a seeded order) at their recorded cost, with
    their hidden correctness where the bank records it (the oracle sells a correct one when there is one)."""

    def __init__(self, replay: ReplayProvider) -> None:
        self.replay = replay

    async def buy(self, history: TaskHistory, buy: Buy) -> Outcome:
        task, model = history.task.id, buy.model
        limit = buy.limit_usd
        if buy.verified_only:
            entry = self.replay.bank.entries[model][task]  # type: ignore[union-attr]
            good = None if entry.correct is None else any(map(min, entry.attempts, entry.correct))
            return Outcome(model, entry.mean_cost, True, good)
        if self.replay.remaining(task, model) == 0:  # nothing left to draw: the stage's rest buys nothing
            return Outcome(model, limit or 0.0, False, None, truncated=True)
        got = self.replay.next_attempt(task, model)
        if limit is not None and got.cost_usd > limit + EPS_USD:  # a stage of exactly k attempts buys k (floats)
            return Outcome(model, limit, False, None, truncated=True)
        recorded = self.replay.bank.entries[model][task].correct  # type: ignore[union-attr]
        correct = None if recorded is None else bool(recorded[got.index])
        return Outcome(model, got.cost_usd, got.passed, correct)


class LiveBuyer:
    """Buys attempts through the collection pipeline; an attempt already in the store is reused, not paid again.

    The ``k``-th purchase of a model for a task is the attempt of identity (domain, task, model,
    fingerprint, k): an interrupted run, or one after a collection of the same experiment, takes the stored
    attempts first. A stored attempt that was cut at a dollar limit is reused when this purchase's limit is
    no larger (it would be cut there again); see :func:`_reusable` for errors.
    """

    def __init__(self, pipeline: AttemptPipeline, store: Any) -> None:
        self.pipeline = pipeline
        self.store = store
        self.bought = 0
        self.reused = 0

    async def buy(self, history: TaskHistory, buy: Buy) -> Outcome | None:
        if buy.verified_only:
            raise HarnessError("the oracle strategy needs recorded attempts: run it with --replay BANK")
        task, model = history.task, buy.model
        index = history.count(model)
        key = AttemptKey(self.pipeline.setup.name, task.id, model, self.pipeline.fingerprints[model], index)
        stored = self.store.get(key)
        if stored is not None and _reusable(stored, buy.limit_usd):
            self.reused += 1
            return _outcome(stored, buy.limit_usd, reused=True)
        result = await self.pipeline.attempt(Work(task, model, index), buy.limit_usd)
        if result.attempt is None:
            if result.refused == "attempt_limit":  # not even one call fits what the stage has left
                return Outcome(model, 0.0, False, None, truncated=True)
            return None  # refused (stopping, or the spend cap): nothing bought
        self.bought += 1
        return _outcome(result.attempt, buy.limit_usd, reused=False)


#: Errors of an attempt cut short by a stopping run (Ctrl-C, the spend cap): its task was left unfinished, so
#: the run resumed buys the attempt again, as ``collect`` does.
_STOPPED = ("interrupted", "spend_cap")


def _reusable(a: Any, limit: float | None) -> bool:
    """A stored attempt stands for this purchase: a verdict; an attempt cut at a limit no smaller than this
    one; or an error that cost money (a purchase that sold nothing: buying it again would pay twice). An
    error that cost nothing (a refused connection, an unbilled server error) is retried."""
    if a.verdict != "error":
        return True
    if a.error_kind == "attempt_limit":
        cut_at = (a.detail or {}).get("limit_usd")
        return cut_at is not None and limit is not None and limit <= cut_at + EPS_USD
    return a.cost_usd > 0 and a.error_kind not in _STOPPED


def _outcome(a: Any, limit: float | None, reused: bool) -> Outcome:
    """An attempt as a run's outcome: an error is a purchase that sold nothing (its dollars still count).

    A stored attempt dearer than this stage allows, made without this limit (e.g. by a collection), would
    have been cut at it: it costs the limit and sells nothing. One bought under the limit and billed above
    it (a provider counting more tokens than the estimate), now or by the run being resumed, costs what was
    paid and keeps its verdict: the ledger holds every dollar spent."""
    cut = a.verdict == "error" and a.error_kind == "attempt_limit"
    over = limit is not None and a.cost_usd > limit + EPS_USD
    made_under = (a.detail or {}).get("limit_usd")
    if over and reused and (made_under is None or made_under > limit + EPS_USD):
        return Outcome(a.model, limit, False, None, truncated=True, reused=reused)
    cut = cut or over
    return Outcome(a.model, a.cost_usd, a.verdict == "passed", a.correct, truncated=cut, reused=reused)
