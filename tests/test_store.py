"""The attempt store: identity, never paying twice, transactions, error retries, and kills."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness import Attempt, AttemptKey
from harness.store import Store


def _a(task: str = "t", idx: int = 0, verdict: str = "passed", cost: float = 0.01, **kw) -> Attempt:
    return Attempt("math", task, "m", "fp", idx, verdict, cost, run_id="r1", **kw)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "s.sqlite") as st:
        yield st


def test_round_trip_keeps_every_field(store: Store) -> None:
    a = _a(
        input_tokens=10,
        output_tokens=5,
        latency_s=0.5,
        correct=False,
        params={"temperature": 0.7},
        detail={"tests": [1, 2]},
        prompt="Q?",
        response="A.",
        error_kind=None,
    )
    store.record([a])
    got = store.get(a.key)
    assert got == a
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_existing_attempt_is_not_written_again_but_its_cost_is_kept(store: Store) -> None:
    first = _a(cost=0.01)
    assert store.record([first]) == [first]
    again = _a(cost=0.02, verdict="failed")
    assert store.record([again]) == []  # the stored one stands
    assert store.get(first.key).verdict == "passed"
    assert store.spend() == pytest.approx(0.03)  # but the duplicate's dollars are accounted for
    assert store.completed("math", "m", "fp") == {("t", 0)}


def test_error_is_retried_and_its_cost_kept(store: Store) -> None:
    store.record([_a(verdict="error", error_kind="timeout", cost=0.004)])
    assert store.completed("math", "m", "fp") == set()  # an error is to be retried
    store.record([_a(verdict="failed", cost=0.01)])
    assert store.get(AttemptKey("math", "t", "m", "fp", 0)).verdict == "failed"
    assert store.spend() == pytest.approx(0.014)
    assert store.spend(run_id="r1") == pytest.approx(0.014)
    assert store.bank().entries["m"]["t"].attempts == (0,)


def test_errors_stay_out_of_banks(store: Store) -> None:
    store.record([_a(idx=0, verdict="passed", cost=0.01), _a(idx=1, verdict="error", error_kind="http_500")])
    entry = store.bank().entries["m"]["t"]
    assert entry.attempts == (1,) and entry.mean_cost == 0.01


def test_batch_is_all_or_nothing(store: Store) -> None:
    bad = _a(task="b", verdict="passed", cost=-1.0)  # violates CHECK (cost_usd >= 0)
    with pytest.raises(sqlite3.IntegrityError):
        store.record([_a(task="a"), bad])
    assert store.count() == 0


def test_texts_are_content_addressed(store: Store) -> None:
    store.record([_a(task=f"t{i}", prompt="same prompt", response=f"r{i}") for i in range(3)])
    assert store._db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0] == 4
    assert [a.response for a in store.attempts(with_text=True)] == ["r0", "r1", "r2"]


def test_keep_text_off_stores_no_text(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite", keep_text=False) as st:
        st.record([_a(prompt="secret prompt", response="r")])
        assert st.get(_a().key).prompt is None


def test_filters_and_frame(store: Store) -> None:
    store.record([_a(task="x"), Attempt("code", "y", "m2", "fp", 0, "failed", 0.5, run_id="r2")])
    assert [a.task_id for a in store.attempts(domain="code")] == ["y"]
    assert [a.task_id for a in store.attempts(models=["m"])] == ["x"]
    assert [a.task_id for a in store.attempts(run_id="r2")] == ["y"]
    frame = store.frame()
    assert list(frame["task_id"]) == ["y", "x"] and "prompt" in frame.columns


def test_mixing_fingerprints_is_refused(store: Store) -> None:
    store.record([_a(), Attempt("math", "t", "m", "other", 0, "passed", 0.01)])
    with pytest.raises(Exception, match="several domains/fingerprints"):
        store.bank()
    assert store.bank(fingerprint="other").entries["m"]["t"].attempts == (1,)


def test_unopenable_store_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "not-a-db.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(Exception, match="cannot open the attempt store"):
        Store(path)


WRITER = """
import sys
from harness import Attempt
from harness.store import Store

st = Store(sys.argv[1])
batch, i = int(sys.argv[2]), 0
while True:
    st.record([Attempt("d", f"t{i}-{j}", "m", "fp", j, "passed", 0.001, prompt="p" * 2000,
                       response=f"r{i}-{j}") for j in range(batch)])
    i += 1
    print(i, flush=True)
"""


def test_kill_9_mid_write_loses_nothing_committed_and_corrupts_nothing(tmp_path: Path) -> None:
    db, batch = tmp_path / "k.sqlite", 7
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(WRITER))
    for round_ in range(3):
        proc = subprocess.Popen([sys.executable, str(script), str(db), str(batch)], stdout=subprocess.PIPE, text=True)
        committed = 0
        deadline = time.time() + 30
        while committed < 20 + 10 * round_ and time.time() < deadline:
            committed = int(proc.stdout.readline())
        os.kill(proc.pid, signal.SIGKILL)  # mid-write: the writer never pauses
        proc.wait()
        with Store(db) as st:
            assert st._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            n = st.count()
            assert n % batch == 0, "a half-written batch survived"
            assert n >= committed * batch, "a committed batch was lost"
            assert all(a.response is not None for a in st.attempts(with_text=True))
