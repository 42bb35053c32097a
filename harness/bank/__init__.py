"""Banks: the attempts of a set of models on a set of tasks, the input of every analysis.

On disk a bank is a folder of ``<model>.jsonl`` files, one line per task:
``{"id": ..., "mean_cost": <USD per attempt>, "attempts": [0, 1, ...]}`` (DESIGN.md). Other result files
are read by the bank formats plugins register (:mod:`harness.bank.formats`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from harness.errors import BankFormatError, HarnessError


@dataclass(frozen=True)
class BankEntry:
    """One model on one task: outcomes of its attempts (1 verified, 0 not) and its mean cost."""

    mean_cost: float
    attempts: tuple[int, ...]

    @property
    def n(self) -> int:
        return len(self.attempts)

    @property
    def c(self) -> int:
        return sum(self.attempts)


@dataclass(frozen=True)
class BankMatrix:
    """A bank as arrays over the tasks every chosen model attempted: what the economics consumes.

    ``n``, ``c`` and ``cost`` have shape (tasks, models): attempts, verified attempts, USD per attempt.
    """

    tasks: tuple[str, ...]
    models: tuple[str, ...]
    n: np.ndarray
    c: np.ndarray
    cost: np.ndarray


def exact_mean(costs: Iterable[float]) -> float:
    """The correctly rounded mean of float costs (so equal costs give exactly that cost back)."""
    values = [Fraction(x) for x in costs]
    if not values:
        return 0.0
    return float(sum(values, Fraction(0)) / len(values))


class Bank:
    """Model -> task id -> :class:`BankEntry`, keeping each model's task order."""

    def __init__(self, entries: Mapping[str, Mapping[str, BankEntry]]) -> None:
        self.entries: dict[str, dict[str, BankEntry]] = {m: dict(t) for m, t in entries.items()}

    @property
    def models(self) -> list[str]:
        return list(self.entries)

    def tasks(self, model: str) -> list[str]:
        return list(self.entries[model])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bank) and self.entries == other.entries

    def __repr__(self) -> str:
        sizes = ", ".join(f"{m}: {len(t)} tasks" for m, t in self.entries.items())
        return f"Bank({sizes})"

    def subset(self, models: Iterable[str]) -> Bank:
        """The bank restricted to ``models`` (in that order); unknown names are a clear error."""
        chosen = list(models)
        missing = [m for m in chosen if m not in self.entries]
        if missing:
            raise HarnessError(f"model(s) {', '.join(missing)} not in the bank (it has: {', '.join(self.models)})")
        return Bank({m: self.entries[m] for m in chosen})

    def matrix(self, models: Iterable[str] | None = None, tasks: Iterable[str] | None = None) -> BankMatrix:
        """Arrays over the intersection of the models' task ids (sorted), optionally filtered."""
        chosen = list(models) if models is not None else self.models
        bank = self.subset(chosen)
        common = set.intersection(*(set(t) for t in bank.entries.values())) if chosen else set()
        if tasks is not None:
            common &= set(tasks)
        ids = tuple(sorted(common))
        shape = (len(ids), len(chosen))
        n = np.zeros(shape, dtype=np.int64)
        c = np.zeros(shape, dtype=np.int64)
        cost = np.zeros(shape, dtype=np.float64)
        for j, m in enumerate(chosen):
            col = bank.entries[m]
            for i, t in enumerate(ids):
                e = col[t]
                n[i, j], c[i, j], cost[i, j] = e.n, e.c, e.mean_cost
        return BankMatrix(ids, tuple(chosen), n, c, cost)

    # ---- JSONL folders -------------------------------------------------------------------------

    def write_jsonl(self, folder: str | Path) -> list[Path]:
        """Write ``<model>.jsonl`` files into ``folder``; returns the paths written."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for model, tasks in self.entries.items():
            path = out / f"{_safe_filename(model)}.jsonl"
            with path.open("w", encoding="utf-8") as fh:
                for task_id, e in tasks.items():
                    row = {"id": task_id, "mean_cost": e.mean_cost, "attempts": list(e.attempts)}
                    fh.write(json.dumps(row) + "\n")
            written.append(path)
        return written

    @classmethod
    def read_jsonl(cls, folder: str | Path) -> Bank:
        """Read a folder of ``<model>.jsonl`` files (or one such file)."""
        root = Path(folder)
        if not root.exists():
            raise BankFormatError(f"{root}: no such file or folder")
        files = [root] if root.is_file() else sorted(root.glob("*.jsonl"))
        if not files:
            raise BankFormatError(f"{root}: no <model>.jsonl files in this folder")
        return cls({f.stem: _read_model_file(f) for f in files})


def _safe_filename(model: str) -> str:
    return model.replace("/", "__")


def _read_model_file(path: Path) -> dict[str, BankEntry]:
    out: dict[str, BankEntry] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BankFormatError(f"{path}: not UTF-8 text (byte {exc.start}); a bank is UTF-8 JSONL") from None
    except OSError as exc:
        raise BankFormatError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BankFormatError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise BankFormatError(f"{where}: expected an object with id, mean_cost, attempts")
        missing = [k for k in ("id", "mean_cost", "attempts") if k not in row]
        if missing:
            raise BankFormatError(f"{where}: missing key(s) {', '.join(missing)}")
        task_id, cost, attempts = row["id"], row["mean_cost"], row["attempts"]
        if not isinstance(task_id, (str, int)) or isinstance(task_id, bool):
            raise BankFormatError(f"{where}: 'id' must be a string, got {task_id!r}")
        if not is_cost(cost):
            raise BankFormatError(f"{where}: 'mean_cost' must be a finite number >= 0, got {cost!r}")
        if not isinstance(attempts, list) or any(a not in (0, 1) or isinstance(a, float) for a in attempts):
            raise BankFormatError(f"{where}: 'attempts' must be a list of 0/1 outcomes, got {attempts!r}")
        key = str(task_id)
        if key in out:
            raise BankFormatError(f"{where}: task {key!r} appears twice")
        out[key] = BankEntry(float(cost), tuple(int(a) for a in attempts))
    return out


def is_cost(x: object) -> bool:
    """A finite, non-negative number of dollars (not a bool)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0
