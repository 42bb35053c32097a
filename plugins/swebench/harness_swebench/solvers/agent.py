"""The agent solver: mini-swe-agent's bash-only loop, metered by the harness and sandboxed.

Each turn the model proposes one shell command in a ```bash block (mini-swe-agent's SWE-bench
templates, unchanged but for the working directory's name); it runs in the task's working copy inside
the sandbox, and the model sees its truncated output. The episode ends when the model submits (a
command whose output starts with ``COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT``) or at a limit: steps, the
episode's dollars, wall-clock. The candidate is the working copy's diff against the base commit, computed
by the harness (:mod:`.workcopy`), not the text the agent printed; like mini-swe-agent's own SWE-bench
runs, an episode that did not submit has no candidate. A model call that raises (the spend cap, the
collection stopping, a provider failure) ends the episode and propagates to the harness.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from harness import Candidate, ModelClient, Task
from harness_swebench.solvers.oneshot import Checkout, View, default_view
from harness_swebench.solvers.options import AgentOptions, merged
from harness_swebench.solvers.prompts import mini_swe_agent_config
from harness_swebench.solvers.workcopy import PrivateRepo, TreeTooLarge, git, remove_tree

WORKDIR_PLACEHOLDER = "/testbed"  # where mini-swe-agent's SWE-bench prompt says the repository is


def sandbox_checkout(task: Task, dest: Path) -> Path:
    """A working copy with its own objects: git inside the sandbox cannot see a user's clone to borrow from."""
    from harness_swebench.repos import checkout

    return checkout(task, dest, self_contained=True)


def _agent_config(options: AgentOptions, workdir: Path) -> dict[str, Any]:
    """mini-swe-agent's SWE-bench agent settings, with this episode's limits and directory."""
    cfg = dict(mini_swe_agent_config()["agent"])
    cfg["instance_template"] = cfg["instance_template"].replace(WORKDIR_PLACEHOLDER, str(workdir))
    cfg["step_limit"] = options.step_limit
    cfg["cost_limit"] = options.cost_limit_usd
    return cfg


def _hide_history(repo: Path) -> None:
    """Leave the working copy only its detached base commit: no branches, tags or remotes pointing at
    later commits (a real repository's clone holds the fix in its future history)."""
    refs = git(["for-each-ref", "--format=%(refname)"], cwd=repo).stdout.decode().split()
    for ref in refs:
        git(["update-ref", "-d", ref], cwd=repo)
    git(["remote", "remove", "origin"], cwd=repo, check=False)
    git(["reflog", "expire", "--expire=now", "--all"], cwd=repo, check=False)


class AgentSolver:
    """A bash-only agent episode per attempt (mini-swe-agent's DefaultAgent, run in a thread)."""

    name = "agent"

    def __init__(
        self, options: AgentOptions | None = None, checkout: Checkout | None = None, view: View | None = None
    ) -> None:
        self.options = options or AgentOptions()
        self.checkout = checkout or sandbox_checkout
        self.view = view or default_view

    async def solve(self, task: Task, model: ModelClient) -> Candidate:
        from harness_swebench.solvers.mini import MeteredModel

        opts: AgentOptions = merged(self.options, task.data)
        issue = str(self.view(task).get("problem_statement") or "")
        loop = asyncio.get_running_loop()
        metered = MeteredModel(model, loop, threading.Event())
        done: asyncio.Future[dict[str, Any]] = loop.create_future()
        thread = threading.Thread(
            target=_in_thread,
            args=(loop, done, lambda: self._episode(task, issue, opts, metered)),
            name=f"agent-{task.id}",
            daemon=True,
        )
        thread.start()
        try:
            result = await asyncio.shield(done)
        except asyncio.CancelledError:
            metered.cancel()  # the thread ends at its next call or command and cleans up after itself
            done.add_done_callback(lambda f: f.cancelled() or f.exception())  # nobody awaits it any more
            raise
        return Candidate(
            answer=result.pop("answer"), prompt=result.pop("prompt"), response=result.pop("response"), detail=result
        )

    def _episode(self, task: Task, issue: str, opts: AgentOptions, metered: Any) -> dict[str, Any]:
        """Check out, snapshot, run the agent, diff; always removes its directories (runs in the thread)."""
        from harness_swebench.solvers.commands import CommandWorker
        from harness_swebench.solvers.mini import MINI_SWE_AGENT_VERSION, HarnessAgent, SandboxEnvironment

        start = time.monotonic()
        deadline = start + opts.wall_s if opts.wall_s > 0 else float("inf")
        work = Path(tempfile.mkdtemp(prefix="harness-agent-"))
        private = Path(tempfile.mkdtemp(prefix="harness-agent-git-"))
        worker: CommandWorker | None = None
        try:
            repo = self.checkout(task, work / "testbed")
            snapshot = PrivateRepo.snapshot(repo, private / "git", str(task.data.get("base_commit") or "HEAD"))
            _hide_history(repo)
            worker = CommandWorker()
            setup_s = time.monotonic() - start
            work.chmod(0o711)  # rlimits isolation: the run's unprivileged uid must traverse to the copy
            env = SandboxEnvironment(worker, repo, opts, deadline, metered.steps)
            env.stop = metered.stop
            agent = HarnessAgent(metered, env, deadline=deadline, **_agent_config(opts, repo))
            exit_status, _message = agent.run(issue)
            ran = time.monotonic()
            detail: dict[str, Any] = {
                "exit_status": exit_status,
                "steps": metered.n_calls,
                "cost_usd": metered.cost,
                "per_step": metered.steps,
                "setup_s": round(setup_s, 3),
                "isolation": env.isolation,
                "mini_swe_agent": MINI_SWE_AGENT_VERSION,
            }
            answer = None
            if exit_status == "Submitted":
                try:
                    diff = snapshot.diff(repo)
                    answer = diff.text if diff.text.strip() else None
                    detail.update(files_changed=diff.files, files_skipped=diff.skipped)
                except TreeTooLarge as exc:
                    detail["diff_refused"] = str(exc)
            detail["diff_s"] = round(time.monotonic() - ran, 3)
            detail["wall_s"] = round(time.monotonic() - start, 3)
            prompt = "\n\n".join(m["content"] for m in agent.messages[:2])
            response = json.dumps([{"role": m["role"], "content": m["content"]} for m in agent.messages[2:]])
            return {"answer": answer, "prompt": prompt, "response": response, **detail}
        finally:
            if worker is not None:
                worker.close()
            remove_tree(work)
            remove_tree(private)


def _in_thread(loop: asyncio.AbstractEventLoop, done: asyncio.Future, fn: Callable[[], Mapping[str, Any]]) -> None:
    """Run ``fn`` and hand its result or exception to ``done`` on the loop (if the loop still runs)."""

    def settle(setter: Callable[[Any], None], value: Any) -> None:
        if not done.done():
            setter(value)

    try:
        result = fn()
    except BaseException as exc:  # handed to the awaiting solver, which re-raises it
        try:
            loop.call_soon_threadsafe(settle, done.set_exception, exc)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass
        return
    try:
        loop.call_soon_threadsafe(settle, done.set_result, result)
    except RuntimeError:
        pass
