"""Cascades: the arbitrageur's pass curve, spend and price for many dollar-threshold allocations at once.

A cascade over models ``(m_1, ..., m_M)`` with thresholds ``(t_1, ..., t_M)`` (USD per task; ``inf`` means
"the rest of the budget") gives ``m_1`` the first ``t_1`` dollars of a task's budget axis, ``m_2`` the next
``t_2``, and so on, stopping at the first verified solution. With ``T_l = t_1 + ... + t_l``, a total
per-task budget ``b`` in stage l leaves the task unsolved with probability
``R_{l-1} * S_l(b - T_{l-1})``, where ``R_{l-1} = prod_{j<l} S_j(t_j)`` (stages independent given the
task), and the spend at model ``m_l`` is ``R_{l-1} * E_l(min(b - T_{l-1}, t_l))`` (the survival integral
over the part of the axis the stage covers). Past ``T_M`` the curve stays flat. ``S`` and ``E`` are the
interpolated survival and its integral of grid.py, so a one-stage cascade is exactly its model's curve.

Averaged over tasks these are linear in each stage's knot arrays, so the engine multiplies a
(prefixes x tasks) matrix of ``R`` by each model's (tasks x knots) arrays: thousands of allocations cost
a few matrix products, not a loop over tasks and budgets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.economics.curves import TaskCurves, _invert
from harness.economics.grid import LogGrid
from harness.errors import HarnessError

MARGIN_FLOOR = 1e-12


@dataclass(frozen=True)
class CascadeCurves:
    """Cascade curves on the budget grid for each allocation (rows of ``thresholds``).

    ``pass_rate`` (the rate at which a verified candidate is sold) and ``spend`` are (allocations,
    budgets); ``spend_by_model`` is (allocations, stages, budgets) or ``None`` when not requested;
    ``correct_rate`` (the rate at which what is sold is also correct) likewise; ``models`` are the stages.
    """

    models: tuple[str, ...]
    thresholds: np.ndarray
    budgets: np.ndarray
    pass_rate: np.ndarray
    spend: np.ndarray
    spend_by_model: np.ndarray | None = None
    correct_rate: np.ndarray | None = None  # (allocations, budgets): sold and truly correct


def check_thresholds(thresholds: np.ndarray, stages: int) -> np.ndarray:
    """Validate an (allocations, stages) array of per-model dollar thresholds (>= 0, ``inf`` allowed)."""
    thr = np.atleast_2d(np.asarray(thresholds, dtype=np.float64))
    if thr.ndim != 2 or thr.shape[1] != stages:
        raise HarnessError(f"thresholds must have shape (allocations, {stages}), got {thr.shape}")
    if np.any(np.isnan(thr)) or np.any(thr < 0):
        raise HarnessError("thresholds must be >= 0 dollars (inf for 'the rest of the budget')")
    return thr


class _Stage:
    """Knot arrays of one stage model, shared across allocations; with ``correct``, also the survival
    weighted by each task's share of verified attempts that are correct (``ws_aug``, ``w``)."""

    def __init__(self, curves: TaskCurves, col: int, correct: bool = False) -> None:
        s = curves.survival[:, col, :]
        self.s_aug, self.e_aug = curves.grid.augment(s)  # (T, B+2)
        self.w = self.ws_aug = None
        if correct:
            self.w = curves.good_share[:, col] if curves.good_share is not None else np.ones(s.shape[0])
            self.ws_aug = self.w[:, None] * self.s_aug

    def project(self, R: np.ndarray) -> tuple[np.ndarray, ...]:
        """Task means of the knot arrays under the prefix survivals ``R`` (prefixes x tasks)."""
        T = self.s_aug.shape[0]
        out = (R @ self.s_aug / T, R @ self.e_aug / T)
        if self.w is not None:
            out += (R @ self.ws_aug / T, R @ self.w / T)
        return out


def cascade_curves(
    curves: TaskCurves,
    models: Sequence[str | int],
    thresholds: np.ndarray,
    by_model: bool = False,
    chunk: int = 4096,
    correct: bool = False,
) -> CascadeCurves:
    """Pass and spend curves of cascades over ``models`` for every row of ``thresholds``.

    ``thresholds`` is (allocations, len(models)); allocations are processed ``chunk`` at a time so memory
    stays bounded. ``by_model`` also returns each stage model's expected spend, ``correct`` the rate at
    which the sold (first verified) candidate is truly correct: a task's first verified attempt of a
    model is any of its verified attempts with equal chance, so it is correct with probability
    ``good / c`` (:attr:`TaskCurves.good_share`), whenever the stage finds it.
    """
    cols = curves.index(models)
    if not cols:
        raise HarnessError("a cascade needs at least one model")
    thr = check_thresholds(thresholds, len(cols))
    stages = [_Stage(curves, c, correct) for c in cols]
    A, B = thr.shape[0], curves.grid.size
    P = np.empty((A, B))
    E = np.empty((A, B))
    by = np.empty((A, len(cols), B)) if by_model else None
    good = np.empty((A, B)) if correct else None
    for s in range(0, A, max(1, chunk)):
        out = _cascade_chunk(curves.grid, stages, thr[s : s + chunk], by_model)
        P[s : s + chunk], E[s : s + chunk] = out.pass_rate, out.spend
        if by is not None:
            by[s : s + chunk] = out.by_model
        if good is not None:
            good[s : s + chunk] = out.correct
    names = tuple(curves.models[c] for c in cols)
    return CascadeCurves(names, thr, curves.grid.budgets, P, E, by, good)


@dataclass
class _ChunkOut:
    pass_rate: np.ndarray
    spend: np.ndarray
    by_model: np.ndarray | None
    correct: np.ndarray | None


class _Walk:
    """A chunk of allocations walking the budget axis stage by stage.

    ``R`` holds, per unique prefix of closed stages, each task's probability of being still unsolved
    (deduplicated across allocations; ``parent`` maps allocations to rows of ``R``).
    """

    def __init__(self, grid: LogGrid, thr: np.ndarray, tasks: int, correct: bool) -> None:
        A, M = thr.shape
        self.grid, self.thr, self.b = grid, thr, grid.budgets
        self.starts = np.zeros((A, M))
        if M > 1:
            self.starts[:, 1:] = np.cumsum(thr[:, :-1], axis=1)
        self.R = np.ones((1, tasks))
        self.parent = np.zeros(A, dtype=np.int64)
        self.full_spend = np.zeros((A, M))  # mean_i R_{i,l-1} E_il(t_l), finite thresholds only
        self.full_good = np.zeros((A, M)) if correct else None
        B = self.b.size
        self.S, self.E, self.partial = np.empty((A, B)), np.empty((A, B)), np.empty((A, B))
        self.good = np.empty((A, B)) if correct else None
        self.stage_of = np.zeros((A, B), dtype=np.int64)

    def enter(self, m: int, proj: tuple[np.ndarray, ...]) -> None:
        """Budgets that fall in stage ``m``: survival, spend (and correct sales) of the stage so far.

        Allocations that agree on the prefix, the stage's start and its threshold have the same values
        here (in a grid of every tuple, the first stages are shared by thousands): each is computed once.
        """
        start, t = self.starts[:, m], self.thr[:, m]
        key = np.stack([self.parent.astype(np.float64), start, t], axis=1)
        _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
        inv = inv.reshape(-1)
        vals = _stage_values(self.grid, proj, self.parent[first], start[first], t[first])
        s_val, e_val, g_val = (None if v is None else v[inv] for v in vals)
        active = np.isfinite(start)[:, None]
        mask = (self.b[None, :] >= start[:, None]) & active
        before = self.full_spend[:, :m].sum(axis=1)[:, None]
        self.S = np.where(mask, s_val, self.S) if m else s_val
        self.E = np.where(mask, before + e_val, self.E) if m else e_val
        self.partial = np.where(mask, e_val, self.partial) if m else e_val
        self.stage_of = np.where(mask, m, self.stage_of)
        if g_val is not None and self.full_good is not None:
            g_before = self.full_good[:, :m].sum(axis=1)[:, None]
            self.good = np.where(mask, g_before + g_val, self.good) if m else g_val

    def close(self, m: int, st: _Stage, proj: tuple[np.ndarray, ...]) -> None:
        """Stage ``m`` at its threshold: its full spend (and correct sales), and the next prefixes' ``R``."""
        RS, RE = proj[:2]
        t = self.thr[:, m]
        fin = np.isfinite(t) & np.isfinite(self.starts[:, m])
        p = self.parent
        kw = self.grid.weights(np.where(fin, t, 0.0))
        fs_lo, fs_hi = RS[p, kw.index], RS[p, kw.index + 1]
        self.full_spend[:, m] = np.where(fin, RE[p, kw.index] + kw.alpha * fs_lo + kw.beta * fs_hi, 0.0)
        if self.full_good is not None:
            RWS, RW = proj[2:]
            sold = RW[p] - ((1 - kw.w) * RWS[p, kw.index] + kw.w * RWS[p, kw.index + 1])
            self.full_good[:, m] = np.where(fin, sold, 0.0)
        key = np.stack([p.astype(np.float64), np.where(fin, t, np.inf)], axis=1)
        _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
        kw_u = self.grid.weights(np.where(fin[first], self.thr[first, m], 0.0))
        s_task = (1 - kw_u.w) * st.s_aug[:, kw_u.index] + kw_u.w * st.s_aug[:, kw_u.index + 1]  # (T, U')
        self.R = self.R[p[first]] * s_task.T
        self.R[~fin[first]] = 0.0  # prefixes that never end: later stages are unreachable
        self.parent = inv.reshape(-1)

    def result(self, by_model: bool) -> _ChunkOut:
        by = None
        if by_model:
            lev = np.arange(self.thr.shape[1])[None, :, None]
            sof = self.stage_of[:, None, :]
            by = np.where(lev < sof, self.full_spend[:, :, None], np.where(lev == sof, self.partial[:, None, :], 0.0))
        return _ChunkOut(1.0 - self.S, self.E, by, self.good)


def _stage_values(
    grid: LogGrid, proj: tuple[np.ndarray, ...], parent: np.ndarray, start: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """For each (prefix row, stage start, threshold): the stage's survival, spend and correct sales at
    every grid budget (as if the budget fell in the stage; the caller masks the other budgets)."""
    RS, RE = proj[:2]
    rows = parent[:, None]
    b = grid.budgets[None, :]
    active = np.isfinite(start)[:, None]
    s0 = np.where(active, start[:, None], 0.0)
    x = np.where((b >= s0) & active, np.minimum(b - s0, t[:, None]), 0.0)
    kw = grid.weights(np.clip(x, 0.0, None))
    s_lo, s_hi = RS[rows, kw.index], RS[rows, kw.index + 1]
    e_val = RE[rows, kw.index] + kw.alpha * s_lo + kw.beta * s_hi
    s_val = (1 - kw.w) * s_lo + kw.w * s_hi
    g_val = None
    if len(proj) > 2:
        RWS, RW = proj[2:]
        g_val = RW[parent][:, None] - ((1 - kw.w) * RWS[rows, kw.index] + kw.w * RWS[rows, kw.index + 1])
    return s_val, e_val, g_val


def _cascade_chunk(grid: LogGrid, stages: list[_Stage], thr: np.ndarray, by_model: bool) -> _ChunkOut:
    walk = _Walk(grid, thr, stages[0].s_aug.shape[0], stages[0].w is not None)
    for m, st in enumerate(stages):
        proj = st.project(walk.R)
        walk.enter(m, proj)
        if m < len(stages) - 1:
            walk.close(m, st, proj)
    return walk.result(by_model)


def cascade_prices(cc: CascadeCurves, targets: np.ndarray) -> np.ndarray:
    """The arbitrageur's price ``C_q(u)`` for each allocation (rows) and target solve rate (columns)."""
    price, _, _ = _invert(cc.pass_rate, cc.spend, np.asarray(targets, dtype=np.float64))
    return price


def spend_at_rates(cc: CascadeCurves, targets: np.ndarray) -> np.ndarray:
    """Expected spend at each stage model when the cascade is run at the budget reaching each target rate.

    Shape (allocations, stages, targets). Each model's spend is interpolated linearly between the two
    grid budgets that bracket the target and rescaled so the stages sum to the price ``C_q(u)``;
    ``nan`` where the target is unreachable.
    """
    if cc.spend_by_model is None:
        raise HarnessError("spend by model was not computed: call cascade_curves(..., by_model=True)")
    u = np.asarray(targets, dtype=np.float64)
    price, hi, frac = _invert(cc.pass_rate, cc.spend, u)
    A, M, _ = cc.spend_by_model.shape
    out = np.full((A, M, u.size), np.nan)
    rows = np.arange(A)[:, None]
    j = np.maximum(hi, 0)
    for m in range(M):
        s = cc.spend_by_model[:, m, :]
        s_hi = s[rows, j]
        s_lo = np.where(j > 0, s[rows, np.maximum(j - 1, 0)], 0.0)
        out[:, m, :] = s_lo + np.nan_to_num(frac) * (s_hi - s_lo)
    total = out.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(total > 0, out / total * price[:, None, :], 0.0)
    return np.where((hi >= 0)[:, None, :], scaled, np.nan)


def correct_at_rates(cc: CascadeCurves, targets: np.ndarray) -> np.ndarray:
    """The rate at which what the cascade sells is truly correct, at the budget reaching each target
    sold rate (interpolated like the price); ``nan`` where the target is unreachable. (allocations, targets)."""
    if cc.correct_rate is None:
        raise HarnessError("correct rates were not computed: call cascade_curves(..., correct=True)")
    u = np.asarray(targets, dtype=np.float64)
    _, hi, frac = _invert(cc.pass_rate, cc.spend, u)
    rows = np.arange(cc.correct_rate.shape[0])[:, None]
    j = np.maximum(hi, 0)
    g_hi = cc.correct_rate[rows, j]
    g_lo = np.where(j > 0, cc.correct_rate[rows, np.maximum(j - 1, 0)], 0.0)
    return np.where(hi >= 0, g_lo + np.nan_to_num(frac) * (g_hi - g_lo), np.nan)


def margins(market: np.ndarray, arbitrageur: np.ndarray) -> np.ndarray:
    """Net margin ``max(C(u) - C_q(u), 0) / C(u)`` in [0, 1]; ``nan`` where the market cannot reach u.

    A market price of 0 leaves nothing to undercut (margin 0); an arbitrageur that cannot reach u earns 0;
    a margin below :data:`MARGIN_FLOOR` is rounding (the same spend computed by two routes), so it is 0.
    """
    C = np.asarray(market, dtype=np.float64)
    Cq = np.asarray(arbitrageur, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(C > 0, np.maximum(C - Cq, 0.0) / C, 0.0)
    m = np.where(np.isfinite(Cq) & (m > MARGIN_FLOOR), m, 0.0)
    return np.where(np.isfinite(C), m, np.nan)
