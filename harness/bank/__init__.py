"""Banks: the attempts of a set of models on a set of tasks, the input of every analysis.

On disk a bank is a folder of ``<model>.jsonl`` files, one line per task:
``{"id": ..., "mean_cost": <USD per attempt>, "attempts": [0, 1, ...]}`` (DESIGN.md). Two optional keys
make verification imperfect and costly: ``"correct": [1, 0, ...]`` (per attempt, in the order of
``attempts``: whether the candidate was truly correct by hidden tests, while ``attempts`` holds what the
verifier said) and ``"verify_cpu_s"`` (mean CPU seconds the verifier spent per attempt). They are written
only when known, so a bank without them reads and writes exactly as before. Other result files are read
by the bank formats plugins register (:mod:`harness.bank.formats`); the store's Parquet export
(``attempts.parquet``: ``verdict`` and ``correct`` per attempt) reads back with :meth:`Bank.read_parquet`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from harness.errors import BankFormatError, HarnessError


@dataclass(frozen=True)
class BankEntry:
    """One model on one task: verdicts of its attempts (1 verified, 0 not) and its mean cost per attempt.

    ``correct`` (same length as ``attempts``, or ``None`` when unknown) is each attempt's hidden
    correctness; ``verify_cpu_s`` the mean CPU seconds its verification took (``None``: not measured).
    """

    mean_cost: float
    attempts: tuple[int, ...]
    correct: tuple[int, ...] | None = None
    verify_cpu_s: float | None = None

    @property
    def n(self) -> int:
        return len(self.attempts)

    @property
    def c(self) -> int:
        return sum(self.attempts)

    @property
    def good(self) -> int:
        """Verified attempts that are also correct (all verified ones when correctness is unknown)."""
        if self.correct is None:
            return self.c
        return sum(1 for a, k in zip(self.attempts, self.correct, strict=True) if a and k)


@dataclass(frozen=True)
class BankMatrix:
    """A bank as arrays over the tasks every chosen model attempted: what the economics consumes.

    ``n``, ``c`` and ``cost`` have shape (tasks, models): attempts, verified attempts, USD per attempt.
    ``good`` (verified attempts that are also correct) is ``None`` when no entry records correctness
    (verification is then taken as exact); ``verify_cpu_s`` (mean CPU seconds per verification, ``nan``
    where not measured) is ``None`` when nothing was measured.
    """

    tasks: tuple[str, ...]
    models: tuple[str, ...]
    n: np.ndarray
    c: np.ndarray
    cost: np.ndarray
    good: np.ndarray | None = None
    verify_cpu_s: np.ndarray | None = None

    def with_cost(self, cost: np.ndarray) -> BankMatrix:
        """The same bank with other costs per attempt (e.g. verification added)."""
        return replace(self, cost=np.asarray(cost, dtype=np.float64))

    def rows(self, idx: np.ndarray) -> BankMatrix:
        """The bank restricted to the tasks at positions ``idx``."""
        i = np.asarray(idx, dtype=np.int64)

        def part(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a[i]

        return BankMatrix(
            tuple(self.tasks[k] for k in i),
            self.models,
            self.n[i],
            self.c[i],
            self.cost[i],
            part(self.good),
            part(self.verify_cpu_s),
        )


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
        good = np.zeros(shape, dtype=np.int64)
        cost = np.zeros(shape, dtype=np.float64)
        cpu = np.full(shape, np.nan)
        known, timed = False, False
        for j, m in enumerate(chosen):
            col = bank.entries[m]
            for i, t in enumerate(ids):
                e = col[t]
                n[i, j], c[i, j], cost[i, j], good[i, j] = e.n, e.c, e.mean_cost, e.good
                known |= e.correct is not None
                if e.verify_cpu_s is not None:
                    cpu[i, j], timed = e.verify_cpu_s, True
        return BankMatrix(ids, tuple(chosen), n, c, cost, good if known else None, cpu if timed else None)

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
                    row: dict[str, object] = {"id": task_id, "mean_cost": e.mean_cost, "attempts": list(e.attempts)}
                    if e.correct is not None:
                        row["correct"] = list(e.correct)
                    if e.verify_cpu_s is not None:
                        row["verify_cpu_s"] = e.verify_cpu_s
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

    @classmethod
    def from_frame(cls, frame: Any) -> Bank:
        """A bank from a table of attempts (the store's Parquet export): columns ``model``, ``task_id``,
        ``idx``, ``verdict``, ``cost_usd``, and optionally ``correct`` and ``detail`` (JSON text with
        ``verify_cpu_s``). Error attempts are left out, as the store's banks leave them out."""
        if "idx" not in frame.columns and "index" in frame.columns:  # exported before it was named idx
            frame = frame.rename(columns={"index": "idx"})
        need = {"model", "task_id", "idx", "verdict", "cost_usd"}
        missing = sorted(need - set(frame.columns))
        if missing:
            raise BankFormatError(f"attempts table lacks column(s) {', '.join(missing)}")
        rows = frame[frame["verdict"] != "error"].sort_values(["model", "task_id", "idx"])
        groups: dict[str, dict[str, list[tuple[int, float, Any, Any]]]] = {}
        for r in rows.itertuples(index=False):
            d = getattr(r, "detail", None)
            cpu = json.loads(d).get("verify_cpu_s") if isinstance(d, str) and d else None
            ok = getattr(r, "correct", None)
            ok = None if ok is None or (isinstance(ok, float) and math.isnan(ok)) else int(bool(ok))
            groups.setdefault(r.model, {}).setdefault(str(r.task_id), []).append(
                (int(r.verdict == "passed"), float(r.cost_usd), ok, cpu)
            )
        return cls({m: {t: entry_of(v) for t, v in tasks.items()} for m, tasks in groups.items()})

    @classmethod
    def read_parquet(cls, path: str | Path) -> Bank:
        """A bank from an ``attempts.parquet`` written by ``harness export``."""
        import pandas as pd  # only Parquet banks need it

        try:
            return cls.from_frame(pd.read_parquet(path))
        except (OSError, ValueError) as exc:
            raise BankFormatError(f"{path}: cannot read it as Parquet ({exc})") from None


def entry_of(rows: Iterable[tuple[int, float, int | None, float | None]]) -> BankEntry:
    """A bank entry from one task's attempts: (verified 0/1, USD, correct 0/1 or None, CPU s or None).

    Correctness is kept only when every attempt has it (else verification is taken as exact); the CPU
    time is the mean over the attempts that measured it.
    """
    rows = list(rows)
    correct = [k for _, _, k, _ in rows]
    cpu = [float(s) for *_, s in rows if s is not None]
    return BankEntry(
        exact_mean(c for _, c, _, _ in rows),
        tuple(o for o, *_ in rows),
        None if any(k is None for k in correct) else tuple(int(k) for k in correct),
        exact_mean(cpu) if cpu else None,
    )


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
        out[key] = BankEntry(float(cost), tuple(int(a) for a in attempts), *_optional(row, len(attempts), where))
    return out


def _optional(row: dict[str, Any], n: int, where: str) -> tuple[tuple[int, ...] | None, float | None]:
    """The optional ``correct`` and ``verify_cpu_s`` of a bank line, validated."""
    correct = row.get("correct")
    if correct is not None:
        if not isinstance(correct, list) or any(a not in (0, 1) or isinstance(a, float) for a in correct):
            raise BankFormatError(f"{where}: 'correct' must be a list of 0/1 outcomes, got {correct!r}")
        if len(correct) != n:
            raise BankFormatError(f"{where}: 'correct' has {len(correct)} entries, 'attempts' {n}: one per attempt")
        correct = tuple(int(a) for a in correct)
    cpu = row.get("verify_cpu_s")
    if cpu is not None and not is_cost(cpu):
        raise BankFormatError(f"{where}: 'verify_cpu_s' must be a finite number of seconds >= 0, got {cpu!r}")
    return correct, None if cpu is None else float(cpu)


def is_cost(x: object) -> bool:
    """A finite, non-negative number of dollars (not a bool)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0
