"""Oracle bound, competition between arbitrageurs, revenue shares, market entry and gatekeeping."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.bank import BankMatrix
from harness.economics import (
    cascade_curves,
    cascade_prices,
    margins,
    market_price,
    nondecreasing_allocations,
    provider_prices,
    search,
    task_curves,
    two_model_allocations,
)
from harness.economics.competition import compete
from harness.economics.oracle import oracle_costs, oracle_margin, oracle_price
from harness.economics.shares import PROFIT, gatekeeping, market_entry, revenue_shares
from harness.errors import HarnessError

# ---- oracle -----------------------------------------------------------------------------------------


def test_oracle_price_is_a_fractional_knapsack(make_matrix, rng):
    mx = make_matrix(rng, 40, 3)
    costs = oracle_costs(mx)
    for t in range(40):
        want = min((mx.cost[t, m] for m in range(3) if mx.c[t, m] > 0), default=math.inf)
        assert costs[t] == want
    solvable = sorted(x for x in costs if math.isfinite(x))
    for k in range(len(solvable) + 1):
        assert oracle_price(mx, np.array([k / 40]))[0] == pytest.approx(sum(solvable[:k]) / 40, abs=1e-15)
    half = oracle_price(mx, np.array([2.5 / 40]))[0]
    assert half == pytest.approx((sum(solvable[:2]) + 0.5 * solvable[2]) / 40)
    assert oracle_price(mx, np.array([(len(solvable) + 1) / 40]))[0] == math.inf


def test_oracle_bounds_every_strategy(make_matrix, rng):
    mx = make_matrix(rng, 80, 3)
    tc = task_curves(mx)
    u = np.linspace(0.05, 0.95, 40)
    C = market_price(tc, u)
    o = oracle_margin(C, oracle_price(mx, u))
    allocs = nondecreasing_allocations([0.0, 0.001, 0.01, 0.05, 0.2], 3, rest=True)
    m = margins(C[None, :], cascade_prices(cascade_curves(tc, [0, 1, 2], allocs), u))
    assert np.all(m[np.isfinite(m)] <= np.broadcast_to(o, m.shape)[np.isfinite(m)] + 1e-12)
    assert np.all(oracle_price(mx, u) <= provider_prices(tc, u).min(axis=0) + 1e-15)


@pytest.mark.parametrize("pair", ["gpt5", "qwen"])
def test_oracle_bounds_swebench_searches(swe_bank, swe_pairs, pair):
    mx = swe_bank.matrix(swe_pairs[pair])
    tc = task_curves(mx)
    u = np.linspace(0.05, 0.65, 61)
    res = search(tc, [0, 1], two_model_allocations(), u)
    o = oracle_margin(res.market, oracle_price(mx, u))
    ok = np.isfinite(res.best_margins)
    assert np.all(res.best_margins[ok] <= o[ok] + 1e-12)
    assert np.nanmax(o) > np.nanmax(res.best_margins)  # knowing outcomes in advance is worth something


# ---- competition ------------------------------------------------------------------------------------


def test_competition_undercuts_to_cost():
    u = np.array([0.2, 0.5, 0.8])
    market = np.array([1.0, 2.0, 4.0])
    costs = np.array([[0.5, 1.9, 5.0], [0.5, 1.0, 3.0]])
    res = compete(u, market, costs, rounds=200, undercut=0.93)
    assert res.price[1, 0] == pytest.approx(0.93) and res.holder[1, 0] == 0
    assert np.all(np.diff(res.price, axis=0) <= 0)  # the consumer price never rises
    # equal costs: the price falls to the cost and the margins vanish
    assert res.final_price[0] == pytest.approx(0.5)
    np.testing.assert_allclose(res.margins[:, 0], 0.0)
    # the cheaper arbitrageur ends below its rival's cost and never below its own
    assert 1.0 <= res.final_price[1] <= 1.9 and res.holder[-1, 1] == 1
    assert res.margins[1, 1] == pytest.approx((res.final_price[1] - 1.0) / res.final_price[1])
    # at 0.8 only arbitrageur 1 can undercut, once: 0.93 * 4 = 3.72 > its cost 3.0, then nobody moves
    assert res.holder[-1, 2] == 1 and res.final_price[2] == pytest.approx(3.72)
    assert np.all(res.price >= costs.min(axis=0) - 1e-12)


def test_competition_revenue_follows_the_holder():
    u = np.array([0.3, 0.6])
    spend = np.array([[[0.1, 0.2], [0.3, 0.0]]])  # one arbitrageur, two providers
    res = compete(u, np.array([1.0, 0.1]), np.array([[0.4, 0.5]]), rounds=5, spend=spend, cheapest=np.array([1, 0]))
    np.testing.assert_allclose(res.provider_revenue[:, 0], [0.1, 0.3])  # the arbitrageur holds u=0.3
    np.testing.assert_allclose(res.provider_revenue[:, 1], [0.1, 0.0])  # nobody undercuts: provider 0 sells
    with pytest.raises(HarnessError):
        compete(u, np.array([1.0, 1.0]), np.array([[0.4, 0.5]]), undercut=1.5)


# ---- shares -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("pair", ["gpt5", "qwen"])
def test_revenue_shares_sum_to_one_on_swebench(swe_bank, swe_pairs, pair):
    cheap, expensive = swe_pairs[pair]
    tc = task_curves(swe_bank.matrix([cheap, expensive]))
    u = np.linspace(0.05, 0.65, 40)
    res = search(tc, [cheap, expensive], two_model_allocations(), u)
    sh = revenue_shares(tc, [cheap, expensive], [cheap, expensive], res.thresholds, u)
    reach = np.isfinite(sh.market)
    np.testing.assert_allclose(np.nansum(sh.without, axis=0)[reach], 1.0)
    np.testing.assert_allclose(sh.with_arbitrage[:, reach].sum(axis=0), 1.0, rtol=1e-9)
    assert np.all(sh.without[:, reach] >= 0) and np.all(sh.with_arbitrage[:, reach] >= -1e-12)
    # the profit share is the margin of the chosen strategy
    np.testing.assert_allclose(sh.row(PROFIT)[reach], res.best_margins[reach], atol=1e-12)
    # without arbitrage one provider takes everything at each rate
    assert set(np.unique(sh.without[:2, reach])) <= {0.0, 1.0}


def _student_market() -> BankMatrix:
    rng = np.random.default_rng(3)
    T = 60
    n = np.full((T, 3), 4)
    strong = rng.integers(1, 5, T)
    c = np.stack([np.minimum(strong, rng.integers(0, 5, T)), strong, np.where(rng.random(T) < 0.5, 4, 0)], axis=1)
    cost = np.stack([np.full(T, 0.01), np.full(T, 0.2), np.full(T, 0.002)], axis=1)
    return BankMatrix(tuple(f"t{i}" for i in range(T)), ("small", "large", "student"), n, c, cost)


def test_gatekeeping_with_a_free_perfect_student():
    mx = _student_market()
    free = BankMatrix(
        mx.tasks, mx.models, mx.n, np.where(np.arange(3) == 2, 4, mx.c), np.where(np.arange(3) == 2, 0.0, mx.cost)
    )
    tc = task_curves(free)
    u = np.linspace(0.1, 0.9, 9)
    ch = gatekeeping(tc, expensive="large", withheld="small", student="student", targets=u)
    # the gatekept market sells only the large model; a free perfect student takes all of it as profit
    np.testing.assert_allclose(ch.after.best_margins, 1.0)
    np.testing.assert_allclose(ch.shares_after.row(PROFIT), 1.0)
    np.testing.assert_allclose(ch.shares_after.row("large"), 0.0, atol=1e-12)


def test_market_entry_moves_revenue_to_the_entrant():
    tc = task_curves(_student_market())
    u = np.linspace(0.1, 0.9, 17)
    ch = market_entry(tc, ["small", "large"], "student", u)
    assert "student" not in ch.shares_before.names
    gained = ch.share_change("student")
    assert np.nanmax(gained) > 0  # the entrant earns through arbitrageurs
    for s in (ch.shares_before, ch.shares_after):
        reach = np.isfinite(s.market)
        np.testing.assert_allclose(s.with_arbitrage[:, reach].sum(axis=0), 1.0, rtol=1e-9)
    with pytest.raises(HarnessError):
        market_entry(tc, ["small", "large"], "large", u)
