"""Task sources: built-in set, HumanEval, local files in the code_contests schema, the hub (offline here)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from harness_code_contests import builtin
from harness_code_contests.humaneval import split_test
from harness_code_contests.sources import CodeContestsSource

from harness import HarnessError

DATA = Path(__file__).parent / "data" / "code_contests_sample.jsonl"
SOURCE = CodeContestsSource()


def test_builtin_set_is_default_and_complete():
    tasks = list(SOURCE.tasks({}))
    assert 10 <= len(tasks) <= 20 and len({t.id for t in tasks}) == len(tasks)
    for t in tasks:
        assert t.data["kind"] == "stdio" and t.data["public_tests"] and len(t.data["hidden_tests"]) >= 8
        public_inputs = {x["input"] for x in t.data["public_tests"]}
        assert not public_inputs & {x["input"] for x in t.data["hidden_tests"]}
    assert any(t.data["float_tolerance"] for t in tasks)  # at least one problem with float output
    assert [t.id for t in SOURCE.tasks({"limit": 3})] == [t.id for t in tasks[:3]]


def test_builtin_hidden_tests_are_reproducible():
    builtin.problem_tests.cache_clear()
    first = builtin.problem_tests("grid-path")
    builtin.problem_tests.cache_clear()
    assert builtin.problem_tests("grid-path") == first


def test_local_jsonl_in_dataset_schema():
    tasks = list(SOURCE.tasks({"path": str(DATA), "max_hidden_tests": 3}))
    assert [t.data["name"] for t in tasks] == ["1000_A. Sum or Product", "1001_B. Average Speed", "1002_C. Slow Sum"]
    a = tasks[0].data
    assert a["public_tests"] == [{"input": "2 2\n", "output": "4\n"}]
    # private first, then generated, duplicates dropped, capped at max_hidden_tests
    assert [x["input"] for x in a["hidden_tests"]] == ["3 5\n", "1000000000 1000000000\n", "1 1\n"]
    assert a["hidden_tests_available"] == 4
    assert a["time_limit_s"] == pytest.approx(2.0)  # 1 s scaled by the default time_scale 2
    assert tasks[1].data["time_limit_s"] == pytest.approx(5.0)
    assert tasks[0].id != tasks[1].id


def test_problem_without_examples_gets_one_public_test():
    from harness_code_contests.sources import row_to_task

    row = json.loads(DATA.read_text().splitlines()[0])
    row["public_tests"] = {"input": [], "output": []}
    data = row_to_task(row, {}, "test", 0).data
    assert data["public_tests"] == [{"input": "3 5\n", "output": "8\n"}]
    assert "3 5\n" not in [t["input"] for t in data["hidden_tests"]]


def test_relative_path_resolves_against_config_folder():
    tasks = list(SOURCE.tasks({"path": DATA.name, "_root": str(DATA.parent)}))
    assert len(tasks) == 3 and tasks[0].data["source"] == "local"


def test_source_may_be_a_file_path():
    tasks = list(SOURCE.tasks({"source": str(DATA), "limit": 2}))
    assert [t.data["name"] for t in tasks] == ["1000_A. Sum or Product", "1001_B. Average Speed"]


def test_local_parquet_same_as_jsonl(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [json.loads(line) for line in DATA.read_text().splitlines()]
    path = tmp_path / "sample.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    from_parquet = list(SOURCE.tasks({"source": "local", "path": str(path), "time_scale": 1.0}))
    from_jsonl = list(SOURCE.tasks({"source": "local", "path": str(DATA), "time_scale": 1.0}))
    assert [t.data for t in from_parquet] == [t.data for t in from_jsonl]


def test_humaneval_tasks_and_public_split():
    tasks = list(SOURCE.tasks({"source": "humaneval"}))
    assert len(tasks) == 164 and tasks[0].id == "HumanEval/0"
    d = tasks[0].data
    assert d["kind"] == "function" and d["entry_point"] == "has_close_elements"
    assert d["public_test"].count("assert") == 1 and d["hidden_test"].count("assert") > 1


def test_split_test_skips_trivial_asserts():
    test = "def check(candidate):\n    assert True\n    x = 1\n    assert candidate(x) == 2\n    assert candidate(2) == 3\n"
    public, hidden = split_test(test)
    assert "candidate(x) == 2" in public and "candidate(2)" not in public and hidden == test


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"source": "nope"}, "source = 'nope' is unknown"),
        ({"source": "local"}, "needs options.path"),
        ({"path": "/nonexistent/x.jsonl"}, "does not exist"),
        ({"colour": "red"}, "unknown option(s) colour"),
        ({"limit": 0}, "limit must be a positive integer"),
        ({"time_scale": "fast"}, "time_scale must be a number"),
    ],
)
def test_bad_options_are_one_line_errors(options, message):
    with pytest.raises(HarnessError, match=message.replace("(", r"\(").replace(")", r"\)")) as exc:
        list(SOURCE.tasks(options))
    assert "\n" not in str(exc.value)


def test_offline_hub_fails_at_once(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty cache
    start = time.monotonic()
    with pytest.raises(HarnessError, match="offline mode") as exc:
        SOURCE.tasks({"source": "hub"})
    assert time.monotonic() - start < 5
    assert "builtin" in str(exc.value) and "path" in str(exc.value) and "\n" not in str(exc.value)


def test_unreachable_hub_fails_at_once(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    start = time.monotonic()
    with pytest.raises(HarnessError, match="cannot reach the Hugging Face hub"):
        SOURCE.tasks({"source": "code_contests", "split": "valid"})
    assert time.monotonic() - start < 5


def test_streaming_loader_on_a_dataset_folder(tmp_path):
    """The hub path streams through ``datasets``; a local dataset folder exercises it offline."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from harness_code_contests.sources import row_to_task

    from harness.toolkit.sources import load_hub_rows

    rows = [json.loads(line) for line in DATA.read_text().splitlines()]
    (tmp_path / "data").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "data" / "test-00000-of-00001.parquet")
    streamed = list(
        load_hub_rows(str(tmp_path), None, "test", None, domain="code_contests", alternatives="", streaming=True)
    )
    tasks = [row_to_task(r, {"source": "hub"}, "test", i) for i, r in enumerate(streamed)]
    assert [t.id for t in tasks] == ["test/1000-a-sum-or-product", "test/1001-b-average-speed", "test/1002-c-slow-sum"]
    assert tasks[1].data["public_tests"][0] == {"input": "10 4\n", "output": "2.5\n"}
    with pytest.raises(HarnessError, match="cannot load"):
        list(SOURCE.tasks({"source": "hub", "dataset": str(tmp_path / "missing")}))
