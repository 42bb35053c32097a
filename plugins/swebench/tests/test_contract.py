"""The swebench plugin under harness.testing's contract suite: the built-in offline set (task source).

The verifier checks (good passes, bad fails, deterministic) run once ``good`` / ``bad`` name a known-good
patch (the instance's gold patch) and a known-bad one for a task of the set.
"""

from __future__ import annotations

import harness_swebench

from harness.testing import DomainContract


class TestBuiltinContract(DomainContract):
    plugin = harness_swebench
    domain = "swebench"
    options = {"source": "builtin"}
    bad_options = {"difficulty": "impossible"}
    skip_reason = "no known-good/known-bad patch named for a swebench task yet"
