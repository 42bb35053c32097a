"""The swebench domain's solvers: ``oneshot`` (one prompt, one patch) and ``agent`` (mini-swe-agent's
bash-only loop in the sandbox), registered through the ``register_solvers`` hook."""

from __future__ import annotations

from typing import Any

from harness import hookimpl
from harness_swebench.solvers.agent import AgentSolver
from harness_swebench.solvers.oneshot import OneShotSolver
from harness_swebench.solvers.options import AgentOptions, OneShotOptions

__all__ = ["AgentOptions", "AgentSolver", "OneShotOptions", "OneShotSolver", "register_solvers"]


@hookimpl
def register_solvers(register: Any) -> None:
    register("swebench", OneShotSolver())
    register("swebench", AgentSolver())
