"""An inspect task as a harness domain: its dataset, solver chain and scorer, its model calls metered."""

from __future__ import annotations

import json
import pickle
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from harness import Candidate, Completion, HarnessError, Message, Task
from harness.testing.fakeserver import FakeServer
from helpers import ARITH, GSM8K, run_harness

from harness_inspect.domain import InspectSolver, InspectSource, InspectVerifier
from harness_inspect.tasks import TaskSpec


class Client:
    """A harness ModelClient answering from a function of the messages (counting tokens as words)."""

    def __init__(self, answer: Any, name: str = "test-model") -> None:
        self.name, self.answer, self.calls = name, answer, []

    async def complete(self, messages: list[Message], **params: Any) -> Completion:
        self.calls.append((list(messages), params))
        text = self.answer(messages)
        words = sum(len(m.content.split()) for m in messages)
        return Completion(text=text, input_tokens=words, output_tokens=len(text.split()), cost_usd=1e-6 * words)


def _tasks(**options: Any) -> list[Task]:
    return list(InspectSource().tasks({"_root": str(ARITH.parent), **options}))


def _attempt(task: Task, client: Client) -> tuple[Candidate, Any]:
    import asyncio

    candidate = asyncio.run(InspectSolver().solve(task, client))
    verifier = pickle.loads(pickle.dumps(InspectVerifier()))  # verifiers run in worker processes
    return candidate, verifier.verify(task, pickle.loads(pickle.dumps(candidate)))


def test_the_local_task_as_a_domain() -> None:
    tasks = _tasks(task="arith_tasks.py@addition", task_args={"count": 4})
    assert [t.id for t in tasks] == ["add-2-3", "add-10-7", "add-4-4", "add-21-1"]
    right = Client(lambda m: f"ANSWER: {eval(m[-1].content.split()[1])}")  # noqa: S307 (our own prompt)
    candidate, verdict = _attempt(tasks[1], right)
    assert verdict.status == "passed" and verdict.correct is True and verdict.detail["value"] == "C"
    # the task's solver chain ran: its system message and prompt template reached the client
    sent, _ = right.calls[0]
    assert [m.role for m in sent] == ["system", "user"] and sent[1].content == "Compute: 10+7\nReply as ANSWER: <n>"
    assert candidate.response == "ANSWER: 17" and candidate.prompt.startswith("system: You add numbers.")
    _, verdict = _attempt(tasks[1], Client(lambda m: "ANSWER: 18"))
    assert verdict.status == "failed" and verdict.detail["answer"] == "18"


def test_concurrent_attempts_of_one_model_each_call_their_own_client() -> None:
    import asyncio

    tasks = _tasks(task="arith_tasks.py@addition")
    clients = [Client(lambda m, i=i: f"ANSWER: {i}", name="same-model") for i in range(len(tasks))]

    async def all_at_once() -> list[Candidate]:
        return await asyncio.gather(*(InspectSolver().solve(t, c) for t, c in zip(tasks, clients, strict=True)))

    candidates = asyncio.run(all_at_once())
    assert [c.response for c in candidates] == [f"ANSWER: {i}" for i in range(len(tasks))]
    assert [len(c.calls) for c in clients] == [1] * len(tasks)
    assert [c.calls[0][0][-1].content.split()[1] for c in clients] == [
        t.data["sample"]["input"].split()[1] for t in tasks
    ]


def test_options_are_checked_where_they_are_written(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match=r"\[domains.inspect\] options: set task"):
        _tasks()
    with pytest.raises(HarnessError, match="unknown key 'taks'"):
        _tasks(taks="x")
    with pytest.raises(HarnessError, match="task file .* does not exist"):
        _tasks(task="missing.py@t")
    with pytest.raises(HarnessError, match="pass: pass rule"):
        _tasks(task="arith_tasks.py@addition", **{"pass": ">=x"})
    with pytest.raises(HarnessError, match="could not be created"):
        _tasks(task="arith_tasks.py@addition", task_args={"count": "many"})


@pytest.mark.skipif(not GSM8K.is_file(), reason="../shared/data/gsm8k is not beside the project")
def test_inspect_evals_gsm8k_on_the_local_copy() -> None:
    options = {"task": "inspect_evals/gsm8k", "task_args": {"fewshot": 0}, "dataset": str(GSM8K)}
    tasks = _tasks(**options)
    rows = [json.loads(line) for line in GSM8K.read_text().splitlines() if line.strip()]
    assert len(tasks) == len(rows) == 1319
    first = tasks[0]
    assert (
        first.id.startswith("gsm8k_") and first.data["sample"]["target"] == rows[0]["answer"].split("####")[-1].strip()
    )
    reply = "Reasoning: 16 - 3 - 4 = 9 eggs, 9 * 2 = 18.\nANSWER: 18"
    client = Client(lambda m: reply)
    candidate, verdict = _attempt(first, client)
    assert verdict.status == "passed", verdict.detail
    assert "Solve the following math problem step by step" in client.calls[0][0][-1].content  # inspect-evals' prompt
    _, verdict = _attempt(first, Client(lambda m: "ANSWER: 17"))
    assert verdict.status == "failed"


def test_tools_and_unbound_calls_are_refused_clearly() -> None:
    import asyncio

    from harness_inspect.model_api import get_harness_model

    model = get_harness_model(None, "nobody")
    with pytest.raises(Exception, match="outside a harness attempt"):
        asyncio.run(model.generate("hello"))


def _stored(store: Path) -> list[tuple]:
    db = sqlite3.connect(store)
    try:
        return db.execute(
            "SELECT task_id, model, idx, verdict, cost_usd, input_tokens, output_tokens FROM attempts"
        ).fetchall()
    finally:
        db.close()


def _fake_config(tmp_path: Path, server: FakeServer, domain: str) -> tuple[Path, Path]:
    """harness.toml with models good and bad on the fake server (1 and 2 USD per Mtok) and ``domain``."""
    models = "\n".join(
        f'[models.{m}]\nroute = "openai/fake-{m}"\napi_base = "{server.api_base}"\napi_key_env = "FAKE_INSPECT_KEY"\n'
        "input_cost_per_mtok = 1.0\noutput_cost_per_mtok = 2.0\nmax_tokens = 50\n"
        for m in ("good", "bad")
    )
    config, store = tmp_path / "harness.toml", tmp_path / "store.sqlite"
    config.write_text(f'[store]\npath = "{store}"\n\n{models}\n[domains.inspect]\n{domain}\n')
    return config, store


def _collect(config: Path, *args: str) -> dict[str, Any]:
    done = run_harness(
        "collect",
        "--domain",
        "inspect",
        "--models",
        "good,bad",
        "--json",
        *args,
        config=config,
        FAKE_INSPECT_KEY="sk-fake-inspect-0123456789",
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_collect_runs_the_inspect_task_metered_under_a_spend_cap(tmp_path: Path) -> None:
    with FakeServer() as server:
        config, store = _fake_config(tmp_path, server, f'options.task = "{ARITH}@addition"')
        cap = 0.0005  # about a dozen of the 24 attempts: each call reserves its worst case first
        summary = _collect(config, "--attempts", "2", "--max-spend", str(cap))
        rows = _stored(store)
        requests = server.count
    assert summary["stopped"] == "spend_cap" and summary["spend_usd"] <= cap
    assert 0 < len(rows) < 24 and summary["skipped_spend_cap"] > 0
    assert requests == len(rows)  # one model call per attempt, each one recorded
    assert all(cost > 0 and tin > 0 and tout > 0 for *_, cost, tin, tout in rows)
    assert sum(r[4] for r in rows) == pytest.approx(summary["spend_usd"], rel=1e-12)
    verdicts = {(m, v) for _, m, _, v, *_ in rows}
    assert verdicts <= {("good", "passed"), ("bad", "failed")} and {m for m, _ in verdicts} == {"good", "bad"}
    # the price is harness.toml's: 1 and 2 USD per Mtok of the fake server's usage
    assert all(cost == pytest.approx((tin * 1.0 + tout * 2.0) / 1e6) for *_, cost, tin, tout in rows)


def test_task_spec_travels_as_plain_data() -> None:
    spec = TaskSpec.from_options({"task": "arith_tasks.py@addition", "_root": str(ARITH.parent), "scorer": "pattern"})
    assert TaskSpec.from_dict(json.loads(json.dumps(spec.as_dict()))) == spec
    assert spec.task == f"{ARITH}@addition"


@pytest.mark.skipif(not GSM8K.is_file(), reason="../shared/data/gsm8k is not beside the project")
def test_collect_runs_inspect_evals_gsm8k_on_the_local_copy(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in GSM8K.read_text().splitlines()[:2]]
    targets = [(r["question"], r["answer"].split("####")[-1].strip()) for r in rows]

    def answer(model: str, messages: list[dict[str, Any]]) -> str:  # the right number, off by one when "bad"
        text = str(messages[-1]["content"])
        target = next(t for q, t in targets if q in text)
        return f"Reasoning: ...\nANSWER: {int(target) + ('bad' in model)}"

    with FakeServer(answer=answer) as server:
        options = (
            f'options.task = "inspect_evals/gsm8k"\noptions.task_args = {{ fewshot = 0 }}\noptions.dataset = "{GSM8K}"'
        )
        config, store = _fake_config(tmp_path, server, options)
        summary = _collect(config, "--limit", "2", "--max-spend", "0.01")
    rows = _stored(store)
    assert summary["done"] == len(rows) == 4 and summary["errors"] == 0
    assert {(m, v) for _, m, _, v, *_ in rows} == {("good", "passed"), ("bad", "failed")}
    assert all(t.startswith("gsm8k_") for t, *_ in rows)
    assert all(cost == pytest.approx((tin * 1.0 + tout * 2.0) / 1e6) and cost > 0 for *_, cost, tin, tout in rows)
