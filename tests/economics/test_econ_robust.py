"""Robust fits: splits, cost-to-solve draws, fit budgets, worst case across sources, bootstrap bands."""

from __future__ import annotations

import numpy as np
import pytest

from harness.economics import task_curves, two_model_allocations
from harness.economics.robust import (
    draw_cost_to_solve,
    fit_robust,
    objectives,
    observe,
    split_matrix,
    split_tasks,
)
from harness.errors import HarnessError


def test_splits(make_matrix, rng):
    mx = make_matrix(rng, 10, 2)
    tc = task_curves(mx)
    a, b = split_tasks(tc, lambda t: int(t[1:]) < 3)
    assert a.tasks == ("t0", "t1", "t2") and len(b.tasks) == 7
    np.testing.assert_array_equal(a.survival, tc.survival[:3])
    ma, mb = split_matrix(mx, lambda t: t == "t4")
    assert ma.tasks == ("t4",) and len(mb.tasks) == 9
    with pytest.raises(HarnessError):
        split_tasks(tc, lambda t: True)
    with pytest.raises(HarnessError):
        split_matrix(mx, lambda t: False)


def test_draws_follow_the_pass_curve(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 4, 2))
    tasks = np.repeat(np.arange(4), 20000)
    d = draw_cost_to_solve(tc, tasks, np.random.default_rng(7))
    for t in range(4):
        for m in range(2):
            freq = (d[tasks == t, m][:, None] <= tc.budgets[None, ::25]).mean(axis=0)
            want = 1 - tc.survival[t, m, ::25]
            assert np.all(np.abs(freq - want) <= 4 * np.sqrt(want * (1 - want) / 20000) + 1e-12)


def test_observe_spends_the_fit_budget(swe_bank, swe_pairs):
    tc = task_curves(swe_bank.matrix(swe_pairs["gpt5"]))
    small = observe(tc, 1.0, np.random.default_rng(0))
    big = observe(tc, 50.0, np.random.default_rng(0))
    assert 1 <= len(small.tasks) < len(big.tasks)
    assert set(np.unique(big.survival)) <= {0.0, 1.0}  # empirical curves of single runs
    # what was observed fits the budget: each task's cost is min(cost-to-solve, largest budget) per model
    spent = np.minimum(
        np.where(big.survival[:, :, -1] > 0, np.inf, tc.budgets[np.argmin(big.survival, axis=-1)]), tc.budgets[-1]
    ).sum()
    assert spent <= 50.0 + 1e-9
    tiny = observe(tc, 1e-6, np.random.default_rng(0))
    assert len(tiny.tasks) == 1  # never less than one task


def test_fit_robust_on_a_repository_split(swe_bank, swe_pairs):
    cheap, expensive = swe_pairs["gpt5"]
    tc = task_curves(swe_bank.matrix([cheap, expensive]))
    django, others = split_tasks(tc, lambda t: t.startswith("django__django-"))
    u = np.linspace(0.1, 0.6, 26)
    allocs = two_model_allocations(0.01, 0.5, 30)
    res = fit_robust([django], others, [cheap, expensive], allocs, u, fit_budget=20.0, bootstraps=12, seed=1)
    lo, hi = res.band
    assert lo <= res.mean <= hi
    assert np.all(res.objective <= res.best_in_domain + 1e-12)
    held, _ = objectives(others, [cheap, expensive], allocs, u)
    picks = [int(np.flatnonzero((allocs == t).all(axis=1))[0]) for t in res.thresholds]
    np.testing.assert_allclose(res.objective, held[picks])
    assert res.thresholds.shape == (12, 2) and res.margins.shape == (12, u.size)
    mean, p5, p95 = res.margin_band()
    ok = np.isfinite(mean)
    assert np.all(p5[ok] <= mean[ok] + 1e-12) and np.all(mean[ok] <= p95[ok] + 1e-12)
    # the same seed gives the same fit; an unlimited budget observes whole resamples
    again = fit_robust([django], others, [cheap, expensive], allocs, u, fit_budget=20.0, bootstraps=12, seed=1)
    np.testing.assert_array_equal(again.thresholds, res.thresholds)
    full = fit_robust([django], others, [cheap, expensive], allocs, u, fit_budget=None, bootstraps=3, seed=1)
    assert np.all(full.observed_tasks == len(django.tasks))


def test_worst_case_across_sources(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 60, 2))
    a, b = split_tasks(tc, lambda t: int(t[1:]) % 2 == 0)
    u = np.linspace(0.05, 0.8, 20)
    allocs = two_model_allocations(0.001, 0.5, 20)
    res = fit_robust([a, b], tc, [0, 1], allocs, u, fit_budget=None, bootstraps=1, seed=5)
    # recompute the single bootstrap's draws with the same generator and check the max-min pick
    g = np.random.default_rng(5)
    ea = a.select(g.integers(0, len(a.tasks), size=len(a.tasks)))
    eb = b.select(g.integers(0, len(b.tasks), size=len(b.tasks)))
    worst = np.minimum(objectives(ea, [0, 1], allocs, u)[0], objectives(eb, [0, 1], allocs, u)[0])
    np.testing.assert_array_equal(res.thresholds[0], allocs[int(np.argmax(worst))])
    with pytest.raises(HarnessError):
        fit_robust([], tc, [0, 1], allocs, u)
    with pytest.raises(HarnessError):
        fit_robust([a], tc, [0, 1], allocs, u, fit_budget=0.0)


def test_best_in_domain_reference(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 40, 2))
    a, b = split_tasks(tc, lambda t: int(t[1:]) < 20)
    u = np.linspace(0.05, 0.8, 16)
    allocs = two_model_allocations(0.001, 0.5, 10)
    res = fit_robust([a], b, [0, 1], allocs, u, bootstraps=2, seed=0)
    obj, m = objectives(b, [0, 1], allocs, u)
    assert res.best_in_domain == obj.max()
    np.testing.assert_array_equal(res.best_margins, m[int(np.argmax(obj))])
