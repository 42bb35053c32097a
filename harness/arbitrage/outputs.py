"""What a run writes with ``--out DIR``: the ledger as CSV, the summary as JSON, and two figures
(cumulative profit over the tasks served; spend by model)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from harness.arbitrage.ledger import Ledger
from harness.errors import HarnessError


def write_outputs(ledger: Ledger, summary: dict[str, Any], out: Path) -> list[Path]:
    """Write ledger.csv, summary.json, cumulative_profit.png and spend_by_model.png into ``out``."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        files = [_csv(ledger, out / "ledger.csv"), out / "summary.json"]
        files[1].write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        if ledger.records:
            files += _figures(ledger, out)
    except OSError as exc:
        raise HarnessError(
            f"{out}: cannot write the run's outputs there ({exc.strerror or exc}); choose another --out"
        ) from None
    return files


def _csv(ledger: Ledger, path: Path) -> Path:
    rows = [r.row(ledger.models) for r in ledger.records]
    with path.open("w", newline="", encoding="utf-8") as fh:
        if rows:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    return path


def _figures(ledger: Ledger, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    recs = ledger.records
    x = np.arange(1, len(recs) + 1)
    fig, ax = plt.subplots(figsize=(5.0, 3.2), constrained_layout=True)
    ax.plot(x, np.cumsum([r.revenue for r in recs]), label="revenue", color="tab:green")
    ax.plot(x, np.cumsum([r.cost for r in recs]), label="cost", color="tab:red")
    ax.plot(x, np.cumsum([r.profit for r in recs]), label="profit", color="black", lw=2)
    ax.axhline(0, color="grey", lw=0.6)
    ax.set_xlabel("tasks served")
    ax.set_ylabel("USD (cumulative)")
    ax.set_title(f"{ledger.quote.pricing} pricing: cumulative profit")
    ax.legend(frameon=False, fontsize=8)
    profit = out / "cumulative_profit.png"
    fig.savefig(profit, dpi=150)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5.0, 3.2), constrained_layout=True)
    spend = [sum(r.spend.get(m, 0.0) for r in recs) for m in ledger.models]
    bars = ax.bar(range(len(spend)), spend, color="tab:blue")
    ax.set_xticks(range(len(spend)), [_short(m) for m in ledger.models], rotation=15, ha="right", fontsize=8)
    ax.bar_label(bars, labels=[f"${s:.3g}" for s in spend], fontsize=8)
    ax.set_ylabel("USD spent")
    ax.set_title("spend by model")
    by_model = out / "spend_by_model.png"
    fig.savefig(by_model, dpi=150)
    plt.close(fig)
    return [profit, by_model]


def _short(name: str, width: int = 28) -> str:
    return name if len(name) <= width else "..." + name[-(width - 3) :]
