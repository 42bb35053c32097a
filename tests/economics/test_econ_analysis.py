"""The analysis layer: split specs, search grids, budgets at rates, and LiveCodeBench as a market."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from harness.economics import cascade_curves, cascade_prices, market_price, oracle_price, search, task_curves
from harness.economics.analysis import AnalysisOptions, allocation_grid, analyze_matrix, task_predicate
from harness.economics.curves import budget_at, cheapest_provider, provider_prices
from harness.economics.search import two_model_allocations
from harness.errors import HarnessError
from harness.report.format import display_names


def test_task_predicates():
    by_repo = lambda t: t.rsplit("-", 1)[0]  # noqa: E731 (a domain's task_group)
    assert task_predicate("group:django__django", by_repo)("django__django-11099")
    assert not task_predicate("group:django__django", by_repo)("sympy__sympy-1")
    with pytest.raises(HarnessError, match="declares no task groups"):
        task_predicate("group:django__django")
    assert task_predicate("prefix:sym")("sympy__sympy-1")
    assert task_predicate("regex:-1\\d$")("x-12") and not task_predicate("regex:-1\\d$")("x-2")
    assert task_predicate("ids:a|b")("b") and not task_predicate("ids:a|b")("c")
    for bad in ("group", "repo:x", "what:x", "regex:("):
        with pytest.raises(HarnessError):
            task_predicate(bad)


def test_allocation_grid_shrinks_to_the_allocation_limit():
    opts = AnalysisOptions(values=21, max_allocations=500)
    assert allocation_grid(2, opts).shape == (102, 2)
    g = allocation_grid(4, opts)  # every tuple of values: any stage may be 0 (skipped)
    assert g.shape[0] <= 500 and np.all(np.isinf(g[:, -1])) and np.all(g[:, :-1].sum(axis=1) <= 1 + 1e-12)
    assert ((g[:, 0] > 0) & (g[:, 1] == 0) & (g[:, 2] > 0)).any()  # a skipped middle model
    nd = allocation_grid(4, replace(opts, grid="nondecreasing"))
    assert nd.shape[0] <= 500 and np.all(np.diff(nd[:, :-1], axis=1) >= 0)
    assert allocation_grid(3, AnalysisOptions(values=21)).shape[0] == 21**2
    assert allocation_grid(3, replace(opts, grid="nondecreasing", values=21, max_allocations=20000)).shape[0] == (
        math.comb(22, 2)
    )


def test_display_names():
    runs = ["20250807_mini-v1.7.0_gpt-5-mini", "20250807_mini-v1.7.0_gpt-5"]
    assert display_names(runs) == {runs[0]: "gpt-5-mini", runs[1]: "gpt-5"}
    clash = ["20250807_a_x", "20250808_b_x"]
    assert display_names(clash) == {n: n for n in clash}


def test_budget_at_and_cheapest_provider(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 50, 3))
    u = np.linspace(0.05, 0.9, 30)
    P = tc.pass_curves()
    b = budget_at(P, tc.budgets, u)
    for m in range(3):
        ok = np.isfinite(b[m])
        assert np.all(np.diff(b[m][ok]) >= 0)
        # the curve reaches each target by that budget (within the interpolation bracket)
        j = np.searchsorted(tc.budgets, b[m][ok] * (1 - 1e-12))
        assert np.all(P[m, np.minimum(j, P.shape[1] - 1)] >= u[ok] - 1e-12)
        assert np.all(~ok[u > P[m, -1] + 1e-9])
    best = cheapest_provider(tc, u)
    prices = provider_prices(tc, u)
    for i in range(u.size):
        if np.isfinite(prices[:, i]).any():
            assert prices[best[i], i] == prices[:, i].min()
        else:
            assert best[i] == -1


def test_livecodebench_market(lcb_bank):
    cheap, expensive = "GPT-4O-mini-2024-07-18", "GPT-4O-2024-08-06"
    mx = lcb_bank.matrix([cheap, expensive, "DeepSeek-V3"])
    tc = task_curves(mx)
    u = np.linspace(0.05, 0.45, 41)
    C = market_price(tc, u)
    assert np.all(np.isfinite(C))
    res = search(tc, [cheap, expensive], two_model_allocations(1e-4, 0.05, 60), u, market=C)
    ok = np.isfinite(res.best_margins)
    assert np.all((res.best_margins[ok] >= 0) & (res.best_margins[ok] <= 1))
    assert np.all(res.best_price >= oracle_price(mx, u) - 1e-15)  # nobody beats the oracle
    # repeated sampling is cheap here: the cascade's price is never above the expensive model alone
    alone = cascade_prices(cascade_curves(tc, [expensive], np.array([[np.inf]])), u)[0]
    assert np.all(res.best_price <= alone * (1 + 1e-12))
    # and the whole analysis runs on it
    a = analyze_matrix(mx, AnalysisOptions(first_lo=1e-4, first_hi=0.05, rate_points=30, competitors=2))
    assert a.cascade[0] == cheap and a.search.allocations.shape[0] == 21**2
