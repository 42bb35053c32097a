"""`harness run` on the built-in math and code_contests domains, with their real solvers and verifiers.

The models are a provider plugin that answers from the tasks themselves (a cheap model right on about
half of them, a strong one always right), so the whole path runs in seconds: robust strategies fitted
on the other domain's bank, both banks collected first through the pipeline, verified by the domains'
own verifiers (math's exact checker, code_contests' sandbox).
"""

from __future__ import annotations

import types
import zlib
from pathlib import Path
from typing import Any

import pytest

from harness import Completion, hookimpl
from harness.arbitrage.banks import BankPlan
from harness.arbitrage.run import Runner, RunOptions
from harness.collect.collector import Collector
from harness.config import parse_config
from harness.registry import load_plugins
from harness.store import Store

DOMAINS = ("math", "code_contests")


def _answers(registry: Any) -> dict[str, tuple[str, str]]:
    """Per task: (a text that identifies it in a prompt, the right reply)."""
    from harness_code_contests import builtin

    out: dict[str, tuple[str, str]] = {}
    for t in registry.setup("math", {}).source.tasks({"limit": 8}):
        out[t.id] = (t.data["question"][:60], f"So the answer is \\boxed{{{t.data['answer']}}}.")
    for t in registry.setup("code_contests", {}).source.tasks({"limit": 8}):
        slug = t.id.split("/", 1)[1]
        out[t.id] = (t.data["description"][:60], f"```python\n{builtin.REFERENCE[slug]}```")
    return out


def table_provider(answers: dict[str, tuple[str, str]]) -> types.ModuleType:
    class Table:
        name = "table"

        async def complete(self, model: Any, messages: Any, **params: Any) -> Completion:
            prompt = messages[-1].content
            tid = next(t for t, (key, _) in answers.items() if key in prompt)
            right = "strong" in model.name or zlib.crc32(tid.encode()) % 2 == 0
            text = answers[tid][1] if right else "So the answer is \\boxed{-12345}.\n```python\nprint(0)\n```"
            tokens_in, tokens_out = len(prompt) // 4, len(text) // 4
            price = 3.0 if "strong" in model.name else 1.0
            return Completion(text, tokens_in, tokens_out, price * (tokens_in + tokens_out) / 1e6, model=model.name)

    mod = types.ModuleType("table_provider")

    @hookimpl
    def register_providers(register: Any) -> None:
        register(Table())

    mod.register_providers = register_providers  # type: ignore[attr-defined]
    return mod


@pytest.mark.parametrize("domain", DOMAINS)
def test_robust_runs_on_a_builtin_domain_fitted_on_the_other(domain: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "0")
    monkeypatch.setenv("HARNESS_BLOCK_PLUGINS", "swebench,inspect")
    base = load_plugins()
    registry = load_plugins(extra=[("table", table_provider(_answers(base)))])
    models = {
        m: {
            "route": f"table/{m}",
            "provider": "table",
            "input_cost_per_mtok": p,
            "output_cost_per_mtok": p,
            "max_tokens": 400,
        }
        for m, p in (("cheap", 1.0), ("strong", 3.0))
    }
    cfg = parse_config(
        {"models": models, "store": {"path": str(tmp_path / "s.sqlite")}, "market": {"providers": ["cheap", "strong"]}}
    )
    store = Store(cfg.store_path)
    plan = BankPlan(True, tasks=6, attempts=1, collect=lambda o, why: Collector(cfg, registry, store, o).run())
    other = next(d for d in DOMAINS if d != domain)
    options = RunOptions(
        domain=domain,
        strategy="robust",
        models=("cheap", "strong"),
        providers=("cheap", "strong"),
        budget_usd=0.01,
        limit=6,
        fit_domains=(other,),
    )
    result = Runner(cfg, registry, store, options, plan).run()
    data = result.summary()
    assert [c["domain"] for c in plan.collected] == [domain, other]  # the market's bank, then the fit bank
    assert data["fitted"]["sources"] == [other] and data["tasks"] == 6
    assert data["solve_rate"] == 1.0  # the strong model is always right, and the budget lets the cascade reach it
    assert data["revenue_usd"] - data["cost_usd"] == pytest.approx(data["profit_usd"])
    assert sum(data["spend_usd"].values()) == pytest.approx(data["cost_usd"])
    held = {a.domain for a in store.attempts()}
    assert held == {domain, other}
