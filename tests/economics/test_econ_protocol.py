"""Robust fits as the paper runs them: each side on its own frontier, the fit budget's accounting, fits
that reach no target, and the paper preset from the command line."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from harness import cli
from harness.bank import BankMatrix
from harness.economics import task_curves, two_model_allocations
from harness.economics.rates import RateSpec
from harness.economics.robust import FitProtocol, fit_robust, frontier, observe_draws, split_tasks
from harness.errors import HarnessError


def _main(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as info:
        cli.main(args)
    return int(info.value.code or 0), out.getvalue(), err.getvalue()


def test_rate_specs_resolve_on_each_sides_frontier():
    spec = RateSpec.parse("top-0.05:top:20")
    np.testing.assert_allclose(spec.resolve(0.6), np.linspace(0.55, 0.6, 20))
    assert RateSpec.parse("0.1:top").resolve(0.6).size == 100
    assert RateSpec.parse("0.1:top").resolve(0.05) is None  # the frontier is below the grid: no target
    np.testing.assert_allclose(RateSpec.parse("0.2:0.4:3").resolve(0.9), [0.2, 0.3, 0.4])
    for bad in ("0.1", "x:top", "0.1:top:z", "0:top", "1.5:top", "0.1:top:0"):
        with pytest.raises(HarnessError):
            RateSpec.parse(bad)


def _bank(seed: int = 0, tasks: int = 120) -> BankMatrix:
    rng = np.random.default_rng(seed)
    n = np.full((tasks, 2), 5)
    c = rng.binomial(n, rng.beta(0.6, 0.8, size=(tasks, 2)) * np.array([0.8, 1.0]))
    cost = np.broadcast_to([0.004, 0.05], (tasks, 2)).astype(float)
    return BankMatrix(tuple(f"t{i}" for i in range(tasks)), ("cheap", "expensive"), n, c, cost)


def test_fit_budget_charges_the_last_model_and_caps_draws():
    tc = task_curves(_bank())
    rng = np.random.default_rng(1)
    emp, spent = observe_draws(tc, 3.0, rng, cap=0.08, charged=[1])
    # unsolved within the cap stays unsolved at every budget, even past the cap
    assert set(np.unique(emp.survival)) <= {0.0, 1.0}
    solved_at = np.where(emp.survival[:, :, -1] > 0, np.inf, tc.budgets[np.argmin(emp.survival, axis=-1)])
    assert np.all(solved_at[np.isfinite(solved_at)] <= 0.08 * (1 + 1e-9))
    charge = np.minimum(solved_at[:, 1], 0.08).sum()  # only the expensive model's draws are paid
    assert spent == pytest.approx(charge) and spent <= 3.0 + 1e-9
    rng = np.random.default_rng(1)
    _, every = observe_draws(tc, 3.0, rng, cap=0.08)
    emp_all, _ = observe_draws(tc, 3.0, np.random.default_rng(1), cap=0.08)
    assert len(emp_all.tasks) < len(emp.tasks)  # paying every model's draws buys fewer tasks
    assert every <= 3.0 + 1e-9


def test_each_side_is_scored_on_its_own_frontier():
    tc = task_curves(_bank(3, 200))
    weak, strong = split_tasks(tc, lambda t: int(t[1:]) % 2 == 0)
    allocs = two_model_allocations(0.004, 0.5, 20)
    # the held-out side's band, far above what the fit side reaches: fitting on it reaches no target
    top = frontier(strong)
    band = np.linspace(top - 0.01, top, 5)
    if frontier(weak) < band[0]:
        with pytest.raises(HarnessError, match="reaches any of its target"):
            fit_robust([weak], strong, [0, 1], allocs, band, fit_budget=None, bootstraps=3, seed=0)
    proto = FitProtocol(RateSpec.parse("0.1:top"), RateSpec.parse("top-0.05:top:20"))
    res = fit_robust([weak], strong, [0, 1], allocs, fit_budget=None, bootstraps=4, seed=0, protocol=proto)
    np.testing.assert_allclose(res.targets, np.linspace(top - 0.05, top, 20))
    assert res.failures == 0 and np.all(res.objective <= res.best_in_domain + 1e-12)


def test_fits_that_reach_no_target_are_counted_or_an_error():
    rng = np.random.default_rng(5)
    T = 200  # one attempt per task and model, as SWE-bench has: a task is solved by a model or not
    n, c = np.ones((T, 2), dtype=np.int64), (rng.random((T, 2)) < 0.3).astype(np.int64)
    cost = np.broadcast_to([0.004, 0.05], (T, 2)).astype(float)
    tc = task_curves(BankMatrix(tuple(f"t{i}" for i in range(T)), ("cheap", "expensive"), n, c, cost))
    fit, held = split_tasks(tc, lambda t: int(t[1:]) < 100)
    allocs = two_model_allocations(0.004, 0.5, 10)
    proto = FitProtocol(RateSpec.parse("0.3:top"), RateSpec.parse("top-0.05:top:10"), cap=0.5, charge="last")
    # $0.06 buys one task: about half the bootstraps observe nothing solved, so reach no fit rate
    res = fit_robust([fit], held, [0, 1], allocs, fit_budget=0.06, bootstraps=40, seed=2, protocol=proto)
    assert 0 < res.failures < 40
    failed = res.failed
    assert np.all(res.objective[failed] == 0) and np.all(np.isnan(res.thresholds[failed]))
    assert np.all(res.objective[~failed] >= 0)
    impossible = FitProtocol(RateSpec.parse("0.99:1"), RateSpec.parse("top-0.05:top:10"))
    with pytest.raises(HarnessError, match="raise --fit-budget or lower --fit-rates"):
        fit_robust([fit], held, [0, 1], allocs, fit_budget=5.0, bootstraps=3, seed=0, protocol=impossible)
    with pytest.raises(HarnessError, match="--fit-charge"):
        FitProtocol(charge="some")
    paper = FitProtocol.paper()
    assert (paper.cap, paper.charge, paper.eval_rates.points, paper.fit_rates.points) == (0.5, "last", 20, 100)


def test_paper_protocol_on_swebench_grows_with_the_fit_budget(swe_eval_dir):
    code, out, err = _main(
        [
            "analyze",
            "--bank",
            str(swe_eval_dir),
            "--models",
            "gpt-5-mini,_gpt-5",
            "--split",
            "group:django__django",
            "--split",
            "group:sympy__sympy",
            "--fit-budget",
            "2,50",
            "--bootstraps",
            "8",
            "--robust-protocol",
            "paper",
            "--rate-points",
            "20",
            "--competitors",
            "1",
            "--rounds",
            "1",
            "--json",
        ]
    )
    assert code == 0, err
    rob = json.loads(out)["robust"]
    assert [r["pair"] for r in rob] == [1, 1, 2, 2] and rob[0]["fit_on"].startswith("tasks matching group:django")
    small, big = rob[0], rob[1]
    assert big["held_out_mean_margin"] > small["held_out_mean_margin"] and big["held_out_mean_margin"] > 0.1
    assert big["mean_observed_tasks"] > small["mean_observed_tasks"]
    assert big["mean_fit_spend_usd"] <= 50 + 1e-9
    assert all(r["held_out_mean_margin"] <= r["best_in_domain"] + 1e-12 for r in rob)
    code, _, err = _main(
        [
            "analyze",
            "--bank",
            str(swe_eval_dir),
            "--models",
            "gpt-5-mini,_gpt-5",
            "--split",
            "group:django__django",
            "--fit-charge",
            "some",
        ]
    )
    assert code == 2 and "--fit-charge" in err
