"""The math plugin under harness.testing's contract suite: the offline generator and the real GSM8K test set."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import Candidate
from harness.testing import DomainContract

import harness_math

GSM8K = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "gsm8k" / "test.jsonl"


def _wrong(task) -> Candidate:
    return Candidate(answer=task.data["answer"] + "1")  # '18' -> '181': a number, and not the answer


class TestGeneratorContract(DomainContract):
    plugin = harness_math
    domain = "math"
    options = {"source": "generator", "seed": 3}
    good = staticmethod(lambda task: Candidate(answer=task.data["answer"]))
    bad = staticmethod(_wrong)
    good_reply = staticmethod(lambda task: task.data["solution"])  # the worked solution, '#### 4' last


@pytest.mark.skipif(not GSM8K.is_file(), reason="../shared/data/gsm8k is not beside the project")
class TestGsm8kContract(DomainContract):
    plugin = harness_math
    domain = "math"
    options = {"source": "gsm8k", "path": str(GSM8K)}
    good = staticmethod(lambda task: Candidate(answer=task.data["answer"]))
    bad = staticmethod(_wrong)
    bad_options = {"answer_format": "roman"}
