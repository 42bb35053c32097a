"""Pass curves, expected spend and prices against closed forms and plain-Python computations."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from harness.bank import BankMatrix
from harness.economics import (
    LogGrid,
    TaskCurves,
    attempts_bought,
    budget_grid,
    failure_table,
    market_price,
    pass_at_k,
    price_curve,
    provider_prices,
    task_curves,
)
from harness.errors import HarnessError

# ---- plain-Python references ------------------------------------------------------------------------


def ref_pass_at_k(n: int, c: int, k: int) -> float:
    """1 - C(n-c, k) / C(n, k) with exact integers, k clipped to n; n = 0 never solves."""
    if n == 0:
        return 0.0
    k = min(k, n)
    return float(1 - Fraction(math.comb(n - c, k), math.comb(n, k)))


def ref_interp_survival(budgets: list[float], s: list[float], x: float) -> float:
    """The documented interpolant: S(0) = 1, S = S_0 on (0, b_0], linear in log x between knots."""
    if x == 0:
        return 1.0
    if x <= budgets[0]:
        return s[0]
    for j in range(len(budgets) - 1):
        if budgets[j] < x <= budgets[j + 1]:
            w = math.log(x / budgets[j]) / math.log(budgets[j + 1] / budgets[j])
            return (1 - w) * s[j] + w * s[j + 1]
    return s[-1]


def ref_spend(budgets: list[float], s: list[float], x: float, sub: int = 64) -> float:
    """Integral of the interpolant from 0 to x by composite Simpson in log space on each segment."""
    total = min(x, budgets[0]) * s[0]
    knots = [b for b in budgets if b < x] + [x]
    for a, b in zip(knots[:-1], knots[1:], strict=True):
        if b <= budgets[0]:
            continue
        la, lb = math.log(a), math.log(b)
        h = (lb - la) / sub
        acc = 0.0
        for i in range(sub + 1):
            u = la + i * h
            f = ref_interp_survival(budgets, s, math.exp(u)) * math.exp(u)  # dx = e^u du
            acc += f * (1 if i in (0, sub) else 4 if i % 2 else 2)
        total += acc * h / 3
    return total


def ref_invert(p: list[float], e: list[float], u: float) -> float:
    """Price of solve rate u: first grid point with P >= u, log-interpolated spend (linear from origin)."""
    if u <= 0:
        return 0.0
    for j, pj in enumerate(p):
        if pj >= u - 1e-12:
            plo, elo = (p[j - 1], e[j - 1]) if j else (0.0, 0.0)
            f = min(max((u - plo) / (pj - plo), 0.0), 1.0) if pj > plo else 1.0
            if elo > 0 and e[j] > 0:
                return math.exp(math.log(elo) + f * (math.log(e[j]) - math.log(elo)))
            return elo + f * (e[j] - elo)
    return math.inf


def constant_curves(p: float, cost: float, grid: LogGrid, tasks: int = 3) -> TaskCurves:
    """Tasks solved independently with probability p per attempt costing ``cost``."""
    k = np.floor(grid.budgets / cost * (1 + 1e-12))
    s = (1 - p) ** k
    surv = np.broadcast_to(s, (tasks, 1, grid.size)).copy()
    return TaskCurves(tuple(f"t{i}" for i in range(tasks)), ("m",), grid, surv)


def exact_step_spend(p: float, cost: float, b: float) -> float:
    """Integral of the exact step survival (1-p)^floor(x/cost) from 0 to b."""
    q = 1 - p
    K = math.floor(b / cost * (1 + 1e-12))
    return cost * sum(q**j for j in range(K)) + (b - K * cost) * q**K


# ---- pass@k -----------------------------------------------------------------------------------------


def test_pass_at_k_matches_exact_binomials_exhaustively():
    cases = [(n, c, k) for n in range(0, 13) for c in range(0, n + 1) for k in range(0, n + 4)]
    n, c, k = (np.array(v) for v in zip(*cases, strict=True))
    got = pass_at_k(n, c, k)
    want = np.array([ref_pass_at_k(*t) for t in cases])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)


def test_pass_at_k_is_stable_for_large_n():
    # factorials would overflow; the product form stays exact to rounding
    assert pass_at_k(2000, 1, 1000) == pytest.approx(0.5, abs=1e-12)
    for n, c, k in [(5000, 2500, 100), (3000, 7, 1500), (10000, 3000, 40)]:
        assert pass_at_k(n, c, k) == pytest.approx(ref_pass_at_k(n, c, k), rel=1e-11, abs=1e-13)
    # with many attempts the estimator approaches sampling with replacement, 1 - (1-p)^k
    assert pass_at_k(100000, 30000, 5) == pytest.approx(1 - 0.7**5, abs=1e-4)


def test_failure_table_rejects_bad_counts():
    with pytest.raises(HarnessError):
        failure_table(np.array([3]), np.array([4]))
    with pytest.raises(HarnessError):
        pass_at_k(3, 1, -1)


def test_attempts_bought_edges():
    cost = 0.1
    assert attempts_bought(0.3, cost, 10) == 3  # 0.3 / 0.1 = 2.9999999999999996 in floats
    assert attempts_bought(0.29, cost, 10) == 2
    assert attempts_bought(5.0, cost, 10) == 10  # clipped to n
    assert attempts_bought(1e-9, 0.0, 7) == 7  # free: every attempt with any positive budget
    assert attempts_bought(0.0, 0.0, 7) == 0
    assert attempts_bought(0.05, cost, 10) == 0


# ---- curves and spend -------------------------------------------------------------------------------


@pytest.mark.parametrize("p,cost", [(0.3, 0.01), (0.05, 0.002), (0.9, 0.2)])
def test_constant_probability_pass_and_spend(p, cost):
    grid = LogGrid()
    tc = constant_curves(p, cost, grid)
    K = np.floor(grid.budgets / cost * (1 + 1e-12))
    np.testing.assert_allclose(tc.pass_curves()[0], 1 - (1 - p) ** K, rtol=0, atol=1e-15)
    exact = np.array([exact_step_spend(p, cost, b) for b in grid.budgets])
    E = tc.spend_curves()[0]
    # on the default grid the documented bound: relative error below the grid spacing (3.8%)
    spacing = grid.budgets[1] / grid.budgets[0] - 1
    assert np.all(np.abs(E - exact) <= spacing * exact + 1e-15)
    # below the first cost the first segment is exact: S = 1 there
    low = grid.budgets < cost
    np.testing.assert_allclose(E[low], grid.budgets[low], rtol=1e-12)
    # a fine grid converges to the exact step integral
    fine = LogGrid(budget_grid(1e-4, 1.0, 20000))
    Ef = constant_curves(p, cost, fine).spend_curves()[0]
    exact_f = np.array([exact_step_spend(p, cost, b) for b in fine.budgets[::500]])
    np.testing.assert_allclose(Ef[::500], exact_f, rtol=2e-3)


def test_spend_matches_independent_quadrature_of_the_interpolant(make_matrix, rng):
    grid = LogGrid(budget_grid(1e-3, 1.0, 40))
    mx = make_matrix(rng, 6, 3)
    tc = task_curves(mx, grid)
    b = list(grid.budgets)
    for t in range(6):
        for m in range(3):
            s = list(tc.survival[t, m])
            for j in (0, 7, 23, 39):
                e = grid.integrate(tc.survival[t, m])[j]
                assert e == pytest.approx(ref_spend(b, s, b[j]), rel=1e-9, abs=1e-15)
            # off-grid reads (used by cascades) agree too
            s_aug, e_aug = grid.augment(tc.survival[t, m])
            for x in (0.0, 5e-4, 0.0123, 0.5, 2.0):
                kw = grid.weights(np.array([x]))
                from harness.economics.grid import read_spend, read_survival

                assert read_survival(s_aug, kw)[0] == pytest.approx(ref_interp_survival(b, s, x), abs=1e-12)
                assert read_spend(s_aug, e_aug, kw)[0] == pytest.approx(ref_spend(b, s, x), rel=1e-9, abs=1e-15)


def test_free_models_spend_nothing_once_solved():
    grid = LogGrid()
    mx = BankMatrix(("a", "b"), ("free",), np.array([[4], [4]]), np.array([[4], [0]]), np.array([[0.0], [0.0]]))
    tc = task_curves(mx, grid)
    np.testing.assert_allclose(tc.pass_curves()[0], 0.5)
    # the solved task costs nothing, the unsolved one spends the whole budget
    np.testing.assert_allclose(tc.spend_curves()[0], 0.5 * grid.budgets, rtol=1e-12)


def test_no_attempts_never_solve():
    mx = BankMatrix(("a",), ("m",), np.array([[0]]), np.array([[0]]), np.array([[0.01]]))
    tc = task_curves(mx)
    assert np.all(tc.pass_curves() == 0)
    assert np.all(provider_prices(tc, np.array([0.1])) == np.inf)


# ---- prices -----------------------------------------------------------------------------------------


def test_price_inverts_the_curve_like_a_plain_loop(make_matrix, rng):
    grid = LogGrid(budget_grid(1e-3, 1.0, 60))
    tc = task_curves(make_matrix(rng, 40, 3), grid)
    P, E = tc.pass_curves(), tc.spend_curves()
    u = np.linspace(0.0, 1.0, 41)
    got = price_curve(P, E, u)
    for m in range(3):
        p, e = list(np.maximum.accumulate(P[m])), list(E[m])
        want = [ref_invert(p, e, x) for x in u]
        np.testing.assert_allclose(got[m], want, rtol=1e-12)
        finite = np.isfinite(got[m])
        assert np.all(np.diff(got[m][finite]) >= -1e-15)  # a higher solve rate never costs less
        assert np.all(~finite[u > P[m, -1] + 1e-9])  # unreachable rates are infinitely expensive
    # at a grid budget where the curve first reaches its value, the price is that budget's spend
    j = int(np.argmax(P[0] > 0.3))
    assert price_curve(P[0], E[0], np.array([P[0, j]]))[0] == pytest.approx(E[0, j], rel=1e-12)


def test_market_price_is_the_cheapest_provider(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 30, 4))
    u = np.linspace(0.05, 0.9, 30)
    prices = provider_prices(tc, u)
    np.testing.assert_array_equal(market_price(tc, u), prices.min(axis=0))
    np.testing.assert_array_equal(market_price(tc, u, ["m1", "m3"]), prices[[1, 3]].min(axis=0))
    with pytest.raises(HarnessError):
        market_price(tc, u, ["nope"])


def test_grid_validation():
    with pytest.raises(HarnessError):
        budget_grid(1.0, 0.1)
    with pytest.raises(HarnessError):
        LogGrid(np.array([0.1, 0.1, 0.2]))
    with pytest.raises(HarnessError):
        LogGrid().weights(np.array([-1.0]))


# ---- real data --------------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", ["gpt5", "qwen"])
def test_swebench_curves_match_a_plain_loop(swe_bank, swe_pairs, pair):
    models = swe_pairs[pair]
    full = swe_bank.matrix(models)
    assert len(full.tasks) == 500
    grid = LogGrid()
    tc = task_curves(full, grid)
    # pass@1 at the largest budget is the resolved rate among tasks whose single attempt fits in 1 USD
    for m, name in enumerate(models):
        entries = swe_bank.entries[name]
        want = sum(e.c for e in entries.values() if e.mean_cost <= 1.0) / 500
        assert tc.pass_curves()[m, -1] == pytest.approx(want, abs=1e-12)
    # a plain loop over a few tasks: one attempt each, so P(b) = resolved if b >= cost else 0
    few = full.tasks[::97]
    sub = task_curves(swe_bank.matrix(models, tasks=few), grid)
    b = list(grid.budgets)
    for m, name in enumerate(models):
        entries = swe_bank.entries[name]
        P = [
            sum(ref_pass_at_k(1, entries[t].c, math.floor(x / entries[t].mean_cost * (1 + 1e-12))) for t in few)
            / len(few)
            for x in b
        ]
        np.testing.assert_allclose(sub.pass_curves()[m], P, atol=1e-12)
        S = [1 - p for p in P]
        E = sub.spend_curves()[m]
        for j in (0, 60, 124, 200, 249):
            assert E[j] == pytest.approx(ref_spend(b, S, b[j]), rel=1e-8)
        u = [0.1, 0.2, max(P) / 2, max(P), min(1.0, max(P) + 0.01)]
        got = price_curve(sub.pass_curves()[m], E, np.array(u))
        np.testing.assert_allclose(got, [ref_invert(P, list(E), x) for x in u], rtol=1e-12)


def test_livecodebench_multi_attempt_curves(lcb_bank):
    models = ["GPT-4O-mini-2024-07-18", "O4-Mini (High)"]
    mx = lcb_bank.matrix(models)
    assert mx.n.min() == 10 and len(mx.tasks) == 1055
    grid = LogGrid(budget_grid(1e-5, 10.0, 300))
    tc = task_curves(mx, grid)
    for m, name in enumerate(models):
        cost = lcb_bank.entries[name][mx.tasks[0]].mean_cost
        for k in (1, 3, 10):
            j = int(np.searchsorted(grid.budgets, k * cost))  # first grid budget buying >= k attempts
            kk = math.floor(grid.budgets[j] / cost * (1 + 1e-12))
            want = sum(ref_pass_at_k(10, int(c), kk) for c in mx.c[:, m]) / len(mx.tasks)
            assert tc.pass_curves()[m, j] == pytest.approx(want, abs=1e-12)
        # pass@10 at the top: every problem solved at least once out of 10
        assert tc.pass_curves()[m, -1] == pytest.approx(np.mean(mx.c[:, m] > 0), abs=1e-12)
    top = tc.pass_curves()[:, -1]
    prices = provider_prices(tc, np.array([0.2, 0.35, top[0] + 0.01]))
    assert np.all(np.isfinite(prices[:, :2])) and np.all(prices[:, :2] > 0)
    assert prices[0, 2] == np.inf and np.isfinite(prices[1, 2])  # the stronger model reaches further
