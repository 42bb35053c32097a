"""The swebench plugin: discovered, reads SWE-bench instances locally, and says what is not built yet."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from harness import Candidate, HarnessError, NotAvailableError, Task
from harness.registry import load_plugins


@pytest.fixture
def domain(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("HARNESS_DISABLE_PLUGINS", raising=False)
    monkeypatch.setenv("HARNESS_BLOCK_PLUGINS", "math,code_contests")
    reg = load_plugins()
    assert reg.owner("domains", "swebench") == "swebench"
    return reg.domain("swebench")


def test_local_instances_become_tasks(domain, tmp_path: Path) -> None:
    rows = [{"instance_id": f"octo__repo-{i}", "repo": "octo/repo", "problem_statement": f"bug {i}"} for i in range(4)]
    (tmp_path / "inst.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    tasks = list(domain.source.tasks({"source": "inst.jsonl", "_root": str(tmp_path), "limit": 3}))
    assert [t.id for t in tasks] == ["octo__repo-0", "octo__repo-1", "octo__repo-2"]
    assert tasks[1].data["problem_statement"] == "bug 1" and tasks[1].split == "test"


def test_records_without_instance_id_are_rejected(domain, tmp_path: Path) -> None:
    (tmp_path / "bad.jsonl").write_text('{"repo": "x"}\n')
    with pytest.raises(HarnessError, match="instance_id"):
        list(domain.source.tasks({"source": str(tmp_path / "bad.jsonl")}))


def test_offline_hub_fails_at_once(domain, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.monotonic()
    with pytest.raises(HarnessError, match="swebench: cannot load SWE-bench/SWE-bench_Verified") as info:
        list(domain.source.tasks({}))
    assert time.monotonic() - start < 10
    assert "local copy" in str(info.value) and "\n" not in str(info.value)


def test_solver_and_verifier_say_they_are_not_available(domain) -> None:
    task = Task("x")
    with pytest.raises(NotAvailableError, match="not available yet"):
        asyncio.run(domain.solver.solve(task, None))
    with pytest.raises(NotAvailableError, match="not available yet"):
        domain.verifier.verify(task, Candidate(answer="diff"))
