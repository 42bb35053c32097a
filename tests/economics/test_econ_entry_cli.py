"""``harness analyze --entrant/--gatekeep`` on the real SWE-bench gpt-5 trio (nano, mini, gpt-5)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from harness import cli
from harness.bank import BankMatrix
from harness.economics.analysis import AnalysisOptions, allocation_grid, analysis_grid, threshold_grid_for
from harness.economics.curves import task_curves
from harness.economics.grid import solve_rate_grid
from harness.economics.shares import PROFIT, gatekeeping, market_entry
from harness.errors import HarnessError

NANO, MINI, GPT5 = (f"20250807_mini-v1.7.0_{m}" for m in ("gpt-5-nano", "gpt-5-mini", "gpt-5"))
TRIO = "gpt-5-nano,gpt-5-mini,_gpt-5"
RATES = (0.05, 0.64, 60)
REPORT = (0.2, 0.35, 0.5, 0.6, 0.64)
SCENARIOS = ("before_without", "before_with", "after_without", "after_with")


def _main(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as info:
        cli.main(args)
    return int(info.value.code or 0), out.getvalue(), err.getvalue()


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def trio(tmp_path_factory: pytest.TempPathFactory, swe_eval_dir: Path) -> tuple[dict[str, Any], Path]:
    """One ``analyze --json --out`` run with MINI as entrant and as gatekept model."""
    out_dir = tmp_path_factory.mktemp("entry")
    code, out, err = _main(
        [
            "analyze",
            "--bank",
            str(swe_eval_dir),
            "--models",
            TRIO,
            "--entrant",
            "gpt-5-mini",
            "--gatekeep",
            "gpt-5-mini",
            "--rates",
            f"{RATES[0]}:{RATES[1]}",
            "--rate-points",
            str(RATES[2]),
            "--report-rates",
            ",".join(map(str, REPORT)),
            "--competitors",
            "1",
            "--rounds",
            "2",
            "--json",
            "--out",
            str(out_dir),
        ]
    )
    assert code == 0, err
    return json.loads(out), out_dir


def test_entry_and_gatekeeping_outputs_are_written(trio):
    data, out_dir = trio
    assert {"entry", "gatekeeping"} <= data.keys()
    for name in ("entry", "gatekeeping"):
        assert str(out_dir / f"{name}.csv") in data["files"]
        assert (out_dir / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    entry, gate = data["entry"], data["gatekeeping"]
    assert entry["entrant"] == MINI and sorted(entry["incumbents"]) == sorted([NANO, GPT5])
    assert MINI not in entry["cascade_before"] and MINI in entry["cascade_after"]
    assert gate["withheld"] == MINI and MINI not in gate["providers_gatekept"] and MINI in gate["cascade"]
    assert list(dict.fromkeys(r["solve_rate"] for r in entry["rates"])) == list(REPORT)
    assert [r["solve_rate"] for r in gate["rates"]] == list(REPORT)


def test_entry_shares_follow_the_definitions(trio):
    data, out_dir = trio
    rows = _csv(out_dir / "entry.csv")
    rates = sorted({float(r["solve_rate"]) for r in rows})
    assert len(rates) == RATES[2]
    share = {(float(r["solve_rate"]), r["who"]): {k: float(r[f"share_{k}_arbitrage"]) for k in SCENARIOS} for r in rows}
    market = {float(r["solve_rate"]): (float(r["market_price_before"]), float(r["market_price_after"])) for r in rows}
    prices = {float(r["solve_rate"]): r for r in _csv(out_dir / "prices.csv")}
    who = [NANO, GPT5, MINI, PROFIT]
    for u in rates:
        before, after = market[u]
        assert after <= before * (1 + 1e-12)  # one more provider can only lower the cheapest price
        for k in SCENARIOS:  # every scenario splits the whole market price
            assert sum(share[u, w][k] for w in who) == pytest.approx(1.0, abs=1e-9)
            assert all(share[u, w][k] >= -1e-12 for w in who)
        mini = share[u, MINI]
        assert mini["before_without"] == 0 and mini["before_with"] == 0  # not in the market yet
        # without arbitrage the cheapest provider takes everything: the entrant iff its price is the market's
        cheapest = float(prices[u][f"price_{MINI}"]) <= float(prices[u]["market_price"]) * (1 + 1e-12)
        assert mini["after_without"] == (1.0 if cheapest else 0.0)
        # with arbitrage the entrant keeps what the arbitrageur spends on it, never more than the rest
        assert mini["after_with"] <= 1 - share[u, PROFIT]["after_with"] + 1e-9
        if not cheapest:
            assert mini["after_with"] >= mini["after_without"]
        # the after-entry market is the main analysis's: its profit share is the margin there
        margin = float(prices[u]["margin"])
        assert share[u, PROFIT]["after_with"] == pytest.approx(0.0 if np.isnan(margin) else margin, abs=1e-9)
    # the DESIGN point: the entrant earns through the arbitrageur at rates where it cannot sell directly
    assert any(share[u, MINI]["after_without"] == 0 and share[u, MINI]["after_with"] > 0.01 for u in rates)
    assert data["entry"]["thresholds_after_usd"] == data["thresholds_usd"]


def test_entry_agrees_with_the_library(trio, swe_bank):
    data, _ = trio
    entry = data["entry"]
    opts = AnalysisOptions()
    mx = swe_bank.matrix([NANO, MINI, GPT5])
    tc = task_curves(mx, analysis_grid(opts, [mx]))
    u = solve_rate_grid(*RATES)
    before, after = entry["cascade_before"], entry["cascade_after"]
    grid = threshold_grid_for(opts, [mx])  # the thresholds the CLI derives from the bank's costs
    ch = market_entry(
        tc,
        [NANO, GPT5],
        MINI,
        u,
        allocation_grid(len(before), opts, grid),
        allocation_grid(len(after), opts, grid),
        cascade_before=before,
        cascade_after=after,
    )
    idx = dict(zip(REPORT, np.abs(u[:, None] - np.array(REPORT)[None, :]).argmin(axis=0), strict=True))
    assert len(entry["rates"]) == len(REPORT) * 4  # one row per (rate, recipient)
    for row in entry["rates"]:
        i, name = idx[row["solve_rate"]], row["who"]
        assert row["market_price_before"] == pytest.approx(ch.shares_before.market[i], rel=1e-12)
        assert row["market_price_after"] == pytest.approx(ch.shares_after.market[i], rel=1e-12)
        if name != MINI:
            assert row["share_before_with_arbitrage"] == pytest.approx(ch.shares_before.row(name)[i], abs=1e-12)
        assert row["share_after_with_arbitrage"] == pytest.approx(ch.shares_after.row(name)[i], abs=1e-12)
        assert row["share_after_without_arbitrage"] == pytest.approx(ch.shares_after.row(name, False)[i])


def test_gatekeeping_raises_the_market_price_and_the_margin(trio):
    data, out_dir = trio
    rows = _csv(out_dir / "gatekeeping.csv")
    prices = _csv(out_dir / "prices.csv")
    assert len(rows) == RATES[2] == len(prices)
    for r, p in zip(rows, prices, strict=True):
        open_, gated = float(r["market_price_open"]), float(r["market_price_gatekept"])
        assert gated >= open_ * (1 - 1e-12)  # the market loses a provider: its price can only rise
        assert np.isfinite(gated)  # gpt-5 is still sold and reaches every rate up to 0.64
        # the open market is the main analysis's market
        assert open_ == pytest.approx(float(p["market_price"]), rel=1e-12)
        assert float(r["arbitrageur_price_open"]) == pytest.approx(float(p["arbitrageur_price"]), rel=1e-12)
        for side in ("open", "gatekept"):
            m, q, g = (float(r[f"{k}_{side}"]) for k in ("market_price", "arbitrageur_price", "margin"))
            assert 0 <= g <= 1 and g == pytest.approx(max(m - q, 0) / m, abs=1e-12)
    # the same rates are reachable and every rate's margin can only grow for a fixed cascade, so the
    # best mean margin of the gatekept market is at least the open market's
    gate = data["gatekeeping"]
    assert gate["mean_margin_gatekept"] >= gate["mean_margin_open"] - 1e-12
    assert gate["mean_margin_open"] == pytest.approx(data["mean_margin"])
    assert any(r["market_price_gatekept"] > r["market_price_open"] for r in gate["rates"])


def test_entry_and_gatekeeping_tables_on_the_terminal(swe_eval_dir, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(
            [
                "analyze",
                "--bank",
                str(swe_eval_dir),
                "--models",
                "gpt-5-mini,_gpt-5",
                "--entrant",
                "gpt-5-mini",
                "--gatekeep",
                "gpt-5-mini",
                "--rate-points",
                "20",
                "--rounds",
                "2",
            ]
        )
    out = capsys.readouterr().out
    assert info.value.code == 0
    assert "Market entry of gpt-5-mini" in out and "gpt-5-mini*" in out and "Gatekeeping gpt-5-mini" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--entrant", "nope"], "not in the bank"),
        (["--gatekeep", "nope"], "not in the bank"),
        (["--providers", "gpt-5-mini", "--entrant", "gpt-5-mini"], "only provider"),
        (["--providers", "gpt-5-mini", "--gatekeep", "gpt-5-mini"], "leaves no provider"),
    ],
)
def test_bad_entrant_or_gatekept_model_exits_2(swe_eval_dir, extra, message):
    code, _, err = _main(
        [
            "analyze",
            "--bank",
            str(swe_eval_dir),
            "--models",
            "gpt-5-mini,_gpt-5",
            "--rate-points",
            "10",
            "--rounds",
            "1",
            *extra,
        ]
    )
    assert code == 2 and message in err and err.count("\n") == 1


def test_library_entry_and_gatekeeping_options_and_errors():
    rng = np.random.default_rng(7)
    T = 40
    n = np.full((T, 3), 4)
    c = rng.integers(0, 5, (T, 3))
    cost = np.broadcast_to(np.array([0.002, 0.01, 0.2]), (T, 3)).copy()
    tc = task_curves(BankMatrix(tuple(f"t{i}" for i in range(T)), ("s", "m", "l"), n, c, cost))
    u = np.linspace(0.1, 0.5, 9)
    assert allocation_grid(1, AnalysisOptions()).tolist() == [[np.inf]]
    # the entrant in the middle of the cascade, and an incumbent market of one model
    ch = market_entry(tc, ["l"], "m", u, cascade_after=["m", "l"])
    assert ch.before.models == ("l",) and ch.after.models == ("m", "l")
    np.testing.assert_allclose(ch.shares_before.row(PROFIT), 0.0)  # a one-model cascade cannot undercut
    # a withheld model the arbitrageur runs itself, with two models still sold
    gk = gatekeeping(tc, ["s", "l"], "m", "m", u, cascade=["s", "m", "l"])
    assert gk.after.models == gk.before.models == ("s", "m", "l")
    assert np.all(gk.shares_after.market >= gk.shares_before.market)
    assert "m" in gk.shares_after.names and "m" in gk.shares_before.names
    for bad in (
        lambda: market_entry(tc, [], "m", u),
        lambda: market_entry(tc, ["l"], "m", u, cascade_before=["m", "l"]),
        lambda: gatekeeping(tc, ["m", "l"], "m", "m", u),
        lambda: gatekeeping(tc, [], "m", "m", u),
        lambda: gatekeeping(tc, ["l"], "m", "s", u, cascade=["s", "l"]),
    ):
        with pytest.raises(HarnessError):
            bad()
