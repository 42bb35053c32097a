"""The solvers' settings: defaults here, overridden by ``[domains.swebench.options] solver_options``.

A solver is called with a task and a model only, so settings reach it with the task: the swebench
task sources copy ``solver_options = {step_limit = 20, ...}`` into every task's data
(``task.data["solver_options"]``, see :mod:`harness_swebench.instance`), and it is read here. The
domain's options are part of the attempt fingerprint, so changing a limit starts a new experiment
rather than mixing attempts made under different limits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from harness import HarnessError

FILE_MODES = ("auto", "all", "mentioned", "oracle")
REPLY_FORMATS = ("files", "diff")


@dataclass(frozen=True)
class OneShotOptions:
    """``files``: which files the prompt shows (see :mod:`.files`); ``file_chars``: their size budget;
    ``reply``: ask for whole changed files (``files``) or a unified diff (``diff``); ``max_tokens``: the
    reply's token limit (0: sized to the shown files, so whole files fit)."""

    files: str = "auto"
    reply: str = "files"
    file_chars: int = 24_000
    max_tokens: int = 0


@dataclass(frozen=True)
class AgentOptions:
    """Limits of one agent episode. ``step_limit``: model calls; ``cost_limit_usd``: the episode's own
    budget (mini-swe-agent's ``cost_limit``: no call starts once it is reached), on top of the
    collection's hard ``--max-spend``; ``wall_s``: seconds for the whole episode; ``command_timeout_s``,
    ``command_memory_mb``, ``command_processes``: each command's sandbox limits."""

    step_limit: int = 30
    cost_limit_usd: float = 3.0
    wall_s: float = 1800.0
    command_timeout_s: float = 60.0
    command_memory_mb: int = 2048
    command_processes: int = 128


def _checked(value: Any, default: Any, key: str) -> Any:
    if isinstance(default, str):
        allowed = REPLY_FORMATS if key == "reply" else FILE_MODES
        if value not in allowed:
            raise HarnessError(
                f"swebench: solver_options.{key} must be one of {', '.join(allowed)} (got {value!r}); "
                f"fix [domains.swebench.options] solver_options"
            )
        return value
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise HarnessError(
            f"swebench: solver_options.{key} must be a non-negative number (got {value!r}); "
            f"fix [domains.swebench.options] solver_options"
        )
    return int(value) if isinstance(default, int) else float(value)


def merged(defaults: Any, data: Mapping[str, Any]) -> Any:
    """``defaults`` (an options dataclass) with the task's ``solver_options`` applied; an unknown key is an
    error naming it (keys of the other solver are ignored, so one table serves both)."""
    given = data.get("solver_options") or {}
    if not isinstance(given, Mapping):
        raise HarnessError("swebench: solver_options must be a table; fix [domains.swebench.options] solver_options")
    known = {f.name: f for f in fields(defaults)}
    everyone = {f.name for cls in (OneShotOptions, AgentOptions) for f in fields(cls)}
    unknown = sorted(k for k in given if k not in everyone)
    if unknown:
        raise HarnessError(
            f"swebench: unknown solver_options key {unknown[0]!r} (known: {', '.join(sorted(everyone))}); "
            f"fix [domains.swebench.options] solver_options"
        )
    changes = {k: _checked(v, getattr(defaults, k), k) for k, v in given.items() if k in known}
    return replace(defaults, **changes)
