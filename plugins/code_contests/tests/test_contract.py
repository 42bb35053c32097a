"""The code_contests plugin under harness.testing's contract suite: the built-in set and a local file
in the deepmind/code_contests schema (candidates run in the sandbox)."""

from __future__ import annotations

import harness_code_contests

from harness import Candidate
from harness.testing import DomainContract

SUM = "a, b = map(int, input().split())\nprint(a + b)\n"


class TestBuiltinContract(DomainContract):
    plugin = harness_code_contests
    domain = "code_contests"
    options = {"source": "builtin"}
    task_id = "builtin/big-sum"
    good = Candidate(answer=SUM)
    bad = Candidate(answer="a, b = map(int, input().split())\nprint(a - b)\n")
    good_reply = f"Add them.\n```python\n{SUM}```\n"


class TestLocalFileContract(DomainContract):
    plugin = harness_code_contests
    domain = "code_contests"
    options = {"source": "local", "path": "data/code_contests_sample.jsonl"}  # beside this file
    good = Candidate(answer=SUM)  # its first problem: print a + b
    bad = Candidate(answer="print(0)\n")
    bad_options = {"max_hidden_tests": "all"}
