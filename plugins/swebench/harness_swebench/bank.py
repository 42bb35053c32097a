"""SWE-bench experiments' result files as banks, and how SWE-bench task ids group (by repository).

The SWE-bench experiments repository keeps, per run, ``evaluation/<split>/<run>/per_instance_details.json``:
``{instance_id: {"resolved": bool, "cost": USD, "api_calls": int}}``. Each run reads as a model named
after its folder, each instance as one attempt.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from harness import Bank, BankEntry, BankFormatError
from harness.bank import is_cost

DETAILS_FILE = "per_instance_details.json"
_INSTANCE_ID = re.compile(r"^(?P<repo>.+)-\d+$")


def repository(task_id: str) -> str:
    """The repository of a SWE-bench instance id (``django__django-11099`` -> ``django__django``)."""
    m = _INSTANCE_ID.match(task_id)
    return m.group("repo") if m else task_id


class ExperimentsFormat:
    """SWE-bench experiments' ``per_instance_details.json`` files (a file, a run, a split or a root)."""

    name = "swebench-experiments"
    description = f"SWE-bench experiments' evaluation/<split>/<run>/{DETAILS_FILE} files"
    domain = "swebench"

    def detect(self, path: Path) -> bool:
        return (path.is_file() and path.name == DETAILS_FILE) or (path.is_dir() and any(path.rglob(DETAILS_FILE)))

    def read(self, path: Path) -> Bank:
        root = Path(path)
        files = [root] if root.is_file() else sorted(root.rglob(DETAILS_FILE))
        if not files:
            raise BankFormatError(f"{root}: no {DETAILS_FILE} files found under this path")
        entries: dict[str, dict[str, BankEntry]] = {}
        for f in files:
            run = f.parent.name
            if run in entries:
                raise BankFormatError(f"{f}: run {run!r} appears twice under {root}")
            entries[run] = read_details(f)
        return Bank(entries)


def read_details(path: Path) -> dict[str, BankEntry]:
    """One run's ``per_instance_details.json``: instance id -> one attempt (resolved or not) and its cost."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BankFormatError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except UnicodeDecodeError as exc:
        raise BankFormatError(f"{path}: not UTF-8 text (byte {exc.start}); expected UTF-8 JSON") from None
    except OSError as exc:
        raise BankFormatError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if not isinstance(data, dict):
        raise BankFormatError(f"{path}: expected an object {{instance_id: {{resolved, cost, api_calls}}}}")
    out: dict[str, BankEntry] = {}
    for instance, row in data.items():
        where = f"{path}: instance {instance!r}"
        if not isinstance(row, dict) or "resolved" not in row or "cost" not in row:
            raise BankFormatError(f"{where}: expected an object with 'resolved' and 'cost'")
        if not isinstance(row["resolved"], bool):
            raise BankFormatError(f"{where}: 'resolved' must be true or false, got {row['resolved']!r}")
        if not is_cost(row["cost"]):
            raise BankFormatError(f"{where}: 'cost' must be a finite number >= 0, got {row['cost']!r}")
        out[instance] = BankEntry(float(row["cost"]), (int(row["resolved"]),))
    return out
