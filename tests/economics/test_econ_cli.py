"""``harness analyze`` and ``harness fit`` end to end on the real SWE-bench data, JSONL banks and the store."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from harness import cli
from harness.bank import Bank, BankEntry
from harness.economics import market_price, search, task_curves, two_model_allocations

GPT5_PAIR = "gpt-5-mini,_gpt-5"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def test_analyze_swebench_json_agrees_with_the_library(swe_eval_dir, swe_bank, swe_pairs, capsys):
    code, out, err = run(
        ["analyze", "--bank", str(swe_eval_dir), "--models", GPT5_PAIR, "--rates", "0.05:0.6", "--json"], capsys
    )
    assert code == 0, err
    data = json.loads(out)
    cheap, expensive = swe_pairs["gpt5"]
    assert data["cascade"] == [cheap, expensive] and data["tasks"] == 500
    by_name = {m["model"]: m for m in data["models"]}
    assert by_name[cheap]["pass_at_1"] == pytest.approx(299 / 500)
    assert by_name[expensive]["attempts"] == 500
    # the same search straight from the library
    tc = task_curves(swe_bank.matrix([cheap, expensive]))
    u = np.linspace(0.05, 0.6, 100)
    res = search(tc, [cheap, expensive], two_model_allocations(), u, market=market_price(tc, u))
    assert data["thresholds_usd"][0] == pytest.approx(res.thresholds[0]) and data["thresholds_usd"][1] is None
    assert data["mean_margin"] == pytest.approx(res.mean_margin)
    for row in data["rates"]:
        assert row["margin"] is None or 0 <= row["margin"] <= row["oracle_margin"] + 1e-12
        assert row["competitive_price"] <= row["market_price"] + 1e-12
    totals: dict[float, float] = {}
    for row in data["shares"]:  # one row per (solve rate, recipient)
        totals[row["solve_rate"]] = totals.get(row["solve_rate"], 0.0) + row["share_with_arbitrage"]
    np.testing.assert_allclose(list(totals.values()), 1.0, rtol=1e-9)


def test_analyze_writes_tables_and_figures(swe_eval_dir, tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, err = run(
        [
            "analyze",
            "--bank",
            str(swe_eval_dir),
            "--models",
            "qwen2-5-coder-32b,qwen3-coder-480b",
            "--split",
            "group:django__django",
            "--fit-budget",
            "20,none",
            "--bootstraps",
            "5",
            "--rate-points",
            "40",
            "--out",
            str(out_dir),
        ],
        capsys,
    )
    assert code == 0, err
    assert "Robust fit" in out and "Revenue shares" in out and "qwen3-coder-480b-a35b-instruct" in out
    for name in ("models", "curves", "prices", "search", "shares", "spend", "competition", "robust"):
        assert (out_dir / f"{name}.csv").stat().st_size > 0
    for name in ("prices", "margins", "shares", "competition", "robust"):
        assert (out_dir / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    with (out_dir / "prices.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 40
    for r in rows:
        m = float(r["margin"])
        assert np.isnan(m) or 0 <= m <= 1
        assert float(r["market_price"]) <= float(r["price_20250803_mini-v1.0.0_qwen2-5-coder-32b-instruct"])
    with (out_dir / "robust.csv").open() as fh:
        budgets = {r["fit_budget_usd"] for r in csv.DictReader(fh)}
    assert budgets == {"20.0", "full"}


def _multi_attempt_bank(folder: Path) -> Path:
    rng = np.random.default_rng(5)
    entries = {}
    for j, (name, skill, cost) in enumerate([("small", 0.3, 0.002), ("medium", 0.5, 0.02), ("large", 0.8, 0.2)]):
        p = np.clip(rng.normal(skill, 0.3, 80), 0, 1)
        entries[name] = {
            f"{'a' if i < 40 else 'b'}-{i}": BankEntry(
                cost * (1 + 0.1 * j), tuple(int(x) for x in rng.random(8) < p[i])
            )
            for i in range(80)
        }
    Bank(entries).write_jsonl(folder)
    return folder


def test_analyze_a_three_model_jsonl_bank(tmp_path, capsys):
    bank = _multi_attempt_bank(tmp_path / "bank")
    code, out, err = run(
        [
            "analyze",
            "--bank",
            str(bank),
            "--values",
            "8",
            "--first-lo",
            "0.001",
            "--split",
            "prefix:a-",
            "--fit-budget",
            "2",
            "--bootstraps",
            "4",
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["cascade"] == ["small", "medium", "large"]  # cheapest first by default
    thr = data["thresholds_usd"]
    assert len(thr) == 3 and thr[2] is None and thr[0] <= thr[1]  # non-decreasing, the last takes the rest
    assert data["robust"][0]["fit_budget_usd"] == 2.0 and len(data["robust"]) == 1


def test_analyze_from_the_store(swe_eval_dir, tmp_path, capsys):
    cfg = tmp_path / "harness.toml"
    cfg.write_text("[store]\npath = 'store.sqlite'\n")
    code, _, err = run(["--config", str(cfg), "import", str(swe_eval_dir), "--domain", "swebench"], capsys)
    assert code == 0, err
    code, out, err = run(
        ["--config", str(cfg), "analyze", "--domain", "swebench", "--models", GPT5_PAIR, "--json"], capsys
    )
    assert code == 0, err
    code2, out2, _ = run(["analyze", "--bank", str(swe_eval_dir), "--models", GPT5_PAIR, "--json"], capsys)
    assert json.loads(out)["thresholds_usd"] == json.loads(out2)["thresholds_usd"]
    assert json.loads(out)["mean_margin"] == pytest.approx(json.loads(out2)["mean_margin"])


def _bank(folder: Path, entries: dict[str, dict[str, BankEntry]]) -> str:
    Bank(entries).write_jsonl(folder)
    return str(folder)


@pytest.mark.parametrize(
    "entries,message",
    [
        ({"a": {"t": BankEntry(0.1, (1,))}}, "at least two models"),
        ({"a": {"t": BankEntry(0.1, ())}, "b": {"t": BankEntry(0.2, ())}}, "no attempts"),
        ({"a": {"t": BankEntry(0.0, (1,))}, "b": {"t": BankEntry(0.0, (0,))}}, "every cost per attempt is zero"),
        ({"a": {"t": BankEntry(0.1, (1,))}, "b": {"u": BankEntry(0.2, (1,))}}, "no task in common"),
        ({"a": {"t": BankEntry(0.1, (0,))}, "b": {"t": BankEntry(0.2, (0,))}}, "no attempt in the bank was verified"),
    ],
)
def test_degenerate_banks_fail_with_one_clear_line(tmp_path, capsys, entries, message):
    code, _, err = run(["analyze", "--bank", _bank(tmp_path / "b", entries)], capsys)
    assert code == 2 and message in err and err.count("\n") == 1


def test_bad_model_names_and_options(swe_eval_dir, capsys):
    code, _, err = run(["analyze", "--bank", str(swe_eval_dir), "--models", "gpt-5-m"], capsys)
    assert code == 2 and "ambiguous" not in err  # gpt-5-m is a unique substring of gpt-5-mini: one model only
    code, _, err = run(["analyze", "--bank", str(swe_eval_dir), "--models", "gpt,devstral"], capsys)
    assert code == 2 and "ambiguous" in err
    code, _, err = run(["analyze", "--bank", str(swe_eval_dir), "--models", "nope,gpt-5-mini"], capsys)
    assert code == 2 and "not in the bank" in err
    code, _, err = run(["analyze", "--bank", str(swe_eval_dir), "--models", GPT5_PAIR, "--split", "what"], capsys)
    assert code == 2 and "split" in err
    code, _, err = run(["analyze", "--bank", str(swe_eval_dir), "--models", GPT5_PAIR, "--rates", "x:y"], capsys)
    assert code == 2 and "--rates" in err


def test_fit_writes_a_cascade_strategy(swe_eval_dir, tmp_path, capsys):
    out = tmp_path / "strategy.json"
    code, _, err = run(
        [
            "fit",
            "--bank",
            str(swe_eval_dir),
            "--cascade",
            GPT5_PAIR,
            "--split",
            "group:django__django",
            "--out",
            str(out),
        ],
        capsys,
    )
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["strategy"] == "cascade" and [s[0] for s in data["stages"]] == data["models"]
    assert sum(s[1] for s in data["stages"]) == pytest.approx(1.0)  # the last stage takes the rest of $1
    assert data["stages"][0][1] == pytest.approx(data["thresholds_usd"][0])
    # fitting on two copies of the same source is the same worst case
    code, out2, err = run(
        [
            "fit",
            "--bank",
            str(swe_eval_dir),
            "--bank",
            str(swe_eval_dir),
            "--cascade",
            GPT5_PAIR,
            "--split",
            "group:django__django",
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    assert json.loads(out2)["thresholds_usd"] == data["thresholds_usd"]
    code, _, err = run(["fit", "--bank", str(swe_eval_dir), "--cascade", "gpt-5-mini"], capsys)
    assert code == 2 and "at least two" in err


def test_analyze_task_filter_and_cross_domain_fit(swe_eval_dir, tmp_path, capsys):
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(f"django__django-{n}" for n in (11099, 11133, 11179, 11815, 12125)) + "\n")
    code, out, err = run(
        ["analyze", "--bank", str(swe_eval_dir), "--models", GPT5_PAIR, "--tasks", f"file:{ids}", "--json"], capsys
    )
    assert code == 0, err
    assert json.loads(out)["tasks"] == 5
    code, out, err = run(
        [
            "analyze",
            "--bank",
            str(swe_eval_dir),
            "--models",
            "qwen2-5-coder,qwen3-coder",
            "--tasks",
            "group:django__django",
            "--fit-bank",
            f"{swe_eval_dir}::gpt-5-mini,_gpt-5",
            "--fit-budget",
            "none",
            "--bootstraps",
            "3",
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["tasks"] == 231
    (rob,) = data["robust"]
    assert rob["fit_on"] == "1 other bank(s), evaluated on this bank" and rob["mean_observed_tasks"] == 500
    assert 0 <= rob["held_out_mean_margin"] <= rob["best_in_domain"] + 1e-12
    code, _, err = run(
        ["analyze", "--bank", str(swe_eval_dir), "--models", GPT5_PAIR, "--fit-bank", f"{swe_eval_dir}::gpt-5-mini"],
        capsys,
    )
    assert code == 2 and "--fit-bank" in err
    code, _, err = run(["analyze", "--bank", str(swe_eval_dir), "--models", GPT5_PAIR, "--tasks", "prefix:zzz"], capsys)
    assert code == 2 and "no task matches" in err


def test_analysis_grid_comes_from_harness_toml_unless_given(tmp_path: Path, capsys) -> None:
    data = Path(__file__).resolve().parents[3] / "shared" / "data" / "swebench-bash-only" / "evaluation"
    if not data.is_dir():
        pytest.skip("../shared/data is not beside the project")
    cfg = tmp_path / "harness.toml"
    cfg.write_text("[analysis]\nbudget_min_usd = 0.001\nbudget_max_usd = 2.0\nbudget_points = 60\n")
    args = [
        "--config",
        str(cfg),
        "analyze",
        "--bank",
        str(data),
        "--json",
        "--models",
        "20250807_mini-v1.7.0_gpt-5-mini,20250807_mini-v1.7.0_gpt-5",
    ]
    for extra, expected in (([], [0.001, 2.0, 60]), (["--budget-points", "40"], [0.001, 2.0, 40])):
        code, out, err = run(args + extra, capsys)
        assert code == 0, err
        assert json.loads(out)["budget_grid_usd"] == expected
