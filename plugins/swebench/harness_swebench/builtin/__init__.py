"""The built-in offline instance set: small pure-Python repositories written for this project.

Each repository is a real git repository built at run time (:mod:`harness_swebench.repos`), with a
fixed author and fixed dates so its commit ids never change; each instance is an issue of one of them,
in the SWE-bench schema, with a gold patch, a test patch, FAIL_TO_PASS and PASS_TO_PASS.
"""

from __future__ import annotations

from harness_swebench.builtin import duration, iniconf, intervals, inventory, lrucache, numkit, semver, shop, textkit
from harness_swebench.builtin.model import DIFFICULTIES, BuiltinInstance, BuiltinRepo

_MODULES = (textkit, numkit, inventory, duration, shop, iniconf, intervals, semver, lrucache)
REPOS: dict[str, BuiltinRepo] = {m.REPO.name: m.REPO for m in _MODULES}
INSTANCES: dict[str, BuiltinInstance] = {i.instance_id: i for m in _MODULES for i in m.INSTANCES}

__all__ = ["DIFFICULTIES", "INSTANCES", "REPOS", "BuiltinInstance", "BuiltinRepo"]
