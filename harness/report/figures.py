"""The figures of ``harness analyze --out DIR`` (PNG), sized and lettered for a paper's column width.

``market.png`` is the paper's three-panel market figure (7 in wide: two columns): (a) the price of each
provider and of the arbitrageur against the solve rate on a log price axis, (b) revenue shares with
arbitrage (stacked) and without it (the strip on top: the cheapest provider takes all), (c) the margin of
the best single allocation, the per-rate envelope and the oracle bound. Each panel is also written alone
(``prices.png``, ``shares.png``, ``margins.png``, one column wide), by the same drawing function.
Conventions: each model keeps its colour in every panel; the arbitrageur is a wide translucent band
*under* the providers, so a provider whose price it matches stays visible; a solve rate a curve cannot
reach is a gap, never a spike; margins of 0 sit above the x axis (the axis starts below 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from harness.economics.analysis import Analysis
from harness.economics.shares import PROFIT
from harness.report import tables

RATE_AXIS = "target solve rate"
STYLE = {
    "font.size": 7.5,
    "axes.titlesize": 8,
    "axes.labelsize": 7.5,
    "legend.fontsize": 6.5,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "lines.linewidth": 1.2,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
}
COLUMN = 3.4  # inches: one column of a two-column paper
WIDE = 7.0
PAPER = ("market.png", "robust.png")  # written at 300 dpi for print; the others at 200


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _gap(y: np.ndarray) -> np.ndarray:
    """Non-finite values as NaN, so matplotlib leaves a gap there."""
    y = np.asarray(y, dtype=np.float64)
    return np.where(np.isfinite(y), y, np.nan)


def colors(a: Analysis) -> dict[str, str]:
    """One colour per model, the same in every panel; the arbitrageur's profit is black."""
    out = {m: f"C{k % 10}" for k, m in enumerate(a.curves.models)}
    out[PROFIT] = "0.15"
    return out


def log_ticks(ax: Any) -> None:
    """Label minor ticks too when a log axis spans too little for its decades to show (< 2 decades): every
    one below 0.65 decades, else only 2, 3, 5 (below 1.2) or 2, 5, so that labels never run into each
    other (matplotlib's own choice put 3x10^-1 on 4x10^-1 at column height)."""
    from matplotlib.ticker import FuncFormatter

    lo, hi = ax.get_ylim()
    if not (lo > 0 and math.log10(hi / lo) < 2):
        return
    span = math.log10(hi / lo)
    keep = None if span < 0.65 else (2, 3, 5) if span < 1.2 else (2, 5)

    def label(v: float, _: Any) -> str:
        e = math.floor(math.log10(v) + 1e-9)
        m = round(v / 10.0**e)
        return "" if keep is not None and m not in keep else f"$\\mathdefault{{{m}\\times10^{{{e}}}}}$"

    ax.yaxis.set_minor_formatter(FuncFormatter(label))


def budget_axis(ax: Any, budgets: np.ndarray) -> None:
    """A log x axis labelled at the fit budgets themselves ($2, $20): matplotlib's minor labels of an
    axis spanning about a decade (3x10^0, 4x10^0) overlap at column width."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(budgets))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _stages(a: Analysis) -> str:
    """The best single allocation in words (dollar signs escaped: matplotlib reads $...$ as maths)."""
    label = tables.labels_for(a)
    dollar = "\\$"
    parts = [
        f"{label[m]} " + ("rest" if not math.isfinite(t) else f"{dollar}{t:.3g}")
        for m, t in zip(a.cascade, a.search.thresholds, strict=True)
        if t > 0
    ]
    return " → ".join(parts)


def _legend_below(ax: Any, ncol: int = 2) -> None:
    """The legend under the axes, where it cannot cover data."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.24), ncol=ncol, handlelength=1.8)


def prices_panel(a: Analysis, ax: Any) -> None:
    """(a) price of a solve rate: providers, the arbitrageur underneath, the oracle bound."""
    label, color = tables.labels_for(a), colors(a)
    u = a.targets
    arb = "arbitrageur (per-rate)" if a.options.per_rate else "arbitrageur"
    ax.plot(u, _gap(a.arbitrageur), color="0.1", lw=4.0, alpha=0.28, solid_capstyle="butt", label=arb, zorder=2)
    for j, p in enumerate(a.providers):
        ax.plot(u, _gap(a.provider_prices[j]), color=color[p], label=label[p], zorder=3)
    ax.plot(u, _gap(a.oracle), ":", color="0.45", label="oracle bound", zorder=3)
    ax.set_yscale("log")
    ax.set_xlabel(RATE_AXIS)
    ax.set_ylabel("price per task (USD)")
    ax.set_title("(a) price of a solve rate", loc="left")
    log_ticks(ax)


def shares_panel(a: Analysis, ax: Any) -> None:
    """(b) revenue shares: stacked with arbitrage; the strip on top is who takes all without it."""
    label, color = tables.labels_for(a), colors(a)
    label[PROFIT] = "arbitrageur's profit"
    u, s = a.targets, a.shares
    with_ = np.nan_to_num(s.with_arbitrage)
    ax.stackplot(u, with_, colors=[color[n] for n in s.names], labels=[label[n] for n in s.names], alpha=0.85, lw=0)
    for k, n in enumerate(s.names):
        alone = np.nan_to_num(s.without[k]) > 0.5
        if alone.any():
            ax.fill_between(u, 1.04, 1.12, where=alone, color=color[n], lw=0, step="mid")
    ax.text(u[0], 1.13, "without arbitrage", fontsize=6, va="bottom")
    ax.set_ylim(0, 1.2)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel(RATE_AXIS)
    ax.set_ylabel("share of the market price")
    ax.set_title("(b) revenue shares with arbitrage", loc="left")


def margins_panel(a: Analysis, ax: Any) -> None:
    """(c) margin: best single allocation, per-rate envelope, oracle bound; 0 drawn above the x axis."""
    u = a.targets
    ax.axhline(0.0, color="0.8", lw=0.6, zorder=1)
    ax.plot(u, _gap(a.search.best_margins), color="0.1", lw=2.2, alpha=0.45, label="best single allocation", zorder=3)
    if a.search.envelope is not None:
        ax.plot(u, _gap(a.search.envelope), "--", color="0.1", lw=1.0, label="per-rate envelope", zorder=4)
    ax.plot(u, _gap(a.oracle_margins), ":", color="0.45", label="oracle bound", zorder=3)
    ax.set_ylim(-0.04, 1.0)
    ax.set_xlabel(RATE_AXIS)
    ax.set_ylabel("net margin")
    ax.set_title("(c) arbitrage margin", loc="left")


def market_figure(a: Analysis, plt: Any) -> Any:
    """The three panels side by side, one legend below them (models keep their colours throughout)."""
    fig, axes = plt.subplots(1, 3, figsize=(WIDE, 2.5))
    for ax, panel in zip(axes, (prices_panel, shares_panel, margins_panel), strict=True):
        panel(a, ax)
    handles, labels = axes[0].get_legend_handles_labels()
    h2, l2 = axes[1].get_legend_handles_labels()
    h3, l3 = axes[2].get_legend_handles_labels()
    keep = [(h, x) for h, x in zip(h2, l2, strict=True) if x == "arbitrageur's profit"]
    keep += [(h, x) for h, x in zip(h3, l3, strict=True) if x != "oracle bound"]
    handles += [h for h, _ in keep]
    labels += [x for _, x in keep]
    fig.legend(handles, labels, loc="lower center", ncol=min(5, len(labels)), bbox_to_anchor=(0.5, -0.02))
    fig.suptitle(f"{len(a.curves.tasks)} tasks; best single allocation: {_stages(a)}", fontsize=7)
    fig.tight_layout(rect=(0, 0.06 + 0.045 * math.ceil(len(labels) / 5), 1, 1))
    return fig


def _single(panel: Callable[[Analysis, Any], None]) -> Callable[[Analysis, Any], Any]:
    def draw(a: Analysis, plt: Any) -> Any:
        fig, ax = plt.subplots(figsize=(COLUMN, 3.2))
        panel(a, ax)
        _legend_below(ax)
        return fig

    return draw


def competition_figure(a: Analysis, plt: Any) -> Any:
    """The consumer price by undercutting round, as a share of the providers' price (linear axis)."""
    fig, ax = plt.subplots(figsize=(COLUMN, 2.6))
    path = a.at(a.competition.price)
    start = path[0]
    n = len(a.report_rates)
    for k, r in enumerate(a.report_rates):  # wider lines first: rates whose prices coincide stay visible
        if np.isfinite(start[k]) and start[k] > 0:
            lw = 1.0 + 2.0 * (n - 1 - k) / max(n - 1, 1)
            ax.plot(np.arange(path.shape[0]), path[:, k] / start[k], lw=lw, alpha=0.8, label=f"u = {r:.2f}")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("undercutting round")
    ax.set_ylabel("consumer price / market price")
    ax.set_title(f"{a.options.competitors} arbitrageurs, undercut {a.options.undercut:g}", loc="left")
    _legend_below(ax, ncol=3)
    return fig


def entry_figure(a: Analysis, plt: Any) -> Any:
    """Revenue shares before (wide pale bands) and after (lines) the entrant joins, without/with arbitrage."""
    ch = a.entry
    assert ch is not None
    names = tables.entry_names(ch)
    lab, color = tables.labels_for(a), colors(a)
    lab[PROFIT] = "arbitrageur's profit"
    fig, axes = plt.subplots(1, 2, figsize=(WIDE, 2.6), sharey=True)
    for ax, arb in zip(axes, (False, True), strict=True):
        for n in names:
            name = lab[n] + (" (entrant)" if n == a.options.entrant else "")
            before, after = tables._share(ch.shares_before, n, arb), tables._share(ch.shares_after, n, arb)
            if n != a.options.entrant:  # before: a wide pale band under the after line, so both show
                ax.plot(a.targets, before, color=color[n], lw=4.0, alpha=0.3, label=f"{name}, before entry")
            ax.plot(a.targets, after, "-", color=color[n], lw=1.1, label=f"{name}, after entry")
        ax.set_xlabel(RATE_AXIS)
        ax.set_ylim(-0.04, 1.04)
        ax.set_title("with arbitrage" if arb else "without arbitrage", loc="left")
    axes[0].set_ylabel("revenue share")
    axes[1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle(
        f"Market entry of {lab[str(a.options.entrant)]}: revenue shares ({len(a.curves.tasks)} tasks; without "
        "arbitrage the cheapest provider takes all)",
        fontsize=7.5,
    )
    return fig


def gatekeeping_figure(a: Analysis, plt: Any) -> Any:
    ch = a.gatekept
    assert ch is not None
    g = tables.labels_for(a)[str(a.options.gatekeep)]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(WIDE, 2.6))
    for side, res, s, color, lw in (
        ("open market", ch.before, ch.shares_before, "C0", 2.4),
        (f"{g} withheld", ch.after, ch.shares_after, "C3", 1.1),
    ):
        ax.plot(a.targets, _gap(s.market), "-", color=color, lw=lw, label=f"market, {side}")
        ax.plot(a.targets, _gap(s.arbitrageur), "--", color=color, lw=lw, label=f"arbitrageur, {side}")
        bx.plot(a.targets, _gap(res.best_margins), "-", color=color, lw=lw, label=side)
    ax.set_yscale("log")
    ax.set_xlabel(RATE_AXIS)
    ax.set_ylabel("price per task (USD)")
    ax.set_title("prices", loc="left")
    log_ticks(ax)
    ax.legend(loc="upper left")
    bx.axhline(0.0, color="0.8", lw=0.6)
    bx.set_xlabel(RATE_AXIS)
    bx.set_ylabel("net margin")
    bx.set_ylim(-0.04, 1)
    bx.set_title("arbitrage margin", loc="left")
    bx.legend(loc="upper left")
    fig.suptitle(f"Gatekeeping: {g} not sold, the arbitrageur runs its own ({len(a.curves.tasks)} tasks)", fontsize=8)
    return fig


def robust_figure(a: Analysis, plt: Any) -> Any:
    """Held-out mean margin against the fit budget (5-95% band), one panel per fit/eval pair."""
    pairs = list(dict.fromkeys(r.label for r in a.robust))
    fig, axes = plt.subplots(1, len(pairs), figsize=(min(WIDE, COLUMN * len(pairs)), 2.9), squeeze=False)
    for ax, pair in zip(axes[0], pairs, strict=True):
        rs = [r for r in a.robust if r.label == pair]
        finite = sorted((r for r in rs if r.fit_budget is not None), key=lambda r: r.fit_budget)
        if finite:
            x = np.array([r.fit_budget for r in finite])
            band = np.array([r.band for r in finite])
            ax.fill_between(x, band[:, 0], band[:, 1], color="C0", alpha=0.25, lw=0, label="5-95% band")
            ax.plot(x, [r.mean for r in finite], "o-", color="C0", ms=3, label="held-out mean margin")
            budget_axis(ax, x)
        for r in rs:
            if r.fit_budget is None:
                ax.axhline(r.mean, color="C2", lw=1.0, label="fit on full curves")
        ax.axhline(rs[0].best_in_domain, color="0.3", ls="--", lw=0.9, label="best in domain")
        ax.axhline(0.0, color="0.8", lw=0.6)
        top = max([rs[0].best_in_domain, *(r.band[1] for r in rs)])
        ax.set_ylim(-0.02, max(0.1, top * 1.1))
        ax.set_xlabel("fit budget per source (USD)")
        ax.set_ylabel("held-out mean margin")
        held = f"held out at {rs[0].targets[0]:.2f}-{rs[0].targets[-1]:.2f}"
        ax.set_title(_wrap(f"fit on {pair.replace('tasks matching ', '')}; {held}"), loc="left", fontsize=6.5)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), bbox_to_anchor=(0.5, 0.0))
    fig.suptitle(f"Robust fits ({a.robust[0].objective.size} bootstraps)", fontsize=7.5)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def _wrap(text: str, width: int = 48) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + len(w) + 1 > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join([*lines, line])


def figures_for(a: Analysis) -> dict[str, Callable[[Analysis, Any], Any]]:
    """The figures this analysis has, by file name."""
    out: dict[str, Callable[[Analysis, Any], Any]] = {
        "market.png": market_figure,
        "prices.png": _single(prices_panel),
        "shares.png": _single(shares_panel),
        "margins.png": _single(margins_panel),
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
    with plt.rc_context(STYLE):
        for name, draw in figures_for(a).items():
            fig = draw(a, plt)
            if name not in ("market.png", "robust.png"):  # these lay out their own legend
                fig.tight_layout()
            path = out / name
            fig.savefig(path, dpi=300 if name in PAPER else 200, bbox_inches="tight")
            plt.close(fig)
            files.append(path)
    return files
