"""The swebench plugin under harness.testing's contract suite: the built-in offline set (task source).

The verifier checks (good passes, bad fails, deterministic) use an instance's gold patch (good) and a patch
that changes only its README (bad).
"""

from __future__ import annotations

import harness_swebench

from harness import Candidate
from harness.testing import DomainContract


class TestBuiltinContract(DomainContract):
    plugin = harness_swebench
    domain = "swebench"
    options = {"source": "builtin"}
    bad_options = {"difficulty": "impossible"}
    task_id = "builtin__textkit-1"
    good = staticmethod(lambda task: Candidate(answer=task.data["patch"]))  # the gold patch
    bad = Candidate(
        answer="diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1 +1,2 @@\n # textkit\n+more\n"
    )
