"""A replayed cascade's ledger agrees with what the economics predicts for the same thresholds.

The replay draws each task's recorded attempts without replacement in a seeded order and cuts an attempt
at what its stage has left, so its expectation over seeds is the survival integral the economics computes:
the mean over seeds must sit within sampling error of the prediction (solve rate, spend per task, margin).
"""

from __future__ import annotations

import asyncio
import json
import math

import numpy as np
import pytest

from harness import FitContext, Task
from harness.arbitrage.buyers import ReplayBuyer
from harness.arbitrage.cascade import CascadeStrategy
from harness.arbitrage.loop import RunLoop
from harness.arbitrage.market import Market
from harness.arbitrage.replay import ReplayProvider
from harness.bank.formats import read_bank
from harness.economics import cascade_curves, task_curves
from harness.economics.grid import LogGrid, budget_grid
from harness.registry import load_plugins

MODELS = ("cheap", "strong")


def _predicted(bank, stages, budget):
    """Solve rate and spend per task of the cascade at ``budget`` from the economics (a fine grid ending at it)."""
    grid = LogGrid(budget_grid(1e-4, budget, 4000))
    tc = task_curves(bank.matrix(list(MODELS)), grid)
    cc = cascade_curves(tc, MODELS, np.array([[t for _, t in stages]]))
    return float(cc.pass_rate[0, -1]), float(cc.spend[0, -1])


def _replayed(bank, stages, budget, seeds):
    market = Market(bank, MODELS, budget)
    quote = market.quote("per_task", 0.5, budget, 0.05)
    rates, spends, margins = [], [], []
    tasks = [Task(t) for t in sorted(bank.tasks("cheap"))]
    for seed in seeds:
        s = CascadeStrategy()
        s.fit(FitContext(models=MODELS, providers=MODELS, budget_usd=budget, options={"stages": stages}))
        loop = RunLoop(s, ReplayBuyer(ReplayProvider(bank, seed=seed)), quote, MODELS)
        ledger = asyncio.run(loop.serve(tasks))
        t = ledger.totals()
        rates.append(t["solve_rate"])
        spends.append(t["cost_per_task_usd"])
        margins.append(t["margin"])
        assert t["revenue_usd"] - t["cost_usd"] == pytest.approx(t["profit_usd"])
    return np.array(rates), np.array(spends), np.array(margins), quote


@pytest.mark.parametrize("stages", [[["cheap", 0.035], ["strong", math.inf]], [["cheap", 0.0], ["strong", math.inf]]])
def test_replayed_cascade_agrees_with_the_economics_on_a_synthetic_bank(synth, stages) -> None:
    budget = 0.4
    rate, spend = _predicted(synth, stages, budget)
    rates, spends, margins, quote = _replayed(synth, stages, budget, seeds=range(12))
    # sampling error of the mean over seeds x tasks (tasks are fixed, so this is conservative)
    se_rate = rates.std(ddof=1) / np.sqrt(len(rates)) + 1e-4
    se_spend = spends.std(ddof=1) / np.sqrt(len(spends)) + 1e-5
    assert abs(rates.mean() - rate) < 4 * se_rate + 0.002, (rates.mean(), rate)
    assert abs(spends.mean() - spend) < 4 * se_spend + 0.002 * spend, (spends.mean(), spend)
    predicted_margin = 1 - spend / quote.price_usd
    assert (
        abs(margins.mean() - predicted_margin)
        < 4 * (spends.std(ddof=1) / np.sqrt(len(spends))) / quote.price_usd + 0.003
    )


def test_replay_on_real_swebench_matches_analyze_exactly(swe_eval, harness_cli, tmp_path, monkeypatch) -> None:
    # One attempt per instance: the replay is deterministic, so it must equal the prediction.
    mini, gpt5 = "20250807_mini-v1.7.0_gpt-5-mini", "20250807_mini-v1.7.0_gpt-5"
    (tmp_path / "harness.toml").write_text('[store]\npath = "s.sqlite"\n')
    out = harness_cli(
        "run",
        "--replay",
        str(swe_eval),
        "--domain",
        "swebench",
        "--strategy",
        "cascade",
        "--models",
        f"{mini},{gpt5}",
        "--providers",
        f"{mini},{gpt5}",
        "--stages",
        f"{mini}:0.05,{gpt5}",
        "--budget",
        "1",
        "--json",
        cwd=tmp_path,
        env={"HARNESS_DISABLE_PLUGINS": "0"},  # the swebench plugin reads the experiments' files
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "0")
    bank = read_bank(swe_eval, load_plugins().bank_formats)
    # The cascade would deliver 0.690 at $1 a task, more than the market sells (gpt-5 tops out at 0.646):
    # the run serves at the budget where the cascade reaches 0.646, and is priced there, as analyze does.
    budget = data["budget_usd"]
    assert data["promised_rate"] == pytest.approx(0.646) and budget < 1.0
    grid = LogGrid(budget_grid(1e-4, budget, 4000))
    tc = task_curves(bank.matrix([mini, gpt5]), grid)
    cc = cascade_curves(tc, (mini, gpt5), np.array([[0.05, np.inf]]))
    # the budget sits exactly on a task's attempt cost, where the engine's grid interpolates a step: 2e-3
    assert data["tasks"] == 500 and data["solve_rate"] == pytest.approx(float(cc.pass_rate[0, -1]), abs=2e-3)
    assert data["solve_rate"] == pytest.approx(0.646, abs=1e-9)
    assert data["cost_per_task_usd"] == pytest.approx(float(cc.spend[0, -1]), rel=2e-3)
    assert data["revenue_usd"] - data["cost_usd"] == pytest.approx(data["profit_usd"])
    assert sum(data["spend_usd"].values()) == pytest.approx(data["cost_usd"])
