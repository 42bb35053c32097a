"""The swebench plugin: discovered, its sources and verifiers registered by name, local and hub instances."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from harness import Candidate, HarnessError, hookimpl
from harness.registry import load_plugins


class _Solver:
    name = "test-solver"

    async def solve(self, task, model):
        return Candidate(answer="")


class _SolverPlugin:
    """Gives the domain a solver by name, whatever the solvers package registers."""

    @staticmethod
    @hookimpl
    def register_solvers(register):
        register("swebench", _Solver())


S = {"solver": "test-solver"}


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("HARNESS_DISABLE_PLUGINS", raising=False)
    monkeypatch.setenv("HARNESS_BLOCK_PLUGINS", "math,code_contests")
    reg = load_plugins(extra=[("test-solver", _SolverPlugin())])
    assert reg.owner("domains", "swebench") == "swebench"
    return reg


def test_components_are_registered_by_name(registry) -> None:
    assert {"builtin", "local", "hub"} <= set(registry.component_names("task_sources", "swebench"))
    assert {"local", "docker"} <= set(registry.component_names("verifiers", "swebench"))
    setup = registry.setup("swebench", {"solver": "test-solver"})
    assert setup.source_name == "builtin" and setup.verifier_name == "local"
    assert registry.setup("swebench", {**S, "source": "inst.jsonl"}).source_name == "local"
    assert registry.setup("swebench", {**S, "source": "SWE-bench/SWE-bench_Lite"}).source_name == "hub"


def _rows(n: int) -> list[dict]:
    return [
        {
            "instance_id": f"octo__repo-{i}",
            "repo": "octo/repo",
            "base_commit": "0" * 40,
            "problem_statement": f"bug {i}",
            "test_patch": "",
            "FAIL_TO_PASS": json.dumps([f"tests/test_a.py::test_{i}"]),
            "PASS_TO_PASS": "[]",
        }
        for i in range(n)
    ]


def test_local_instances_become_tasks(registry, tmp_path: Path) -> None:
    (tmp_path / "inst.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows(4)))
    source = registry.setup("swebench", {**S, "source": "inst.jsonl"}).source
    opts = {"source": "inst.jsonl", "_root": str(tmp_path), "limit": 3, "check_repos": False}
    tasks = list(source.tasks(opts))
    assert [t.id for t in tasks] == ["octo__repo-0", "octo__repo-1", "octo__repo-2"]
    assert tasks[1].data["problem_statement"] == "bug 1" and tasks[1].split == "test"
    kept = list(source.tasks({**opts, "instances": "octo__repo-2,octo__repo-3", "limit": None}))
    assert [t.id for t in kept] == ["octo__repo-2", "octo__repo-3"]
    assert list(source.tasks({**opts, "repos": ["other/repo"]})) == []


def test_local_instances_need_their_clones_before_anything_is_paid(registry, tmp_path: Path) -> None:
    (tmp_path / "inst.jsonl").write_text(json.dumps(_rows(1)[0]) + "\n")
    source = registry.setup("swebench", {**S, "source": "inst.jsonl"}).source
    with pytest.raises(
        HarnessError, match=r"needs a local clone of octo/repo: set \[domains.swebench.options\] repos_dir"
    ):
        list(source.tasks({"source": "inst.jsonl", "_root": str(tmp_path)}))
    with pytest.raises(HarnessError, match=r"no clone of octo/repo .* git clone https://github.com/octo/repo"):
        list(source.tasks({"source": "inst.jsonl", "_root": str(tmp_path), "repos_dir": "repos"}))


def test_records_without_the_schema_are_rejected(registry, tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"instance_id": "x__y-1", "repo": "x/y"}\n')
    source = registry.setup("swebench", {**S, "source": "bad.jsonl"}).source
    with pytest.raises(HarnessError, match="has no base_commit, test_patch, FAIL_TO_PASS, PASS_TO_PASS column"):
        list(source.tasks({"source": str(tmp_path / "bad.jsonl")}))


def test_offline_hub_fails_at_once_naming_the_alternatives(registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    source = registry.setup("swebench", {**S, "source": "hub"}).source
    start = time.monotonic()
    with pytest.raises(HarnessError, match="swebench: cannot load SWE-bench/SWE-bench_Verified") as info:
        list(source.tasks({"source": "hub"}))
    assert time.monotonic() - start < 10
    msg = str(info.value)
    assert "c104f840cc" in msg and "local copy" in msg and "built-in" in msg and "\n" not in msg


def test_builtin_filters(registry) -> None:
    source = registry.setup("swebench", S).source
    easy = [t.id for t in source.tasks({"difficulty": ["very easy"]})]
    assert len(easy) >= 5 and "builtin__textkit-1" in easy and "builtin__shop-2" not in easy
    shop = [t.id for t in source.tasks({"repos": "builtin/shop"})]
    assert shop == ["builtin__shop-1", "builtin__shop-2"]
    assert [t.id for t in source.tasks({"instances": ["builtin__semver-2"], "limit": 5})] == ["builtin__semver-2"]
    assert len(list(source.tasks({"limit": 4}))) == 4
    with pytest.raises(HarnessError, match="difficulty must be among very easy, easy, medium, hard"):
        list(source.tasks({"difficulty": "trivial"}))


def test_hub_source_asks_for_the_pinned_revision(registry, monkeypatch: pytest.MonkeyPatch) -> None:
    import harness_swebench.sources as sources

    asked = []

    def fake_rows(dataset, config, split, revision, **kw):
        asked.append((dataset, split, revision))
        return iter(_rows(3))

    monkeypatch.setattr(sources, "load_hub_rows", fake_rows)
    source = registry.setup("swebench", {**S, "source": "hub"}).source
    tasks = source.tasks({"source": "hub", "instances": ["octo__repo-1"], "check_repos": False})
    assert [t.id for t in tasks] == ["octo__repo-1"]
    source.tasks({"source": "SWE-bench/SWE-bench_Lite", "check_repos": False, "split": "dev"})
    source.tasks({"dataset": "lite", "revision": "abc", "check_repos": False})
    assert asked == [
        ("SWE-bench/SWE-bench_Verified", "test", "c104f840cc67f8b6eec6f759ebc8b2693d585d4a"),
        ("SWE-bench/SWE-bench_Lite", "dev", "6ec7bb89b9342f664a54a6e0a6ea6501d3437cc2"),
        ("SWE-bench/SWE-bench_Lite", "test", "abc"),
    ]
