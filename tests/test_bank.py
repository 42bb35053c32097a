"""Banks: the JSONL format, reading registered formats, exact means, round trips through the store."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from harness import Attempt, Bank, BankEntry, BankFormatError
from harness.bank import exact_mean
from harness.bank.formats import read_bank
from harness.store import Store

KNOWN_BROKEN_RUN = "20250720_mini-v0.0.0-claude-3-7-sonnet-20250219"


def test_exact_mean_is_correctly_rounded() -> None:
    assert exact_mean([0.1] * 3) == 0.1  # a naive sum/3 gives 0.10000000000000002
    assert sum([0.1] * 3) / 3 != 0.1
    assert exact_mean([0.1, 0.2]) == float((Fraction(0.1) + Fraction(0.2)) / 2)
    assert exact_mean([]) == 0.0


def test_swebench_files_import_as_500_tasks_per_run(swebench_eval: Path) -> None:
    bank = read_bank(swebench_eval)
    assert len(bank.models) >= 7
    assert KNOWN_BROKEN_RUN not in bank.models
    for model in bank.models:
        assert len(bank.tasks(model)) == 500
        assert all(e.n == 1 for e in bank.entries[model].values())
    raw = json.loads(
        (swebench_eval / "bash-only" / "20250807_mini-v1.7.0_gpt-5" / "per_instance_details.json").read_text()
    )
    gpt5 = bank.entries["20250807_mini-v1.7.0_gpt-5"]
    assert sum(e.c for e in gpt5.values()) == sum(r["resolved"] for r in raw.values()) == 325
    assert gpt5["astropy__astropy-12907"] == BankEntry(raw["astropy__astropy-12907"]["cost"], (1,))


def test_matrix_is_the_intersection_sorted(tmp_path: Path) -> None:
    bank = Bank(
        {
            "a": {"t2": BankEntry(0.1, (1, 0)), "t1": BankEntry(0.2, (0,)), "t3": BankEntry(0.3, ())},
            "b": {"t1": BankEntry(1.0, (1, 1, 1)), "t2": BankEntry(2.0, (0, 0))},
        }
    )
    m = bank.matrix(["b", "a"])
    assert m.tasks == ("t1", "t2") and m.models == ("b", "a")
    np.testing.assert_array_equal(m.n, [[3, 1], [2, 2]])
    np.testing.assert_array_equal(m.c, [[3, 0], [0, 1]])
    np.testing.assert_array_equal(m.cost, [[1.0, 0.2], [2.0, 0.1]])
    assert bank.matrix(["a", "b"], tasks=["t2"]).tasks == ("t2",)
    with pytest.raises(Exception, match="model\\(s\\) zz not in the bank"):
        bank.matrix(["zz"])


def test_jsonl_round_trip_through_the_store_is_identical(tmp_path: Path, swebench_eval: Path) -> None:
    # store -> export -> import into a fresh store -> export: byte-identical files
    with Store(tmp_path / "one.sqlite") as st:
        st.record(
            [
                Attempt(
                    "math", f"q{i}", "cheap", "fp", k, "passed" if (i + k) % 3 else "failed", 0.001 * (k + 1) + i * 1e-4
                )
                for i in range(20)
                for k in range(5)
            ]
        )
        st.record([Attempt("math", f"q{i}", "dear", "fp", 0, "passed", 0.1) for i in range(20)])
        first = st.bank(domain="math")
    first.write_jsonl(tmp_path / "bank1")
    with Store(tmp_path / "two.sqlite") as st2:
        st2.import_bank(read_bank(tmp_path / "bank1"), domain="math", run_id="imp")
        second = st2.bank(domain="math")
    second.write_jsonl(tmp_path / "bank2")
    assert first == second
    for f in ("cheap.jsonl", "dear.jsonl"):
        assert (tmp_path / "bank1" / f).read_bytes() == (tmp_path / "bank2" / f).read_bytes()
    # and the real SWE-bench data survives the same trip
    real = read_bank(swebench_eval)
    with Store(tmp_path / "three.sqlite") as st3:
        st3.import_bank(real, domain="swebench", run_id="imp")
        assert st3.bank(domain="swebench") == Bank({m: real.entries[m] for m in sorted(real.models)})


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"id": "a", "attempts": [1]}', "missing key(s) mean_cost"),
        ('{"id": "a", "mean_cost": -1, "attempts": [1]}', "'mean_cost' must be a finite number >= 0"),
        ('{"id": "a", "mean_cost": 0.1, "attempts": [2]}', "'attempts' must be a list of 0/1 outcomes"),
        ('{"id": "a", "mean_cost": 0.1, "attempts": [1.0]}', "'attempts' must be a list of 0/1 outcomes"),
        ('{"id": null, "mean_cost": 0.1, "attempts": [1]}', "'id' must be a string"),
        ("[1, 2]", "expected an object"),
    ],
)
def test_malformed_jsonl_names_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    f = tmp_path / "m.jsonl"
    f.write_text('{"id": "ok", "mean_cost": 0.1, "attempts": [0, 1]}\n\n' + line + "\n")
    with pytest.raises(BankFormatError) as info:
        read_bank(tmp_path)
    assert f"{f}:3: " in str(info.value) and message in str(info.value)


def test_duplicate_task_is_malformed(tmp_path: Path) -> None:
    (tmp_path / "m.jsonl").write_text('{"id": "a", "mean_cost": 0.1, "attempts": []}\n' * 2)
    with pytest.raises(BankFormatError, match=":2: task 'a' appears twice"):
        read_bank(tmp_path)


def test_empty_or_missing_bank_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BankFormatError, match="not a bank in any known format; expected one of: .*jsonl"):
        read_bank(tmp_path)
    with pytest.raises(BankFormatError, match="no <model>.jsonl files"):
        Bank.read_jsonl(tmp_path)
    with pytest.raises(BankFormatError, match="no such file or folder"):
        read_bank(tmp_path / "missing")
