"""``harness run`` live against the fake OpenAI-compatible server: attempts through the collection
pipeline, the ledger adds up, the spend cap holds, a second run pays nothing again, hosted-model configs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from collect_fixtures import config_for, env_for, toml_for, toy_domain

from harness import HarnessError
from harness.arbitrage.banks import BankPlan
from harness.arbitrage.run import Runner, RunOptions
from harness.collect.collector import Collector
from harness.registry import load_plugins
from harness.store import Store
from harness.testing.fakeserver import FakeServer

MODELS = {"cheap": {"input_cost_per_mtok": 0.5, "output_cost_per_mtok": 1.0}, "strong": {}}


def answer(model: str, messages: list[dict[str, Any]]) -> str:
    """The cheap model is right on tasks with an even first number; the strong one always."""
    a, b = (int(x) for x in re.search(r"(-?\d+)\s*\+\s*(-?\d+)", messages[-1]["content"]).groups())
    wrong = "cheap" in model and a % 2 == 1
    return f"ANSWER: {a + b + int(wrong)}"


@pytest.fixture
def server():
    with FakeServer(answer=answer) as s:
        yield s


def _runner(server, tmp_path, strategy="cascade", **kw: Any) -> tuple[Runner, Store, BankPlan]:
    cfg = config_for(server, tmp_path / "store.sqlite", MODELS, {"count": 8})
    registry = load_plugins(extra=[("toy", toy_domain)])
    store = Store(cfg.store_path)
    plan = BankPlan(True, tasks=8, attempts=2, collect=lambda o, why: Collector(cfg, registry, store, o).run())
    opts = dict(
        domain="toy", strategy=strategy, models=("cheap", "strong"), providers=("cheap", "strong"), budget_usd=0.001
    )
    opts.update(kw)
    return Runner(cfg, registry, store, RunOptions(**opts), plan), store, plan


def test_a_live_cascade_buys_through_the_pipeline_and_its_ledger_adds_up(server, tmp_path: Path) -> None:
    one = (20 * 0.5 + 8 * 1.0) / 1e6  # a call of the cheap model
    runner, store, plan = _runner(server, tmp_path, strategy_options={"stages": [["cheap", 2 * one], ["strong", None]]})
    result = runner.run()
    data = result.summary()
    # the market bank was collected first (8 tasks x 2 attempts x 2 providers), then the run bought more
    assert plan.collected and plan.collected[0]["done"] == 32 and data["spend_before_run_usd"] > 0
    assert data["tasks"] == 8 and data["solve_rate"] == 1.0
    assert data["attempts"]["cheap"] == 8 + 4 * 1  # odd tasks: two cheap attempts... the first two are stored
    for r in result.ledger.records:
        assert r.profit == pytest.approx(r.revenue - r.cost)
        assert r.cost == pytest.approx(sum(r.spend.values()))
    assert data["revenue_usd"] - data["cost_usd"] == pytest.approx(data["profit_usd"])
    assert sum(data["spend_usd"].values()) == pytest.approx(data["cost_usd"])
    # every purchase was an attempt of the store (reused: the market bank holds attempts 0 and 1)
    assert data["attempts_reused"] == sum(data["attempts"].values()) and data["attempts_bought"] == 0
    count = server.count
    again = _runner(server, tmp_path, strategy_options={"stages": [["cheap", 2 * one], ["strong", None]]})[0].run()
    assert server.count == count  # a second run pays for nothing again
    assert again.summary()["cost_usd"] == pytest.approx(data["cost_usd"])


def test_live_purchases_beyond_the_store_are_bought_and_recorded(server, tmp_path: Path) -> None:
    runner, store, plan = _runner(server, tmp_path, strategy_options={"stages": [["cheap", 1.0], ["strong", None]]})
    plan.attempts = 1
    result = runner.run()
    data = result.summary()
    # odd tasks: the cheap model keeps failing until its stage (the whole budget) is spent
    assert data["attempts_bought"] > 0 and data["solve_rate"] == pytest.approx(0.5)
    rows = store.attempts(domain="toy", models=["cheap"])
    # every purchase is a stored attempt, but for the last of each odd task: not even one call fit what its
    # stage had left (attempt_limit), so it was never made
    assert len(rows) == sum(r.attempts.get("cheap", 0) for r in result.ledger.records) - 4
    assert sum(r.truncated for r in result.ledger.records) == 4
    assert data["cost_usd"] <= 8 * 0.001 + 1e-12  # never above the per-task budget


def test_the_spend_cap_holds_across_collection_and_run(server, tmp_path: Path) -> None:
    cap = 0.00015
    runner, store, plan = _runner(server, tmp_path, strategy="single", max_spend=cap, budget_usd=0.01)
    try:
        runner.run()
    except HarnessError:
        pass
    assert store.spend() <= cap + 1e-12


def test_a_missing_market_bank_without_collecting_is_one_clear_line(server, tmp_path: Path) -> None:
    runner, _, plan = _runner(server, tmp_path)
    plan.collect_missing = False
    with pytest.raises(HarnessError, match=r"the market's prices on 'toy'.*harness collect --domain toy"):
        runner.run()


def test_the_command_line_run_prints_a_json_ledger_against_a_hosted_config(server, tmp_path: Path, harness_cli) -> None:
    cfg = tmp_path / "harness.toml"
    cfg.write_text(
        toml_for(server, tmp_path / "store.sqlite", MODELS, {"count": 6})
        + "\n[market]\nproviders = ['cheap', 'strong']\n[run]\nfit_tasks = 6\nfit_attempts = 1\n"
    )
    env = env_for(tmp_path)
    out = harness_cli(
        "--config",
        str(cfg),
        "run",
        "--domain",
        "toy",
        "--strategy",
        "optimal",
        "--budget",
        "0.001",
        "--json",
        "--out",
        str(tmp_path / "out"),
        env=env,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["tasks"] == 6 and data["strategy"] == "optimal" and data["stages"]
    assert "collecting first" in out.stderr
    assert {Path(f).name for f in data["files"]} >= {"ledger.csv", "summary.json", "cumulative_profit.png"}
    out = harness_cli("--config", str(cfg), "run", "--domain", "toy", "--strategy", "nope", env=env)
    assert out.returncode == 2 and "unknown strategy 'nope'" in out.stderr and "Traceback" not in out.stderr
