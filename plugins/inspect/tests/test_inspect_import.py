"""inspect logs in: real logs written by inspect become banks whose numbers match the logs' own summaries."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from harness import Bank, BankFormatError, HarnessError
from helpers import EPOCHS, PRICES, run_harness

from harness_inspect.fmt import InspectFormat
from harness_inspect.logread import ImportOptions, read_attempts, to_bank
from harness_inspect.scoring import PassRule


def _logs(folder: Path) -> dict[str, object]:
    from inspect_ai.log import read_eval_log

    return {
        read_eval_log(str(p)).eval.model.removeprefix("scripted/"): read_eval_log(str(p)) for p in folder.glob("*.eval")
    }


def test_pass_rates_and_costs_match_the_logs_own_summary(inspect_logs: Path, prices_config: Path) -> None:
    fmt = InspectFormat()
    assert fmt.detect(inspect_logs)
    bank = fmt.read(inspect_logs)
    attempts = fmt.read_attempts(inspect_logs)
    assert sorted(bank.models) == sorted(PRICES)
    for model, log in _logs(inspect_logs).items():
        entries = bank.entries[model]
        assert len(entries) == log.eval.dataset.samples == 6
        assert all(e.n == EPOCHS for e in entries.values())
        rate = sum(e.c for e in entries.values()) / sum(e.n for e in entries.values())
        assert rate == pytest.approx(log.results.scores[0].metrics["accuracy"].value)
        usage = log.stats.model_usage[f"scripted/{model}"]
        pin, pout = PRICES[model]
        expected = (usage.input_tokens * pin + usage.output_tokens * pout) / 1e6
        mine = [a for a in attempts if a.model == model]
        assert math.fsum(a.cost_usd for a in mine) == pytest.approx(expected, rel=1e-12)
        assert sum(a.input_tokens for a in mine) == usage.input_tokens
        # each sample's own score decides each epoch's verdict
        for sample in log.samples:
            a = next(x for x in mine if x.task_id == sample.id and x.index == sample.epoch - 1)
            assert a.passed == (sample.scores["pattern"].value == "C")


def test_cli_import_and_analyze_take_the_logs(inspect_logs: Path, tmp_path: Path, prices_config: Path) -> None:
    config = prices_config
    done = run_harness("import", str(inspect_logs), "--json", config=config)
    assert done.returncode == 0, done.stderr
    assert '"attempts_added": 36' in done.stdout and '"domain": "inspect"' in done.stdout
    out = run_harness("export", "--domain", "inspect", "--out", str(tmp_path / "bank"), "--no-parquet", config=config)
    assert out.returncode == 0, out.stderr
    assert Bank.read_jsonl(tmp_path / "bank") == InspectFormat().read(inspect_logs)  # the store keeps the bank exactly
    analyzed = run_harness("analyze", "--bank", str(inspect_logs), "--json", config=config)
    assert analyzed.returncode == 0, analyzed.stderr
    assert '"alpha"' in analyzed.stdout and '"beta"' in analyzed.stdout
    replayed = run_harness(
        "run",
        "--domain",
        "inspect",
        "--replay",
        str(inspect_logs),
        "--strategy",
        "single",
        "--model",
        "alpha",
        "--models",
        "alpha",
        "--providers",
        "alpha,beta",
        "--json",
        config=config,
    )
    assert replayed.returncode == 0, replayed.stderr
    assert json.loads(replayed.stdout)["attempts"]["alpha"] > 0


def test_logs_merge_by_sample_id_and_copies_count_once(inspect_logs: Path, tmp_path: Path, prices_config: Path) -> None:
    from inspect_ai.log import read_eval_log, write_eval_log

    alpha = next(
        p
        for p, m in ((p, read_eval_log(str(p), header_only=True).eval.model) for p in inspect_logs.glob("*.eval"))
        if m.endswith("alpha")
    )
    folder = tmp_path / "logs"
    folder.mkdir()
    shutil.copy(alpha, folder / alpha.name)
    shutil.copy(alpha, folder / f"copy-{alpha.name}")  # the same run twice: its samples count once
    once = to_bank(read_attempts(folder))
    assert all(e.n == EPOCHS for e in once.entries["alpha"].values())
    # a second run of the same model on the same task adds its epochs
    rerun = read_eval_log(str(alpha))
    rerun.eval.run_id, rerun.eval.created = "second-run", "2099-01-01T00:00:00+00:00"
    for s in rerun.samples:
        s.uuid = f"rerun-{s.uuid}"
        s.scores["pattern"].value = "C"
    write_eval_log(rerun, str(folder / "second.eval"))
    merged = to_bank(read_attempts(folder))
    for task, entry in merged.entries["alpha"].items():
        assert entry.n == 2 * EPOCHS
        assert entry.attempts[:EPOCHS] == once.entries["alpha"][task].attempts  # the older log first
        assert entry.attempts[EPOCHS:] == (1,) * EPOCHS


def test_scorer_and_pass_rule_options(inspect_logs: Path, prices_config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_INSPECT_PASS", ">=0")
    everything = to_bank(read_attempts(inspect_logs))
    assert all(e.c == e.n for m in everything.entries.values() for e in m.values())
    monkeypatch.setenv("HARNESS_INSPECT_PASS", "I")  # the values that pass, as text
    flipped = to_bank(read_attempts(inspect_logs))
    plain = to_bank(read_attempts(inspect_logs, ImportOptions()))
    for m in plain.models:
        for t, e in plain.entries[m].items():
            assert flipped.entries[m][t].attempts == tuple(1 - x for x in e.attempts)
    monkeypatch.setenv("HARNESS_INSPECT_SCORER", "nosuch")
    with pytest.raises(BankFormatError, match="no scored sample.*HARNESS_INSPECT_SCORER.*pattern"):
        read_attempts(inspect_logs)
    monkeypatch.setenv("HARNESS_INSPECT_PASS", ">=abc")
    with pytest.raises(HarnessError, match="HARNESS_INSPECT_PASS"):
        ImportOptions.from_env()


def test_pass_rules() -> None:
    assert PassRule().passed("C") and not PassRule().passed("P") and not PassRule().passed("I")
    assert PassRule().passed(1) and PassRule().passed(True) and not PassRule().passed(0.99)
    assert PassRule(">=0.5").passed("P") and not PassRule(">0.5").passed("P")
    assert PassRule("C,P").passed("P") and not PassRule("C,P").passed("I")
    assert PassRule("==1").passed("yes")
    with pytest.raises(HarnessError):
        PassRule("=>1")


def test_json_logs_read_the_same(inspect_logs: Path, tmp_path: Path, prices_config: Path) -> None:
    from inspect_ai.log import read_eval_log, write_eval_log

    folder = tmp_path / "json"
    folder.mkdir()
    for p in inspect_logs.glob("*.eval"):
        write_eval_log(read_eval_log(str(p)), str(folder / f"{p.stem}.json"), format="json")
    assert InspectFormat().detect(folder) and InspectFormat().detect(next(folder.glob("*.json")))
    assert InspectFormat().read(folder) == InspectFormat().read(inspect_logs)
    (tmp_path / "other.json").write_text('{"id": 1}')
    assert not InspectFormat().detect(tmp_path / "other.json")  # other formats' JSON is not claimed


def _damaged(inspect_logs: Path, folder: Path) -> dict[str, Path]:
    good = next(inspect_logs.glob("*.eval")).read_bytes()
    out = {}
    for kind, data in {"truncated": good[: len(good) // 2], "garbage": b"not a zip at all\n", "empty": b""}.items():
        out[kind] = folder / f"{kind}.eval"
        out[kind].write_bytes(data)
    return out


def test_a_truncated_eval_file_is_one_line_naming_it_exit_2(
    inspect_logs: Path, tmp_path: Path, prices_config: Path
) -> None:
    bad = _damaged(inspect_logs, tmp_path)["truncated"]
    done = run_harness("import", str(bad), config=prices_config)  # --bank reads through the same format
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert str(bad) in lines[0] and "truncated or not an inspect .eval log" in lines[0]


def test_every_damaged_eval_file_is_a_bank_format_error(
    inspect_logs: Path, tmp_path: Path, prices_config: Path
) -> None:
    for kind, bad in _damaged(inspect_logs, tmp_path).items():
        with pytest.raises(BankFormatError) as err:
            InspectFormat().read(bad)
        assert str(err.value).startswith(f"{bad}: truncated or not an inspect .eval log"), kind
        assert "\n" not in str(err.value)


def test_logs_of_two_tasks_are_refused(inspect_logs: Path, tmp_path: Path, prices_config: Path) -> None:
    from inspect_ai.log import read_eval_log, write_eval_log

    folder = tmp_path / "mixed"
    folder.mkdir()
    first, second = sorted(inspect_logs.glob("*.eval"))
    shutil.copy(first, folder / first.name)
    other = read_eval_log(str(second))
    other.eval.task = "subtraction"
    write_eval_log(other, str(folder / "other.eval"))
    with pytest.raises(BankFormatError, match="2 different inspect tasks.*addition, subtraction"):
        read_attempts(folder)


def test_an_unpriced_model_says_which_table_to_add(
    inspect_logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "harness.toml"
    config.write_text(f'[store]\npath = "{tmp_path / "s.sqlite"}"\n')
    monkeypatch.setenv("HARNESS_CONFIG", str(config))
    with pytest.raises(BankFormatError, match=r"model 'scripted/\w+' has no price.*\[models.<name>\] with route"):
        read_attempts(inspect_logs)
