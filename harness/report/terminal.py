"""The terminal summary of ``harness analyze``: the headline sentences and the tables at the report rates."""

from __future__ import annotations

from rich.console import Console

from harness.economics.analysis import Analysis
from harness.report import tables
from harness.report.summary import headline_lines


def print_analysis(a: Analysis, console: Console) -> None:
    """Providers, the headline, the market at the report rates, shares, entry, gatekeeping, robust fits."""
    label = tables.labels_for(a)
    label[tables.PROFIT] = "profit"
    console.print(tables.models_table(a).rich(label))
    for line in headline_lines(a):
        console.print(line)
    console.print(tables.prices_table(a, a.report_rates).rich(label))
    if a.options.per_rate:
        console.print(tables.per_rate_table(a, a.report_rates).rich(label))
    console.print(tables.shares_table(a, a.report_rates).rich(label))
    if a.verification is not None:
        console.print(tables.verification_table(a, a.report_rates).rich(label))
    if a.costly is not None:
        console.print(tables.verification_cost_table(a, a.report_rates).rich(label))
        c = a.costly
        console.print(f"mean margin: free checks {a.mean_margin:.3f}, paid checks {c.mean_margin:.3f}")
    if a.entry is not None:
        entrant = str(a.options.entrant)
        console.print(tables.entry_table(a, a.report_rates).rich({**label, entrant: label[entrant] + "*"}))
    if a.gatekept is not None:
        console.print(tables.gatekeeping_table(a, a.report_rates).rich(label))
        g = a.gatekept
        console.print(f"mean margin: open {g.before.mean_margin:.3f}, gatekept {g.after.mean_margin:.3f}")
    if a.robust:
        console.print(tables.robust_table(a).rich(label))
