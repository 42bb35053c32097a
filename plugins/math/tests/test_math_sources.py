"""Task sources: local files with a column mapping, presets, option errors, an unreachable hub."""

import json
import socket
import time
from pathlib import Path

import pytest
from harness import HarnessError

from harness_math.sources import MathSource, reference_answer

ROWS = [
    {"pid": "p1", "prompt": "What is 2+2?", "final": "4", "sol": "2+2=4"},
    {"pid": "p2", "prompt": "Simplify 28/6.", "final": "\\boxed{\\dfrac{14}{3}}", "sol": "..."},
    {"pid": "p3", "prompt": "How many?", "final": "He has 3.\n#### 1,200", "sol": None},
]
MAPPING = {"question_column": "prompt", "answer_column": "final", "id_column": "pid"}


def _jsonl(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _one_line_error(options: dict, match: str, eager: bool = False) -> str:
    with pytest.raises(HarnessError, match=match) as info:
        tasks = MathSource().tasks(options)  # an eager error is raised here, before any iteration
        assert not eager, "expected the error when tasks() is called, not when it is iterated"
        list(tasks)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_local_jsonl_with_column_mapping(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, ROWS)
    tasks = list(MathSource().tasks({"path": str(path), "solution_column": "sol", **MAPPING}))
    assert [t.id for t in tasks] == ["p1", "p2", "p3"]
    assert [t.data["question"] for t in tasks] == [r["prompt"] for r in ROWS]
    assert [t.data["answer"] for t in tasks] == ["4", "\\dfrac{14}{3}", "1,200"]
    assert all(t.data["answer_type"] == "auto" and t.data["source"] == "local" for t in tasks)
    assert tasks[0].data["solution"] == "2+2=4" and "solution" not in tasks[2].data


def test_local_parquet_with_limit_and_default_ids(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "set.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), path)
    options = {
        "source": "local",
        "path": str(path),
        "limit": 2,
        "question_column": "prompt",
        "answer_column": "final",
        "answer_type": "latex",
        "prompt_style": "math",
    }
    tasks = list(MathSource().tasks(options))
    assert [t.id for t in tasks] == ["set-row-0", "set-row-1"]
    assert tasks[1].data["answer"] == "\\dfrac{14}{3}"
    assert tasks[1].data["answer_type"] == "latex" and tasks[1].data["style"] == "math"


def test_source_may_be_the_file_itself(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, ROWS)
    tasks = list(MathSource().tasks({"source": str(path), **MAPPING}))
    assert len(tasks) == 3


def test_relative_path_resolves_against_the_config_folder(tmp_path: Path) -> None:
    _jsonl(tmp_path, ROWS)
    tasks = list(MathSource().tasks({"path": "tasks.jsonl", "_root": str(tmp_path), **MAPPING}))
    assert [t.id for t in tasks] == ["p1", "p2", "p3"]


def test_gsm8k_preset_reads_a_local_copy_with_hub_style_ids(tmp_path: Path) -> None:
    rows = [{"question": "Q1", "answer": "a\n#### 18"}, {"question": "Q2", "answer": "b\n#### 2,125"}]
    path = _jsonl(tmp_path, rows)
    tasks = list(MathSource().tasks({"source": "gsm8k", "path": str(path)}))
    assert [t.id for t in tasks] == ["gsm8k-test-0", "gsm8k-test-1"]
    assert [t.data["answer"] for t in tasks] == ["18", "2,125"]
    assert tasks[0].data["answer_type"] == "numeric" and tasks[0].data["solution"] == "a\n#### 18"


def test_math500_preset_local_copy_keeps_level_and_subject(tmp_path: Path) -> None:
    row = {
        "problem": "P",
        "solution": "s \\boxed{3}",
        "answer": "3",
        "subject": "Algebra",
        "level": 2,
        "unique_id": "test/algebra/1.json",
    }
    tasks = list(MathSource().tasks({"source": "math500", "path": str(_jsonl(tmp_path, [row]))}))
    assert tasks[0].id == "test/algebra/1.json"
    assert tasks[0].data["subject"] == "Algebra" and tasks[0].data["level"] == 2
    assert tasks[0].data["style"] == "math" and tasks[0].data["answer_type"] == "latex"


def test_custom_prompt_template_travels_with_the_task(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, ROWS)
    template = "Q: {question}\nPut the result in \\boxed{}."
    task = next(iter(MathSource().tasks({"path": str(path), "prompt_template": template, **MAPPING})))
    assert task.data["prompt_template"] == template
    _one_line_error({"path": str(path), "prompt_template": "no placeholder", **MAPPING}, "{question}")


def test_reference_answer_formats() -> None:
    assert reference_answer("work\n#### 70,000", "gsm8k") == "70,000"
    assert reference_answer("so \\boxed{\\frac{1}{2}}", "auto") == "\\frac{1}{2}"
    assert reference_answer("#### 5", "plain") == "#### 5"
    assert reference_answer(12, "auto") == "12"


def test_bad_options_are_one_clear_line(tmp_path: Path) -> None:
    path = _jsonl(tmp_path, ROWS)
    message = _one_line_error({"path": str(path), "question_colum": "prompt"}, "unknown option")
    assert "question_colum" in message
    message = _one_line_error({"path": str(path)}, "no column 'question'")
    assert "question_column" in message and "prompt" in message
    _one_line_error({"path": str(tmp_path / "missing.jsonl")}, "not found")
    _one_line_error({"source": "local"}, "needs a file")
    _one_line_error({"source": "nonsense"}, "unknown source")
    _one_line_error({"source": "hub"}, "dataset")
    _one_line_error({"source": "hub", "dataset": "a/b"}, "revision", eager=True)
    _one_line_error({"path": str(path), "answer_format": "xml", **MAPPING}, "answer_format", eager=True)
    _one_line_error({"path": str(path), "limit": 0, **MAPPING}, "positive integer")
    _one_line_error({"path": str(path), "answer_type": "fuzzy", **MAPPING}, "answer_type")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "answer": "1"}\n{oops\n', encoding="utf-8")
    _one_line_error({"path": str(bad)}, "bad.jsonl:2")
    _one_line_error({"path": str(tmp_path / "x.csv")}, "not found")
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n", encoding="utf-8")
    _one_line_error({"path": str(csv)}, "format")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_hub_fails_at_once_with_alternatives(monkeypatch: pytest.MonkeyPatch) -> None:
    # Online mode against a hub endpoint on this machine where nothing listens: no traffic leaves.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    start = time.perf_counter()
    message = _one_line_error({"source": "gsm8k"}, "cannot reach the Hugging Face hub", eager=True)
    assert time.perf_counter() - start < 2
    assert "openai/gsm8k" in message and "path" in message and "generator" in message


def test_offline_mode_fails_at_once_with_alternatives(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    if not huggingface_hub.constants.HF_HUB_OFFLINE:
        pytest.skip("huggingface_hub was imported online; the root conftest sets HF_HUB_OFFLINE=1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    message = _one_line_error({"source": "math500", "limit": 5}, "cannot load HuggingFaceH4/MATH-500", eager=True)
    assert time.perf_counter() - start < 10
    assert "offline" in message and "generator" in message


def test_hub_presets_call_datasets_with_the_pinned_revision(monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    from harness_math.sources import GSM8K_REVISION, MATH500_REVISION

    calls = []
    rows = {
        "openai/gsm8k": [{"question": "Q", "answer": "w\n#### 1,000"}],
        "me/set": [{"question": "Q", "answer": "\\boxed{2}"}],
        "HuggingFaceH4/MATH-500": [
            {
                "problem": "P",
                "solution": "\\boxed{\\frac12}",
                "answer": "\\frac12",
                "subject": "Algebra",
                "level": 3,
                "unique_id": "test/algebra/7.json",
            },
        ],
    }

    def fake_load_dataset(path, name=None, split=None, revision=None, **kwargs):
        calls.append((path, name, split, revision))
        return rows[path]

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no reachability probe; nothing leaves the machine
    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    (gsm,) = MathSource().tasks({"source": "gsm8k"})
    (m500,) = MathSource().tasks({"source": "math500"})
    assert calls == [
        ("openai/gsm8k", "main", "test", GSM8K_REVISION),
        ("HuggingFaceH4/MATH-500", None, "test", MATH500_REVISION),
    ]
    assert (gsm.id, gsm.data["answer"], gsm.split) == ("gsm8k-test-0", "1,000", "test")
    assert (m500.id, m500.data["answer"], m500.data["level"]) == ("test/algebra/7.json", "\\frac12", 3)
    (mine,) = MathSource().tasks({"source": "hub", "dataset": "me/set", "revision": "abc", "split": "dev"})
    assert calls[-1] == ("me/set", None, "dev", "abc")
    assert (mine.id, mine.data["answer"], mine.data["answer_type"]) == ("set-dev-0", "2", "auto")


def test_probe_sees_a_listening_endpoint() -> None:
    from harness.toolkit.sources import probe_hub

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        assert probe_hub(1.0, f"http://127.0.0.1:{server.getsockname()[1]}") is None
    reason = probe_hub(1.0, f"http://127.0.0.1:{_closed_port()}")
    assert reason is not None and "refused" in reason
