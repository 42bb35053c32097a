"""Cascades, margins and strategy search: closed forms, a plain-Python cascade, and real SWE-bench data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.bank import BankMatrix
from harness.economics import (
    LogGrid,
    TaskCurves,
    budget_grid,
    cascade_curves,
    cascade_prices,
    margins,
    market_price,
    mean_margin,
    nondecreasing_allocations,
    provider_prices,
    search,
    spend_at_rates,
    task_curves,
    two_model_allocations,
)
from harness.errors import HarnessError

# ---- a plain-Python cascade ------------------------------------------------------------------------


def interp(b: list[float], s: list[float], x: float) -> float:
    if x == 0:
        return 1.0
    if x <= b[0]:
        return s[0]
    for j in range(len(b) - 1):
        if b[j] < x <= b[j + 1]:
            w = math.log(x / b[j]) / math.log(b[j + 1] / b[j])
            return (1 - w) * s[j] + w * s[j + 1]
    return s[-1]


def spend(b: list[float], s: list[float], x: float, sub: int = 32) -> float:
    """Integral of the interpolant over [0, x] (Simpson in log x per segment)."""
    total = min(x, b[0]) * s[0]
    knots = [v for v in b if v < x] + [x]
    for lo, hi in zip(knots[:-1], knots[1:], strict=True):
        if hi <= b[0]:
            continue
        la, h = math.log(lo), (math.log(hi) - math.log(lo)) / sub
        acc = sum(
            interp(b, s, math.exp(la + i * h)) * math.exp(la + i * h) * (1 if i in (0, sub) else 4 if i % 2 else 2)
            for i in range(sub + 1)
        )
        total += acc * h / 3
    return total


def ref_cascade_task(b: list[float], stages: list[list[float]], thr: list[float], x: float):
    """(survival, spend per stage) of one task at total budget x."""
    R, start, per = 1.0, 0.0, [0.0] * len(stages)
    for m, (s, t) in enumerate(zip(stages, thr, strict=True)):
        if x < start:
            break
        y = min(x - start, t)
        per[m] = R * spend(b, s, y)
        if x - start <= t or m == len(stages) - 1:
            return R * interp(b, s, y), per
        R *= interp(b, s, t)
        start += t
    return R, per


def curves_of(mx: BankMatrix, grid: LogGrid) -> TaskCurves:
    return task_curves(mx, grid)


# ---- exact reductions -------------------------------------------------------------------------------


def test_one_stage_is_the_model_and_zero_threshold_is_the_next_model(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 50, 3))
    u = np.linspace(0.05, 0.95, 50)
    one = cascade_curves(tc, ["m1"], np.array([[np.inf]]))
    np.testing.assert_allclose(one.pass_rate[0], tc.pass_curves(["m1"])[0], atol=1e-14)
    np.testing.assert_allclose(one.spend[0], tc.spend_curves(["m1"])[0], rtol=1e-12, atol=1e-16)
    # thresholds of zero on the cheap models reproduce the expensive model's curve and price
    cc = cascade_curves(tc, ["m0", "m2", "m1"], np.array([[0.0, 0.0, np.inf]]))
    np.testing.assert_allclose(cc.pass_rate[0], one.pass_rate[0], atol=1e-14)
    np.testing.assert_allclose(cc.spend[0], one.spend[0], rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(cascade_prices(cc, u)[0], provider_prices(tc, u, ["m1"])[0], rtol=1e-12)
    # an infinite first threshold is the first model alone
    cc = cascade_curves(tc, ["m2", "m0"], np.array([[np.inf, np.inf]]))
    np.testing.assert_allclose(cc.pass_rate[0], tc.pass_curves(["m2"])[0], atol=1e-14)


def test_cascade_matches_a_plain_python_loop(make_matrix, rng):
    grid = LogGrid(budget_grid(1e-3, 1.0, 50))
    mx = make_matrix(rng, 5, 3)
    tc = task_curves(mx, grid)
    thr = np.array([[0.013, 0.05, np.inf], [0.2, 0.0, 0.3], [0.002, 0.002, 0.002], [0.5, np.inf, 0.1]])
    cc = cascade_curves(tc, [2, 0, 1], thr, by_model=True)
    b = list(grid.budgets)
    order = [2, 0, 1]
    for a in range(thr.shape[0]):
        for j in (0, 10, 27, 38, 49):
            S = 0.0
            per = np.zeros(3)
            for t in range(5):
                stages = [list(tc.survival[t, m]) for m in order]
                s, p = ref_cascade_task(b, stages, list(thr[a]), b[j])
                S += s / 5
                per += np.array(p) / 5
            assert cc.pass_rate[a, j] == pytest.approx(1 - S, abs=1e-12)
            np.testing.assert_allclose(cc.spend_by_model[a, :, j], per, rtol=1e-7, atol=1e-12)
            assert cc.spend[a, j] == pytest.approx(per.sum(), rel=1e-7, abs=1e-12)


def test_chunking_does_not_change_results(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 30, 3))
    allocs = nondecreasing_allocations([0.0, 0.01, 0.05, 0.2], 3)
    a = cascade_curves(tc, [0, 1, 2], allocs, by_model=True)
    b = cascade_curves(tc, [0, 1, 2], allocs, by_model=True, chunk=3)
    # equal up to the order of floating-point sums in the matrix products
    np.testing.assert_allclose(a.pass_rate, b.pass_rate, rtol=0, atol=1e-14)
    np.testing.assert_allclose(a.spend, b.spend, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(a.spend_by_model, b.spend_by_model, rtol=1e-13, atol=1e-16)


def test_cascade_of_a_model_with_itself_is_no_better(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 200, 1, attempts=20))
    u = np.linspace(0.05, 0.95, 60)
    alone = market_price(tc, u)
    allocs = two_model_allocations(0.001, 0.5, 40)
    prices = cascade_prices(cascade_curves(tc, ["m0", "m0"], allocs), u)
    m = margins(alone[None, :], prices)
    # restarting a model resets its sampling without replacement: never cheaper, up to grid resolution
    assert np.nanmax(m) <= 1e-9
    assert np.all(cascade_curves(tc, ["m0", "m0"], allocs).pass_rate <= tc.pass_curves()[0] + 1e-12)


def test_free_perfect_cheap_model_gives_margin_one():
    tasks = tuple(f"t{i}" for i in range(20))
    rng = np.random.default_rng(0)
    n = np.full((20, 2), 5)
    c = np.stack([np.full(20, 5), rng.integers(1, 6, 20)], axis=1)
    cost = np.stack([np.zeros(20), np.full(20, 0.05)], axis=1)
    tc = task_curves(BankMatrix(tasks, ("student", "expensive"), n, c, cost))
    u = np.linspace(0.1, 0.9, 9)
    market = market_price(tc, u, ["expensive"])  # the free model is the arbitrageur's own
    res = search(tc, ["student", "expensive"], two_model_allocations(), u, market=market)
    np.testing.assert_allclose(res.best_margins, 1.0)
    assert res.mean_margin == 1.0


def test_margins_are_in_unit_interval_and_handle_edges(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 60, 3))
    u = np.linspace(0.02, 1.0, 50)
    C = market_price(tc, u)
    allocs = nondecreasing_allocations([0.0, 0.003, 0.03, 0.3], 3, rest=True)
    m = margins(C[None, :], cascade_prices(cascade_curves(tc, [0, 1, 2], allocs), u))
    finite = m[np.isfinite(m)]
    assert finite.size and np.all((finite >= 0) & (finite <= 1))
    assert np.all(np.isnan(m[:, ~np.isfinite(C)]))  # the market cannot reach these rates
    np.testing.assert_array_equal(
        margins(np.array([1.0, 0.0, np.inf, 2.0]), np.array([0.25, 0.0, 1.0, np.inf])), [0.75, 0.0, np.nan, 0.0]
    )


def test_spend_at_rates_sums_to_price(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 80, 2))
    u = np.linspace(0.05, 0.9, 30)
    cc = cascade_curves(tc, [0, 1], two_model_allocations(0.005, 0.3, 5), by_model=True)
    price = cascade_prices(cc, u)
    s = spend_at_rates(cc, u)
    ok = np.isfinite(price)
    np.testing.assert_allclose(s.sum(axis=1)[ok], price[ok], rtol=1e-10)
    assert np.all(s[np.isfinite(s)] >= 0)
    with pytest.raises(HarnessError):
        spend_at_rates(cascade_curves(tc, [0, 1], np.array([[0.1, np.inf]])), u)


def test_threshold_validation(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 5, 2))
    with pytest.raises(HarnessError):
        cascade_curves(tc, [0, 1], np.array([[0.1]]))
    with pytest.raises(HarnessError):
        cascade_curves(tc, [0, 1], np.array([[-1.0, 0.1]]))


# ---- search -----------------------------------------------------------------------------------------


def test_allocation_grids():
    two = two_model_allocations()
    assert two.shape == (102, 2) and two[0, 0] == 0 and np.isinf(two[-1, 0]) and np.all(np.isinf(two[:, 1]))
    vals = np.geomspace(0.01, 1.0, 21)
    four = nondecreasing_allocations(vals, 4)
    assert four.shape[0] == math.comb(24, 4)
    assert np.all(np.diff(four, axis=1) >= 0)
    capped = nondecreasing_allocations(vals, 4, cap=1.0)
    assert 0 < capped.shape[0] < four.shape[0] and np.all(capped.sum(axis=1) <= 1.0 + 1e-12)
    with pytest.raises(HarnessError):
        nondecreasing_allocations(vals, 2, cap=0.001)


def test_search_picks_the_best_mean_margin(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 60, 3))
    u = np.linspace(0.05, 0.8, 40)
    allocs = nondecreasing_allocations([0.0, 0.002, 0.02, 0.1, 0.5], 3, cap=0.8)
    res = search(tc, ["m0", "m1", "m2"], allocs, u, chunk=7)
    C = market_price(tc, u)
    brute = [mean_margin(margins(C, cascade_prices(cascade_curves(tc, [0, 1, 2], a[None]), u)[0])) for a in allocs]
    np.testing.assert_allclose(res.objective, brute, rtol=1e-12)
    assert res.best == int(np.argmax(brute))
    assert res.mean_margin == pytest.approx(np.nanmean(res.best_margins))


@pytest.mark.parametrize("pair", ["gpt5", "qwen"])
def test_swebench_pair_search_matches_plain_loop(swe_bank, swe_pairs, pair):
    cheap, expensive = swe_pairs[pair]
    mx = swe_bank.matrix([cheap, expensive])
    tc = task_curves(mx)
    u = np.linspace(0.05, 0.6, 56)
    res = search(tc, [cheap, expensive], two_model_allocations(), u)
    # the search is at least as good as either provider alone (first threshold 0 or inf)
    assert res.mean_margin >= max(res.objective[0], res.objective[-1]) and res.mean_margin > 0
    if pair == "gpt5":  # gpt-5-mini solves nearly as much as gpt-5 at an eighth of the cost
        assert np.nanmax(res.best_margins) > 0.3
    assert np.all(
        (res.best_margins[np.isfinite(res.best_margins)] >= 0) & (res.best_margins <= 1)[np.isfinite(res.best_margins)]
    )
    # the chosen cascade on a few tasks, by a plain loop over tasks with one attempt each
    few = mx.tasks[::83]
    sub = task_curves(swe_bank.matrix([cheap, expensive], tasks=few))
    thr = res.thresholds
    cc = cascade_curves(sub, [0, 1], thr[None], by_model=True)
    b = list(sub.budgets)
    for j in (40, 150, 249):
        S, per = 0.0, np.zeros(2)
        for t in few:
            stages = []
            for name in (cheap, expensive):
                e = swe_bank.entries[name][t]
                stages.append([1.0 - (e.c if x >= e.mean_cost * (1 - 1e-12) else 0) for x in b])
            s, p = ref_cascade_task(b, stages, list(thr), b[j])
            S += s / len(few)
            per += np.array(p) / len(few)
        assert cc.pass_rate[0, j] == pytest.approx(1 - S, abs=1e-12)
        np.testing.assert_allclose(cc.spend_by_model[0, :, j], per, rtol=1e-6, atol=1e-12)
