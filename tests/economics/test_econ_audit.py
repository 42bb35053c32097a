"""Independent audit of the economics engine: brute force against the engine's closed forms.

* An exact **step-function** reference of DESIGN.md (a budget x buys ``floor(x / cost)`` attempts, the
  failure probability is ``C(n-c, k) / C(n, k)`` from ``math.comb``, spend is the integral of the step
  survival) and a **literal Monte Carlo cascade** (each model's attempts drawn without replacement from the
  bank, paid as the budget is used, stop at the first verified attempt) agree within sampling error.
* The engine interpolates the step survival linearly in log budget, so at every budget it is sandwiched
  between the step reference evaluated one grid ratio ``r`` earlier and later:
  ``S_step(x r) <= S_engine(x) <= S_step(x / r)`` and ``E_step(x r) / r <= E_engine(x) <= r E_step(x / r)``,
  stage by stage in a cascade. This holds exactly for any bank whose cheapest attempt costs at least the
  grid's first budget, which :func:`analysis_grid` now guarantees.
* Brute-force prices and margins from a dense budget scan, competition by hand, and the grid floor.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from harness.bank import BankMatrix
from harness.economics import (
    LogGrid,
    budget_grid,
    cascade_curves,
    cascade_prices,
    compete,
    margins,
    provider_prices,
    revenue_shares,
    search,
    task_curves,
    two_model_allocations,
)
from harness.economics.analysis import AnalysisOptions, analysis_grid, analyze_matrix

# ---- references -------------------------------------------------------------------------------------


def fail_table(n: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``F[t, k] = C(n-c, k) / C(n, k)`` with exact binomials (k = 0..max n; repeats F[n] past n)."""
    K = int(n.max())
    F = np.empty((n.size, K + 1))
    for t, (nn, cc) in enumerate(zip(n.tolist(), c.tolist(), strict=True)):
        for k in range(K + 1):
            kk = min(k, nn)
            F[t, k] = math.comb(nn - cc, kk) / math.comb(nn, kk)
    return F


def step_stage(F: np.ndarray, n: np.ndarray, cost: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact step survival ``S(x)`` and spend ``E(x) = int_0^x S`` per task (x >= 0, shape (tasks,))."""
    x = np.broadcast_to(np.asarray(x, dtype=float), n.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(cost > 0, np.floor(x / cost + 1e-9), np.inf)
    k = np.where(x > 0, np.minimum(k, n), 0).astype(np.int64)
    csum = np.concatenate([np.zeros((n.size, 1)), np.cumsum(F, axis=1)], axis=1)  # csum[k] = sum_{j<k} F[j]
    Fk = np.take_along_axis(F, k[:, None], axis=1)[:, 0]
    E = cost * np.take_along_axis(csum, k[:, None], axis=1)[:, 0] + (x - k * cost) * Fk
    return Fk, np.where(x > 0, E, 0.0)


_TABLES: dict[tuple[int, int], tuple[BankMatrix, np.ndarray]] = {}


def step_cascade(mx: BankMatrix, cols, thr, b: float, scale: float = 1.0) -> tuple[float, np.ndarray]:
    """(solve rate, mean spend per stage) of a cascade at total budget b, each stage read at ``x * scale``.

    ``scale = 1`` is the exact step reference; ``scale = r`` (``1 / r``) gives the lower (upper) bounds of
    the sandwich in the module docstring.
    """
    T = len(mx.tasks)
    R, left, per = np.ones(T), float(b), np.zeros(len(cols))
    for s, (m, t) in enumerate(zip(cols, thr, strict=True)):
        x = min(float(t), left)
        if x <= 0:
            continue
        n, c, cost = mx.n[:, m], mx.c[:, m], mx.cost[:, m].astype(float)
        key = (id(mx), m)
        if key not in _TABLES:
            _TABLES[key] = (mx, fail_table(n, c))  # keep mx alive so its id is not reused
        S, E = step_stage(_TABLES[key][1], n, cost, np.full(T, x * scale))
        per[s] = float(np.mean(R * E)) / scale
        R = R * S
        left -= x
    return 1.0 - float(R.mean()), per


def mc_cascade(mx: BankMatrix, cols, thr, b: float, reps: int, rng: np.random.Generator):
    """Literal cascades: per (task, repetition) samples of (solved, spend per stage)."""
    T = len(mx.tasks)
    solved = np.zeros((T, reps), dtype=bool)
    spend = np.zeros((len(cols), T, reps))
    left = np.full((T, reps), float(b))
    for s, (m, t) in enumerate(zip(cols, thr, strict=True)):
        n, c, cost = mx.n[:, m], mx.c[:, m], mx.cost[:, m].astype(float)
        N = max(int(n.max()), 1)
        outcomes = (np.arange(N)[None, :] < c[:, None]).astype(float)  # c verified, n - c failed, then padding
        pad = np.arange(N)[None, None, :] >= n[:, None, None]
        order = np.argsort(rng.random((T, reps, N)) + 2.0 * pad, axis=-1)  # a random order of the n attempts
        seq = np.take_along_axis(np.broadcast_to(outcomes[:, None, :], order.shape), order, axis=-1)
        first = seq.argmax(axis=-1)  # index of the first verified attempt in the drawn order
        t_solve = np.where(cost[:, None] > 0, (first + 1) * cost[:, None], 0.0)
        x = np.where(solved, 0.0, np.minimum(float(t), left))
        ok = seq.any(axis=-1) & (x > 0) & (t_solve <= x * (1 + 1e-9)) & ~solved
        spend[s] = np.where(ok, t_solve, x)  # pay until the first verified attempt or the stage's budget
        solved |= ok
        left = left - x
    return solved, spend


def grid_ratio(tc) -> float:
    b = tc.budgets
    return float(np.max(b[1:] / b[:-1]))


def synthetic_bank(seed: int = 7, tasks: int = 150, attempts: int = 10) -> BankMatrix:
    """Two models, 10 attempts each, per-task success rates and per-task continuous costs."""
    rng = np.random.default_rng(seed)
    n = np.full((tasks, 2), attempts)
    c = rng.binomial(n, rng.beta(0.5, 0.8, size=(tasks, 2)))
    cost = np.exp(rng.uniform(np.log(2e-3), np.log(5e-2), size=(tasks, 2))) * np.array([1.0, 5.0])
    return BankMatrix(tuple(f"t{i}" for i in range(tasks)), ("cheap", "expensive"), n, c, cost)


def assert_sandwiched(mx: BankMatrix, tc, cols, thr: np.ndarray, budget_idx) -> None:
    """The engine's cascade pass rate and spend lie within one grid step of the exact step reference."""
    r = grid_ratio(tc)
    cc = cascade_curves(tc, cols, thr, by_model=True)
    for a in range(thr.shape[0]):
        for j in budget_idx:
            b = float(tc.budgets[j])
            p_lo, e_lo = step_cascade(mx, cols, thr[a], b, scale=1 / r)  # slowest: upper spend, lower pass
            p_hi, e_hi = step_cascade(mx, cols, thr[a], b, scale=r)
            p, e = cc.pass_rate[a, j], cc.spend_by_model[a, :, j]
            assert p_lo - 1e-9 <= p <= p_hi + 1e-9, (a, j, p_lo, p, p_hi)
            assert np.all(e_hi * (1 - 1e-9) - 1e-15 <= e) and np.all(e <= e_lo * (1 + 1e-9) + 1e-15), (a, j)


# ---- Monte Carlo cascades ---------------------------------------------------------------------------


def test_monte_carlo_cascade_matches_step_reference_and_engine():
    mx = synthetic_bank()
    tc = task_curves(mx)
    thr = np.array([[0.0, np.inf], [0.02, np.inf], [0.1, np.inf], [0.05, 0.3]])
    cc = cascade_curves(tc, [0, 1], thr, by_model=True)
    rng = np.random.default_rng(11)
    reps = 300  # 150 tasks x 300 = 45,000 literal cascades per point
    for a in range(thr.shape[0]):
        for j in (120, 170, 210, 249):
            b = float(tc.budgets[j])
            p_ref, e_ref = step_cascade(mx, [0, 1], thr[a], b)
            solved, spend = mc_cascade(mx, [0, 1], thr[a], b, reps, rng)
            N = solved.size
            # tasks differ, so the pooled standard deviation over-estimates the standard error: 5 SE is safe
            se_p = max(solved.std() / math.sqrt(N), 1e-12)
            assert abs(solved.mean() - p_ref) <= 5 * se_p + 1e-12, (a, j, solved.mean(), p_ref)
            for s in range(2):
                se_e = spend[s].std() / math.sqrt(N)
                assert abs(spend[s].mean() - e_ref[s]) <= 5 * se_e + 1e-12, (a, j, s)
            # the engine: within 1.5 points of solve rate and 2% of spend of the exact reference (measured
            # here: at most 0.8 points and 0.9%; one grid step is 3.8% of the budget)
            assert cc.pass_rate[a, j] == pytest.approx(p_ref, abs=0.015)
            assert cc.spend[a, j] == pytest.approx(e_ref.sum(), rel=0.02)
    assert_sandwiched(mx, tc, [0, 1], thr, (60, 120, 170, 210, 249))


def test_three_stage_cascades_sharing_prefixes():
    """Allocations that share first stages are deduplicated inside the engine: each must still be right."""
    rng = np.random.default_rng(3)
    T = 120
    n = rng.integers(1, 9, size=(T, 3))
    c = rng.binomial(n, rng.beta(0.6, 0.9, size=(T, 3)))
    cost = np.exp(rng.uniform(np.log(1e-3), np.log(2e-2), size=(T, 3))) * np.array([1.0, 3.0, 10.0])
    cost[rng.random(T) < 0.1, 0] = 0.0  # some free attempts
    mx = BankMatrix(tuple(f"t{i}" for i in range(T)), ("a", "b", "c"), n, c, cost)
    tc = task_curves(mx)
    thr = np.array(
        [[0.01, 0.03, np.inf], [0.01, 0.1, np.inf], [0.01, 0.03, 0.2], [0.0, 0.03, np.inf], [0.05, 0.0, np.inf]]
    )
    cc = cascade_curves(tc, [0, 1, 2], thr, by_model=True)
    for a in range(thr.shape[0]):
        for j in (150, 200, 249):
            b = float(tc.budgets[j])
            p_ref, e_ref = step_cascade(mx, [0, 1, 2], thr[a], b)
            solved, spend = mc_cascade(mx, [0, 1, 2], thr[a], b, 200, rng)
            se = max(solved.std() / math.sqrt(solved.size), 1e-12)
            assert abs(solved.mean() - p_ref) <= 5 * se + 1e-12
            for s in range(3):
                assert abs(spend[s].mean() - e_ref[s]) <= 5 * spend[s].std() / math.sqrt(solved.size) + 1e-12
            assert cc.pass_rate[a, j] == pytest.approx(p_ref, abs=0.015)
            np.testing.assert_allclose(cc.spend_by_model[a, :, j], e_ref, rtol=0.03, atol=1e-6)
    assert_sandwiched(mx, tc, [0, 1, 2], thr, (40, 100, 150, 200, 249))


@pytest.mark.parametrize("pair", ["qwen", "gpt5"])
def test_literal_cascade_on_swebench_pairs(swe_bank, swe_pairs, pair):
    """One attempt per instance: the literal cascade is deterministic; it agrees with the engine."""
    mx = swe_bank.matrix(swe_pairs[pair])
    tc = task_curves(mx)
    thr = np.array([[0.0, np.inf], [0.01268, np.inf], [0.078, np.inf], [0.3, np.inf], [np.inf, np.inf]])
    cc = cascade_curves(tc, [0, 1], thr, by_model=True)
    rng = np.random.default_rng(0)
    worst_p = worst_e = 0.0
    for a in range(thr.shape[0]):
        for j in (100, 150, 200, 249):
            solved, spend = mc_cascade(mx, [0, 1], thr[a], float(tc.budgets[j]), 1, rng)
            p_ref, e_ref = step_cascade(mx, [0, 1], thr[a], float(tc.budgets[j]))
            assert solved.mean() == pytest.approx(p_ref, abs=1e-12)
            np.testing.assert_allclose(spend.mean(axis=(1, 2)), e_ref, rtol=1e-9, atol=1e-15)
            worst_p = max(worst_p, abs(cc.pass_rate[a, j] - p_ref))
            worst_e = max(worst_e, abs(cc.spend[a, j] / e_ref.sum() - 1))
    # 500 instances with distinct costs: few attempts end inside any one grid step (measured: <= 0.2
    # points of solve rate and 0.2% of spend)
    assert worst_p <= 0.01 and worst_e <= 0.01
    assert_sandwiched(mx, tc, [0, 1], thr, (100, 150, 200, 249))


def test_sandwich_on_livecodebench_constant_costs(lcb_bank):
    """Constant list-price costs put every task's step at the same budget: the worst case of the grid."""
    mx = lcb_bank.matrix(["GPT-4O-mini-2024-07-18", "O4-Mini (High)"])
    tc = task_curves(mx)
    k0 = float(mx.cost[0, 0])
    thr = np.array([[3 * k0, np.inf], [2.5 * k0, np.inf], [10 * k0, 0.5], [0.0, np.inf]])
    assert_sandwiched(mx, tc, [0, 1], thr, (10, 40, 80, 120, 160, 200, 249))


# ---- brute-force prices and margins -----------------------------------------------------------------


def scan_price(P: np.ndarray, E: np.ndarray, u: float) -> float:
    """Cheapest expected spend among scanned budgets whose solve rate reaches u."""
    ok = P >= u - 1e-12
    return float(E[ok].min()) if ok.any() else math.inf


@pytest.mark.parametrize("pair", ["qwen", "gpt5"])
def test_prices_and_margins_by_budget_scan(swe_bank, swe_pairs, pair):
    mx = swe_bank.matrix(swe_pairs[pair])
    tc = task_curves(mx)
    r = grid_ratio(tc)
    c = mx.c.astype(float)
    cost = mx.cost
    xs = np.geomspace(1e-4, 1.0, 6000)
    # one attempt per instance: S(x) = 1 - c [x >= cost], E(x) = min(x, cost) + (1 - c) (x - cost)^+
    solved = (xs[None, :, None] >= cost[:, None, :] * (1 - 1e-12)) * c[:, None, :]
    P = solved.mean(axis=0).T  # (models, budgets)
    E = (
        (
            np.minimum(xs[None, :, None], cost[:, None, :])
            + (1 - c[:, None, :]) * np.maximum(xs[None, :, None] - cost[:, None, :], 0)
        )
        .mean(axis=0)
        .T
    )
    t1 = 0.078 if pair == "gpt5" else 0.01268
    x1 = np.minimum(xs, t1)[None, :]
    x2 = np.maximum(xs - t1, 0)[None, :]
    s1 = 1 - c[:, :1] * (x1 >= cost[:, :1] * (1 - 1e-12))
    e1 = np.minimum(x1, cost[:, :1]) + (1 - c[:, :1]) * np.maximum(x1 - cost[:, :1], 0)
    s2 = 1 - c[:, 1:] * ((x2 >= cost[:, 1:] * (1 - 1e-12)) & (x2 > 0))
    e2 = np.minimum(x2, cost[:, 1:]) + (1 - c[:, 1:]) * np.maximum(x2 - cost[:, 1:], 0)
    Pq, Eq = 1 - (s1 * s2).mean(axis=0), (e1 + s1 * e2).mean(axis=0)
    top = float(min(P.max(), tc.pass_curves().max()))
    u = np.linspace(0.05, top - 0.01, 25)
    engine = provider_prices(tc, u)
    Cq = cascade_prices(cascade_curves(tc, [0, 1], np.array([[t1, np.inf]])), u)[0]
    for i, uu in enumerate(u):
        for m in range(2):
            # the engine's pass curve is the step curve within a factor r in budget, so its price lies
            # between the brute-force prices of u one grid step cheaper and dearer (spend within r too)
            bf = scan_price(P[m], E[m], uu)
            assert bf / r**2 <= engine[m, i] <= bf * r**2, (pair, m, uu, bf, engine[m, i])
        bq = scan_price(Pq, Eq, uu)
        assert bq / r**2 <= Cq[i] <= bq * r**2, (pair, uu, bq, Cq[i])
    C = engine.min(axis=0)
    C_bf = np.array([min(scan_price(P[m], E[m], uu) for m in range(2)) for uu in u])
    Cq_bf = np.array([scan_price(Pq, Eq, uu) for uu in u])
    m_engine = margins(C, Cq)
    m_bf = margins(C_bf, Cq_bf)
    # a margin depends on two prices each within a factor r^2 of the brute force: |dm| <= 2 (r^2 - 1)
    np.testing.assert_allclose(m_engine, m_bf, atol=2 * (r**2 - 1) + 1e-9)
    assert np.all((m_engine >= 0) & (m_engine <= 1))


@pytest.mark.parametrize("pair", ["qwen", "gpt5"])
def test_two_model_search_by_budget_scan(swe_bank, swe_pairs, pair):
    """The whole 102-allocation search redone on exact step curves by scanning 800 budgets."""
    mx = swe_bank.matrix(swe_pairs[pair])
    tc = task_curves(mx)
    c, cost = mx.c.astype(float), mx.cost
    u = np.linspace(0.05, float(tc.pass_curves().max()), 100)
    allocs = two_model_allocations()
    res = search(tc, [0, 1], allocs, u)
    X = np.geomspace(1e-4, 1.0, 800)[None, :]

    def stage(x: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:  # one attempt per instance
        k, cm = cost[:, m : m + 1], c[:, m : m + 1]
        return 1 - cm * ((x >= k * (1 - 1e-12)) & (x > 0)), np.minimum(x, k) + (1 - cm) * np.maximum(x - k, 0)

    def prices(P: np.ndarray, E: np.ndarray) -> np.ndarray:
        return np.array([scan_price(P, E, uu) for uu in u])

    C = np.min([prices(1 - S.mean(0), E.mean(0)) for S, E in (stage(X, 0), stage(X, 1))], axis=0)
    objective = []
    for t1 in allocs[:, 0]:
        (S1, E1), (S2, E2) = stage(np.minimum(X, t1), 0), stage(np.maximum(X - t1, 0), 1)
        Cq = prices(1 - (S1 * S2).mean(0), (E1 + S1 * E2).mean(0))
        objective.append(np.nanmean(margins(C, Cq)))
    objective = np.array(objective)
    best = int(np.argmax(objective))
    # measured: gpt5 picks the same threshold ($0.07805, 0.051); qwen the neighbouring one (0.005 vs 0.006)
    assert abs(res.best - best) <= 2, (res.thresholds, allocs[best])
    assert res.mean_margin == pytest.approx(objective[best], abs=0.005)
    assert objective[res.best] >= objective[best] - 0.005  # the engine's pick is near-optimal on exact curves
    np.testing.assert_allclose(res.objective, objective, atol=0.01)


def test_revenue_shares_by_budget_scan(swe_bank, swe_pairs):
    """gpt-5-mini up to $0.0781, then gpt-5: who gets the consumer's money where the arbitrageur wins."""
    pair = swe_pairs["gpt5"]
    mx = swe_bank.matrix(pair)
    tc = task_curves(mx)
    u = np.array([0.60, 0.61, 0.62, 0.63, 0.64])
    thr = np.array([0.0781, np.inf])
    sh = revenue_shares(tc, list(pair), list(pair), thr, u)
    xs = np.geomspace(0.05, 1.0, 1500)
    scan = [step_cascade(mx, [0, 1], thr, x) for x in xs]
    P = np.array([p for p, _ in scan])
    for i, uu in enumerate(u):
        j = int(np.argmax(P >= uu))  # the cheapest scanned budget reaching u
        per = scan[j][1]
        want = np.r_[per, sh.market[i] - per.sum()] / sh.market[i]
        # measured: within 0.006 (each spend is within a grid step; 500 instances average the steps out)
        np.testing.assert_allclose(sh.with_arbitrage[:, i], want, atol=0.02)
        assert sh.with_arbitrage[2, i] > 0.5  # the arbitrageur keeps most of the market price here


# ---- competition by hand ----------------------------------------------------------------------------


def test_two_arbitrageurs_by_hand():
    """C = 1, costs 0.5 and 0.6, undercut 0.93: the hand-computed price path."""
    spend = np.array([[[0.3], [0.2]], [[0.1], [0.5]]])  # (arbitrageurs, providers, targets)
    res = compete(np.array([0.5]), np.array([1.0]), np.array([[0.5], [0.6]]), rounds=12, spend=spend)
    p = [1.0]
    for _ in range(7):  # A and B alternate: 0.93, 0.8649, ... while 0.93 p stays above both costs
        p.append(0.93 * p[-1])
    # round 7 (B): 0.93 * 0.60170 = 0.55958 < 0.6, so B offers its cost 0.6 (still below 0.60170)
    p.append(0.6)
    # round 8 (A): 0.93 * 0.6 = 0.558 > 0.5; then B cannot go below 0.6 and A holds: nothing moves
    p += [0.558] * 4
    np.testing.assert_allclose(res.price[:, 0], p, rtol=1e-12)
    assert list(res.holder[:, 0]) == [-1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0]
    np.testing.assert_allclose(res.margins[:, 0], [(0.558 - 0.5) / 0.558, 0.0])
    np.testing.assert_allclose(res.provider_revenue[:, 0], [0.3, 0.2])  # what the holder A spends


# ---- the grid floor (bug fixed in this audit) -------------------------------------------------------


def cheap_bank() -> BankMatrix:
    """A local model at 3e-5 USD per attempt (below the default first budget 1e-4) and an API model."""
    rng = np.random.default_rng(5)
    T = 150
    n = np.full((T, 2), 10)
    c = rng.binomial(n, rng.beta(0.5, 0.8, size=(T, 2)))
    cost = np.stack([np.full(T, 3e-5), np.full(T, 0.01)], axis=1)
    return BankMatrix(tuple(f"t{i}" for i in range(T)), ("local", "api"), n, c, cost)


def test_analysis_grid_starts_below_the_cheapest_attempt():
    mx = cheap_bank()
    grid = analysis_grid(AnalysisOptions(), [mx])
    b = grid.budgets
    assert b[0] <= 3e-5 and b[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(b[1:] / b[:-1], (1e4) ** (1 / 249), rtol=1e-9)  # same spacing, more points
    np.testing.assert_allclose(b[-250:], budget_grid(), rtol=1e-9)  # the requested points are kept
    assert analysis_grid(AnalysisOptions(), [synthetic_bank()]).size == 250  # nothing to extend
    tiny = BankMatrix(mx.tasks, mx.models, mx.n, mx.c, np.where(mx.cost < 1e-3, 1e-200, mx.cost))
    assert analysis_grid(AnalysisOptions(), [tiny]).budgets[0] >= 1e-10 / 1.04**2  # bounded extension


def test_prices_of_a_model_cheaper_than_the_first_budget():
    """Before the fix the default grid priced solve rates 0.1-0.4 of the 3e-5 model at 7e-6-2.7e-5 USD
    (4.5x too cheap at 0.1): the first budget already bought 3 attempts, spent as if free."""
    mx = cheap_bank()
    u = np.array([0.1, 0.2, 0.3, 0.4])
    a = analyze_matrix(mx, AnalysisOptions(rate_hi=0.9, rate_points=4, report_rates=(0.1,)), ())
    got = provider_prices(a.curves, u, ["local"])[0]
    # brute force: one attempt (3e-5 USD) already solves 42% of the tasks, so every rate up to 0.4 costs
    # about one attempt
    xs = np.geomspace(1e-6, 1e-3, 3000)
    F = fail_table(mx.n[:, 0], mx.c[:, 0])
    SE = [step_stage(F, mx.n[:, 0], mx.cost[:, 0], np.full(len(mx.tasks), x)) for x in xs]
    P = np.array([1 - s.mean() for s, _ in SE])
    E = np.array([e.mean() for _, e in SE])
    want = np.array([scan_price(P, E, x) for x in u])
    r = grid_ratio(a.curves)
    assert np.all(got >= want / r**2) and np.all(got <= want * r**2), (got, want)
    assert_sandwiched(mx, a.curves, [0, 1], np.array([[3e-4, np.inf], [0.0, np.inf]]), (0, 20, 40, 100, 200))


def test_task_curves_warn_when_an_attempt_is_cheaper_than_the_first_budget():
    with pytest.warns(UserWarning, match="first budget"):
        task_curves(cheap_bank())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        task_curves(cheap_bank(), LogGrid(budget_grid(1e-5, 1.0, 300)))
