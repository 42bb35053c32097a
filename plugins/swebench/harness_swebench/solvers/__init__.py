"""The swebench domain's solvers: ``oneshot`` (one prompt, one patch) and ``agent`` (mini-swe-agent's
bash-only loop in the sandbox). The plugin's ``register_solvers`` hook registers :data:`SOLVERS`, and
the domain's default solver is :data:`DEFAULT_SOLVER` (chosen by measurement: see the README)."""

from __future__ import annotations

from harness_swebench.solvers.agent import AgentSolver
from harness_swebench.solvers.oneshot import OneShotSolver
from harness_swebench.solvers.options import AgentOptions, OneShotOptions

__all__ = ["DEFAULT_SOLVER", "SOLVERS", "AgentOptions", "AgentSolver", "OneShotOptions", "OneShotSolver"]

SOLVERS = [OneShotSolver(), AgentSolver()]
DEFAULT_SOLVER = "oneshot"
