"""The run loop: serve a stream of tasks with a strategy, buying attempts one decision at a time.

For each task the strategy is asked for its next purchase given what was bought so far; the purchase is
made (live through the attempt pipeline, or replayed), the strategy observes the outcome, and the task
ends when the strategy stops (a cascade stops at the first verified attempt; an exploring strategy may
buy more). The first verified attempt is what is sold. Tasks are served ``concurrency`` at a time
(attempts within a task are sequential: each decision depends on the last outcome). A refused purchase
(the run is stopping, or the spend cap is reached) ends the task unfinished and starts no new task.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from harness.arbitrage.buyers import Buyer
from harness.arbitrage.ledger import Ledger, TaskRecord, record
from harness.arbitrage.market import Quote
from harness.collect.state import RunState
from harness.errors import HarnessError
from harness.types import Outcome, Task, TaskHistory

#: A safety net against a strategy that never stops (each purchase normally spends money or is cut).
MAX_PURCHASES_PER_TASK = 10_000


class RunLoop:
    """Serves tasks with ``strategy`` through ``buyer``; the ledger grows as tasks finish."""

    def __init__(
        self,
        strategy: Any,
        buyer: Buyer,
        quote: Quote,
        models: Sequence[str],
        state: RunState | None = None,
        concurrency: int = 1,
        on_task: Callable[[TaskRecord], None] | None = None,
        refund_wrong: bool = False,
    ) -> None:
        self.strategy = strategy
        self.buyer = buyer
        self.ledger = Ledger(tuple(models), quote)
        self.state = state or RunState()
        self.concurrency = max(1, concurrency)
        self.on_task = on_task
        self.refund_wrong = refund_wrong
        self.refused = False  # a purchase was refused: no new task starts

    async def serve(self, tasks: Sequence[Task]) -> Ledger:
        """Serve every task (or until stopped) and return the ledger."""
        queue = deque(tasks)

        async def worker() -> None:
            while queue and self.state.accepting and not self.refused:
                await self._serve_one(queue.popleft())

        workers = [asyncio.create_task(worker()) for _ in range(min(self.concurrency, max(len(queue), 1)))]
        try:
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        return self.ledger

    async def _serve_one(self, task: Task) -> None:
        history = TaskHistory(task)
        complete = True
        try:
            for _ in range(MAX_PURCHASES_PER_TASK):
                buy = self.strategy.next_buy(history)
                if buy is None:
                    break
                if buy.model not in self.ledger.models:  # its dollars would be in no model's column
                    raise HarnessError(
                        f"strategy {getattr(self.strategy, 'name', '?')!r} asked to buy {buy.model!r}, not one of "
                        f"the models it may buy ({', '.join(self.ledger.models)}): add it to --models"
                    )
                outcome: Outcome | None = await self.buyer.buy(history, buy)
                if outcome is None:  # refused: the run is stopping or the cap is reached
                    self.refused, complete = True, False
                    break
                history.outcomes.append(outcome)
                self.strategy.observe(history, outcome)
        except BaseException:  # cancelled, or a failure: the task was not served to the end
            complete = False
            raise
        finally:
            rec = record(task.id, history.outcomes, self.ledger.quote, complete, self.refund_wrong)
            if history.outcomes or complete:
                self.ledger.add(rec)
                if self.on_task is not None:
                    self.on_task(rec)
