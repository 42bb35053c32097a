"""One table, three renderings: JSON records, a CSV file and a terminal table, from the same rows.

A :class:`Table` is built once by a builder in :mod:`harness.report.tables`; its one list of
:class:`Column` s names every value (the JSON key and CSV header) and says how to show it on a terminal.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table as RichTable

from harness.report.format import fmt_frac, fmt_usd, json_number

# how each kind of value reads on a terminal
_SHOW: dict[str, Callable[[Any], str]] = {
    "text": lambda v: "" if v is None else str(v),
    "model": lambda v: "" if v is None else str(v),
    "int": lambda v: "-" if v is None else f"{int(v)}",
    "usd": fmt_usd,
    "threshold": lambda v: "rest" if v is not None and not math.isfinite(float(v)) else fmt_usd(v),
    "frac": lambda v: fmt_frac(v, 3),
    "rate": lambda v: fmt_frac(v, 3),
    "budget": lambda v: "full" if v is None else fmt_usd(v, dollar=True),
    "count": lambda v: "-" if v is None or not math.isfinite(float(v)) else f"{float(v):.0f}",
}


@dataclass(frozen=True)
class Column:
    """A column: ``key`` (JSON key and CSV header), ``label`` (terminal header), ``kind`` (how to show it).

    Kinds: ``text``, ``model`` (a model name, shortened on the terminal), ``int``, ``usd``, ``threshold``
    (USD, ``inf`` = the rest of the budget), ``frac`` (a
    fraction such as a margin or share), ``rate`` (a solve rate), ``budget`` (USD, ``None`` = full), ``count``.
    ``terminal=False`` keeps a column out of the terminal table (CSV and JSON still carry it).
    """

    key: str
    label: str = ""
    kind: str = "frac"
    terminal: bool = True

    def show(self, value: Any) -> str:
        return _SHOW[self.kind](value)


@dataclass
class Table:
    """Rows (tuples in ``columns`` order) with a title; ``group`` blanks a repeated first cell on terminals."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    caption: str = ""
    group: bool = False

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def column(self, key: str) -> list[Any]:
        """Every row's value in column ``key``."""
        i = self.keys.index(key)
        return [r[i] for r in self.rows]

    def records(self) -> list[dict[str, Any]]:
        """JSON-ready rows: one object per row, non-finite numbers as ``null``."""
        return [{k: _json_value(v) for k, v in zip(self.keys, r, strict=True)} for r in self.rows]

    def write_csv(self, path: Path) -> Path:
        """The rows as CSV with the column keys as header (``budget`` columns write ``full`` for ``None``)."""
        budget = [c.kind == "budget" for c in self.columns]
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(self.keys)
            for r in self.rows:
                w.writerow(["full" if b and v is None else _csv_value(v) for b, v in zip(budget, r, strict=True)])
        return path

    def rich(self, names: Mapping[str, str] | None = None) -> RichTable:
        """The terminal table: ``terminal`` columns only, model names through ``names`` (short labels)."""
        shown = [(i, c) for i, c in enumerate(self.columns) if c.terminal]
        t = RichTable(title=self.title, caption=self.caption or None)
        names = names or {}
        for _, c in shown:
            label = names.get(c.label, c.label) or c.key
            # values fold onto a second line rather than being cut short on a narrow terminal
            t.add_column(label, justify="left" if c.kind in ("text", "model") else "right", overflow="fold")
        for k, r in enumerate(self.rows):
            cells = []
            for i, c in shown:
                v = r[i]
                cells.append(names.get(v, str(v)) if c.kind == "model" and v is not None else c.show(v))
            first_of_group = k == 0 or r[0] != self.rows[k - 1][0]
            if self.group and not first_of_group:
                cells[0] = ""
            last_of_group = k == len(self.rows) - 1 or r[0] != self.rows[k + 1][0]
            t.add_row(*cells, end_section=self.group and last_of_group)
        return t


def _json_value(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return [_json_value(x) for x in v]
    if hasattr(v, "item"):  # numpy scalars
        v = v.item()
    if isinstance(v, (str, bool, int)) or v is None:
        return v
    try:
        return json_number(float(v))
    except (TypeError, ValueError):
        return str(v)


def _csv_value(v: Any) -> Any:
    """A CSV cell: floats with 15 significant digits (no float noise), ``inf``/``nan`` as such."""
    if v is None:
        return ""
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and math.isfinite(v):
        return float(f"{v:.15g}")
    return v


def table_of(name: str, title: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]], **kw: Any) -> Table:
    """A :class:`Table` from sequences (rows are copied as tuples)."""
    return Table(name, title, tuple(columns), [tuple(r) for r in rows], **kw)
