"""The swebench plugin's bank format (SWE-bench experiments' per-instance files) and task groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from harness_swebench.bank import ExperimentsFormat, repository

from harness import BankFormatError
from harness.bank.formats import read_bank

SWEBENCH_EVAL = Path(__file__).resolve().parents[4] / "shared" / "data" / "swebench-bash-only" / "evaluation"


def test_repository_of_swebench_ids():
    assert repository("django__django-11099") == "django__django"
    assert repository("scikit-learn__scikit-learn-25747") == "scikit-learn__scikit-learn"
    assert repository("no-number") == "no-number"


def test_the_real_experiments_read_through_the_registered_format():
    if not SWEBENCH_EVAL.is_dir():
        pytest.skip("../shared/data/swebench-bash-only is not beside the project")
    bank = read_bank(SWEBENCH_EVAL)  # found by detect(), as `harness import` finds it
    assert len(bank.models) >= 7 and all(len(bank.tasks(m)) == 500 for m in bank.models)


def test_malformed_swebench_file_names_file_and_instance(tmp_path: Path) -> None:
    run = tmp_path / "evaluation" / "verified" / "my-run"
    run.mkdir(parents=True)
    f = run / "per_instance_details.json"
    f.write_text(
        json.dumps(
            {"x__y-1": {"resolved": True, "cost": 0.5, "api_calls": 3}, "x__y-2": {"resolved": "yes", "cost": 0.5}}
        )
    )
    with pytest.raises(BankFormatError, match=r"my-run/per_instance_details.json: instance 'x__y-2': 'resolved'"):
        ExperimentsFormat().read(tmp_path)
    f.write_text('{"x": {"resolved": true,\n "cost": }')
    with pytest.raises(BankFormatError, match=r"per_instance_details.json:2: not valid JSON"):
        ExperimentsFormat().read(tmp_path / "evaluation")
