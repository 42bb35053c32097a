"""A new user's first hour with the command line: configurations are validated by every command, every
problem is listed, domain names are checked, the store in use is named, help reads as written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness import cli
from harness.bank import Bank, BankEntry
from harness.cli.common import round_floats, usd


def _main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    out = capsys.readouterr()
    return int(info.value.code or 0), out.out, out.err


def _bank(folder: Path, models: dict[str, str] | None = None) -> Path:
    """A two-model bank (tasks t0..t3) in ``folder``."""
    names = models or {"cheap": "c", "strong": "s"}
    Bank(
        {m: {f"t{i}": BankEntry(0.001 if k == "c" else 0.01, (i % 2, 1)) for i in range(4)} for m, k in names.items()}
    ).write_jsonl(folder)
    return folder


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[run\n", "not valid TOML"),
        ("[models.a]\nroute = 'x'\nmax_tokens = 'many'\n", "key 'models.a.max_tokens': expected an integer"),
    ],
)
def test_plugins_refuses_a_broken_configuration(config_file, capsys, body: str, message: str) -> None:
    cfg = config_file(body)
    code, out, err = _main(["--config", str(cfg), "plugins"], capsys)
    assert code == 2 and message in err and str(cfg) in err and out == ""
    code, out, _ = _main(["--config", str(cfg), "plugins", "--help"], capsys)  # help still works
    assert code == 0 and "Usage:" in out


def test_a_configuration_file_that_does_not_exist_is_an_error_for_every_command(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "nope.toml"
    for command in (["plugins"], ["plugins", "--json"], ["export", "--out", str(tmp_path / "o")]):
        code, out, err = _main(["--config", str(missing), *command], capsys)
        assert code == 2 and f"{missing}: configuration file not found" in err and out == "", command


def test_every_problem_of_a_configuration_is_listed_one_per_line(config_file, capsys) -> None:
    cfg = config_file(
        "colour = 1\n[models.a]\nmax_tokens = 'many'\n[market]\npricing = 'free'\nproviders = ['ghost']\n"
        "[store]\npath = 3\n"
    )
    code, _, err = _main(["--config", str(cfg), "plugins"], capsys)
    lines = err.splitlines()
    assert code == 2 and len(lines) == 5 and all(line.startswith(f"error: {cfg}: ") for line in lines), err
    for part in (
        "unknown key 'colour'",
        "key 'models.a.route': expected a value",
        "key 'models.a.max_tokens'",
        "key 'market.pricing'",
        "key 'store.path'",
    ):
        assert sum(part in line for line in lines) == 1, (part, err)
    assert "more problem" not in err
    # Cross-references and prices are listed in full too, once the fields themselves are valid.
    cfg = config_file("[market]\nproviders = ['ghost', 'phantom']\n")
    code, _, err = _main(["--config", str(cfg), "plugins"], capsys)
    assert code == 2 and len(err.splitlines()) == 2 and "'ghost'" in err and "'phantom'" in err
    cfg = config_file("[models.a]\nroute = 'openai/unknown-a'\n[models.b]\nroute = 'openai/unknown-b'\n")
    code, _, err = _main(["--config", str(cfg), "plugins"], capsys)
    assert code == 2 and len(err.splitlines()) == 2 and "model 'a'" in err and "model 'b'" in err


def test_importing_into_a_domain_no_plugin_registers_needs_new_domain(tmp_path: Path, config_file, capsys) -> None:
    cfg = config_file("[store]\npath = 'store.sqlite'\n")
    bank = _bank(tmp_path / "bank")
    code, _, err = _main(["--config", str(cfg), "import", str(bank), "--domain", "swebnch"], capsys)
    assert code == 2 and "'swebnch'" in err and "did you mean 'swebench'?" in err and "--new-domain" in err
    assert len(err.splitlines()) == 1
    code, out, err = _main(
        ["--config", str(cfg), "import", str(bank), "--domain", "mydomain", "--new-domain", "--json"], capsys
    )
    assert code == 0 and json.loads(out)["domain"] == "mydomain", err
    # Once the store holds it, the domain is known: more attempts go in without the flag.
    code, _, err = _main(["--config", str(cfg), "import", str(bank), "--domain", "mydomain"], capsys)
    assert code == 0, err
    code, _, err = _main(["--config", str(cfg), "import", str(bank), "--domain", "math"], capsys)  # installed
    assert code == 0, err


def test_store_errors_name_the_domains_it_holds(tmp_path: Path, config_file, capsys) -> None:
    cfg = config_file("[store]\npath = 'store.sqlite'\n")
    code, _, err = _main(["--config", str(cfg), "analyze", "--domain", "math"], capsys)
    assert code == 2 and "holds nothing" in err and "store.sqlite" in err
    for domain, names in (("math", None), ("code_contests", {"small": "c", "large": "s"})):
        code, _, err = _main(
            ["--config", str(cfg), "import", str(_bank(tmp_path / domain, names)), "--domain", domain], capsys
        )
        assert code == 0, err
    code, _, err = _main(["--config", str(cfg), "analyze", "--domain", "maht"], capsys)
    assert code == 2 and "no attempts in domain 'maht' (did you mean 'math'?)" in err
    assert "code_contests (2 models), math (2 models)" in err and len(err.splitlines()) == 1
    code, _, err = _main(["--config", str(cfg), "analyze"], capsys)
    assert code == 2 and "holds several domains: code_contests (2 models), math (2 models)" in err
    assert "--domain" in err and "no task in common" not in err
    code, _, err = _main(["--config", str(cfg), "export", "--domain", "maht", "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "no attempts match" in err and "math (2 models)" in err
    code, out, err = _main(["--config", str(cfg), "analyze", "--domain", "math", "--json"], capsys)
    assert code == 0, err
    json.loads(out)  # stdout is the JSON alone; the store line went to stderr
    assert f"store: {tmp_path / 'store.sqlite'} ([store] path of {cfg})" in err


def test_the_store_a_command_uses_is_named_on_stderr(tmp_path: Path, capsys) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for sub in ("a", "b"):
        (tmp_path / sub / "harness.toml").write_text("[store]\npath = 'attempts.sqlite'\n")
    _main(["--config", str(tmp_path / "a" / "harness.toml"), "import", str(_bank(tmp_path / "bank"))], capsys)
    code, out, err = _main(
        ["--config", str(tmp_path / "b" / "harness.toml"), "export", "--out", str(tmp_path / "o")], capsys
    )
    assert code == 2 and str(tmp_path / "b" / "attempts.sqlite") in err  # the other, empty store, named
    code, out, err = _main(
        ["--config", str(tmp_path / "a" / "harness.toml"), "export", "--out", str(tmp_path / "o"), "--json"], capsys
    )
    assert code == 0 and "store:" not in out
    assert (
        err.strip()
        == f"store: {tmp_path / 'a' / 'attempts.sqlite'} ([store] path of {tmp_path / 'a' / 'harness.toml'})"
    )


def test_help_shows_defaults_as_written_and_no_bool_metavars(capsys) -> None:
    code, out, _ = _main(["collect", "--help"], capsys)
    text = " ".join(out.split())  # as read, whatever the wrapping
    assert code == 0 and "<bool>" not in text and "[run] attempts" in text and "[market] providers" in text
    code, out, _ = _main(["analyze", "--help"], capsys)
    text = " ".join(out.split())
    assert code == 0 and "<bool>" not in text and "(default: [analysis] budget_min_usd)" in text
    assert "--json machine-readable" in text  # a flag takes no value: nothing between it and its help


def test_dollars_print_with_significant_digits() -> None:
    total = 0.0001 + 0.0002 + 0.0001428  # 0.00044280000000000003 as a float sum
    assert repr(total) != "0.0004428" and round_floats({"spend_usd": total, "n": 3}) == {"spend_usd": 0.0004428, "n": 3}
    assert round_floats([float("inf"), 1 / 3]) == [float("inf"), 0.333333333333333]
    assert usd(total) == "$0.0004428" and usd(0.05) == "$0.05" and usd(140.19150875) == "$140.2"
    assert usd(0.0000165) == "$0.0000165" and usd(None) == "-"


def test_the_parquet_export_names_the_attempt_index_as_the_store_does(tmp_path: Path, config_file, capsys) -> None:
    import sqlite3

    import pandas as pd

    cfg = config_file("[store]\npath = 'store.sqlite'\n")
    _main(["--config", str(cfg), "import", str(_bank(tmp_path / "bank")), "--domain", "math"], capsys)
    code, _, err = _main(["--config", str(cfg), "export", "--domain", "math", "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    frame = pd.read_parquet(tmp_path / "o" / "attempts.parquet")
    db = sqlite3.connect(tmp_path / "store.sqlite")
    stored = {r[1] for r in db.execute("PRAGMA table_info(attempts)")}
    db.close()
    assert "idx" in frame.columns and "idx" in stored and "index" not in frame.columns
    assert sorted(frame["idx"].unique()) == [0, 1]
    assert Bank.read_parquet(tmp_path / "o" / "attempts.parquet") == Bank.read_jsonl(tmp_path / "bank")
    assert Bank.from_frame(frame.rename(columns={"idx": "index"})) == Bank.read_jsonl(tmp_path / "bank")  # older files
