"""The attempt store: an embedded SQLite database (WAL), one row per attempt.

The identity (domain, task, model, fingerprint, index) is the primary key: an attempt that exists is
returned instead of paid for again. Each batch is one transaction, so a process killed at any point
leaves whole attempts or none. An ``error`` attempt (infrastructure failure) is retried by a later run;
the row it replaces moves to ``superseded`` so the dollars it cost are never lost from the accounts.
Prompts and responses are kept once each in ``blobs``, addressed by their SHA-256.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from harness.bank import Bank, entry_of
from harness.errors import HarnessError
from harness.store.attempt import Attempt, AttemptKey

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 1
IMPORTED_FINGERPRINT = "imported"

_COLUMNS = (
    "domain",
    "task_id",
    "model",
    "fingerprint",
    "idx",
    "run_id",
    "verdict",
    "error_kind",
    "correct",
    "cost_usd",
    "input_tokens",
    "output_tokens",
    "latency_s",
    "params",
    "detail",
    "prompt_sha",
    "response_sha",
    "started_at",
    "finished_at",
)

_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    domain TEXT NOT NULL,
    task_id TEXT NOT NULL,
    model TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    idx INTEGER NOT NULL CHECK (idx >= 0),
    run_id TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('passed', 'failed', 'error')),
    error_kind TEXT,
    correct INTEGER CHECK (correct IN (0, 1)),
    cost_usd REAL NOT NULL CHECK (cost_usd >= 0),
    input_tokens INTEGER,
    output_tokens INTEGER,
    latency_s REAL,
    params TEXT NOT NULL,
    detail TEXT NOT NULL,
    prompt_sha TEXT,
    response_sha TEXT,
    started_at REAL NOT NULL,
    finished_at REAL NOT NULL{extra}
)"""

_NOW = "((julianday('now') - 2440587.5) * 86400.0)"  # unix seconds; unixepoch() needs SQLite 3.38
_SCHEMA = [
    _TABLE.format(name="attempts", extra=",\n    PRIMARY KEY (domain, task_id, model, fingerprint, idx)"),
    _TABLE.format(name="superseded", extra=f",\n    superseded_at REAL NOT NULL DEFAULT {_NOW}"),
    "CREATE TABLE IF NOT EXISTS blobs (sha TEXT PRIMARY KEY, text TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS attempts_by_run ON attempts (run_id)",
]


_F = TypeVar("_F", bound=Callable[..., Any])


def _unreadable(path: Path, exc: BaseException) -> HarnessError:
    return HarnessError(
        f"{path}: the attempt store is damaged or cannot be used ({exc}); restore it from a backup, "
        "or point [store] path in harness.toml at a new file"
    )


def _guarded(method: _F) -> _F:
    """A damaged or unusable database file (not a bug of ours) is bad input: one line, exit code 2."""

    @functools.wraps(method)
    def call(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.DatabaseError as exc:
            if type(exc) not in (sqlite3.DatabaseError, sqlite3.OperationalError):
                raise  # IntegrityError, ProgrammingError ...: our own bug, an internal error
            raise _unreadable(self.path, exc) from None

    return call  # type: ignore[return-value]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Store:
    """An attempt store on one SQLite file. Safe to open from several processes (WAL)."""

    def __init__(self, path: str | Path, keep_text: bool = True) -> None:
        self.path = Path(path)
        self.keep_text = keep_text
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            with self._tx():
                for stmt in _SCHEMA:
                    self._db.execute(stmt)
                self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            version = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
        except (sqlite3.DatabaseError, OSError) as exc:
            raise HarnessError(
                f"{self.path}: cannot open the attempt store ({exc}); check [store] path in harness.toml"
            ) from None
        if str(version) != str(SCHEMA_VERSION):
            raise HarnessError(f"{self.path}: store schema version {version}, this harness reads {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> sqlite3.Connection:
        return _Transaction(self._db)  # type: ignore[return-value]

    # ---- writing -------------------------------------------------------------------------------

    @_guarded
    def record(self, attempts: Iterable[Attempt]) -> list[Attempt]:
        """Write a batch in one transaction; returns the attempts that are now stored.

        An attempt whose identity is stored already is not written again unless the stored one is an
        ``error`` (then it replaces it, and the error row moves to ``superseded``). A duplicate of a
        stored passed/failed attempt goes to ``superseded`` too, so its cost stays accounted for.
        """
        written: list[Attempt] = []
        with self._tx():
            for a in attempts:
                row = self._row(a)
                key = (a.domain, a.task_id, a.model, a.fingerprint, a.index)
                old = self._db.execute(
                    "SELECT verdict FROM attempts WHERE domain=? AND task_id=? AND model=? AND fingerprint=? AND idx=?",
                    key,
                ).fetchone()
                if old is not None and old[0] != "error":
                    self._insert("superseded", row)
                    continue
                if old is not None:
                    cols = ", ".join(_COLUMNS)
                    self._db.execute(
                        f"INSERT INTO superseded ({cols}) SELECT {cols} FROM attempts WHERE domain=? "
                        "AND task_id=? AND model=? AND fingerprint=? AND idx=?",
                        key,
                    )
                    self._db.execute(
                        "DELETE FROM attempts WHERE domain=? AND task_id=? AND model=? AND fingerprint=? AND idx=?",
                        key,
                    )
                self._insert("attempts", row)
                written.append(a)
        return written

    def _insert(self, table: str, row: Sequence[Any]) -> None:
        marks = ", ".join("?" * len(_COLUMNS))
        self._db.execute(f"INSERT INTO {table} ({', '.join(_COLUMNS)}) VALUES ({marks})", row)

    def _blob(self, text: str | None) -> str | None:
        if text is None or not self.keep_text:
            return None
        sha = _sha(text)
        self._db.execute("INSERT OR IGNORE INTO blobs VALUES (?, ?)", (sha, text))
        return sha

    def _row(self, a: Attempt) -> tuple[Any, ...]:
        return (
            a.domain,
            a.task_id,
            a.model,
            a.fingerprint,
            a.index,
            a.run_id,
            a.verdict,
            a.error_kind,
            None if a.correct is None else int(a.correct),
            float(a.cost_usd),
            a.input_tokens,
            a.output_tokens,
            a.latency_s,
            json.dumps(dict(a.params), sort_keys=True, default=str),
            json.dumps(dict(a.detail), sort_keys=True, default=str),
            self._blob(a.prompt),
            self._blob(a.response),
            a.started_at,
            a.finished_at,
        )

    # ---- reading -------------------------------------------------------------------------------

    @_guarded
    def get(self, key: AttemptKey) -> Attempt | None:
        """The stored attempt with this identity, or None."""
        rows = self._select(
            "WHERE a.domain=? AND a.task_id=? AND a.model=? AND a.fingerprint=? AND a.idx=?",
            (key.domain, key.task_id, key.model, key.fingerprint, key.index),
        )
        return rows[0] if rows else None

    @_guarded
    def completed(self, domain: str, model: str, fingerprint: str) -> set[tuple[str, int]]:
        """(task id, index) of every non-error attempt: what a resumed collection must not pay again."""
        cur = self._db.execute(
            "SELECT task_id, idx FROM attempts WHERE domain=? AND model=? AND fingerprint=? AND verdict != 'error'",
            (domain, model, fingerprint),
        )
        return {(t, i) for t, i in cur}

    @_guarded
    def attempts(
        self,
        domain: str | None = None,
        models: Sequence[str] | None = None,
        run_id: str | None = None,
        fingerprint: str | None = None,
        with_text: bool = False,
    ) -> list[Attempt]:
        """Stored attempts matching the filters, ordered by domain, model, task and index."""
        where, args = _filters(domain, models, run_id, fingerprint, prefix="a.")
        return self._select(where, args, with_text)

    def _select(self, where: str, args: Sequence[Any], with_text: bool = True) -> list[Attempt]:
        cols = ", ".join(f"a.{c}" for c in _COLUMNS)
        text = ", p.text, r.text" if with_text else ", NULL, NULL"
        joins = (
            " LEFT JOIN blobs p ON p.sha = a.prompt_sha LEFT JOIN blobs r ON r.sha = a.response_sha"
            if with_text
            else ""
        )
        sql = (
            f"SELECT {cols}{text} FROM attempts a{joins} {where} "
            "ORDER BY a.domain, a.model, a.task_id, a.fingerprint, a.idx"
        )
        return [_attempt(r) for r in self._db.execute(sql, args)]

    @_guarded
    def frame(
        self, domain: str | None = None, models: Sequence[str] | None = None, run_id: str | None = None
    ) -> pd.DataFrame:
        """Every column of the matching attempts as a DataFrame (texts included). The attempt's index is
        column ``idx``, as in the store's tables (``index`` is an SQL keyword), so the exported Parquet
        and the SQLite file name it alike; :attr:`Attempt.index` is the same number."""
        import pandas as pd  # only exports need it; keeps the command line quick to start

        rows = [a.to_dict() for a in self.attempts(domain, models, run_id, with_text=True)]
        cols = list(Attempt.__dataclass_fields__)
        df = pd.DataFrame(rows, columns=cols).rename(columns={"index": "idx"})
        for c in ("params", "detail"):
            df[c] = df[c].map(lambda d: json.dumps(dict(d), sort_keys=True))
        return df

    @_guarded
    def spend(self, run_id: str | None = None) -> float:
        """Dollars billed, including errors and superseded attempts (nothing paid is ever lost)."""
        total = 0.0
        for table in ("attempts", "superseded"):
            where = " WHERE run_id=?" if run_id else ""
            total += self._db.execute(
                f"SELECT COALESCE(SUM(cost_usd), 0) FROM {table}{where}", (run_id,) if run_id else ()
            ).fetchone()[0]
        return total

    @_guarded
    def domains(
        self, models: Sequence[str] | None = None, run_id: str | None = None, fingerprint: str | None = None
    ) -> dict[str, int]:
        """The domains holding non-error attempts that match the filters, each with its number of models
        (so a command can name what the store holds when a filter matches nothing)."""
        where, args = _filters(None, models, run_id, fingerprint)
        where += (" AND " if where else "WHERE ") + "verdict != 'error'"
        cur = self._db.execute(
            f"SELECT domain, COUNT(DISTINCT model) FROM attempts {where} GROUP BY domain ORDER BY domain", args
        )
        return {d: n for d, n in cur}

    @_guarded
    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]

    # ---- banks ---------------------------------------------------------------------------------

    @_guarded
    def bank(
        self,
        domain: str | None = None,
        models: Sequence[str] | None = None,
        run_id: str | None = None,
        fingerprint: str | None = None,
    ) -> Bank:
        """The non-error attempts as a bank: model -> task -> outcomes and exact mean cost.

        Errors are infrastructure failures, not attempts of the model, so they are left out of banks
        (their dollars stay in :meth:`spend`). A model stored under several fingerprints or domains
        must be narrowed with ``fingerprint``/``domain``: mixing experiments would be silently wrong.
        """
        where, args = _filters(domain, models, run_id, fingerprint)
        where += (" AND " if where else "WHERE ") + "verdict != 'error'"
        cur = self._db.execute(
            "SELECT model, domain, fingerprint, task_id, idx, verdict, cost_usd, correct, "
            f"json_extract(detail, '$.verify_cpu_s') FROM attempts {where} ORDER BY model, task_id, idx",
            args,
        )
        groups: dict[str, dict[str, list[tuple[int, float, int | None, float | None]]]] = {}
        origin: dict[str, set[tuple[str, str]]] = {}
        for model, dom, fp, task, _idx, verdict, cost, correct, cpu in cur:
            origin.setdefault(model, set()).add((dom, fp))
            groups.setdefault(model, {}).setdefault(task, []).append((int(verdict == "passed"), cost, correct, cpu))
        for model, seen in origin.items():
            if len(seen) > 1:
                listed = ", ".join(f"{d}/{f}" for d, f in sorted(seen))
                raise HarnessError(
                    f"model {model!r} has attempts under several domains/fingerprints ({listed}); "
                    "choose one with --domain / --fingerprint"
                )
        order = list(models) if models else sorted(groups)
        return Bank({m: {t: entry_of(rows) for t, rows in groups[m].items()} for m in order if m in groups})

    @_guarded
    def import_bank(self, bank: Bank, domain: str, run_id: str) -> int:
        """Store a bank's outcomes as attempts (each at the task's mean cost); returns how many.

        Attempts imported before are skipped, not superseded: nothing was paid for them here, so a
        repeated import must not add their cost to :meth:`spend` again.
        """
        stored = {m: self.completed(domain, m, IMPORTED_FINGERPRINT) for m in bank.entries}
        batch = [
            Attempt(
                domain=domain,
                task_id=task,
                model=model,
                fingerprint=IMPORTED_FINGERPRINT,
                index=i,
                verdict="passed" if o else "failed",
                cost_usd=e.mean_cost,
                correct=None if e.correct is None else bool(e.correct[i]),
                run_id=run_id,
                detail={
                    "source": "bank import",
                    **({} if e.verify_cpu_s is None else {"verify_cpu_s": e.verify_cpu_s}),
                },
                started_at=0.0,
                finished_at=0.0,
            )
            for model, tasks in bank.entries.items()
            for task, e in tasks.items()
            for i, o in enumerate(e.attempts)
            if (task, i) not in stored[model]
        ]
        return len(self.record(batch))


def _filters(
    domain: str | None, models: Sequence[str] | None, run_id: str | None, fingerprint: str | None, prefix: str = ""
) -> tuple[str, list[Any]]:
    parts: list[str] = []
    args: list[Any] = []
    for column, value in (("domain", domain), ("run_id", run_id), ("fingerprint", fingerprint)):
        if value:
            parts.append(f"{prefix}{column}=?")
            args.append(value)
    if models:
        parts.append(f"{prefix}model IN ({', '.join('?' * len(models))})")
        args.extend(models)
    return ("WHERE " + " AND ".join(parts) if parts else ""), args


def _attempt(r: Sequence[Any]) -> Attempt:
    d = dict(zip(_COLUMNS, r[: len(_COLUMNS)], strict=True))
    return Attempt(
        domain=d["domain"],
        task_id=d["task_id"],
        model=d["model"],
        fingerprint=d["fingerprint"],
        index=d["idx"],
        verdict=d["verdict"],
        cost_usd=d["cost_usd"],
        run_id=d["run_id"],
        input_tokens=d["input_tokens"],
        output_tokens=d["output_tokens"],
        latency_s=d["latency_s"],
        error_kind=d["error_kind"],
        correct=None if d["correct"] is None else bool(d["correct"]),
        params=json.loads(d["params"]),
        detail=json.loads(d["detail"]),
        prompt=r[-2],
        response=r[-1],
        started_at=d["started_at"],
        finished_at=d["finished_at"],
    )


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (autocommit connection)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if exc_type is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")
