"""Fixtures of the run tests: the fake server and toy domain of tests/support, and synthetic banks."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from collect_fixtures import _fake_key, fake_server  # noqa: E402, F401
from synthetic_banks import synthetic_bank  # noqa: E402

from harness.bank import Bank  # noqa: E402

SWEBENCH_EVAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "swebench-bash-only" / "evaluation"


@pytest.fixture(scope="session")
def synth() -> Bank:
    return synthetic_bank()


@pytest.fixture(scope="session")
def swe_eval() -> Path:
    if not SWEBENCH_EVAL.is_dir():
        pytest.skip("../shared/data/swebench-bash-only is not beside the project")
    return SWEBENCH_EVAL
