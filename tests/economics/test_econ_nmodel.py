"""N-model markets: skipped stages, explicit allocation lists, the per-rate envelope (library and CLI)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from harness import cli
from harness.bank import Bank, BankMatrix
from harness.economics import cascade_curves, market_price, task_curves
from harness.economics.search import (
    allocation_margins,
    mean_margin,
    nondecreasing_allocations,
    product_allocations,
    search,
)

FOUR = "gpt-5-nano,devstral-small,gpt-5-mini,_gpt-5"
SIX = FOUR + ",qwen3-coder,qwen2-5"


def _main(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as info:
        cli.main(args)
    return int(info.value.code or 0), out.getvalue(), err.getvalue()


def _strict(text: str) -> dict:
    def refuse(token: str) -> None:
        raise AssertionError(f"{token} in --json output")

    return json.loads(text, parse_constant=refuse)


def test_a_skipped_stage_is_the_cascade_without_that_model(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 40, 3))
    thr3 = np.array([[0.01, 0.0, np.inf], [0.04, 0.0, 0.2], [0.0, 0.0, np.inf]])
    thr2 = np.array([[0.01, np.inf], [0.04, 0.2], [0.0, np.inf]])
    a = cascade_curves(tc, [0, 1, 2], thr3, by_model=True)
    b = cascade_curves(tc, [0, 2], thr2, by_model=True)
    np.testing.assert_allclose(a.pass_rate, b.pass_rate, atol=1e-14)
    np.testing.assert_allclose(a.spend, b.spend, atol=1e-14)
    assert np.all(a.spend_by_model[:, 1] == 0)  # nothing is ever paid to the skipped model


def test_product_grid_holds_skipped_stages_and_the_nondecreasing_grid():
    vals = [0.0, 0.01, 0.1]
    full = product_allocations(vals, 4, cap=1.0)
    nd = nondecreasing_allocations(vals, 4, cap=1.0, rest=True)
    assert full.shape == (27, 4) and nd.shape == (10, 4)
    assert {tuple(r) for r in nd} <= {tuple(r) for r in full}
    assert [0.01, 0.0, 0.1, np.inf] in full.tolist()  # the middle model skipped: not non-decreasing
    assert product_allocations(vals, 3, cap=0.05).shape[0] == 4  # the cap holds


def test_search_and_envelope_against_brute_force(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 50, 3))
    u = np.linspace(0.05, 0.7, 15)
    C = market_price(tc, u)
    allocs = product_allocations([0.0, 0.003, 0.02, 0.1], 3, cap=1.0)
    res = search(tc, [0, 1, 2], allocs, u, market=C, chunk=7)  # small chunks: the running best across them
    brute = np.stack([allocation_margins(tc, [0, 1, 2], allocs[a : a + 1], u, C)[0][0] for a in range(len(allocs))])
    np.testing.assert_allclose(res.objective, mean_margin(brute))
    assert res.best == int(np.argmax(mean_margin(brute)))
    reach = np.isfinite(C)
    np.testing.assert_allclose(res.envelope[reach], brute[:, reach].max(axis=0))
    np.testing.assert_allclose(res.envelope[reach], brute[res.envelope_index, np.arange(u.size)][reach])
    assert res.envelope_mean >= res.mean_margin - 1e-12


def _write_allocations(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_allocations_file_is_searched_exactly(swe_eval_dir, swe_bank, tmp_path):
    names = ["20250807_mini-v1.7.0_gpt-5-nano", "20250807_mini-v1.7.0_gpt-5-mini", "20250807_mini-v1.7.0_gpt-5"]
    rows = [["0.006", "0", "rest"], ["0.02", "0.1", "inf"], ["0", "0", ""], ["0.01", "0.05", "0.3"]]
    path = _write_allocations(tmp_path / "a.csv", ["gpt-5-nano", "gpt-5-mini", "_gpt-5"], rows)
    code, out, err = _main(["analyze", "--bank", str(swe_eval_dir), "--allocations", str(path), "--json"])
    assert code == 0, err
    data = _strict(out)
    assert data["cascade"] == names and data["allocations_searched"] == 4
    assert data["threshold_grid_note"].startswith("allocations given explicitly")
    mx = swe_bank.matrix(names)
    from harness.economics.analysis import AnalysisOptions, analysis_grid

    tc = task_curves(mx, analysis_grid(AnalysisOptions(), [mx]))
    u = np.linspace(0.05, float(tc.pass_curves().max()), 100)
    allocs = np.array([[0.006, 0, np.inf], [0.02, 0.1, np.inf], [0, 0, np.inf], [0.01, 0.05, 0.3]])
    res = search(tc, names, allocs, u)
    assert data["mean_margin"] == pytest.approx(res.mean_margin)
    assert data["thresholds_usd"] == [None if not np.isfinite(x) else x for x in res.thresholds]
    for bad_rows, header, message in (
        ([["0.1", "x", "rest"]], ["gpt-5-nano", "gpt-5-mini", "_gpt-5"], "USD amounts"),
        ([["0.1", "rest"]], ["gpt-5-nano", "gpt-5-mini", "_gpt-5"], "2 values for 3 models"),
        ([["-1", "0", "rest"]], ["gpt-5-nano", "gpt-5-mini", "_gpt-5"], ">= 0"),
        ([["0.1", "rest"]], ["nope", "_gpt-5"], "not in the bank"),
    ):
        bad = _write_allocations(tmp_path / "bad.csv", header, bad_rows)
        code, _, err = _main(["analyze", "--bank", str(swe_eval_dir), "--allocations", str(bad)])
        assert code == 2 and message in err and err.count("\n") == 1
    code, _, err = _main(["analyze", "--bank", str(swe_eval_dir), "--allocations", str(path), "--cascade", "a,b"])
    assert code == 2


def test_per_rate_envelope_on_the_four_model_swebench_market(swe_eval_dir, tmp_path):
    common = ["analyze", "--bank", str(swe_eval_dir), "--models", SIX, "--cascade", FOUR, "--values", "9"]
    common += ["--rate-points", "25", "--competitors", "1", "--rounds", "2", "--json"]
    code, out, err = _main([*common, "--per-rate"])
    assert code == 0, err
    env = _strict(out)
    code, out, err = _main(common)
    assert code == 0, err
    single = _strict(out)
    code, out, err = _main([*common, "--grid", "nondecreasing"])
    assert code == 0, err
    nondecreasing = _strict(out)
    # the envelope is at least the single best allocation everywhere; the single allocation is unchanged
    assert env["per_rate"] and env["best_single"]["mean_margin"] == pytest.approx(single["mean_margin"])
    assert env["mean_margin"] >= single["mean_margin"] - 1e-12
    assert env["max_margin"] >= single["max_margin"] - 1e-12
    rows = env["per_rate_allocations"]
    assert len(rows) == 25 and {f"threshold_{m}" for m in env["cascade"]} <= rows[0].keys()
    margins = [r["margin"] for r in rows]
    assert env["mean_margin"] == pytest.approx(np.mean([m for m in margins if m is not None]))
    assert env["max_margin"] == pytest.approx(max(m for m in margins if m is not None))
    # shares use the per-rate allocations: the profit share is the envelope's margin at each report rate
    profit = {r["solve_rate"]: r["share_with_arbitrage"] for r in env["shares"] if r["who"] == "arbitrageur profit"}
    for r in env["rates"]:
        assert profit[r["solve_rate"]] == pytest.approx(r["margin"] or 0.0, abs=1e-9)
    # skipped stages (the default grid holds every tuple) can only help against the non-decreasing grid
    assert single["mean_margin"] >= nondecreasing["mean_margin"] - 1e-12
    assert single["allocations_searched"] > nondecreasing["allocations_searched"]


def test_thresholds_below_the_budget_charge_nothing_after_the_cascade(make_matrix, rng):
    tc = task_curves(make_matrix(rng, 30, 2))
    cc = cascade_curves(tc, [0, 1], np.array([[0.02, 0.05]]), by_model=True)
    after = tc.budgets > 0.07 * (1 + 1e-9)
    assert np.ptp(cc.spend[0, after]) == 0 and np.ptp(cc.pass_rate[0, after]) == 0


def test_bank_matrix_keeps_fields_through_rows():
    mx = BankMatrix(("a", "b"), ("m",), np.array([[2], [3]]), np.array([[1], [2]]), np.array([[0.1], [0.2]]))
    part = mx.rows(np.array([1]))
    assert part.tasks == ("b",) and part.good is None and part.c.tolist() == [[2]]
    assert Bank({}).models == []
