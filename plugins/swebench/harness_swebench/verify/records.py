"""Reading the reporter's signed records (see ``bootstrap.py``) into per-test statuses.

Only lines that start with this run's marker are records; each must carry a valid HMAC of its body
under this run's key, and their sequence numbers must run 0, 1, 2 ... without a gap. Anything else on
stdout (pytest's own output, whatever the code under test prints) is ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field

from harness_swebench.verify.grading import ERROR, FAILED, PASSED, SKIPPED, XFAIL


@dataclass
class RunRecords:
    """What the reporter said about one run."""

    started: bool = False
    finished: bool = False
    exitstatus: int | None = None
    forged: int = 0  # lines with the marker but a bad signature, a bad body or an out-of-order number
    phases: dict[str, dict[str, tuple[str, bool]]] = field(default_factory=dict)  # nodeid -> when -> outcome
    collect_errors: list[str] = field(default_factory=list)


def read_records(stdout: str, marker: str, key: bytes) -> RunRecords:
    out = RunRecords()
    expected = 0
    for line in stdout.splitlines():
        if not line.startswith(marker + " "):
            continue
        body, _, mac = line[len(marker) + 1 :].rpartition(" ")
        good = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
        try:
            rec = json.loads(body) if hmac.compare_digest(mac, good) else None
        except json.JSONDecodeError:
            rec = None
        if not isinstance(rec, dict) or rec.get("seq") != expected:
            out.forged += 1
            continue
        expected += 1
        kind = rec.get("kind")
        if kind == "start":
            out.started = True
        elif kind == "end":
            out.finished, out.exitstatus = True, rec.get("exitstatus")
        elif kind == "collect_error":
            out.collect_errors.append(str(rec.get("nodeid")))
        elif kind == "phase":
            out.phases.setdefault(str(rec["nodeid"]), {})[str(rec["when"])] = (str(rec["outcome"]), bool(rec["xfail"]))
    return out


def status_of(phases: dict[str, tuple[str, bool]]) -> str | None:
    """A test's status as ``pytest -rA`` reports it; None for an XPASS (the official parser drops it)."""
    setup = phases.get("setup", ("passed", False))
    call = phases.get("call")
    teardown = phases.get("teardown", ("passed", False))
    if setup[0] == "failed":
        return ERROR
    if setup[0] == "skipped":
        return XFAIL if setup[1] else SKIPPED
    if call is None:
        return ERROR  # set up but never called: the run broke off
    outcome, xfail = call
    if teardown[0] == "failed":
        return ERROR
    if outcome == "passed":
        return None if xfail else PASSED
    if outcome == "skipped":
        return XFAIL if xfail else SKIPPED
    return FAILED


def status_map(records: RunRecords) -> dict[str, str]:
    """nodeid -> PASSED/FAILED/SKIPPED/ERROR/XFAIL for every test the reporter saw."""
    out: dict[str, str] = {}
    for nodeid, phases in records.phases.items():
        status = status_of(phases)
        if status is not None:
            out[nodeid] = status
    return out
