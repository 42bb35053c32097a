"""Audit: unreadable inputs (non-UTF-8 files, damaged or unusable stores) are one line and exit 2."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from harness import cli
from harness.store import Store
from harness.store.attempt import Attempt


def _main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    return info.value.code, capsys.readouterr().err


def _one_line_exit_2(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    for w in words:
        assert w in err, err


def test_non_utf8_config_is_bad_input(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "harness.toml"
    cfg.write_bytes(b"\xff\xfe[store]\n")
    _one_line_exit_2(
        *_main(["--config", str(cfg), "export", "--out", str(tmp_path / "o")], capsys), "harness.toml", "UTF-8"
    )


def test_non_utf8_bank_file_names_the_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "m.jsonl").write_bytes(b'{"id": "t", "mean_cost": 0.1, "attempts": [1]}\n\xff\n')
    cfg = tmp_path / "harness.toml"
    cfg.write_text("[store]\npath = 'store.sqlite'\n")
    _one_line_exit_2(
        *_main(["--config", str(cfg), "import", str(tmp_path / "bank"), "--domain", "x"], capsys), "m.jsonl", "UTF-8"
    )


def test_store_path_that_cannot_be_created_is_bad_input(tmp_path: Path, capsys) -> None:
    (tmp_path / "afile").write_text("x")
    cfg = tmp_path / "harness.toml"
    cfg.write_text("[store]\npath = 'afile/sub/store.sqlite'\n")  # a parent that is a file
    _one_line_exit_2(
        *_main(["--config", str(cfg), "export", "--out", str(tmp_path / "o")], capsys), "afile/sub/store.sqlite"
    )


def test_store_with_a_non_numeric_schema_version_is_bad_input(tmp_path: Path, capsys) -> None:
    db = sqlite3.connect(tmp_path / "store.sqlite")
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT INTO meta VALUES ('schema_version', 'abc')")
    db.commit()
    db.close()
    cfg = tmp_path / "harness.toml"
    cfg.write_text("[store]\npath = 'store.sqlite'\n")
    _one_line_exit_2(*_main(["--config", str(cfg), "export", "--out", str(tmp_path / "o")], capsys), "schema version")


def test_store_damaged_inside_its_tables_is_bad_input(tmp_path: Path, capsys) -> None:
    path = tmp_path / "store.sqlite"
    with Store(path) as st:
        st.record(
            [
                Attempt(
                    domain="d",
                    task_id=f"t{i}",
                    model="m",
                    fingerprint="f",
                    index=0,
                    verdict="passed",
                    cost_usd=0.001,
                    run_id="r",
                    prompt="p" * 400 + str(i),
                    response="r" * 400 + str(i),
                )
                for i in range(1500)
            ]
        )
        st._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    with path.open("r+b") as fh:  # the header still opens; pages in the middle are garbage
        fh.seek(size // 2)
        fh.write(os.urandom(64 * 1024))
    cfg = tmp_path / "harness.toml"
    cfg.write_text("[store]\npath = 'store.sqlite'\n")
    _one_line_exit_2(
        *_main(["--config", str(cfg), "export", "--out", str(tmp_path / "o")], capsys), "store.sqlite", "damaged"
    )


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("[run]\nmax_spend_usd = 0.0\n", "run.max_spend_usd"),
        ("[run]\nmax_spend_usd = nan\n", "run.max_spend_usd"),
        ("[models.a]\nroute = 'openai/gpt-4o-mini'\ntimeout_s = inf\n", "models.a.timeout_s"),
        (
            "[models.a]\nroute = 'openai/gpt-4o-mini'\ninput_cost_per_mtok = inf\noutput_cost_per_mtok = 1.0\n",
            "models.a.input_cost_per_mtok",
        ),
    ],
)
def test_config_numbers_must_be_finite_and_a_spend_cap_positive(tmp_path: Path, capsys, body: str, key: str) -> None:
    cfg = tmp_path / "harness.toml"
    cfg.write_text(body)
    _one_line_exit_2(*_main(["--config", str(cfg), "export", "--out", str(tmp_path / "o")], capsys), key)


def test_importing_a_bank_twice_adds_nothing_to_the_spend(tmp_path: Path) -> None:
    from harness.bank import Bank, BankEntry

    bank = Bank({"m": {"t1": BankEntry(0.5, (1, 0)), "t2": BankEntry(0.25, (0,))}})
    with Store(tmp_path / "store.sqlite") as st:
        assert st.import_bank(bank, "d", "import:1") == 3
        assert st.import_bank(bank, "d", "import:2") == 0
        assert st.spend() == 0.5 * 2 + 0.25 and st.count() == 3


def test_export_to_a_folder_that_cannot_be_written_is_bad_input(tmp_path: Path, capsys) -> None:
    from harness.bank import Bank, BankEntry

    with Store(tmp_path / "store.sqlite") as st:
        st.import_bank(Bank({"m": {"t1": BankEntry(0.5, (1,))}}), "d", "import:1")
    (tmp_path / "afile").write_text("x")
    cfg = tmp_path / "harness.toml"
    cfg.write_text("[store]\npath = 'store.sqlite'\n")
    _one_line_exit_2(
        *_main(["--config", str(cfg), "export", "--out", str(tmp_path / "afile")], capsys), "afile", "--out"
    )


def test_any_command_given_an_unusable_path_says_so_in_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    """The safety net in cli.main: a path error that no command caught is bad input, not an internal error."""
    from harness.cli import bank_io

    def fails(*args: object, **kwargs: object) -> None:
        raise FileExistsError(17, "File exists", str(tmp_path / "out"))

    monkeypatch.setattr(bank_io, "bank_from_path", fails)
    cfg = tmp_path / "harness.toml"
    cfg.write_text("[store]\npath = 'store.sqlite'\n")
    code, err = _main(["--config", str(cfg), "import", str(tmp_path), "--domain", "d"], capsys)
    _one_line_exit_2(code, err, "out: File exists")
