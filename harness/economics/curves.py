"""Pass curves, expected spend, and the price of a solve rate (DESIGN.md "The economics").

For task i and model m with n attempts, c of them verified, and mean cost ``k`` USD per attempt, a
budget b buys ``floor(b / k)`` attempts and the task's pass curve is the unbiased pass@k estimate
``1 - C(n-c, k) / C(n, k)``, computed as the product ``prod_{j<k} (n-c-j) / (n-j)`` (never factorials).
Conventions: ``k`` is clipped at ``n`` (``pass@k = pass@n`` for ``k > n``: the bank holds no more
distinct attempts, so it is 1 when ``c > 0`` and 0 otherwise); ``n = 0`` never solves; a zero-cost model
buys all ``n`` attempts with any positive budget and none with budget 0; ``floor`` allows a relative
rounding slack of 1e-12 so that a budget of exactly ``k`` attempts' cost buys ``k`` attempts.

Spend is the survival integral ``E(b) = integral_0^b (1 - P(x)) dx`` of DESIGN.md, which fixes two
conventions (audited against a literal Monte Carlo in tests/economics/test_econ_audit.py): money is used
as the budget axis is walked, so an attempt cut off by the budget is paid for and fails; and past the
bank's ``n`` attempts the model is still paid at the failure probability ``F[n]`` (pass@k = pass@n for
k > n: further attempts are assumed to fail), so a cascade threshold above ``n x cost`` charges its whole
remainder on tasks the model did not solve. Both are conservative for the arbitrageur.

Prices interpolate log spend against the pass rate between grid budgets; below the first grid budget they
interpolate linearly from (0, 0). Both the market and the arbitrageur are priced this way.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from harness.bank import BankMatrix
from harness.economics.grid import LogGrid
from harness.errors import HarnessError

_FLOOR_SLACK = 1e-12


def failure_table(n: np.ndarray, c: np.ndarray, kmax: int | None = None) -> np.ndarray:
    """``F[..., k] = C(n-c, k) / C(n, k)`` for ``k = 0..kmax`` (default ``max n``), as a running product.

    Entries past ``n`` repeat ``F[n]`` (``k > n`` is clipped to ``n``). Shape: ``n.shape + (kmax + 1,)``.
    """
    n = np.asarray(n, dtype=np.int64)
    c = np.asarray(c, dtype=np.int64)
    if n.shape != c.shape:
        raise HarnessError(f"attempt counts n{n.shape} and verified counts c{c.shape} differ in shape")
    if np.any(n < 0) or np.any(c < 0) or np.any(c > n):
        raise HarnessError("attempt counts must satisfy 0 <= c <= n")
    K = int(n.max(initial=0)) if kmax is None else int(kmax)
    j = np.arange(K, dtype=np.float64)
    nf = n[..., None].astype(np.float64)
    fail = nf - c[..., None] - j
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(j < nf, np.clip(fail, 0.0, None) / (nf - j), 1.0)
    table = np.empty(n.shape + (K + 1,))
    table[..., 0] = 1.0
    np.cumprod(factor, axis=-1, out=table[..., 1:])
    return table


def attempts_bought(budget: np.ndarray, cost: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``min(floor(budget / cost), n)`` attempts, broadcasting; cost 0 buys ``n`` for any budget > 0."""
    budget = np.asarray(budget, dtype=np.float64)
    cost = np.asarray(cost, dtype=np.float64)
    n = np.asarray(n, dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.floor(budget / cost * (1 + _FLOOR_SLACK))
    k = np.where(cost > 0, k, np.where(budget > 0, np.inf, 0.0))
    k = np.nan_to_num(k, nan=0.0)
    return np.minimum(k, n).astype(np.int64)


def pass_at_k(n: np.ndarray, c: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Unbiased pass@k, ``1 - C(n-c, k) / C(n, k)``, elementwise (``k`` clipped to ``[0, n]``)."""
    n, c, k = np.broadcast_arrays(*(np.asarray(a, dtype=np.int64) for a in (n, c, k)))
    if np.any(k < 0):
        raise HarnessError("pass@k needs k >= 0")
    table = failure_table(n, c)
    kk = np.minimum(k, n)
    return 1.0 - np.take_along_axis(table, kk[..., None], axis=-1)[..., 0]


@dataclass(frozen=True)
class TaskCurves:
    """Per-task failure probabilities ``survival[t, m, j] = 1 - P_tm(b_j)`` on a budget grid.

    Every analysis (provider curves, cascades, search, robust fits) reads this; it is built from a bank
    (:func:`task_curves`) or from sampled cost-to-solve draws (:func:`harness.economics.robust.empirical_curves`).
    """

    tasks: tuple[str, ...]
    models: tuple[str, ...]
    grid: LogGrid
    survival: np.ndarray
    good_share: np.ndarray | None = None  # (tasks, models): verified attempts that are correct; None: all

    @property
    def budgets(self) -> np.ndarray:
        """The grid budgets in USD."""
        return self.grid.budgets

    def index(self, models: Sequence[str | int] | None) -> list[int]:
        """Column indices of ``models`` (names or indices; ``None`` = all), with a clear error if unknown."""
        if models is None:
            return list(range(len(self.models)))
        out = []
        for m in models:
            if isinstance(m, (int, np.integer)):
                if not 0 <= int(m) < len(self.models):
                    raise HarnessError(f"model index {m} out of range (bank has {len(self.models)} models)")
                out.append(int(m))
            elif m in self.models:
                out.append(self.models.index(m))
            else:
                raise HarnessError(f"model {m!r} not in the bank (it has: {', '.join(self.models)})")
        return out

    def select(self, tasks: np.ndarray | Sequence[int]) -> TaskCurves:
        """The curves of a subset (or a resample, repeats allowed) of the tasks, by position."""
        idx = np.asarray(tasks, dtype=np.int64)
        share = None if self.good_share is None else self.good_share[idx]
        return TaskCurves(tuple(self.tasks[i] for i in idx), self.models, self.grid, self.survival[idx], share)

    def renamed(self, models: Sequence[str]) -> TaskCurves:
        """The same curves with other model names (matched by position)."""
        return replace(self, models=tuple(models))

    def pass_curves(self, models: Sequence[str | int] | None = None) -> np.ndarray:
        """Provider pass curves ``P_m(b)``: the mean over tasks, shape (models, budgets)."""
        return 1.0 - self.survival[:, self.index(models), :].mean(axis=0)

    def spend_curves(self, models: Sequence[str | int] | None = None) -> np.ndarray:
        """Provider expected spend ``E_m(b) = integral_0^b (1 - P_m(x)) dx`` (see grid.py), (models, budgets)."""
        return self.grid.integrate(self.survival[:, self.index(models), :].mean(axis=0))


def task_curves(matrix: BankMatrix, grid: LogGrid | np.ndarray | None = None) -> TaskCurves:
    """Exact per-task pass curves of a bank on a budget grid (default 1e-4..1 USD, 250 points)."""
    g = grid if isinstance(grid, LogGrid) else LogGrid(grid)
    n, c, cost = (np.asarray(a) for a in (matrix.n, matrix.c, matrix.cost))
    if n.ndim != 2 or n.shape != c.shape or n.shape != cost.shape:
        raise HarnessError("bank matrix arrays n, c, cost must all have shape (tasks, models)")
    if not np.all(np.isfinite(cost)) or np.any(cost < 0):
        raise HarnessError("costs per attempt must be finite and >= 0")
    cheap = (cost > 0) & (n > 0) & (cost < g.budgets[0] * (1 - 1e-12))
    if np.any(cheap):
        warnings.warn(
            f"an attempt costs {float(cost[cheap].min()):.3g} USD, below the grid's first budget "
            f"{g.budgets[0]:.3g} USD: spend on the attempts that budget buys is undercounted; start the grid "
            "below the cheapest attempt (harness.economics.analysis.analysis_grid does)",
            UserWarning,
            stacklevel=2,
        )
    k = attempts_bought(g.budgets[None, None, :], cost[..., None], n[..., None])  # (T, M, B)
    table = failure_table(n, c, int(k.max(initial=0)))  # only as many attempts as the largest budget buys
    survival = np.take_along_axis(table, k, axis=-1)
    share = None
    if matrix.good is not None:
        good = np.asarray(matrix.good)
        if np.any(good < 0) or np.any(good > c):
            raise HarnessError("verified-and-correct counts must satisfy 0 <= good <= c")
        share = np.where(c > 0, good / np.maximum(c, 1), 1.0)
    return TaskCurves(tuple(matrix.tasks), tuple(matrix.models), g, survival, share)


def price_curve(pass_rate: np.ndarray, spend: np.ndarray, targets: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """The price of each target solve rate: ``C(u) = E(b*)`` with ``P(b*) = u``; ``inf`` above the best rate.

    ``pass_rate`` and ``spend`` are (..., B) curves on one budget grid (nondecreasing in b). The curve is
    inverted by interpolating **log spend** linearly against the pass rate between the two grid budgets
    that bracket ``u`` (the first budget reaching ``u`` is the cheapest); below the first grid budget it
    interpolates linearly from the origin (b = 0: pass 0, spend 0). Returns shape (..., len(targets)).
    """
    price, _, _ = _invert(pass_rate, spend, targets, chunk)
    return price


def _invert(
    pass_rate: np.ndarray, spend: np.ndarray, targets: np.ndarray, chunk: int = 2048
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Price, bracketing grid index ``hi`` (-1: unreachable) and the interpolation fraction per target."""
    P = np.maximum.accumulate(np.asarray(pass_rate, dtype=np.float64), axis=-1)
    E = np.asarray(spend, dtype=np.float64)
    u = np.asarray(targets, dtype=np.float64)
    if P.shape != E.shape:
        raise HarnessError(f"pass curve {P.shape} and spend curve {E.shape} differ in shape")
    lead = P.shape[:-1]
    B = P.shape[-1]
    P2 = P.reshape(-1, B)
    E2 = E.reshape(-1, B)
    R = P2.shape[0]
    price = np.empty((R, u.size))
    hi_idx = np.empty((R, u.size), dtype=np.int64)
    frac = np.empty((R, u.size))
    for s in range(0, R, max(1, chunk)):
        p, e = P2[s : s + chunk], E2[s : s + chunk]
        # first grid index with P >= u: P is nondecreasing, so a binary search per curve (the count of
        # P < u, as comparing every budget with every target would give, without the (rows, u, B) array)
        idx = np.empty((p.shape[0], u.size), dtype=np.int64)
        below = u - 1e-12
        for r in range(p.shape[0]):
            idx[r] = np.searchsorted(p[r], below, side="left")
        reach = idx < B
        j = np.minimum(idx, B - 1)
        rows = np.arange(p.shape[0])[:, None]
        p_hi, e_hi = p[rows, j], e[rows, j]
        p_lo = np.where(j > 0, p[rows, np.maximum(j - 1, 0)], 0.0)
        e_lo = np.where(j > 0, e[rows, np.maximum(j - 1, 0)], 0.0)
        gap = p_hi - p_lo
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(gap > 0, (u[None, :] - p_lo) / gap, 1.0)
        f = np.clip(f, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            logp = np.exp(np.log(e_lo) + f * (np.log(e_hi) - np.log(e_lo)))
        lin = e_lo + f * (e_hi - e_lo)
        c = np.where((e_lo > 0) & (e_hi > 0), logp, lin)
        c = np.where(u[None, :] <= 0, 0.0, c)
        price[s : s + chunk] = np.where(reach, c, np.inf)
        hi_idx[s : s + chunk] = np.where(reach, j, -1)
        frac[s : s + chunk] = np.where(reach, f, np.nan)
    shape = lead + (u.size,)
    return price.reshape(shape), hi_idx.reshape(shape), frac.reshape(shape)


def budget_at(pass_rate: np.ndarray, budgets: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The per-task budget b* at which each curve reaches each target (log-interpolated; ``inf`` if never)."""
    P = np.asarray(pass_rate, dtype=np.float64)
    logb = np.broadcast_to(np.asarray(budgets, dtype=np.float64), P.shape)
    return price_curve(P, logb, targets)


def provider_prices(curves: TaskCurves, targets: np.ndarray, models: Sequence[str | int] | None = None) -> np.ndarray:
    """``C_m(u)`` for each provider (rows, in ``models`` order) and target solve rate (columns)."""
    return price_curve(curves.pass_curves(models), curves.spend_curves(models), np.asarray(targets))


def market_price(curves: TaskCurves, targets: np.ndarray, models: Sequence[str | int] | None = None) -> np.ndarray:
    """The market price ``C(u) = min_m C_m(u)`` over the providers ``models`` (default: all)."""
    return provider_prices(curves, targets, models).min(axis=0)


def cheapest_provider(curves: TaskCurves, targets: np.ndarray, models: Sequence[str | int] | None = None) -> np.ndarray:
    """Column index (into ``curves.models``) of the provider setting the market price; -1 if none reaches u."""
    idx = curves.index(models)
    prices = provider_prices(curves, targets, idx)
    best = np.argmin(prices, axis=0)
    return np.where(np.isfinite(prices.min(axis=0)), np.asarray(idx)[best], -1)
