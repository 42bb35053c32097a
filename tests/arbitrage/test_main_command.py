"""The main command, `harness run --domain swebench --strategy robust`, with a hosted-model configuration.

Both models are hosted (litellm's openai route) on the fake OpenAI-compatible server on 127.0.0.1, which
answers from the tasks themselves: the strong model with the right patch, program or number; the cheap one
only on some tasks. Everything else is the default path: the market's bank on the built-in SWE-bench set
and the fit banks on math and code_contests are collected first, the robust thresholds fitted on those
other domains, every patch verified by the local verifier in the sandbox.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from harness.registry import load_plugins
from harness.testing.fakeserver import FAKE_KEY_ENV, FakeServer


def _answers() -> dict[str, str]:
    """A snippet of each task's prompt -> the right reply."""
    from harness_code_contests import builtin

    reg = load_plugins()
    out: dict[str, str] = {}
    for t in reg.setup("swebench", {}).source.tasks({"limit": 3}):
        out[t.data["problem_statement"][:80]] = f"```diff\n{t.data['patch']}```"
    for t in reg.setup("math", {}).source.tasks({"limit": 3}):
        out[t.data["question"][:60]] = f"So the answer is \\boxed{{{t.data['answer']}}}."
    for t in reg.setup("code_contests", {}).source.tasks({"limit": 3}):
        out[t.data["description"][:60]] = f"```python\n{builtin.REFERENCE[t.id.split('/', 1)[1]]}```"
    return out


@pytest.fixture
def market(monkeypatch):
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "0")
    answers = _answers()

    def answer(model: str, messages: list[dict[str, Any]]) -> str:
        prompt = "\n".join(str(m.get("content", "")) for m in messages)
        key = next((k for k in answers if k in prompt), None)
        if key is None:
            return "I do not know."
        right = "strong" in model or zlib.crc32(key.encode()) % 3 == 0
        return answers[key] if right else "```diff\n--- a/x\n+++ b/x\n```\nSo the answer is \\boxed{-1}."

    with FakeServer(answer=answer, prompt_tokens=400, completion_tokens=60) as server:
        yield server


def test_the_main_command_with_hosted_models(market, tmp_path: Path, harness_cli) -> None:
    prices = {"cheap": (0.15, 0.6), "strong": (0.45, 1.8)}
    tables = {
        m: market.model_table(m, max_tokens=2048, timeout_s=30, input_cost_per_mtok=i, output_cost_per_mtok=o)
        for m, (i, o) in prices.items()
    }
    lines = [f'[store]\npath = "{tmp_path / "store.sqlite"}"\n']
    for name, table in tables.items():
        lines.append(f"[models.{name}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in table.items()]
    lines.append("""
[market]
providers = ["cheap", "strong"]

[domains.swebench]
source = "builtin"

[run]
domain = "swebench"
strategy = "robust"
budget_usd = 0.01
fit_domains = ["math", "code_contests"]
fit_tasks = 3
fit_attempts = 1
limit = 3
""")
    cfg = tmp_path / "harness.toml"
    cfg.write_text("\n".join(lines))
    env = {FAKE_KEY_ENV: "sk-fake-key-for-tests", "HARNESS_DISABLE_PLUGINS": "0", "HARNESS_BLOCK_PLUGINS": "inspect"}
    out = harness_cli(
        "--config", str(cfg), "run", "--domain", "swebench", "--strategy", "robust", "--json", env=env, timeout=600
    )
    assert out.returncode == 0, out.stderr[-3000:]
    data = json.loads(out.stdout)
    assert data["domain"] == "swebench" and data["strategy"] == "robust" and data["tasks"] == 3
    assert sorted(c["domain"] for c in data["collected"]) == ["code_contests", "math", "swebench"]
    assert sorted(data["fitted"]["sources"]) == ["code_contests", "math"]  # never the target domain
    assert data["solve_rate"] == 1.0  # verified by the local verifier: the strong model's gold patches
    assert data["revenue_usd"] - data["cost_usd"] == pytest.approx(data["profit_usd"])
    assert sum(data["spend_usd"].values()) == pytest.approx(data["cost_usd"])
    assert "collecting first" in out.stderr
