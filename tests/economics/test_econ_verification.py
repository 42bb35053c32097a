"""Imperfect verification (sold against correct, refunds) and costly verification, against closed forms,
a literal Monte Carlo, and the banks that carry them (JSONL, the store, Parquet)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from harness.bank import Bank, BankEntry, BankMatrix
from harness.economics import LogGrid, cascade_curves, task_curves
from harness.economics.analysis import AnalysisOptions, analyze_matrix
from harness.economics.cascade import cascade_prices, correct_at_rates
from harness.economics.search import Refund, sale_margins
from harness.economics.verification import verification_costs
from harness.errors import BankFormatError
from harness.store import Store

GRID = LogGrid(np.geomspace(1e-4, 1.0, 300))


def constant_bank(tasks: int, n: int, spec: dict[str, tuple[float, float, float]]) -> BankMatrix:
    """Every task alike: per model (pass probability p, true-correct probability a, USD per attempt), with
    ``c = p n`` verified and ``good = a n`` verified-and-correct attempts (correct ones always pass)."""
    names = tuple(spec)
    c = np.array([[round(p * n) for p, _, _ in spec.values()]] * tasks)
    good = np.array([[round(a * n) for _, a, _ in spec.values()]] * tasks)
    cost = np.array([[k for _, _, k in spec.values()]] * tasks, dtype=float)
    return BankMatrix(tuple(f"t{i}" for i in range(tasks)), names, np.full(c.shape, n), c, cost, good)


def hyper_fail(n: int, c: int, k: int) -> float:
    k = min(k, n)
    return math.comb(n - c, k) / math.comb(n, k)


def test_constant_pass_and_false_positive_probabilities_closed_form():
    # verified with probability p = a + (1 - a) phi: a = 0.3 correct, phi = 2/7 false positives -> p = 0.5
    n, k1, k2 = 200, 0.001, 0.01
    mx = constant_bank(4, n, {"cheap": (0.5, 0.3, k1), "strong": (0.8, 0.75, k2)})
    tc = task_curves(mx, GRID)
    thr = np.array([[0.0035, np.inf]])  # three attempts of the cheap model, then the strong one
    cc = cascade_curves(tc, ["cheap", "strong"], thr, correct=True)
    for j in (80, 150, 220, 299):
        b = float(GRID.budgets[j])
        m1 = int(math.floor(min(b, 0.0035) / k1 + 1e-9))
        m2 = int(math.floor(max(b - 0.0035, 0.0) / k2 + 1e-9))
        f1, f2 = hyper_fail(n, 100, m1), hyper_fail(n, 160, m2)
        sold = 1 - f1 * f2
        correct = (1 - f1) * 0.3 / 0.5 + f1 * (1 - f2) * 0.75 / 0.8
        assert cc.pass_rate[0, j] == pytest.approx(sold, abs=1e-12)
        assert cc.correct_rate[0, j] == pytest.approx(correct, abs=1e-12)
        # with replacement (the constant probabilities themselves) it is within 1% for so many attempts
        sold_bin = 1 - (0.5**m1) * (0.2**m2)
        assert cc.pass_rate[0, j] == pytest.approx(sold_bin, rel=0.01)
    # one model alone: the false-sale rate is exactly 1 - a / p at every sold rate it reaches
    one = cascade_curves(tc, ["cheap"], np.array([[np.inf]]), correct=True)
    u = np.array([0.2, 0.5, 0.9])
    ok = np.isfinite(cascade_prices(one, u)[0])
    np.testing.assert_allclose((1 - correct_at_rates(one, u)[0] / u)[ok], 1 - 0.3 / 0.5, atol=1e-12)


def test_refund_margins_follow_the_pricing():
    C, Cq, u, uc = np.array([1.0, 1.0]), np.array([0.5, 0.9]), np.array([0.8, 0.8]), np.array([0.6, 0.6])
    np.testing.assert_allclose(sale_margins(C, Cq, u, uc, Refund("none")), [0.5, 0.1])
    # per task: the price of the 0.2 of tasks sold wrong is returned
    np.testing.assert_allclose(sale_margins(C, Cq, u, uc, Refund("full")), [0.3, 0.0])
    # per solution: a quarter of the solutions sold (0.2 / 0.8) are refunded
    np.testing.assert_allclose(sale_margins(C, Cq, u, uc, Refund("full", per_solution=True)), [0.25, 0.0])
    with pytest.raises(Exception, match="refund policy"):
        Refund("partial")


def mc_cascade_correct(mx: BankMatrix, thr, b: float, reps: int, rng: np.random.Generator):
    """Literal cascades drawing each model's (verdict, correct) attempts without replacement: per task and
    repetition, (sold, sold and correct, spend)."""
    T = len(mx.tasks)
    sold = np.zeros((T, reps), dtype=bool)
    good = np.zeros((T, reps), dtype=bool)
    spend = np.zeros((T, reps))
    left = np.full((T, reps), float(b))
    for m, t in enumerate(thr):
        n, c, g, cost = mx.n[:, m], mx.c[:, m], mx.good[:, m], mx.cost[:, m]
        N = int(n.max())
        idx = np.arange(N)[None, :]
        verdict = (idx < c[:, None]).astype(float)  # verified ones first: the first g of them are correct
        correct = idx < g[:, None]
        order = np.argsort(rng.random((T, reps, N)) + 2.0 * (idx[None] >= n[:, None, None]), axis=-1)
        seq = np.take_along_axis(np.broadcast_to(verdict[:, None, :], order.shape), order, axis=-1)
        right = np.take_along_axis(np.broadcast_to(correct[:, None, :], order.shape), order, axis=-1)
        first = seq.argmax(axis=-1)
        t_sale = (first + 1) * cost[:, None]
        x = np.where(sold, 0.0, np.minimum(float(t), left))
        ok = seq.any(axis=-1) & (x > 0) & (t_sale <= x * (1 + 1e-9)) & ~sold
        good |= ok & np.take_along_axis(right, first[..., None], axis=-1)[..., 0]
        spend += np.where(ok, t_sale, x)
        sold |= ok
        left = left - x
    return sold, good, spend


def test_monte_carlo_sold_correct_and_spend():
    rng = np.random.default_rng(5)
    T = 80
    n = rng.integers(2, 9, size=(T, 2))
    c = rng.binomial(n, rng.beta(0.8, 0.9, size=(T, 2)))
    good = rng.binomial(c, rng.uniform(0.3, 1.0, size=(T, 2)))
    cost = np.exp(rng.uniform(np.log(2e-3), np.log(2e-2), size=(T, 2))) * np.array([1.0, 4.0])
    mx = BankMatrix(tuple(f"t{i}" for i in range(T)), ("a", "b"), n, c, cost, good)
    grid = LogGrid(np.geomspace(1e-3, 1.0, 400))
    tc = task_curves(mx, grid)
    thr = np.array([0.03, np.inf])
    cc = cascade_curves(tc, ["a", "b"], thr[None, :], correct=True)
    for j in (200, 300, 399):
        b = float(grid.budgets[j])
        s, g, e = mc_cascade_correct(mx, thr, b, 400, rng)
        N = s.size
        for mc, engine, tol in ((s, cc.pass_rate, 0.015), (g, cc.correct_rate, 0.015)):
            se = max(mc.std() / math.sqrt(N), 1e-12)
            assert abs(mc.mean() - engine[0, j]) <= 5 * se + tol, (j, mc.mean(), engine[0, j])
        assert e.mean() == pytest.approx(cc.spend[0, j], rel=0.03)


def test_analysis_reports_sold_correct_false_sales_and_refunds():
    mx = constant_bank(50, 40, {"cheap": (0.5, 0.3, 0.001), "strong": (0.9, 0.9, 0.02)})
    sold_by = ("strong",)  # the cheap model is the arbitrageur's own: it resells its verified answers
    a = analyze_matrix(mx, AnalysisOptions(providers=sold_by, rate_points=30, competitors=1, rounds=2))
    v = a.verification
    assert v is not None and a.models[0].correct_at_1 == pytest.approx(0.3)
    ok = np.isfinite(v.correct)
    assert np.all(v.correct[ok] <= a.targets[ok] + 1e-12)  # never more correct than sold
    np.testing.assert_allclose(v.false_sale[ok], 1 - v.correct[ok] / a.targets[ok])
    assert np.all(v.margin_full[ok] <= v.margin_none[ok] + 1e-12) and v.mean_full < v.mean_none
    np.testing.assert_allclose(v.margin_none, a.margins)  # the default policy is no refunds
    # under full refunds the search itself counts refunds, so it never does worse than refunding the other pick
    b = analyze_matrix(mx, AnalysisOptions(providers=sold_by, rate_points=30, competitors=1, rounds=2, refund="full"))
    assert b.search.mean_margin >= v.mean_full - 1e-12
    # a bank without hidden correctness has no such report
    plain = BankMatrix(mx.tasks, mx.models, mx.n, mx.c, mx.cost)
    assert analyze_matrix(plain, AnalysisOptions(rate_points=10, competitors=1, rounds=1)).verification is None
    # the market-setting provider has a = p (every verified answer is correct): correct rate = sold rate
    np.testing.assert_allclose(v.market_correct[ok], a.targets[ok] * 1.0, rtol=1e-9)


def test_verification_costs_are_paid_by_the_arbitrageur_only():
    rng = np.random.default_rng(2)
    T = 60
    n = np.full((T, 2), 6)
    c = rng.binomial(n, rng.beta(0.7, 0.9, size=(T, 2)))
    cost = np.broadcast_to([0.002, 0.03], (T, 2)).astype(float)
    cpu = np.full((T, 2), 3.6)  # 3.6 CPU seconds at $1 per CPU hour = $0.001 per verification
    mx = BankMatrix(tuple(f"t{i}" for i in range(T)), ("s", "l"), n, c, cost, None, cpu)
    fixed, note = verification_costs(mx, 0.001)
    measured, note2 = verification_costs(mx, None, 1.0)
    np.testing.assert_allclose(fixed, measured) and "CPU" in note2 and "0.001" in note
    opts = AnalysisOptions(rate_points=25, competitors=1, rounds=1, cpu_usd_per_hour=1.0)
    a = analyze_matrix(mx, opts)
    cv = a.costly
    assert cv is not None and cv.per_attempt == pytest.approx([0.001, 0.001])
    # the market is unchanged; the arbitrageur's cascade is exactly the one on costs + verification
    paid = task_curves(mx.with_cost(cost + 0.001), a.curves.grid)
    thr = cv.search.thresholds[None, :]
    np.testing.assert_allclose(cv.price, cascade_prices(cascade_curves(paid, ["s", "l"], thr), a.targets)[0])
    ok = np.isfinite(a.market)
    assert np.all(cv.same_strategy[ok] <= a.margins[ok] + 1e-12)  # paying for checks never helps
    assert cv.mean_margin <= a.mean_margin + 1e-12 and cv.mean_margin >= float(np.nanmean(cv.same_strategy)) - 1e-12
    # no cost known: no section
    assert analyze_matrix(mx, AnalysisOptions(rate_points=10, competitors=1, rounds=1)).costly is None


def test_bank_files_carry_correctness_and_verify_time(tmp_path):
    bank = Bank(
        {
            "m": {
                "t1": BankEntry(0.01, (1, 1, 0), (1, 0, 0), 0.25),
                "t2": BankEntry(0.02, (0, 1), None, None),
            }
        }
    )
    bank.write_jsonl(tmp_path / "b")
    lines = [json.loads(x) for x in (tmp_path / "b" / "m.jsonl").read_text().splitlines()]
    assert lines[0]["correct"] == [1, 0, 0] and lines[0]["verify_cpu_s"] == 0.25
    assert "correct" not in lines[1] and "verify_cpu_s" not in lines[1]  # unknown stays absent
    back = Bank.read_jsonl(tmp_path / "b")
    assert back == bank
    mx = back.matrix()
    assert mx.good.tolist() == [[1], [1]] and mx.c.tolist() == [[2], [1]]  # t2: verification taken as exact
    assert mx.verify_cpu_s[0, 0] == 0.25 and np.isnan(mx.verify_cpu_s[1, 0])
    bad = tmp_path / "bad"
    bad.mkdir()
    for row, message in (
        ({"id": "a", "mean_cost": 0.1, "attempts": [1, 0], "correct": [1]}, "one per attempt"),
        ({"id": "a", "mean_cost": 0.1, "attempts": [1], "correct": [2]}, "'correct' must be"),
        ({"id": "a", "mean_cost": 0.1, "attempts": [1], "verify_cpu_s": -1}, "verify_cpu_s"),
    ):
        (bad / "m.jsonl").write_text(json.dumps(row) + "\n")
        with pytest.raises(BankFormatError, match=message):
            Bank.read_jsonl(bad)


def test_store_and_parquet_round_trip_correctness(tmp_path):
    from harness.store.attempt import Attempt

    with Store(tmp_path / "s.sqlite") as st:
        rows = [
            ("t1", 0, "passed", True, 0.5),
            ("t1", 1, "passed", False, 0.7),
            ("t1", 2, "failed", False, None),
            ("t2", 0, "passed", True, 0.1),
        ]
        st.record(
            [
                Attempt(
                    domain="d",
                    task_id=t,
                    model="m",
                    fingerprint="f",
                    index=i,
                    verdict=v,
                    cost_usd=0.01,
                    correct=ok,
                    detail={} if cpu is None else {"verify_cpu_s": cpu},
                )
                for t, i, v, ok, cpu in rows
            ]
        )
        bank = st.bank(domain="d")
        frame = st.frame(domain="d")
    e = bank.entries["m"]["t1"]
    assert e.attempts == (1, 1, 0) and e.correct == (1, 0, 0) and e.verify_cpu_s == pytest.approx(0.6)
    frame.to_parquet(tmp_path / "attempts.parquet", index=False)
    assert Bank.read_parquet(tmp_path / "attempts.parquet") == bank
    from harness.bank.formats import read_bank

    assert read_bank(tmp_path / "attempts.parquet") == bank  # a registered bank format: --bank FILE.parquet
    # the JSONL export imports back with the same correctness
    bank.write_jsonl(tmp_path / "bank")
    with Store(tmp_path / "t.sqlite") as st:
        st.import_bank(Bank.read_jsonl(tmp_path / "bank"), domain="d", run_id="r")
        assert st.bank(domain="d") == bank
