"""What ``harness analyze``/``fit`` print and write: strict JSON, one column list per table, thresholds
derived from the bank's costs, degenerate fits said so, figures, consistent options."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from harness import cli
from harness.bank import Bank, BankEntry
from harness.report.format import json_number


def _main(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as info:
        cli.main(args)
    return int(info.value.code or 0), out.getvalue(), err.getvalue()


def _strict(text: str) -> dict:
    def refuse(token: str) -> None:
        raise AssertionError(f"{token} in --json output")

    return json.loads(text, parse_constant=refuse)


def local_math_bank(folder: Path, seed: int = 0, tasks: int = 50) -> Path:
    """A bank shaped like the README's local collection: two small local models priced 1:3 at a few
    hundredths of a cent per attempt, 3 attempts per task."""
    rng = np.random.default_rng(seed)
    d = rng.normal(0, 1.5, tasks)
    p = np.stack([1 / (1 + np.exp(-(d - 0.3) * 2)), 1 / (1 + np.exp(-(d + 0.8) * 2))], axis=1)
    entries: dict[str, dict[str, BankEntry]] = {"qwen-coder-0.5b": {}, "qwen-coder-1.5b": {}}
    for i in range(tasks):
        for j, (m, k) in enumerate((("qwen-coder-0.5b", 1.65e-4), ("qwen-coder-1.5b", 4.95e-4))):
            outcomes = tuple(int(x) for x in rng.random(3) < p[i, j])
            entries[m][f"gen-{i}"] = BankEntry(k * float(rng.lognormal(0, 0.2)), outcomes)
    Bank(entries).write_jsonl(folder)
    return folder


def test_thresholds_come_from_the_banks_costs(tmp_path):
    bank = str(local_math_bank(tmp_path / "bank"))
    code, out, err = _main(["analyze", "--bank", bank, "--rate-points", "40", "--rounds", "2", "--json"])
    assert code == 0, err
    derived = _strict(out)
    assert "cheapest attempt" in derived["threshold_grid_note"]
    assert derived["threshold_grid_usd"][0] < 1e-4 < 0.01 and derived["threshold_grid_usd"][2] > 100
    code, out, _ = _main(
        ["analyze", "--bank", bank, "--rate-points", "40", "--rounds", "2", "--json", "--first-lo", "0.0001"]
        + ["--first-hi", "0.005"]
    )
    explicit = _strict(out)
    code, out, _ = _main(
        ["analyze", "--bank", bank, "--rate-points", "40", "--rounds", "2", "--json", "--first-lo", "0.01"]
        + ["--first-hi", "0.5"]
    )
    cents = _strict(out)
    assert "threshold_grid_note" not in explicit
    # the default finds the strategy a hand-tuned grid finds; a grid in cents finds nothing
    assert derived["mean_margin"] > 0.02 and derived["mean_margin"] >= explicit["mean_margin"] - 0.005
    assert cents["mean_margin"] == 0 and derived["thresholds_usd"][0] > 0
    code, out, _ = _main(["analyze", "--bank", bank, "--rate-points", "20", "--rounds", "1"])
    assert "thresholds searched from" in out and "derived from the bank's costs" in out


def test_json_is_strict_and_says_why_a_number_is_null(swe_eval_dir):
    code, out, err = _main(
        ["analyze", "--bank", str(swe_eval_dir), "--models", "gpt-5-mini,_gpt-5", "--rates", "0.05:0.99"]
        + ["--rate-points", "30", "--report-rates", "0.3,0.95", "--rounds", "2", "--json"]
    )
    assert code == 0, err
    data = _strict(out)
    high = [r for r in data["rates"] if r["solve_rate"] == 0.95][0]
    assert high["market_price"] is None and high["margin"] is None and "no provider reaches" in high["note"]
    assert data["thresholds_usd"][-1] is None and "rest of the per-task budget" in data["thresholds_note"]
    assert json_number(0.00044280000000000003) == 0.0004428 and json_number(float("inf")) is None


def test_one_column_list_per_table(swe_eval_dir, tmp_path):
    code, out, err = _main(
        ["analyze", "--bank", str(swe_eval_dir), "--models", "gpt-5-mini,_gpt-5", "--rate-points", "20"]
        + ["--report-rates", "0.3,0.6", "--rounds", "2", "--json", "--out", str(tmp_path)]
    )
    assert code == 0, err
    data = _strict(out)
    with (tmp_path / "prices.csv").open() as fh:
        header = next(csv.reader(fh))
    assert list(data["rates"][0]) == sorted(header)  # the JSON rows are the CSV's columns (keys sorted)
    with (tmp_path / "shares.csv").open() as fh:
        assert sorted(next(csv.reader(fh))) == list(data["shares"][0])
    with (tmp_path / "models.csv").open() as fh:
        assert sorted(next(csv.reader(fh))) == list(data["models"][0])
    for name in ("market", "prices", "shares", "margins", "competition"):
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_fit_says_when_it_degenerates_and_takes_the_analyze_budget_syntax(swe_eval_dir, tmp_path):
    qwen = "qwen2-5-coder-32b,qwen3-coder-480b"
    code, out, err = _main(["fit", "--bank", str(swe_eval_dir), "--cascade", qwen, "--fit-budget", "20", "--json"])
    assert code == 0, err
    data = _strict(out)
    assert data["degenerate"] and "no money to" in data["degenerate_note"] and len(data["stages"]) == 1
    code, out, err = _main(["fit", "--bank", str(swe_eval_dir), "--cascade", qwen, "--fit-budget", "20"])
    out = " ".join(out.split())
    assert "single model qwen3-coder-480b-a35b-instruct" in out and "20250802_mini" not in out  # short names
    strategy = tmp_path / "out" / "strategy.json"
    code, out, err = _main(
        ["fit", "--bank", str(swe_eval_dir), "--cascade", "gpt-5-mini,_gpt-5", "--split", "group:django__django"]
        + ["--fit-budget", "20", "--robust-protocol", "paper", "--out", str(strategy)]
    )
    assert code == 0, err
    doc = _strict(strategy.read_text())
    assert not doc["degenerate"] and len(doc["stages"]) == 2 and doc["worst_case_mean_margin"] > 0.05
    assert doc["fit_spend_usd"][0] <= 20 + 1e-9 and doc["observed_tasks"][0] > 10
    assert "gpt-5-mini: up to $" in out
    code, _, err = _main(["fit", "--bank", str(swe_eval_dir), "--cascade", "gpt-5-mini,_gpt-5", "--fit-budget", "5,20"])
    assert code == 2 and "one --fit-budget" in err
    code, _, err = _main(
        ["fit", "--bank", str(swe_eval_dir), "--cascade", "gpt-5-mini,_gpt-5", "--fit-rates", "0.99:1"]
    )
    assert code == 2 and "none of its target solve rates" in err
