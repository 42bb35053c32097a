"""A plugin that defines no domain adds a verifier to math and a task source to code_contests, and
`harness collect` uses them when harness.toml names them: end to end through the command line, with the
plugin installed as an entry point and the model served by the fake OpenAI-compatible server."""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path

from harness.registry import BUILTIN_PLUGINS
from harness.store import Store
from harness.testing.fakeserver import default_answer

EXTRAS = '''
"""harness_extras: pieces for existing domains; it defines none of its own."""

from harness import Task, Verdict, hookimpl


class ReplyJudge:
    """A math verifier (an LLM judge stands in): any non-empty reply passes; it says who judged."""

    name = "judge"

    def verify(self, task, candidate):
        ok = bool((candidate.response or "").strip())
        return Verdict("passed" if ok else "failed", detail={"judge": "harness_extras", "task": task.id})


class PairSums:
    """code_contests tasks of the company's own: print the sum of two integers."""

    name = "pair-sums"

    def tasks(self, options):
        count = min(3, options.get("limit") or 3)
        for i in range(count):
            a, b = 10 * i + 1, 7 * i + 2
            yield Task(
                id=f"pair-sums/{i}",
                split="test",
                data={
                    "kind": "stdio",
                    "name": f"Pair sum {i}",
                    "description": "Read two integers a and b on one line and print a + b.",
                    "public_tests": [{"input": f"{a} {b}\\n", "output": f"{a + b}\\n"}],
                    "hidden_tests": [{"input": f"{b} {a + 5}\\n", "output": f"{a + b + 5}\\n"}],
                    "time_limit_s": 2.0,
                },
            )


@hookimpl
def register_verifiers(register):
    register("math", ReplyJudge())


@hookimpl
def register_task_sources(register):
    register("code_contests", PairSums())
'''

PROGRAM = "```python\na, b = map(int, input().split())\nprint(a + b)\n```"


def answer(model: str, messages: list[dict]) -> str:
    """A program for code_contests prompts; the fake server's usual answer (an echo) for math."""
    text = str(messages[-1].get("content", ""))
    return PROGRAM if "competitive programming problem" in text else default_answer(model, messages)


def test_collect_uses_a_verifier_and_a_source_added_to_existing_domains(
    tmp_path: Path, entry_point_plugin, harness_cli, harness_fake_server
) -> None:
    harness_fake_server.answer = answer
    site = entry_point_plugin("harness_extras", EXTRAS)
    store = tmp_path / "attempts.sqlite"
    cfg = tmp_path / "harness.toml"
    cfg.write_text(
        f'[store]\npath = "{store}"\n\n{harness_fake_server.model_toml("fake")}\n'
        '[domains.math]\nverifier = "judge"\n\n[domains.code_contests]\nsource = "pair-sums"\n'
    )
    # Only math, code_contests (the domains) and the extras plugin load from entry points.
    others = {ep.name for ep in metadata.entry_points(group="harness")} - {*BUILTIN_PLUGINS, "math", "code_contests"}
    env = {"HARNESS_DISABLE_PLUGINS": "0", "HARNESS_BLOCK_PLUGINS": ",".join(sorted(others))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))

    listed = harness_cli("--config", str(cfg), "plugins", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    row = {r["name"]: r for r in json.loads(listed.stdout)}["harness_extras"]
    assert (
        row["domains"] == []
        and row["verifiers"] == ["math/judge"]
        and row["task_sources"] == ["code_contests/pair-sums"]
    )

    for domain in ("math", "code_contests"):
        out = harness_cli(
            "--config", str(cfg), "collect", "--domain", domain, "--models", "fake", "--limit", "2", "--json", env=env
        )
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["done"] == 2

    with Store(store) as st:
        math = st.attempts(domain="math")
        code = st.attempts(domain="code_contests")
    # The fake server echoes math questions: only the added judge passes them, and it signs its verdicts.
    assert [a.verdict for a in math] == ["passed", "passed"]
    assert all(a.detail["verdict"] == {"judge": "harness_extras", "task": a.task_id} for a in math)
    # The added source's tasks, solved by code_contests' own solver and run by its sandboxed verifier.
    assert sorted(a.task_id for a in code) == ["pair-sums/0", "pair-sums/1"]
    assert all(a.verdict == "passed" and a.correct is True and a.detail["verdict"]["isolation"] for a in code)
    assert all(a.cost_usd > 0 for a in math + code)
