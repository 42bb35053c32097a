"""Adapters that run mini-swe-agent's own agent loop on the harness: its model and its environment.

mini-swe-agent (pinned, v1: the ```bash action protocol of the bash-only SWE-bench runs beside this
project) is synchronous, so an episode runs its ``DefaultAgent`` in a thread. :class:`MeteredModel`
sends every query back to the event loop through the harness's metered client (so each call is priced,
counted, capped and stopped like any other, and a refused or failed call raises out of the agent), and
records each step's tokens and dollars. :class:`SandboxEnvironment` runs each command in the sandbox with
the working copy as its directory, through the episode's command worker. :class:`HarnessAgent` adds a
wall-clock limit (mini-swe-agent v1 has step and cost limits only) and names which limit ended the
episode.
"""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness import Message, ModelClient
from harness_swebench.solvers import commands
from harness_swebench.solvers.options import AgentOptions


def _prepare_import() -> None:
    """mini-swe-agent prints a banner and reads a ``.env`` from the user's config directory at import:
    point it at the harness's own (empty) directory and keep it quiet."""
    base = os.environ.get("HARNESS_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "harness")
    os.environ.setdefault("MSWEA_SILENT_STARTUP", "1")
    os.environ.setdefault("MSWEA_GLOBAL_CONFIG_DIR", os.path.join(base, "mini-swe-agent"))


_prepare_import()

import minisweagent  # noqa: E402
from jinja2 import StrictUndefined, Template  # noqa: E402
from minisweagent.agents.default import DefaultAgent, LimitsExceeded  # noqa: E402

MINI_SWE_AGENT_VERSION: str = minisweagent.__version__


class EpisodeCancelled(Exception):
    """The solver was cancelled: the agent's thread stops at its next model call or command."""


class StepLimitExceeded(LimitsExceeded):
    """The episode made ``step_limit`` model calls."""


class CostLimitExceeded(LimitsExceeded):
    """The episode's calls cost ``cost_limit_usd`` or more."""


class TimeLimitExceeded(LimitsExceeded):
    """The episode ran for ``wall_s`` seconds."""


class MeteredModel:
    """mini-swe-agent's Model protocol over the harness's ModelClient (called from the agent's thread)."""

    def __init__(self, client: ModelClient, loop: asyncio.AbstractEventLoop, stop: threading.Event) -> None:
        self.client = client
        self.loop = loop
        self.stop = stop
        self.config = {"model_name": client.name}
        self.cost = 0.0
        self.n_calls = 0
        self.steps: list[dict[str, Any]] = []
        self._pending: Any = None

    def query(self, messages: Sequence[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        if self.stop.is_set():
            raise EpisodeCancelled("the solver was cancelled")
        msgs = [Message(m["role"], str(m["content"])) for m in messages]
        self._pending = asyncio.run_coroutine_threadsafe(self.client.complete(msgs), self.loop)
        try:
            completion = self._pending.result()
        finally:
            self._pending = None
        self.n_calls += 1
        self.cost += completion.cost_usd
        self.steps.append(
            {
                "cost_usd": completion.cost_usd,
                "input_tokens": completion.input_tokens,
                "output_tokens": completion.output_tokens,
                "model_s": round(completion.latency_s, 3),
                "finish_reason": completion.finish_reason,
            }
        )
        return {"content": completion.text}

    def cancel(self) -> None:
        """From the event loop's side: stop the episode, abandoning a call in flight."""
        self.stop.set()
        pending = self._pending
        if pending is not None:
            pending.cancel()

    def get_template_vars(self) -> dict[str, Any]:
        return dict(self.config)


class SandboxEnvironment:
    """mini-swe-agent's Environment protocol: each command in the sandbox, cwd = the working copy."""

    def __init__(
        self,
        worker: commands.CommandWorker,
        workdir: Path,
        options: AgentOptions,
        deadline: float,
        steps: list[dict[str, Any]],
    ) -> None:
        self.worker = worker
        self.workdir = str(workdir)
        self.options = options
        self.deadline = deadline
        self.steps = steps  # the model's step records: each gets its command's time and exit code
        self.config = {"cwd": self.workdir, "timeout": options.command_timeout_s}
        self.stop: threading.Event | None = None
        self.isolation: str | None = None

    def execute(self, command: str, cwd: str = "", *, timeout: int | None = None) -> dict[str, Any]:
        if self.stop is not None and self.stop.is_set():
            raise EpisodeCancelled("the solver was cancelled")
        left = self.deadline - time.monotonic()
        if left <= 1.0:
            raise TimeLimitExceeded(f"the episode's wall-clock limit ({self.options.wall_s:g} s) was reached")
        limit = min(float(timeout or self.options.command_timeout_s), left)
        res = self.worker.run(
            command, self.workdir, limit, self.options.command_memory_mb, self.options.command_processes
        )
        self.isolation = res.isolation
        if self.steps:
            self.steps[-1].update(command_s=round(res.wall_s, 3), returncode=res.returncode, timed_out=res.timed_out)
        if res.timed_out:
            raise subprocess.TimeoutExpired(command, limit, output=res.output.encode("utf-8", "replace"))
        return {"output": res.output, "returncode": res.returncode}

    def get_template_vars(self) -> dict[str, Any]:
        return dict(self.config)


@functools.lru_cache(maxsize=64)
def _template(text: str) -> Template:
    return Template(text, undefined=StrictUndefined)


class HarnessAgent(DefaultAgent):
    """mini-swe-agent's DefaultAgent with a wall-clock limit and a named exit for each limit."""

    def __init__(self, model: MeteredModel, env: SandboxEnvironment, *, deadline: float, **config: Any) -> None:
        super().__init__(model, env, **config)
        self.deadline = deadline

    def render_template(self, template: str, **kwargs: Any) -> str:
        """The parent's rendering, with each template compiled once (not at every step)."""
        template_vars = asdict(self.config) | self.env.get_template_vars() | self.model.get_template_vars()
        return _template(template).render(**kwargs, **template_vars, **self.extra_template_vars)

    def query(self) -> dict:
        cfg = self.config
        if 0 < cfg.step_limit <= self.model.n_calls:
            raise StepLimitExceeded(f"the step limit ({cfg.step_limit}) was reached")
        if 0 < cfg.cost_limit <= self.model.cost:
            raise CostLimitExceeded(f"the episode's cost limit (${cfg.cost_limit:g}) was reached")
        if time.monotonic() >= self.deadline:
            raise TimeLimitExceeded("the episode's wall-clock limit was reached")
        return super().query()
