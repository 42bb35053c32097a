"""The figures of ``harness analyze --out DIR`` (PNG), one function per figure, drawn with matplotlib (Agg)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from harness.economics.analysis import Analysis
from harness.report import tables

RATE_AXIS = "target solve rate (fraction of tasks solved)"


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _cascade_label(a: Analysis) -> str:
    label = tables.labels_for(a)
    stages = [
        f"{label[m]} {'(rest)' if not math.isfinite(t) else f'≤ ${t:.3g}'}"
        for m, t in zip(a.cascade, a.search.thresholds, strict=True)
        if t > 0
    ]
    return "cascade: " + "\n  → ".join(stages)


def prices_figure(a: Analysis, plt: Any) -> Any:
    label = tables.labels_for(a)
    u = a.targets
    fig, ax = plt.subplots(figsize=(6, 4))
    for j, p in enumerate(a.providers):
        ax.plot(u, a.provider_prices[j], label=label[p])
    ax.plot(u, a.arbitrageur, "k--", lw=2, label=f"arbitrageur, {_cascade_label(a)}")
    ax.plot(u, a.oracle, ":", color="grey", label="oracle bound (outcomes known)")
    ax.set_yscale("log")
    ax.set_xlabel(RATE_AXIS)
    ax.set_ylabel("expected cost per task (USD, log scale)")
    ax.set_title(f"Price of a solve rate ({len(a.curves.tasks)} tasks)")
    ax.legend(fontsize=7)
    return fig


def margins_figure(a: Analysis, plt: Any) -> Any:
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(a.targets, a.margins, lw=2, label=_cascade_label(a))
    ax.plot(a.targets, a.oracle_margins, ":", color="grey", label="oracle bound (outcomes known)")
    ax.set_xlabel(RATE_AXIS)
    ax.set_ylabel("net margin (fraction of market price)")
    ax.set_ylim(0, 1)
    ax.set_title(f"Arbitrage margin ({len(a.curves.tasks)} tasks)")
    ax.legend(fontsize=7)
    return fig


def shares_figure(a: Analysis, plt: Any) -> Any:
    label = tables.labels_for(a)
    fig, ax = plt.subplots(figsize=(6, 4))
    sh = np.nan_to_num(a.shares.with_arbitrage)
    ax.stackplot(a.targets, sh, labels=[label[n] for n in a.shares.names])
    ax.set_xlabel(RATE_AXIS)
    ax.set_ylabel("share of consumer spend (market price)")
    ax.set_ylim(0, 1)
    ax.set_title(f"Revenue shares with arbitrage ({len(a.curves.tasks)} tasks)")
    ax.legend(fontsize=7, loc="lower left")
    return fig


def competition_figure(a: Analysis, plt: Any) -> Any:
    fig, ax = plt.subplots(figsize=(6, 4))
    path = a.at(a.competition.price)
    for k, r in enumerate(a.report_rates):
        ax.plot(np.arange(path.shape[0]), path[:, k], label=f"target solve rate {r:.2f}")
    ax.set_yscale("log")
    ax.set_xlabel("undercutting round")
    ax.set_ylabel("consumer price per task (USD, log scale)")
    ax.set_title(f"Competition between {a.options.competitors} arbitrageurs (undercut {a.options.undercut:g})")
    ax.legend(fontsize=7)
    return fig


def entry_figure(a: Analysis, plt: Any) -> Any:
    ch = a.entry
    assert ch is not None
    names = tables.entry_names(ch)
    lab = tables.labels_for(a)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
    for ax, arb in zip(axes, (False, True), strict=True):
        for k, n in enumerate(names):
            color = f"C{k}"
            name = lab[n] + (" (entrant)" if n == a.options.entrant else "")
            if n != a.options.entrant:
                ax.plot(a.targets, tables._share(ch.shares_before, n, arb), "--", color=color, label=f"{name}, before")
            ax.plot(a.targets, tables._share(ch.shares_after, n, arb), "-", color=color, label=f"{name}, after entry")
        ax.set_xlabel(RATE_AXIS)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title("with arbitrage" if arb else "without arbitrage (cheapest provider takes all)", fontsize=9)
    axes[0].set_ylabel("revenue share (fraction of market price)")
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.suptitle(f"Market entry of {lab[str(a.options.entrant)]}: revenue shares ({len(a.curves.tasks)} tasks)")
    return fig


def gatekeeping_figure(a: Analysis, plt: Any) -> Any:
    ch = a.gatekept
    assert ch is not None
    g = tables.labels_for(a)[str(a.options.gatekeep)]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4))
    for side, res, s, color, lw in (
        ("open market", ch.before, ch.shares_before, "C0", 3.0),
        (f"{g} withheld", ch.after, ch.shares_after, "C3", 1.3),
    ):
        ax.plot(a.targets, s.market, "-", color=color, lw=lw, label=f"market price, {side}")
        ax.plot(a.targets, s.arbitrageur, "--", color=color, lw=lw, label=f"arbitrageur's cost, {side}")
        bx.plot(a.targets, res.best_margins, "-", color=color, lw=lw, label=side)
    ax.set_yscale("log")
    ax.set_xlabel(RATE_AXIS)
    ax.set_ylabel("expected cost per task (USD, log scale)")
    ax.set_title("prices", fontsize=9)
    ax.legend(fontsize=7)
    bx.set_xlabel(RATE_AXIS)
    bx.set_ylabel("net margin (fraction of market price)")
    bx.set_ylim(0, 1)
    bx.set_title("arbitrage margin", fontsize=9)
    bx.legend(fontsize=7)
    fig.suptitle(f"Gatekeeping: {g} not sold, the arbitrageur runs its own ({len(a.curves.tasks)} tasks)")
    return fig


def robust_figure(a: Analysis, plt: Any) -> Any:
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in a.robust:
        mean, p5, p95 = r.margin_band()
        name = "fit on full curves" if r.fit_budget is None else f"fit budget ${r.fit_budget:g} per source"
        (line,) = ax.plot(r.targets, mean, label=f"{name} (mean, 5-95% band)")
        ax.fill_between(r.targets, p5, p95, color=line.get_color(), alpha=0.2)
    ax.plot(a.robust[0].targets, a.robust[0].best_margins, "k--", label="held-out in-domain optimum")
    ax.set_xlabel(RATE_AXIS)
    ax.set_ylabel("held-out net margin (fraction of market price)")
    ax.set_ylim(0, 1)
    ax.set_title(f"Robust fit ({a.robust[0].objective.size} bootstraps): fitted on\n{a.robust_label}", fontsize=9)
    ax.legend(fontsize=7)
    return fig


def figures_for(a: Analysis) -> dict[str, Callable[[Analysis, Any], Any]]:
    """The figures this analysis has, by file name."""
    out: dict[str, Callable[[Analysis, Any], Any]] = {
        "prices.png": prices_figure,
        "margins.png": margins_figure,
        "shares.png": shares_figure,
        "competition.png": competition_figure,
    }
    if a.entry is not None:
        out["entry.png"] = entry_figure
    if a.gatekept is not None:
        out["gatekeeping.png"] = gatekeeping_figure
    if a.robust:
        out["robust.png"] = robust_figure
    return out


def write_figures(a: Analysis, out: Path) -> list[Path]:
    """Every figure of the analysis as PNG into ``out``; returns the files written."""
    plt = _plt()
    files = []
    for name, draw in figures_for(a).items():
        fig = draw(a, plt)
        fig.tight_layout()
        path = out / name
        fig.savefig(path, dpi=150)
        plt.close(fig)
        files.append(path)
    return files
