"""Strategies as purchase-by-purchase decisions: stage budgets, truncation, fits, and the oracle."""

from __future__ import annotations

import math

import numpy as np
import pytest
from synthetic_banks import synthetic_bank

from harness import Buy, FitContext, HarnessError, Outcome, Task, TaskHistory
from harness.arbitrage.cascade import CascadeStrategy, parse_stages
from harness.arbitrage.fitting import fit_matrix, fit_options
from harness.arbitrage.replay import ReplayProvider
from harness.arbitrage.strategies import Adaptive, Optimal, Oracle, Robust, Single
from harness.economics.analysis import fit_strategy
from harness.economics.oracle import oracle_costs


def _cascade(stages: str, budget: float) -> CascadeStrategy:
    s = CascadeStrategy()
    s.fit(FitContext(models=(), providers=(), budget_usd=budget, options={"stages": stages}))
    return s


def test_stages_spend_their_threshold_then_the_rest_of_the_budget() -> None:
    s = _cascade([["cheap", 0.25], ["strong", "inf"]], budget=1.0)
    h = TaskHistory(Task("t"))
    assert s.next_buy(h) == Buy("cheap", 0.25)
    h.outcomes.append(Outcome("cheap", 0.1, False))
    assert s.next_buy(h) == Buy("cheap", pytest.approx(0.15))
    h.outcomes.append(Outcome("cheap", 0.15, False, truncated=True))  # cut at its limit: the stage is spent
    assert s.next_buy(h) == Buy("strong", pytest.approx(0.75))
    h.outcomes.append(Outcome("strong", 0.3, True))
    assert s.next_buy(h) is None  # sold


def test_a_truncated_attempt_ends_its_stage_even_when_it_cost_nothing() -> None:
    s = _cascade([["cheap", 0.25], ["strong", None]], budget=0.5)
    h = TaskHistory(Task("t"), [Outcome("cheap", 0.0, False, truncated=True)])
    assert s.next_buy(h) == Buy("strong", pytest.approx(0.25))


def test_thresholds_above_the_budget_are_cut_by_it() -> None:
    s = _cascade([["cheap", 2.0], ["strong", "inf"]], budget=0.5)
    assert s.stage_budgets() == [("cheap", 0.5), ("strong", 0.0)]
    h = TaskHistory(Task("t"), [Outcome("cheap", 0.5, False)])
    assert s.next_buy(h) is None


@pytest.mark.parametrize(
    ("stages", "message"),
    [
        ([], "at least one stage"),
        ([["a", -1]], "thresholds >= 0"),
        ([["a", 1], ["a", 2]], "two stages"),
        ("x", "stages as"),
    ],
)
def test_bad_stages_are_one_clear_error(stages, message) -> None:
    with pytest.raises(HarnessError, match=message):
        parse_stages(stages)


def test_single_spends_everything_on_one_model() -> None:
    s = Single()
    s.fit(FitContext(models=("cheap", "strong"), providers=(), budget_usd=0.3))
    assert s.next_buy(TaskHistory(Task("t"))) == Buy("strong", 0.3)


def test_optimal_fits_the_same_thresholds_as_the_economics(synth) -> None:
    s = Optimal()
    s.fit(FitContext(models=("cheap", "strong"), providers=("cheap", "strong"), budget_usd=1.0, target_bank=synth))
    mx = fit_matrix(synth, ["cheap", "strong"], ["cheap", "strong"], "bank")
    expected = fit_strategy([mx], ["cheap", "strong"], fit_options([mx], ["cheap", "strong"], 1.0))
    assert s.stages[0].model == "cheap" and s.stages[0].threshold_usd == pytest.approx(expected.thresholds[0])
    assert math.isinf(s.stages[-1].threshold_usd) and s.fitted.mean_margin == pytest.approx(expected.mean_margin)


def test_optimal_and_robust_say_what_bank_they_lack() -> None:
    ctx = FitContext(models=("cheap", "strong"), providers=("strong",), budget_usd=1.0)
    with pytest.raises(HarnessError, match="target domain's own bank"):
        Optimal().fit(ctx)
    with pytest.raises(HarnessError, match="other domains' banks"):
        Robust().fit(ctx)


def test_robust_fits_only_on_the_fit_banks(synth) -> None:
    other = synthetic_bank(tasks=200, seed=5)
    models = ("cheap", "strong")
    seen = Robust()
    seen.fit(FitContext(models=models, providers=models, budget_usd=1.0, fit_banks={"o": other}, target_bank=synth))
    blind = Robust()
    blind.fit(FitContext(models=models, providers=models, budget_usd=1.0, fit_banks={"o": other}))
    assert seen.stages == blind.stages  # the target domain's bank is never looked at
    both = Robust()
    both.fit(FitContext(models=models, providers=models, budget_usd=1.0, fit_banks={"o": other, "s": synth}))
    assert both.fitted.mean_margin <= min(blind.fitted.mean_margin, _own(synth)) + 1e-9  # the worst case
    assert both.fitted.sources == ("o", "s")


def _own(bank) -> float:
    s = Optimal()
    s.fit(FitContext(models=("cheap", "strong"), providers=("cheap", "strong"), budget_usd=1.0, target_bank=bank))
    return s.fitted.mean_margin


def test_oracle_buys_only_the_cheapest_verified_attempt(synth) -> None:
    o = Oracle()
    o.fit(FitContext(models=("cheap", "strong"), providers=(), budget_usd=1.0, replay=ReplayProvider(synth)))
    mx = synth.matrix(["cheap", "strong"])
    best = oracle_costs(mx)
    for i, tid in enumerate(mx.tasks[:50]):
        buy = o.next_buy(TaskHistory(Task(tid)))
        if not np.isfinite(best[i]):
            assert buy is None
        else:
            e = synth.entries[buy.model][tid]
            assert buy.verified_only and e.c > 0 and e.mean_cost == pytest.approx(best[i])


def test_adaptive_explores_and_refits(synth) -> None:
    import asyncio

    from harness.arbitrage.buyers import ReplayBuyer
    from harness.arbitrage.loop import RunLoop
    from harness.arbitrage.market import Market

    models = ("cheap", "strong")
    a = Adaptive()
    a.fit(
        FitContext(
            models=models,
            providers=models,
            budget_usd=1.0,
            fit_banks={"other": synthetic_bank(200, seed=5)},
            market_bank=synth,
            options={"explore_every": 2, "refit_every": 3},
        )
    )
    start = a.stages
    quote = Market(synth, models, 1.0).quote("per_task", 0.9, 1.0, 0.0)
    tasks = [Task(t) for t in sorted(synth.tasks("cheap"))[:60]]
    ledger = asyncio.run(RunLoop(a, ReplayBuyer(ReplayProvider(synth, seed=1)), quote, models).serve(tasks))
    explored = [r for r in ledger.records if r.task_id in a._exploring]
    assert len(explored) == 30
    assert all(
        r.attempts.get("cheap", 0) >= 1 and r.attempts.get("strong", 0) == 1 for r in explored
    )  # even after a sale
    refits = a.history[1:]
    assert refits and all(r["fitted_margin"] > 0 for r in refits)  # only a fit that earns something is adopted
    assert [r["tasks"] % 3 for r in refits] == [0] * len(refits) and refits[-1]["served"] <= 60
    assert a.stages != start or len(refits) > 1
    bank, cascade, providers = a._refit_bank()
    assert cascade == ("cheap (run)", "strong (run)") and providers == models  # priced against the market bank
    assert all(bank.entries["strong"][t] == synth.entries["strong"][t] for t in bank.tasks("strong"))
