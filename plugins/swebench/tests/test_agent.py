"""The agent solver, driven by a scripted model through the real metering path, with commands in the sandbox."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from harness_swebench.solvers import AgentSolver
from harness_swebench.verify import LocalVerifier

from harness import Candidate, Completion, Task
from harness.collect.metering import CallsStopped, ProviderError, SpendCapReached

IID = "builtin__textkit-1"
SUBMIT = "THOUGHT: done.\n\n```bash\necho COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git add -A && git diff --cached\n```"


def bash(command: str, thought: str = "Next step.") -> str:
    return f"THOUGHT: {thought}\n\n```bash\n{command}\n```"


def with_options(task: Task, **opts) -> Task:
    return Task(task.id, {**task.data, "solver_options": opts}, task.split)


def run(task: Task, model) -> Candidate:
    return asyncio.run(AgentSolver().solve(task, model))


def observations(model) -> list[str]:
    """What the agent showed the model after each command (the last user message of each later call)."""
    return [msgs[-1].content for msgs, _ in model.calls[1:]]


def test_agent_solves_an_instance_end_to_end(builtin_tasks, harness_scripted_model) -> None:
    task = builtin_tasks[IID]
    model = harness_scripted_model(
        bash("ls && cat textkit/core.py", "Look at the code first."),
        bash(f"git apply <<'PATCH'\n{task.data['patch']}PATCH", "Apply the fix."),
        bash("git status --short && python -c 'import textkit; print(textkit.truncate(\"abc\", 3))'"),
        SUBMIT,
    )
    cand = run(task, model)
    d = cand.detail
    assert d["exit_status"] == "Submitted" and d["steps"] == 4 and model.remaining == 0
    assert "def truncate" in observations(model)[0] and "<returncode>0</returncode>" in observations(model)[1]
    assert cand.answer and d["files_changed"] == ["textkit/core.py"]
    assert LocalVerifier().verify(task, cand).status == "passed"
    # every step's cost and tokens are recorded, and they add up to what the harness metered
    assert len(d["per_step"]) == 4 and all(s["cost_usd"] > 0 and s["output_tokens"] > 0 for s in d["per_step"])
    assert sum(s["cost_usd"] for s in d["per_step"]) == pytest.approx(model.totals.cost_usd)
    assert d["cost_usd"] == pytest.approx(model.totals.cost_usd) and model.totals.calls == 4
    assert all("returncode" in s and s["command_s"] >= 0 for s in d["per_step"][:3])
    assert d["isolation"] and d["mini_swe_agent"].startswith("1.")
    # mini-swe-agent's SWE-bench prompt, with the working copy's real path for /testbed
    first = model.calls[0][0]
    assert "<pr_description>" in first[1].content and task.data["problem_statement"].strip() in first[1].content
    assert "files in /testbed " not in first[1].content and "harness-agent-" in first[1].content
    assert "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" in first[1].content
    transcript = json.loads(cand.response)
    assert [m["role"] for m in transcript[:2]] == ["assistant", "user"]


def test_step_limit_ends_the_episode_without_a_candidate(builtin_tasks, harness_scripted_model) -> None:
    model = harness_scripted_model(bash("echo one > new.txt"), bash("ls"), bash("ls"), SUBMIT)
    cand = run(with_options(builtin_tasks[IID], step_limit=2), model)
    assert cand.detail["exit_status"] == "StepLimitExceeded" and cand.answer is None
    assert cand.detail["steps"] == 2 == model.totals.calls and model.remaining == 2
    assert len(cand.detail["per_step"]) == 2 and all(s["cost_usd"] > 0 for s in cand.detail["per_step"])


def test_episode_dollar_limit(builtin_tasks, harness_scripted_model) -> None:
    def priced(text: str) -> Completion:
        return Completion(text=text, input_tokens=1000, output_tokens=100, cost_usd=0.004)

    model = harness_scripted_model(*(priced(bash("ls")) for _ in range(5)), priced(SUBMIT))
    cand = run(with_options(builtin_tasks[IID], cost_limit_usd=0.01), model)
    # mini-swe-agent's rule: no call starts once the episode's spend reached the limit
    assert cand.detail["exit_status"] == "CostLimitExceeded" and cand.answer is None
    assert model.totals.calls == 3 and cand.detail["cost_usd"] == pytest.approx(0.012)
    assert [s["cost_usd"] for s in cand.detail["per_step"]] == [0.004] * 3


def test_wall_clock_limit_cuts_a_long_command_and_ends_the_episode(builtin_tasks, harness_scripted_model) -> None:
    model = harness_scripted_model(bash("sleep 30"), bash("ls"), SUBMIT)
    start = time.monotonic()
    cand = run(with_options(builtin_tasks[IID], wall_s=4), model)
    assert time.monotonic() - start < 20
    assert cand.detail["exit_status"] == "TimeLimitExceeded" and cand.answer is None
    assert cand.detail["per_step"][0]["timed_out"] is True
    assert model.totals.calls <= 2


def test_command_timeout_is_shown_to_the_model(builtin_tasks, harness_scripted_model) -> None:
    model = harness_scripted_model(bash("echo started; sleep 20"), bash("echo after"), SUBMIT)
    cand = run(with_options(builtin_tasks[IID], command_timeout_s=2), model)
    obs = observations(model)
    assert "timed out" in obs[0] and "started" in obs[0] and "after" in obs[1]
    assert cand.detail["exit_status"] == "Submitted" and cand.answer is None  # nothing was changed


def test_format_errors_are_steps_and_are_billed(builtin_tasks, harness_scripted_model) -> None:
    model = harness_scripted_model("I will look at the files.", bash("ls") + "\n" + bash("pwd"), SUBMIT)
    cand = run(builtin_tasks[IID], model)
    obs = observations(model)
    assert "EXACTLY ONE action" in obs[0] and "found 2 actions" in obs[1]
    assert cand.detail["steps"] == 3 and model.totals.calls == 3 and len(cand.detail["per_step"]) == 3


def test_spend_cap_mid_episode_propagates(builtin_tasks, harness_scripted_model) -> None:
    # each call may cost up to ~$0.20 (100k output tokens at $2/Mtok) and is billed $0.15: under a $0.30 cap
    # the first call fits, the second could take the spend over the cap and is never started
    step = Completion(text=bash("ls"), input_tokens=10, output_tokens=10, cost_usd=0.15)
    model = harness_scripted_model(step, step, SUBMIT, cap=0.30, max_tokens=100_000)
    with pytest.raises(SpendCapReached):
        run(builtin_tasks[IID], model)
    assert model.totals.calls == 1 and model.spent == pytest.approx(0.15) and model.remaining == 2


def test_provider_failure_and_stop_propagate(builtin_tasks, harness_scripted_model) -> None:
    model = harness_scripted_model(bash("ls"), ProviderError("server_error", "boom"))
    with pytest.raises(ProviderError):
        run(builtin_tasks[IID], model)
    assert model.totals.calls == 2

    holder: dict = {}

    def stop_then_reply(_messages):
        holder["m"].stop()
        return bash("ls")

    model = harness_scripted_model(stop_then_reply, bash("ls"))
    holder["m"] = model
    with pytest.raises(CallsStopped):
        run(builtin_tasks[IID], model)
    assert model.totals.calls == 1


def test_cancelling_the_solver_stops_the_episode(builtin_tasks, harness_scripted_model) -> None:
    model = harness_scripted_model(bash("sleep 3"), bash("ls"), bash("ls"), SUBMIT)

    async def main() -> None:
        job = asyncio.ensure_future(AgentSolver().solve(builtin_tasks[IID], model))
        await asyncio.sleep(1.0)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        await asyncio.sleep(4.0)  # the thread finishes its command and stops at its next call

    asyncio.run(main())
    assert model.totals.calls == 1 and model.remaining == 3
