"""Row builders: every table of ``harness analyze``, built once and read by JSON, CSV and terminal.

A builder takes an :class:`~harness.economics.analysis.Analysis` and which solve rates to show
(``None``: every target of the analysis, as the CSV files hold; ``a.report_rates``: the terminal and
JSON rows, each the nearest target, labelled with the rate asked for).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.economics.analysis import Analysis
from harness.economics.shares import PROFIT, MarketChange, Shares
from harness.report.format import display_names
from harness.report.table import Column, Table, table_of


def labels_for(a: Analysis) -> dict[str, str]:
    """Short display names of every model of the analysis (and the profit row)."""
    return display_names([*a.curves.models, PROFIT])


def pick(a: Analysis, rates: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(target indices, row labels) for ``rates`` (``None``: every target)."""
    if rates is None:
        return np.arange(a.targets.size), a.targets
    r = np.asarray(rates, dtype=np.float64)
    return np.abs(a.targets[:, None] - r[None, :]).argmin(axis=0), r


def models_table(a: Analysis) -> Table:
    """One row per model: tasks, attempts, pass@1, coverage at the largest budget, USD per attempt."""
    cols = (
        Column("model", "model", "model"),
        Column("tasks", "tasks", "int"),
        Column("attempts", "attempts", "int"),
        Column("pass_at_1", "pass@1"),
        Column("coverage", f"coverage @ ${a.curves.budgets[-1]:g}"),
        Column("usd_per_attempt", "USD/attempt", "usd"),
    )
    rows = [(m.name, m.tasks, m.attempts, m.pass_at_1, m.coverage, m.mean_cost) for m in a.models]
    if a.verification is not None:  # the bank records hidden correctness
        cols += (Column("correct_at_1", "correct@1"),)
        rows = [(*r, m.correct_at_1) for r, m in zip(rows, a.models, strict=True)]
    return table_of("models", f"Providers ({len(a.curves.tasks)} common tasks)", cols, rows)


def curves_table(a: Analysis) -> Table:
    """Every model's pass rate and expected spend at every grid budget."""
    P, E = a.curves.pass_curves(), a.curves.spend_curves()
    cols = (
        Column("model", "model", "model"),
        Column("budget_usd", "budget", "usd"),
        Column("pass_rate", "pass rate"),
        Column("expected_spend_usd", "expected spend", "usd"),
    )
    rows = [
        (m, float(b), float(P[j, k]), float(E[j, k]))
        for j, m in enumerate(a.curves.models)
        for k, b in enumerate(a.curves.budgets)
    ]
    return table_of("curves", "Pass and spend curves", cols, rows)


def _reach_note(market: float, arbitrageur: float, unreached: Sequence[str] = ()) -> str | None:
    """Why numbers of a row are missing (the JSON ``null`` s of a row), or ``None``; ``unreached``: the
    providers whose own price is missing there."""
    if not np.isfinite(market):
        return "no provider reaches this solve rate"
    why = []
    if not np.isfinite(arbitrageur):
        why.append("the arbitrageur's cascade does not reach this solve rate (margin 0)")
    if unreached:
        why.append(f"{', '.join(unreached)} {'does' if len(unreached) == 1 else 'do'} not reach this solve rate")
    return "; ".join(why) or None


NOTE = Column("note", "", "text", terminal=False)  # why a row's numbers are null


def prices_table(a: Analysis, rates: np.ndarray | None = None) -> Table:
    """Per solve rate: each provider's price, the market, the arbitrageur, the oracle, margins, competition."""
    idx, labels = pick(a, rates)
    cols = (
        Column("solve_rate", "solve rate", "rate"),
        *(Column(f"price_{p}", p, "usd", terminal=False) for p in a.providers),
        Column("market_price", "market", "usd"),
        Column("arbitrageur_price", "arbitrageur", "usd"),
        Column("oracle_price", "oracle", "usd", terminal=False),
        Column("margin", "margin"),
        Column("oracle_margin", "oracle margin"),
        Column("competitive_price", f"after {a.options.rounds} rounds", "usd"),
        NOTE,
    )
    rows = [
        (
            float(r),
            *a.provider_prices[:, i],
            a.market[i],
            a.arbitrageur[i],
            a.oracle[i],
            a.margins[i],
            a.oracle_margins[i],
            a.competition.final_price[i],
            _reach_note(
                a.market[i],
                a.arbitrageur[i],
                [p for p, x in zip(a.providers, a.provider_prices[:, i], strict=True) if not np.isfinite(x)],
            ),
        )
        for i, r in zip(idx, labels, strict=True)
    ]
    return table_of("prices", "Market at reported solve rates (USD per task)", cols, rows)


def search_table(a: Analysis) -> Table:
    """Every allocation searched and its mean margin (``inf`` threshold: the rest of the budget)."""
    cols = (*(Column(f"threshold_{m}", m, "threshold") for m in a.cascade), Column("mean_margin", "mean margin"))
    rows = [(*row, obj) for row, obj in zip(a.search.allocations, a.search.objective, strict=True)]
    return table_of("search", "Allocations searched", cols, rows)


def _shares_rows(s: Shares, idx: np.ndarray, labels: np.ndarray) -> list[tuple]:
    return [
        (float(r), name, s.without[k, i], s.with_arbitrage[k, i], _reach_note(s.market[i], 0.0))
        for i, r in zip(idx, labels, strict=True)
        for k, name in enumerate(s.names)
    ]


def shares_table(a: Analysis, rates: np.ndarray | None = None) -> Table:
    """Per solve rate and recipient: revenue share without and with arbitrage (fractions of the market price)."""
    idx, labels = pick(a, rates)
    cols = (
        Column("solve_rate", "solve rate", "rate"),
        Column("who", "who", "model"),
        Column("share_without_arbitrage", "without arbitrage"),
        Column("share_with_arbitrage", "with arbitrage"),
        NOTE,
    )
    return table_of(
        "shares",
        "Revenue shares (fraction of the market price)",
        cols,
        _shares_rows(a.shares, idx, labels),
        caption="without arbitrage the cheapest provider takes all",
        group=True,
    )


def spend_table(a: Analysis) -> Table:
    """Per solve rate: the arbitrageur's expected spend at each cascade model (USD per task)."""
    cols = (Column("solve_rate", "solve rate", "rate"), *(Column(f"spend_{m}", m, "usd") for m in a.cascade))
    rows = [(float(u), *a.spend[:, i]) for i, u in enumerate(a.targets)]
    return table_of("spend", "Arbitrageur's spend per model", cols, rows)


def competition_table(a: Analysis) -> Table:
    """The consumer price after each undercutting round, at the report rates."""
    idx, labels = pick(a, a.report_rates)
    cols = (Column("round", "round", "int"), *(Column(f"price_at_{r:.3f}", f"{r:.3f}", "usd") for r in labels))
    path = a.competition.price[:, idx]
    rows = [(k, *row) for k, row in enumerate(path)]
    return table_of("competition", "Consumer price by undercutting round", cols, rows)


def robust_table(a: Analysis) -> Table:
    """One row per fit/eval pair and fit budget: held-out mean margin, its bootstrap band, the in-domain
    best, tasks observed and dollars spent observing, fits that reached no target."""
    pairs = list(dict.fromkeys(r.label for r in a.robust))
    cols = (
        Column("pair", "pair", "int"),
        Column("fit_on", "fitted on", "text", terminal=False),
        Column("fit_budget_usd", "fit budget", "budget"),
        Column("bootstraps", "bootstraps", "int", terminal=False),
        Column("held_out_mean_margin", "held-out mean margin"),
        Column("band_5", "5%"),
        Column("band_95", "95%"),
        Column("best_in_domain", "best in domain"),
        Column("mean_observed_tasks", "tasks observed", "count"),
        Column("mean_fit_spend_usd", "USD observed", "usd", terminal=False),
        Column("failed_fits", "no target", "int"),
        Column("eval_rates", "held-out rates", "text", terminal=False),
    )
    rows = [
        (
            pairs.index(r.label) + 1,
            r.label,
            r.fit_budget,
            int(r.objective.size),
            r.mean,
            *r.band,
            r.best_in_domain,
            float(r.observed_tasks.mean()),
            float(r.fit_spend.sum(axis=1).mean()) if r.fit_spend.size else 0.0,
            r.failures,
            f"{r.targets[0]:.3f}-{r.targets[-1]:.3f}",
        )
        for r in a.robust
    ]
    caption = "; ".join(f"pair {k}: fit on {p}" for k, p in enumerate(pairs, 1))
    caption += ". no target: bootstraps whose fit reached none of its target rates (no strategy, margin 0)"
    return table_of(
        "robust", "Robust fits (held-out mean margin over bootstraps)", cols, rows, caption=caption, group=True
    )


def robust_band_table(a: Analysis) -> Table:
    """Per fit/eval pair, fit budget and solve rate: the held-out margin's bootstrap mean and 5th/95th
    percentiles."""
    cols = (
        Column("fit_on", "fitted on", "text"),
        Column("fit_budget_usd", "fit budget", "budget"),
        Column("solve_rate", "solve rate", "rate"),
        Column("mean_margin", "mean margin"),
        Column("p5", "5%"),
        Column("p95", "95%"),
    )
    rows = []
    for r in a.robust:
        mean, p5, p95 = r.margin_band()
        rows += [(r.label, r.fit_budget, float(u), mean[i], p5[i], p95[i]) for i, u in enumerate(r.targets)]
    return table_of("robust_band", "Held-out margin by solve rate", cols, rows)


def per_rate_table(a: Analysis, rates: np.ndarray | None = None) -> Table:
    """Per solve rate: the envelope's allocation, its margin and price, and the best single allocation's."""
    idx, labels = pick(a, rates)
    choice = a.choice if a.choice is not None else np.full(a.targets.size, a.search.best)
    cols = (
        Column("solve_rate", "solve rate", "rate"),
        *(Column(f"threshold_{m}", m, "threshold") for m in a.cascade),
        Column("margin", "margin"),
        Column("arbitrageur_price", "arbitrageur", "usd"),
        Column("single_allocation_margin", "single best"),
        NOTE,
    )
    rows = [
        (
            float(r),
            *a.search.allocations[choice[i]],
            a.margins[i],
            a.arbitrageur[i],
            a.search.best_margins[i],
            _reach_note(a.market[i], a.arbitrageur[i]),
        )
        for i, r in zip(idx, labels, strict=True)
    ]
    return table_of(
        "per_rate",
        "Per-rate strategy: the best allocation at each solve rate (USD thresholds)",
        cols,
        rows,
    )


def verification_table(a: Analysis, rates: np.ndarray | None = None) -> Table:
    """Per sold rate: the correct rate, the false-sale rate, the market's correct rate, and the margin
    with no refunds and with full refunds of wrong sales."""
    v = a.verification
    assert v is not None
    idx, labels = pick(a, rates)
    cols = (
        Column("solve_rate", "sold rate", "rate"),
        Column("correct_rate", "correct rate", "rate"),
        Column("false_sale_rate", "false sales"),
        Column("market_correct_rate", "market correct", "rate"),
        Column("margin_no_refund", "margin, no refund"),
        Column("margin_full_refund", "margin, full refund"),
        NOTE,
    )
    rows = [
        (
            float(r),
            v.correct[i],
            v.false_sale[i],
            v.market_correct[i],
            v.margin_none[i],
            v.margin_full[i],
            _reach_note(a.market[i], a.arbitrageur[i]),
        )
        for i, r in zip(idx, labels, strict=True)
    ]
    caption = "false sales: the share of sold solutions that are wrong (verified, but hidden tests fail)"
    return table_of("verification", "Imperfect verification: sold against correct", cols, rows, caption=caption)


def verification_cost_table(a: Analysis, rates: np.ndarray | None = None) -> Table:
    """Per solve rate: margins without and with the cost of verification (re-searched, and same strategy)."""
    cv = a.costly
    assert cv is not None
    idx, labels = pick(a, rates)
    cols = (
        Column("solve_rate", "solve rate", "rate"),
        Column("margin", "margin, free checks"),
        Column("margin_with_verification", "margin, paid checks"),
        Column("margin_same_strategy", "same strategy, paid"),
        Column("arbitrageur_price_with_verification", "arbitrageur, paid", "usd"),
        NOTE,
    )
    rows = [
        (float(r), a.margins[i], cv.margins[i], cv.same_strategy[i], cv.price[i], _reach_note(a.market[i], cv.price[i]))
        for i, r in zip(idx, labels, strict=True)
    ]
    caption = f"verification cost: {cv.source}; paid checks re-search the thresholds knowing the cost"
    return table_of("verification_cost", "Costly verification (USD per task)", cols, rows, caption=caption)


def _share(s: Shares, name: str, arbitrage: bool) -> np.ndarray:
    """One name's share per target; a name absent from this market has 0 (nan where it is unreachable)."""
    if name in s.names:
        return s.row(name, arbitrage)
    return np.where(np.isfinite(s.market), 0.0, np.nan)


def entry_names(ch: MarketChange) -> list[str]:
    """Incumbents, the entrant, then the arbitrageur's profit."""
    return [n for n in ch.shares_after.names if n != PROFIT] + [PROFIT]


_SCENARIOS = (("before", False), ("before", True), ("after", False), ("after", True))


def entry_table(a: Analysis, rates: np.ndarray | None = None) -> Table:
    """Per solve rate and recipient: shares before/after the entrant joins, without/with arbitrage."""
    ch = a.entry
    assert ch is not None
    idx, labels = pick(a, rates)
    sides = {"before": ch.shares_before, "after": ch.shares_after}
    names = entry_names(ch)
    share = {}
    for n in names:
        v = [_share(sides[side], n, arb) for side, arb in _SCENARIOS]
        share[n] = [*v, v[3] - v[1]]  # the last: the change with arbitrage
    cols = (
        Column("solve_rate", "solve rate", "rate"),
        Column("who", "who", "model"),
        Column("role", "role", "text", terminal=False),
        Column("market_price_before", "market before", "usd", terminal=False),
        Column("market_price_after", "market after", "usd", terminal=False),
        Column("arbitrageur_price_before", "arbitrageur before", "usd", terminal=False),
        Column("arbitrageur_price_after", "arbitrageur after", "usd", terminal=False),
        Column("share_before_without_arbitrage", "before"),
        Column("share_before_with_arbitrage", "b+arb"),
        Column("share_after_without_arbitrage", "after"),
        Column("share_after_with_arbitrage", "a+arb"),
        Column("share_change_with_arbitrage", "change"),
    )
    b, f = ch.shares_before, ch.shares_after
    rows = [
        (
            float(r),
            n,
            "profit" if n == PROFIT else "entrant" if n == a.options.entrant else "incumbent",
            b.market[i],
            f.market[i],
            b.arbitrageur[i],
            f.arbitrageur[i],
            *(v[i] for v in share[n]),
        )
        for i, r in zip(idx, labels, strict=True)
        for n in names
    ]
    return table_of(
        "entry",
        f"Market entry of {labels_for(a)[str(a.options.entrant)]}: revenue shares (fraction of the market price)",
        cols,
        rows,
        caption="b/a = before/after entry; +arb = with arbitrage (else the cheapest provider takes all); "
        "change = a+arb - b+arb; * entrant; profit = the arbitrageur's",
        group=True,
    )


def gatekeeping_columns(ch: MarketChange) -> dict[str, np.ndarray]:
    """Market price, arbitrageur price and margin per target, open and gatekept."""
    out = {}
    for side, res, s in (("open", ch.before, ch.shares_before), ("gatekept", ch.after, ch.shares_after)):
        out |= {
            f"market_price_{side}": s.market,
            f"arbitrageur_price_{side}": s.arbitrageur,
            f"margin_{side}": res.best_margins,
        }
    return out


def gatekeeping_table(a: Analysis, rates: np.ndarray | None = None) -> Table:
    """Per solve rate: market and arbitrageur prices and margins, open market against the gatekept one."""
    ch = a.gatekept
    assert ch is not None
    idx, labels = pick(a, rates)
    values = gatekeeping_columns(ch)
    labels_of = {
        "market_price": ("market", "usd"),
        "arbitrageur_price": ("arb", "usd"),
        "margin": ("margin", "frac"),
    }
    cols = [Column("solve_rate", "solve rate", "rate")]
    for key in values:
        base, side = key.rsplit("_", 1)
        label, kind = labels_of[base]
        cols.append(Column(key, f"{'open' if side == 'open' else 'gated'} {label}", kind))
    rows = [(float(r), *(v[i] for v in values.values())) for i, r in zip(idx, labels, strict=True)]
    return table_of(
        "gatekeeping",
        f"Gatekeeping {labels_for(a)[str(a.options.gatekeep)]}: not sold, the arbitrageur runs its own "
        "(prices in USD per task)",
        cols,
        rows,
        caption="open = every provider sold; gated = without the withheld model; arb = arbitrageur's cost",
    )
