"""The plugin example in README.md is complete: installed as a real plugin, it is discovered and works."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from harness import Buy, FitContext, Message, Outcome, TaskHistory
from harness.registry import load_plugins

README = Path(__file__).resolve().parents[1] / "README.md"


def _block(marker: str = "plugin-example") -> str:
    text = README.read_text()
    block = re.search(rf"<!-- {marker}:start -->\s*```python\n(.*?)```\s*<!-- {marker}:end -->", text, re.S)
    assert block, f"README.md lost its {marker} block"
    return block.group(1)


def _example() -> str:
    return _block("plugin-example")


class _Metered:
    """A minimal ModelClient over a provider (the harness's metered client does the same, with caps)."""

    def __init__(self, provider, name: str) -> None:
        self.provider, self.name, self.spent = provider, name, 0.0

    async def complete(self, messages, **params):
        out = await self.provider.complete(types.SimpleNamespace(name=self.name), messages, **params)
        self.spent += out.cost_usd
        return out


def test_readme_plugin_is_discovered_through_its_entry_point(entry_point_plugin, harness_cli) -> None:
    site = entry_point_plugin("harness_echo", _example())
    out = harness_cli("plugins", "--json", pythonpath=site)
    assert out.returncode == 0, out.stderr
    row = {r["name"]: r for r in json.loads(out.stdout)}["harness_echo"]
    assert row["domains"] == ["echo"]
    assert row["providers"] == ["echo"]
    assert row["strategies"] == ["first-only"]
    assert row["hooks"] == ["register_domains", "register_providers", "register_strategies"]


def test_readme_plugin_solves_verifies_and_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "1")
    mod = types.ModuleType("harness_echo")
    exec(compile(_example(), "README-example", "exec"), mod.__dict__)
    reg = load_plugins(extra=[("harness_echo", mod)])
    domain = reg.domain("echo")
    tasks = list(domain.source.tasks({"limit": 3}))
    assert [t.data["word"] for t in tasks] == ["apple", "banana", "cherry"]
    client = _Metered(reg.provider("echo"), "echo-model")
    verdicts = []
    for task in tasks:
        cand = asyncio.run(domain.solver.solve(task, client))
        verdicts.append(domain.verifier.verify(task, cand))
    assert all(v.passed and v.correct for v in verdicts)
    # "Repeat exactly: apple" is 3 words in, 1 out: 4 micro-dollars per call.
    assert client.spent == pytest.approx(3 * 4e-6)
    wrong = domain.verifier.verify(tasks[0], type(cand)(answer="pear"))
    assert wrong.status == "failed" and wrong.correct is False
    strategy = reg.strategies["first-only"]()
    strategy.fit(FitContext(models=("cheap", "dear"), providers=("dear",), budget_usd=0.5))
    history = TaskHistory(tasks[0])
    assert strategy.next_buy(history) == Buy("cheap", limit_usd=0.5)
    history.outcomes.append(Outcome("cheap", 0.2, verified=False))
    assert strategy.next_buy(history) == Buy("cheap", limit_usd=pytest.approx(0.3))
    history.outcomes.append(Outcome("cheap", 0.2, verified=True))
    assert strategy.next_buy(history) is None  # sold: stop buying
    assert isinstance(Message("user", "x"), Message)


def test_readme_plugin_passes_the_readme_contract_suite(entry_point_plugin, tmp_path: Path) -> None:
    """The contract block of README.md, as the plugin's tests/test_contract.py, passes on the example plugin."""
    site = entry_point_plugin("harness_echo", _example())
    project = tmp_path / "harness-echo"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_contract.py").write_text(_block("plugin-contract"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", "tests"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = out.stdout.strip().splitlines()[-1]
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "9 passed" in summary and "skipped" not in summary, summary
