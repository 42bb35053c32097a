"""Audit of `harness run`: the money, the economics' conventions and the command line, one test per defect."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import time
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import toy_domain
from collect_fixtures import config_for
from synthetic_banks import synthetic_bank

from harness import FitContext, HarnessError, Task, hookimpl
from harness.arbitrage.banks import BankPlan
from harness.arbitrage.buyers import ReplayBuyer
from harness.arbitrage.cascade import CascadeStrategy
from harness.arbitrage.loop import RunLoop
from harness.arbitrage.market import Quote
from harness.arbitrage.replay import ReplayProvider
from harness.arbitrage.run import RunFailed, Runner, RunOptions
from harness.arbitrage.strategies import Adaptive, Oracle
from harness.bank import Bank, BankEntry
from harness.collect.collector import Collector
from harness.economics import cascade_curves, cascade_prices, market_price, task_curves
from harness.economics.grid import LogGrid, budget_grid
from harness.registry import load_plugins
from harness.store import Store
from harness.testing.fakeserver import FakeServer

QUOTE = Quote("per_task", 0.5, 1.0, 1.0, {})


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch) -> None:
    """Bank files are read through the process-wide registry: each test loads its own (with the plugins its
    environment allows) and gives the process's back after."""
    monkeypatch.setattr("harness.registry._cache", {})


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


CHEAP = {"input_cost_per_mtok": 0.5, "output_cost_per_mtok": 1.0}


def _market_bank(path: Path, tasks: int = 4) -> Path:
    """A hand-made market bank of the toy domain (so a live run collects nothing first)."""
    bank = Bank(
        {
            "cheap": {f"t{i:03d}": BankEntry(0.0001, (i % 2 == 0,) * 2) for i in range(tasks)},
            "strong": {f"t{i:03d}": BankEntry(0.0004, (1, 1)) for i in range(tasks)},
        }
    )
    bank.write_jsonl(path)
    return path


def _live(server: FakeServer, tmp_path: Path, configured: dict[str, dict[str, Any]], toy: dict[str, Any], **kw: Any):
    cfg = config_for(server, tmp_path / "store.sqlite", configured, toy)
    registry = load_plugins(extra=[("toy", toy_domain)])
    store = Store(cfg.store_path)
    plan = BankPlan(False, tasks=4, attempts=1, collect=lambda o, why: {})
    opts: dict[str, Any] = dict(
        domain="toy",
        strategy="cascade",
        models=("cheap", "strong"),
        providers=("cheap", "strong"),
        budget_usd=0.001,
        market_bank=_market_bank(tmp_path / "market"),
    )
    opts.update(kw)
    return Runner(cfg, registry, store, RunOptions(**opts), plan), store


def test_an_attempt_billed_above_its_limit_is_counted_at_what_it_cost(tmp_path: Path) -> None:
    # the provider counts far more prompt tokens than the local estimate: each call costs ~$0.001, more than
    # the cheap stage's $0.0003 limit; the ledger must hold what was paid, not the limit
    with FakeServer(prompt_tokens=2000) as server:
        kw: dict[str, Any] = {"strategy_options": {"stages": [["cheap", 0.0003], ["strong", None]]}, "budget_usd": 0.01}
        runner, store = _live(server, tmp_path, {"cheap": CHEAP, "strong": CHEAP}, {"count": 4}, **kw)
        result = runner.run()
        calls = server.count
        again = _live(server, tmp_path, {"cheap": CHEAP, "strong": CHEAP}, {"count": 4}, **kw)[0].run()
        assert server.count == calls  # run again: every attempt is reused, none paid twice
    data = result.summary()
    assert data["attempts_reused"] == 0
    assert data["cost_usd"] == pytest.approx(store.spend())
    assert data["cost_usd"] == pytest.approx(data["run_spend_usd"])
    assert sum(data["spend_usd"].values()) == pytest.approx(data["cost_usd"])
    # the run again reads the same ledger from the store: the same dollars, the same sales
    assert again.summary()["cost_usd"] == pytest.approx(data["cost_usd"])
    assert [r.sold for r in again.ledger.records] == [r.sold for r in result.ledger.records]


def test_an_unpriced_model_stops_at_its_attempt_limit(tmp_path: Path) -> None:
    # a model priced only by the provider's reported cost (no price to plan a call with): an attempt of five
    # calls at $0.0001 each cannot stop before its $0.00025 limit, but it stops at the first call past it
    unpriced = {"cost_from_response": True, "input_cost_per_mtok": None, "output_cost_per_mtok": None}
    with FakeServer(report_cost=0.0001) as server:
        runner, store = _live(
            server,
            tmp_path,
            {"cheap": unpriced, "strong": unpriced},
            {"count": 4, "calls": 5},
            strategy_options={"stages": [["cheap", 0.00025], ["strong", None]]},
            budget_usd=0.0006,
        )
        result = runner.run()
    for r in result.ledger.records:
        assert r.spend["cheap"] <= 0.0003 + 1e-12, r  # three calls at most: the third is the one past the limit
        assert r.cost <= 0.0006 + 0.0001 + 1e-12, r
    assert result.summary()["cost_usd"] == pytest.approx(store.spend())


def test_running_again_pays_for_no_paid_attempt_again_even_one_that_could_not_be_judged(tmp_path: Path) -> None:
    # the verifier crashes: every attempt is an error that cost money (its call was billed). The run moved on
    # past each of them; running the same command again must not buy them again
    kw: dict[str, Any] = {"strategy_options": {"stages": [["cheap", 0.0002], ["strong", None]]}, "budget_usd": 0.0004}
    with FakeServer() as server:
        runner, store = _live(
            server, tmp_path, {"cheap": CHEAP, "strong": CHEAP}, {"count": 2, "verify_raise": True}, **kw
        )
        first = runner.run().summary()
        calls, paid = server.count, store.spend()
        again = _live(server, tmp_path, {"cheap": CHEAP, "strong": CHEAP}, {"count": 2, "verify_raise": True}, **kw)
        second = again[0].run().summary()
        assert server.count == calls and store.spend() == pytest.approx(paid)
    assert first["attempts_bought"] > 0 and first["solve_rate"] == 0.0
    assert second["attempts_bought"] == 0 and second["attempts_reused"] == first["attempts_bought"]
    assert second["cost_usd"] == pytest.approx(first["cost_usd"])


def test_a_replay_reports_the_hidden_correctness_of_what_it_sold() -> None:
    # the cheap model's verified attempts are all wrong by the hidden tests: sold but wrong, and refunded
    bank = Bank(
        {
            "cheap": {"t": BankEntry(0.01, (1, 1), correct=(0, 0)), "u": BankEntry(0.01, (0, 0))},
            "strong": {"t": BankEntry(0.1, (1,), correct=(1,)), "u": BankEntry(0.1, (1,), correct=(1,))},
        }
    )
    led = _serve(bank, [["cheap", 0.03], ["strong", math.inf]], 1.0)
    by = {r.task_id: r for r in led.records}
    assert by["t"].sold and by["t"].correct is False and by["u"].correct is True
    assert led.totals()["sold_wrong"] == 1
    oracle = Oracle()
    oracle.fit(FitContext(models=("cheap", "strong"), providers=(), budget_usd=1.0, replay=ReplayProvider(bank)))
    loop = RunLoop(oracle, ReplayBuyer(ReplayProvider(bank)), QUOTE, ("cheap", "strong"))
    by = {r.task_id: r for r in asyncio.run(loop.serve([Task("t"), Task("u")])).records}
    assert by["t"].correct is False and by["u"].correct is True  # the oracle sells what it finds
    unknown = Bank({"cheap": {"t": BankEntry(0.01, (1,))}})
    assert _serve(unknown, [["cheap", math.inf]], 1.0).records[0].correct is None  # no hidden tests: unknown


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"target_rate": 1.5}, r"--target-rate must be in \(0, 1\]"),
        ({"pricing": "bogus"}, "pricing must be one of"),
        ({"limit": -3}, "--limit must be"),
        ({"concurrency": 0}, "--concurrency must be"),
        ({"domain": "nope"}, "unknown domain 'nope'"),
        ({"strategy": "robust", "fit_domains": ("toy",)}, "is the domain the run serves"),
        ({"models": ("cheap", "nope")}, "unknown model 'nope'"),
    ],
)
def test_bad_input_is_refused_before_any_bank_is_collected(tmp_path: Path, option, message) -> None:
    # the market bank is missing, so a run would collect it first: bad input must not cost that money
    with FakeServer() as server:
        runner = None
        with pytest.raises(HarnessError, match=message):
            runner, _ = _live(
                server, tmp_path, {"cheap": CHEAP, "strong": CHEAP}, {"count": 2}, market_bank=None, **option
            )
            runner.plan.collect_missing = True
            runner.plan.collect = lambda o, why: pytest.fail(f"collected a bank first: {why}")
            runner.run()
        assert server.count == 0


def test_a_replay_on_an_unknown_domain_is_one_clear_line(tmp_path: Path) -> None:
    bank = _market_bank(tmp_path / "bank")
    cfg = config_for(FakeServer(), tmp_path / "store.sqlite", {"cheap": CHEAP, "strong": CHEAP})
    options = RunOptions(
        domain="nope", strategy="single", models=("cheap", "strong"), providers=("cheap", "strong"), budget_usd=1.0
    )
    with pytest.raises(HarnessError, match="unknown domain 'nope'"):
        Runner(cfg, load_plugins(), Store(cfg.store_path), dataclasses.replace(options, replay=bank), None)


def test_adaptive_refits_when_the_market_has_a_provider_it_does_not_buy(tmp_path: Path) -> None:
    # the market sells a third model the arbitrageur never buys: its refits price against the market bank's
    # attempts of that provider (before, every refit failed silently and the thresholds never changed)
    third = {t: BankEntry(0.05, (1, 0, 1, 1)) for t in synthetic_bank(tasks=60).tasks("cheap")}
    target = Bank({**synthetic_bank(tasks=60).entries, "third": third})
    fit = synthetic_bank(tasks=60, seed=4)
    fit = Bank({**fit.entries, "third": {t: BankEntry(0.05, (1, 0, 1, 1)) for t in fit.tasks("cheap")}})
    models, providers = ("cheap", "strong"), ("cheap", "strong", "third")
    a = Adaptive()
    a.fit(
        FitContext(
            models=models,
            providers=providers,
            budget_usd=0.4,
            fit_banks={"other": fit},
            replay=ReplayProvider(target),
            market_bank=target,
            options={"explore_every": 2, "refit_every": 5},
        )
    )
    loop = RunLoop(a, ReplayBuyer(ReplayProvider(target, seed=1)), QUOTE, models)
    asyncio.run(loop.serve([Task(t) for t in sorted(target.tasks("cheap"))]))
    assert [r["tasks"] for r in a.history] == [0, 5, 10, 15, 20, 25, 30]


def test_the_oracle_bound_is_what_the_oracle_strategy_pays_within_the_budget(tmp_path: Path) -> None:
    # the strong model (~$0.1) is above the $0.05 per-task budget: neither the oracle nor its bound buys it
    bank = synthetic_bank(tasks=60)
    bank.write_jsonl(tmp_path / "bank")
    cfg = config_for(FakeServer(), tmp_path / "store.sqlite", {"cheap": CHEAP, "strong": CHEAP})
    for budget in (1.0, 0.05):
        options = RunOptions(
            domain="toy",
            strategy="oracle",
            models=("cheap", "strong"),
            providers=("cheap", "strong"),
            budget_usd=budget,
            replay=tmp_path / "bank",
        )
        registry = load_plugins(extra=[("toy", toy_domain)])
        plan = BankPlan(False, tasks=1, attempts=1, collect=lambda o, why: {})
        data = Runner(cfg, registry, Store(cfg.store_path), options, plan).run().summary()
        assert data["oracle_cost_usd"] == pytest.approx(data["cost_usd"]), budget
        assert data["oracle_margin"] == pytest.approx(data["margin"])


@pytest.mark.parametrize(
    ("strategy", "options"),
    [("single", {"model": "strong"}), ("cascade", {"stages": [["cheap", 0.02], ["strong", None]]})],
)
def test_a_strategy_buys_only_the_models_named(tmp_path: Path, strategy, options) -> None:
    # --models cheap: a stage or --model of another model is bad input (its dollars would be in no model's
    # column, so per-model spend would not sum to the cost; live, the pipeline has no such model)
    synthetic_bank(tasks=10).write_jsonl(tmp_path / "bank")
    cfg = config_for(FakeServer(), tmp_path / "store.sqlite", {"cheap": CHEAP, "strong": CHEAP})
    o = RunOptions(
        domain="toy",
        strategy=strategy,
        models=("cheap",),
        providers=("cheap", "strong"),
        budget_usd=1.0,
        replay=tmp_path / "bank",
        strategy_options=options,
    )
    registry = load_plugins(extra=[("toy", toy_domain)])
    plan = BankPlan(False, tasks=1, attempts=1, collect=lambda o, why: {})
    with pytest.raises(HarnessError, match="not among --models"):
        Runner(cfg, registry, Store(cfg.store_path), o, plan)
    # a plugin's strategy that asks for another model is stopped at its first purchase
    s = CascadeStrategy()
    s.fit(FitContext(models=(), providers=(), budget_usd=1.0, options={"stages": [["strong", None]]}))
    loop = RunLoop(s, ReplayBuyer(ReplayProvider(synthetic_bank(tasks=10))), QUOTE, ("cheap",))
    with pytest.raises(HarnessError, match="asked to buy 'strong', not one of the models"):
        asyncio.run(loop.serve([Task("t0000")]))
    assert loop.ledger.records == [] or not loop.ledger.records[0].complete


def test_progress_on_a_log_is_a_line_every_interval_even_while_one_task_runs(capsys) -> None:
    from harness.cli.run import Progress

    ledger = RunLoop(CascadeStrategy(), None, QUOTE, ("cheap",)).ledger  # serving, no task finished yet
    progress = Progress(lambda: ledger, total=3, every=0.05)
    progress.start()
    time.sleep(0.4)
    progress.stop()
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("run 0/3 tasks")]
    assert len(lines) >= 3
    waiting = Progress(lambda: None, total=3, every=0.05)  # banks still being collected: their own progress
    waiting.start()
    time.sleep(0.2)
    waiting.stop()
    assert "run " not in capsys.readouterr().err


def test_a_fit_json_gives_its_last_stage_the_rest_of_the_run_budget(tmp_path: Path) -> None:
    # `harness fit` (per-task budget $1) writes stages [[cheap, 0.1], [strong, 0.9]] and thresholds [0.1, null]:
    # a run with a $2 budget gives the strong model the rest, $1.9, not the $0.9 it had under the fit's budget
    from harness.cli.run import _strategy_file

    fit = {
        "strategy": "cascade",
        "stages": [["skip", 0.0], ["cheap", 0.1], ["strong", 0.9]][1:],
        "thresholds_usd": [0.0, 0.1, None],
        "models": ["skip", "cheap", "strong"],
        "per_task_budget_usd": 1.0,
    }
    (tmp_path / "fit.json").write_text(json.dumps(fit))
    s = CascadeStrategy()
    s.fit(
        FitContext(models=(), providers=(), budget_usd=2.0, options={"stages": _strategy_file(tmp_path / "fit.json")})
    )
    assert s.stage_budgets() == [("cheap", 0.1), ("strong", pytest.approx(1.9))]


def test_an_unusable_out_folder_is_refused_before_the_run_and_a_late_failure_still_prints_the_ledger(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    import harness.cli.run as cli_run
    from harness.cli.app import main

    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "0")  # the math domain
    synthetic_bank(tasks=10).write_jsonl(tmp_path / "bank")
    (tmp_path / "harness.toml").write_text(f'[store]\npath = "{tmp_path / "s.sqlite"}"\n')
    (tmp_path / "taken").write_text("a file, not a folder")
    args = ["--config", str(tmp_path / "harness.toml"), "run", "--replay", str(tmp_path / "bank"), "--domain", "math"]
    args += ["--models", "cheap,strong", "--strategy", "single", "--json", "--out"]
    served = Runner.run
    monkeypatch.setattr(Runner, "run", lambda self: pytest.fail("ran with an --out it cannot write"))
    with pytest.raises(SystemExit) as done:
        main([*args, str(tmp_path / "taken" / "out")])
    out = capsys.readouterr()
    assert done.value.code == 2 and "cannot write the run's outputs there" in out.err and out.out == ""
    # the folder fails only after the run (e.g. the disk fills up): what was spent is printed all the same
    monkeypatch.setattr(Runner, "run", served)

    def full(*a: Any) -> None:
        raise HarnessError("out: cannot write the run's outputs there (No space left on device)")

    monkeypatch.setattr(cli_run, "write_outputs", full)
    with pytest.raises(SystemExit) as done:
        main([*args, str(tmp_path / "out")])
    out = capsys.readouterr()
    assert done.value.code == 2 and "No space left" in out.err
    assert json.loads(out.out)["tasks"] == 10


def test_a_run_stopped_by_a_fatal_error_keeps_the_ledger_of_what_it_bought(tmp_path: Path) -> None:
    # the strong model's server is not running: the run stops at its first call, after paying the cheap ones
    with FakeServer(answer=lambda model, messages: "ANSWER: -1") as server:  # the cheap model is always wrong
        models = {"cheap": CHEAP, "strong": {**CHEAP, "api_base": "http://127.0.0.1:9/v1"}}
        kw: dict[str, Any] = {"strategy_options": {"stages": [["cheap", 0.00003], ["strong", None]]}}
        runner, store = _live(server, tmp_path, models, {"count": 4}, budget_usd=0.01, **kw)
        with pytest.raises(RunFailed, match="cannot connect") as failed:
            runner.run()
    data = failed.value.result.summary()
    assert data["stopped"] == "fatal" and data["cost_usd"] == pytest.approx(store.spend()) and store.spend() > 0


def test_a_robust_fit_bank_collected_first_holds_the_providers_it_prices_against(tmp_path: Path) -> None:
    # the market sells a third model the arbitrageur never buys; the fit domain has no bank yet: the bank
    # collected there must hold the third model's attempts too, or the robust fit cannot price its market
    toy2 = types.ModuleType("toy2")
    toy2.register_domains = hookimpl(lambda register: register(dataclasses.replace(toy_domain.TOY, name="toy2")))
    models = {"cheap": CHEAP, "strong": CHEAP, "third": CHEAP}
    with FakeServer() as server:
        cfg = config_for(server, tmp_path / "store.sqlite", models, {"count": 3})
        registry = load_plugins(extra=[("toy", toy_domain), ("toy2", toy2)])
        store = Store(cfg.store_path)
        plan = BankPlan(True, tasks=3, attempts=1, collect=lambda o, why: Collector(cfg, registry, store, o).run())
        market = _market_bank(tmp_path / "market", tasks=3)
        third = Bank({"third": {f"t{i:03d}": BankEntry(0.0002, (1, 1)) for i in range(3)}})
        third.write_jsonl(tmp_path / "market")
        options = RunOptions(
            domain="toy",
            strategy="robust",
            models=("cheap", "strong"),
            providers=("cheap", "strong", "third"),
            budget_usd=0.001,
            market_bank=market,
            fit_domains=("toy2",),
            limit=2,
        )
        result = Runner(cfg, registry, store, options, plan).run()
    assert {a.model for a in store.attempts(domain="toy2")} == {"cheap", "strong", "third"}
    assert result.summary()["fitted"]["sources"] == ["toy2"]


def test_robust_with_fit_banks_named_collects_no_other_domain(tmp_path: Path) -> None:
    # --fit-bank alone fits on exactly that bank: [run] fit_domains are the default only when none is named
    toy2 = types.ModuleType("toy2")
    toy2.register_domains = hookimpl(lambda register: register(dataclasses.replace(toy_domain.TOY, name="toy2")))
    _market_bank(tmp_path / "fit", tasks=40)
    with FakeServer() as server:
        cfg = config_for(server, tmp_path / "store.sqlite", {"cheap": CHEAP, "strong": CHEAP}, {"count": 3})
        cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"fit_domains": ["toy2"]})})
        registry = load_plugins(extra=[("toy", toy_domain), ("toy2", toy2)])
        store = Store(cfg.store_path)
        plan = BankPlan(True, tasks=3, attempts=1, collect=lambda o, why: pytest.fail(f"collected {why}"))
        options = RunOptions(
            domain="toy",
            strategy="robust",
            models=("cheap", "strong"),
            providers=("cheap", "strong"),
            budget_usd=0.001,
            market_bank=_market_bank(tmp_path / "market", tasks=3),
            fit_banks=(tmp_path / "fit",),
            limit=2,
        )
        result = Runner(cfg, registry, store, options, plan).run()
    assert result.summary()["fitted"]["sources"] == [str(tmp_path / "fit")]


def test_optimal_collects_its_own_bank_with_the_providers_it_prices_against(tmp_path: Path) -> None:
    models = {"cheap": CHEAP, "strong": CHEAP, "third": CHEAP}
    with FakeServer() as server:
        cfg = config_for(server, tmp_path / "store.sqlite", models, {"count": 3})
        registry = load_plugins(extra=[("toy", toy_domain)])
        store = Store(cfg.store_path)
        plan = BankPlan(True, tasks=3, attempts=1, collect=lambda o, why: Collector(cfg, registry, store, o).run())
        options = RunOptions(
            domain="toy",
            strategy="optimal",
            models=("cheap", "strong"),
            providers=("cheap", "strong", "third"),
            budget_usd=0.001,
            limit=2,
        )
        result = Runner(cfg, registry, store, options, plan).run()
    assert result.summary()["fitted"]["sources"] == ["target"]


def test_a_replayed_cascade_earns_the_margin_analyze_gives_it_at_the_rate_it_promises(tmp_path: Path) -> None:
    # the promise is what the cascade delivers (its own rate at its stage budgets on the market bank), so the
    # customer pays C(u) for it and the margin is analyze's (C(u) - C_q(u)) / C(u) at that rate. Before, the
    # promise was the best single stage's rate: a price for less than was sold
    bank = synthetic_bank()
    bank.write_jsonl(tmp_path / "bank")
    stages, budget = [["cheap", 0.035], ["strong", 0.3]], 1.0  # delivers below the strong model's top: priced
    cfg = config_for(FakeServer(), tmp_path / "store.sqlite", {"cheap": CHEAP, "strong": CHEAP})
    registry = load_plugins(extra=[("toy", toy_domain)])
    plan = BankPlan(False, tasks=1, attempts=1, collect=lambda o, why: {})
    runs = []
    for seed in range(8):
        o = RunOptions(
            domain="toy",
            strategy="cascade",
            models=("cheap", "strong"),
            providers=("cheap", "strong"),
            budget_usd=budget,
            undercut=0.0,
            seed=seed,
            replay=tmp_path / "bank",
            strategy_options={"stages": stages},
        )
        runs.append(Runner(cfg, registry, Store(cfg.store_path), o, plan).run().summary())
    u = runs[0]["promised_rate"]
    rates = np.array([r["solve_rate"] for r in runs])
    margins = np.array([r["margin"] for r in runs])
    assert abs(rates.mean() - u) < 4 * rates.std(ddof=1) / np.sqrt(len(runs)) + 0.002
    # analyze's margin for the same thresholds at that rate (its default grid up to the budget)
    tc = task_curves(bank.matrix(["cheap", "strong"]), LogGrid(budget_grid(1e-4, budget, 250)))
    cc = cascade_curves(tc, ("cheap", "strong"), np.array([[0.035, 0.3]]))
    at = np.array([min(u, cc.pass_rate[0, -1])])  # the grid's curve ends a hair below the exact rate
    c_q, c = cascade_prices(cc, at)[0, 0], market_price(tc, at)[0]
    assert (c - c_q) / c > 0.3
    assert abs(margins.mean() - (c - c_q) / c) < 4 * margins.std(ddof=1) / np.sqrt(len(runs)) + 0.01
