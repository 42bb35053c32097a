"""The plugin example in README.md is complete: installed as a real plugin, it is discovered and works."""

from __future__ import annotations

import asyncio
import json
import re
import types
from pathlib import Path

import pytest

from harness import Message
from harness.registry import load_plugins

README = Path(__file__).resolve().parents[1] / "README.md"


def _example() -> str:
    text = README.read_text()
    block = re.search(r"<!-- plugin-example:start -->\s*```python\n(.*?)```\s*<!-- plugin-example:end -->", text, re.S)
    assert block, "README.md lost its plugin example"
    return block.group(1)


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
    strategy.fit(None, {"models": ["cheap", "dear"], "budget_usd": 0.5})
    assert strategy.plan(tasks[0]).stages[0].model == "cheap"
    assert isinstance(Message("user", "x"), Message)
