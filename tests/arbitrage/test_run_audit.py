"""Audit of `harness run`: the money, the economics' conventions and the command line, one test per defect."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from harness import FitContext, Task
from harness.arbitrage.buyers import ReplayBuyer
from harness.arbitrage.cascade import CascadeStrategy
from harness.arbitrage.loop import RunLoop
from harness.arbitrage.market import Quote
from harness.arbitrage.replay import ReplayProvider
from harness.bank import Bank, BankEntry

QUOTE = Quote("per_task", 0.5, 1.0, 1.0, {})


def _serve(bank: Bank, stages: list[list[Any]], budget: float, seed: int = 0):
    s = CascadeStrategy()
    models = tuple(m for m, _ in stages)
    s.fit(FitContext(models=models, providers=models, budget_usd=budget, options={"stages": stages}))
    loop = RunLoop(s, ReplayBuyer(ReplayProvider(bank, seed=seed)), QUOTE, models)
    return asyncio.run(loop.serve([Task(t) for t in sorted(bank.tasks(models[0]))]))


def test_a_threshold_of_exactly_k_attempts_buys_k_whole_attempts() -> None:
    # 0.03 USD at 0.01 per attempt buys 3 attempts (the economics' floor convention), whatever float sums say:
    # the one verified attempt is among the 3 drawn, so the cheap model always sells and the strong one is unused
    bank = Bank({"cheap": {"t": BankEntry(0.01, (0, 0, 1))}, "strong": {"t": BankEntry(0.1, (1,))}})
    for seed in range(6):
        rec = _serve(bank, [["cheap", 0.03], ["strong", math.inf]], 1.0, seed).records[0]
        assert rec.sold and set(rec.attempts) == {"cheap"} and rec.truncated == 0, (seed, rec)
        assert rec.cost == pytest.approx(0.01 * rec.attempts["cheap"])
