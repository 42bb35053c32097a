"""harness.testing itself: its fixtures do what they say, and its contract suite catches broken plugins."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import textwrap
import tomllib
import types
from pathlib import Path

import pytest

from harness import Attempt, Completion, Domain, Message, hookimpl
from harness.config import parse_config
from harness.providers.litellm_provider import LiteLLMProvider
from harness.testing import AttemptLimitReached, CallsStopped, ProviderError, ScriptExhausted, SpendCapReached

ASK = [Message("user", "What is two plus two")]  # 5 words: 5 input tokens for the scripted provider


def test_scripted_replies_are_billed_through_the_metered_client(harness_scripted_model) -> None:
    model = harness_scripted_model("it is four", Completion("4", input_tokens=9, output_tokens=1, cost_usd=0.5))

    async def two_calls():
        return await model.complete(ASK), await model.complete(ASK, max_tokens=7)

    first, second = asyncio.run(two_calls())
    assert first.text == "it is four" and (first.input_tokens, first.output_tokens) == (5, 3)
    assert first.cost_usd == pytest.approx((5 * 1.0 + 3 * 2.0) / 1e6)
    assert second.cost_usd == 0.5  # a Completion is returned (and billed) as given
    assert model.totals.calls == 2 and model.totals.input_tokens == 14 and model.totals.output_tokens == 4
    assert model.spent == pytest.approx(0.5 + 11e-6)
    assert model.calls[1][1]["max_tokens"] == 7 and model.calls[0][1]["max_tokens"] == 256  # the metered default
    assert model.remaining == 0


def test_the_spend_cap_refuses_a_call_before_it_reaches_the_provider(harness_scripted_model) -> None:
    # One call may cost (prompt bound + 256 output tokens) at 2 USD/Mtok: about 0.0006 USD; the cap is less.
    model = harness_scripted_model("four", cap=0.0001)
    with pytest.raises(SpendCapReached):
        asyncio.run(model.complete(ASK))
    assert model.calls == [] and model.spent == 0 and model.remaining == 1


def test_the_attempt_limit_lowers_max_tokens_then_refuses(harness_scripted_model) -> None:
    # 40 micro-dollars: the first call fits with fewer output tokens; after it billed 25, no call fits.
    model = harness_scripted_model(Completion("4", 5, 1, cost_usd=25e-6), "never", limit_usd=40e-6)
    texts: list[str] = []

    async def twice():
        texts.append((await model.complete(ASK)).text)
        await model.complete(ASK)

    with pytest.raises(AttemptLimitReached):
        asyncio.run(twice())
    assert texts == ["4"] and 1 <= model.calls[0][1]["max_tokens"] < 256
    assert len(model.calls) == 1 and model.remaining == 1 and model.spent == 25e-6


def test_a_stopped_run_starts_no_call_and_failures_are_counted(harness_scripted_model) -> None:
    billed = ProviderError("server_error", "boom", input_tokens=5, billed_cost=0.25)
    model = harness_scripted_model(billed, "four")
    with pytest.raises(ProviderError):
        asyncio.run(model.complete(ASK))
    assert model.totals.calls == 1 and model.spent == 0.25  # a billed failure is paid for
    model = harness_scripted_model("four")
    model.stop()
    with pytest.raises(CallsStopped):
        asyncio.run(model.complete(ASK))
    assert model.calls == []


def test_running_out_of_replies_and_a_second_event_loop_are_clear_errors(harness_scripted_model) -> None:
    model = harness_scripted_model(lambda messages: f"you said {len(messages)} message")
    assert asyncio.run(model.complete(ASK)).text == "you said 1 message"
    with pytest.raises(RuntimeError, match="one attempt"):
        asyncio.run(model.complete(ASK))
    model = harness_scripted_model()
    with pytest.raises(ScriptExhausted, match="no reply queued for call 1"):
        asyncio.run(model.complete(ASK))


def test_the_registry_holds_only_the_plugin_under_test(harness_registry, entry_point_plugin, monkeypatch) -> None:
    site = entry_point_plugin(
        "installed_elsewhere",
        """
        from harness import Domain, hookimpl

        @hookimpl
        def register_domains(register):
            register(Domain("elsewhere"))
        """,
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "0")
    mine = types.ModuleType("mine")
    mine.register_domains = hookimpl(lambda register: register(Domain("mine")))
    reg = harness_registry(mine)
    assert set(reg.domains) == {"mine"} and reg.owner("domains", "mine") == "mine"
    assert {"providers", "strategies", "bank_formats"} <= set(reg.infos)  # the core's built-ins stay
    assert os.environ["HARNESS_DISABLE_PLUGINS"] == "1"


def test_the_store_starts_empty_and_keeps_attempts(harness_store) -> None:
    assert harness_store.count() == 0
    harness_store.record([Attempt("d", "t1", "m", "fp", 0, "passed", 0.01)])
    assert [a.task_id for a in harness_store.attempts(domain="d")] == ["t1"]


def test_the_fake_server_serves_a_model_table_through_litellm(harness_fake_server) -> None:
    table = tomllib.loads(harness_fake_server.model_toml("helper"))
    model = parse_config(table).models["helper"]
    assert model.api_base == harness_fake_server.api_base and model.route == "openai/fake-helper"
    out = asyncio.run(LiteLLMProvider().complete(model, [Message("user", "Compute: 2+3")], max_tokens=16))
    assert out.text == "ANSWER: 5" and out.cost_usd == pytest.approx((20 * 1.0 + 8 * 2.0) / 1e6)
    assert harness_fake_server.count == 1 and harness_fake_server.requests[0]["max_tokens"] == 16


SLOPPY = '''
"""A plugin that breaks every rule the contract checks (except that its good answers pass)."""

from harness import Domain, Task, Verdict, hookimpl

WORDS = {"apple", "banana", "cherry", "damson", "elder", "fig", "grape", "hazel", "ivy", "juniper"}


class Source:
    def tasks(self, options):  # ignores limit, accepts any option, ids follow a set's order
        return [Task(id=w, data={"word": w, "check": lambda s: s}) for w in WORDS]


class Verifier:
    def __init__(self):
        self.normalise = lambda s: s.strip()  # cannot be pickled into a worker process

    def verify(self, task, candidate):
        try:
            ok = self.normalise(candidate.answer) == task.data["word"]
        except Exception:
            return Verdict("failed", correct=False)  # a crash hidden as a failure
        return Verdict("passed", correct=True) if ok else Verdict("error", error_kind="wrong")


class Solver:
    async def solve(self, task, model): ...


@hookimpl
def register_domains(register):
    register(Domain("sloppy", Source(), Solver(), Verifier()))
'''

SLOPPY_CONTRACT = """
from harness import Candidate
from harness.testing import DomainContract

import harness_sloppy


class TestSloppy(DomainContract):
    plugin = harness_sloppy
    domain = "sloppy"
    good = staticmethod(lambda task: Candidate(answer=task.data["word"]))
    bad = Candidate(answer="pear")
"""


def test_the_contract_catches_each_broken_rule(tmp_path: Path) -> None:
    (tmp_path / "harness_sloppy.py").write_text(SLOPPY)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_contract.py").write_text(textwrap.dedent(SLOPPY_CONTRACT))
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfs", "tests"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    failed = set(re.findall(r"^FAILED \S+::TestSloppy::(\w+)", out.stdout, re.M))
    assert failed == {
        "test_task_ids_are_unique_and_stable",  # another hash seed, another order
        "test_limit_is_honoured",
        "test_tasks_are_picklable",
        "test_verifier_is_picklable_and_deterministic",
        "test_bad_candidate_fails",
        "test_verifier_crash_is_an_error_not_a_failure",
        "test_bad_source_options_raise_a_clear_error",
    }, out.stdout[-4000:]
    assert "1 passed" in out.stdout and "1 skipped" in out.stdout  # the good answer passes; no good_reply
