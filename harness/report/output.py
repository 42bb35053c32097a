"""``harness analyze --out DIR``: every table as CSV (all target solve rates) and every figure as PNG."""

from __future__ import annotations

from pathlib import Path

from harness.economics.analysis import Analysis
from harness.errors import HarnessError
from harness.report import tables
from harness.report.figures import write_figures
from harness.report.table import Table


def csv_tables(a: Analysis) -> list[Table]:
    """The tables written as CSV files, at every target solve rate."""
    out = [
        tables.models_table(a),
        tables.curves_table(a),
        tables.prices_table(a),
        tables.search_table(a),
        tables.shares_table(a),
        tables.spend_table(a),
        tables.competition_table(a),
    ]
    if a.options.per_rate:
        out.append(tables.per_rate_table(a))
    if a.verification is not None:
        out.append(tables.verification_table(a))
    if a.costly is not None:
        out.append(tables.verification_cost_table(a))
    if a.robust:
        out += [tables.robust_table(a), tables.robust_band_table(a)]
    if a.entry is not None:
        out.append(tables.entry_table(a))
    if a.gatekept is not None:
        out.append(tables.gatekeeping_table(a))
    return out


def write_outputs(a: Analysis, out: Path) -> list[Path]:
    """CSV tables and PNG figures into ``out``; returns the files written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise HarnessError(f"{out}: not a folder; choose another --out folder") from None
    files = [t.write_csv(out / f"{t.name}.csv") for t in csv_tables(a)]
    return files + write_figures(a, out)
