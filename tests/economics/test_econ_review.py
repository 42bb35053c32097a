"""Discrepancies found by an independent review of the N-model, robust and verification economics and
their reporting (each test failed before its fix)."""

from __future__ import annotations

import contextlib
import io
import itertools

import numpy as np
import pytest

from harness import cli
from harness.bank import BankMatrix
from harness.economics.analysis import AnalysisOptions, analyze_matrix
from harness.errors import HarnessError


def _main(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as info:
        cli.main(args)
    return int(info.value.code or 0), out.getvalue(), err.getvalue()


def _market(tasks: int = 40, seed: int = 0) -> BankMatrix:
    """Two models, 4 attempts per task, the cheap one weaker; its best provider reaches well below 1."""
    rng = np.random.default_rng(seed)
    n = np.full((tasks, 2), 4)
    c = rng.binomial(n, rng.beta(0.5, 1.0, size=(tasks, 2)) * np.array([0.6, 0.9]))
    c[: tasks // 4] = 0  # a quarter of the tasks nobody solves: the frontier is at most 0.75
    cost = np.broadcast_to([0.003, 0.04], (tasks, 2)).astype(float)
    return BankMatrix(tuple(f"t{i}" for i in range(tasks)), ("cheap", "dear"), n, c, cost)


def test_target_rates_no_provider_reaches_are_an_error_not_a_default_strategy():
    mx = _market()
    top = float(analyze_matrix(mx).targets[-1])
    assert top < 0.8
    # every target above the frontier: no allocation can be scored, so there is no strategy to report
    with pytest.raises(HarnessError, match="no provider reaches"):
        analyze_matrix(mx, AnalysisOptions(rate_lo=0.9, rate_hi=0.99))
    # LO above HI is bad input, not 100 copies of HI
    with pytest.raises(HarnessError, match="LO is above HI"):
        analyze_matrix(mx, AnalysisOptions(rate_lo=0.5, rate_hi=0.3))
    # some targets reachable: the search runs and its mean is over the reachable ones
    a = analyze_matrix(mx, AnalysisOptions(rate_lo=top - 0.1, rate_hi=0.99, rate_points=20))
    assert np.isfinite(a.mean_margin) and np.isinf(a.market[-1]) and np.isnan(a.margins[-1])


def test_cli_rates_no_provider_reaches_exit_2(tmp_path):
    mx = _market()
    from harness.bank import Bank, BankEntry

    entries = {
        m: {
            t: BankEntry(float(mx.cost[i, j]), tuple([1] * int(mx.c[i, j]) + [0] * int(mx.n[i, j] - mx.c[i, j])))
            for i, t in enumerate(mx.tasks)
        }
        for j, m in enumerate(mx.models)
    }
    Bank(entries).write_jsonl(tmp_path / "bank")
    code, out, err = _main(["analyze", "--bank", str(tmp_path / "bank"), "--rates", "0.9:0.99", "--json"])
    assert code == 2 and out == ""
    assert "no provider reaches" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def _overlaps(labels: list, renderer) -> list[tuple[str, str]]:
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels]
    return [(a, b) for (a, ba), (b, bb) in itertools.combinations(boxes, 2) if ba.overlaps(bb)]


def test_robust_figure_budget_axis_labels_do_not_overlap():
    from harness.report.figures import STYLE, _plt, robust_figure

    opts = AnalysisOptions(
        split="regex:^t[2-3][0-9]$",
        fit_budgets=(2.0, 20.0, None),
        bootstraps=3,
        rounds=1,
        fit_cap=0.2,
        fit_charge="last",
    )
    a = analyze_matrix(_market(60, seed=2), opts)
    plt = _plt()
    with plt.rc_context(STYLE):
        fig = robust_figure(a, plt)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        for ax in fig.axes:
            lo, hi = ax.get_xlim()
            shown = [
                t
                for t in ax.get_xticklabels(which="both")
                if t.get_visible() and t.get_text() and lo <= t.get_position()[0] <= hi
            ]
            assert len(shown) >= 2  # the budgets can be read off the axis
            assert _overlaps(shown, renderer) == []
        plt.close(fig)


@pytest.mark.parametrize("span", [(0.0085, 0.55), (0.02, 0.3), (0.011, 0.044), (0.05, 0.09), (1e-4, 0.5)])
def test_log_price_axis_labels_do_not_overlap(span):
    """The gatekeeping figure of gpt-5-mini/gpt-5 spans 0.008-0.6 USD: 3x10^-1 sat on 4x10^-1."""
    from harness.report.figures import COLUMN, STYLE, _plt, log_ticks

    plt = _plt()
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(COLUMN, 2.6))
        ax.plot([0.1, 0.6], span)
        ax.set_xlabel("target solve rate")
        fig.suptitle("a title over the panels")
        ax.set_yscale("log")
        log_ticks(ax)
        fig.tight_layout()
        fig.canvas.draw()
        lo, hi = ax.get_ylim()
        shown = [t for t in ax.get_yticklabels(which="both") if t.get_text() and lo <= t.get_position()[1] <= hi]
        assert len(shown) >= 2
        assert _overlaps(shown, fig.canvas.get_renderer()) == []
        plt.close(fig)


def _bare_nulls(rows: list[dict], where: str) -> list[str]:
    """Null numbers of table rows without a reason in the row (thresholds: the document's thresholds_note)."""
    return [
        f"{where}[{i}].{k}"
        for i, r in enumerate(rows)
        for k, v in r.items()
        if v is None and k != "note" and not k.startswith("threshold_") and not r.get("note")
    ]


def test_every_null_in_a_json_table_row_has_its_reason(tmp_path):
    """At a rate the market cannot reach (and one a provider cannot), the per-rate, verification,
    verification-cost, shares and prices rows held nulls with no reason beside them."""
    import json

    from harness.bank import Bank, BankEntry

    rng = np.random.default_rng(4)
    entries: dict[str, dict[str, BankEntry]] = {"cheap": {}, "dear": {}}
    for i in range(40):
        for m, k, p in (("cheap", 0.002, 0.06), ("dear", 0.03, 0.7)):
            v = tuple(int(x) for x in rng.random(4) < (p if i >= 8 else 0.0))
            entries[m][f"t{i}"] = BankEntry(k, v, tuple(int(x and rng.random() < 0.8) for x in v), 1.5)
    Bank(entries).write_jsonl(tmp_path / "bank")
    code, out, err = _main(
        ["analyze", "--bank", str(tmp_path / "bank"), "--per-rate", "--verify-cost", "0.001", "--rates", "0.4:0.95"]
        + ["--rate-points", "12", "--report-rates", "0.4,0.95", "--rounds", "2", "--json"]
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["rates"][-1]["market_price"] is None  # 0.95 is above the frontier (0.8)
    assert data["rates"][0]["price_cheap"] is None  # and 0.4 is above the cheap model's
    bare = _bare_nulls(data["rates"], "rates") + _bare_nulls(data["shares"], "shares")
    bare += _bare_nulls(data["per_rate_allocations"], "per_rate_allocations")
    bare += _bare_nulls(data["verification"]["rates"], "verification.rates")
    bare += _bare_nulls(data["verification_cost"]["rates"], "verification_cost.rates")
    assert bare == [], bare


def test_robust_fits_keep_the_rates_asked_for():
    """--rates 0.3:0.5 with --split evaluated the held-out side on 0.3 up to its own frontier (0.98 here):
    the HI of --rates was dropped for the robust fits while the rest of the analysis used it."""
    mx = _market(60, seed=2)
    opts = AnalysisOptions(
        rate_lo=0.2, rate_hi=0.4, rate_points=10, split="regex:^t[2-3][0-9]$", bootstraps=2, rounds=1
    )
    a = analyze_matrix(mx, opts)
    assert a.targets[-1] == pytest.approx(0.4)
    (r,) = a.robust
    assert r.targets[0] == pytest.approx(0.2) and r.targets[-1] == pytest.approx(0.4)
    # without HI each side keeps its own frontier
    (r,) = analyze_matrix(mx, AnalysisOptions(rate_lo=0.2, split=opts.split, bootstraps=2, rounds=1)).robust
    assert r.targets[-1] > 0.4
