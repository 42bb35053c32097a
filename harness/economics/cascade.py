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


@dataclass(frozen=True)
class CascadeCurves:
    """Cascade curves on the budget grid for each allocation (rows of ``thresholds``).

    ``pass_rate`` and ``spend`` are (allocations, budgets); ``spend_by_model`` is
    (allocations, stages, budgets) or ``None`` when not requested; ``models`` are the stage models.
    """

    models: tuple[str, ...]
    thresholds: np.ndarray
    budgets: np.ndarray
    pass_rate: np.ndarray
    spend: np.ndarray
    spend_by_model: np.ndarray | None = None


def check_thresholds(thresholds: np.ndarray, stages: int) -> np.ndarray:
    """Validate an (allocations, stages) array of per-model dollar thresholds (>= 0, ``inf`` allowed)."""
    thr = np.atleast_2d(np.asarray(thresholds, dtype=np.float64))
    if thr.ndim != 2 or thr.shape[1] != stages:
        raise HarnessError(f"thresholds must have shape (allocations, {stages}), got {thr.shape}")
    if np.any(np.isnan(thr)) or np.any(thr < 0):
        raise HarnessError("thresholds must be >= 0 dollars (inf for 'the rest of the budget')")
    return thr


class _Stage:
    """Knot arrays of one stage model, shared across allocations."""

    def __init__(self, curves: TaskCurves, col: int) -> None:
        s = curves.survival[:, col, :]
        self.s_aug, self.e_aug = curves.grid.augment(s)  # (T, B+2)


def cascade_curves(
    curves: TaskCurves,
    models: Sequence[str | int],
    thresholds: np.ndarray,
    by_model: bool = False,
    chunk: int = 4096,
) -> CascadeCurves:
    """Pass and spend curves of cascades over ``models`` for every row of ``thresholds``.

    ``thresholds`` is (allocations, len(models)); allocations are processed ``chunk`` at a time so memory
    stays bounded. ``by_model`` also returns each stage model's expected spend.
    """
    cols = curves.index(models)
    if not cols:
        raise HarnessError("a cascade needs at least one model")
    thr = check_thresholds(thresholds, len(cols))
    stages = [_Stage(curves, c) for c in cols]
    A, B = thr.shape[0], curves.grid.size
    P = np.empty((A, B))
    E = np.empty((A, B))
    by = np.empty((A, len(cols), B)) if by_model else None
    for s in range(0, A, max(1, chunk)):
        p, e, bm = _cascade_chunk(curves.grid, stages, thr[s : s + chunk], by_model)
        P[s : s + chunk], E[s : s + chunk] = p, e
        if by is not None:
            by[s : s + chunk] = bm
    names = tuple(curves.models[c] for c in cols)
    return CascadeCurves(names, thr, curves.grid.budgets, P, E, by)


def _gather(arr: np.ndarray, rows: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``arr[rows, idx]`` with ``rows`` broadcast against ``idx``."""
    return arr[rows, idx]


def _cascade_chunk(
    grid: LogGrid, stages: list[_Stage], thr: np.ndarray, by_model: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    A, M = thr.shape
    b = grid.budgets
    B = b.size
    T = stages[0].s_aug.shape[0]
    starts = np.zeros((A, M))
    if M > 1:
        starts[:, 1:] = np.cumsum(thr[:, :-1], axis=1)
    # per-task survival after each prefix of stages, deduplicated across allocations
    R = np.ones((1, T))
    parent_inv = np.zeros(A, dtype=np.int64)
    full_spend = np.zeros((A, M))  # mean_i R_{i,l-1} E_il(t_l), finite thresholds only
    S_out = np.empty((A, B))
    E_out = np.empty((A, B))
    stage_of = np.zeros((A, B), dtype=np.int64)
    partial = np.empty((A, B))
    for m, st in enumerate(stages):
        # R rows for the unique prefixes of length m are indexed by parent_inv
        RS = R @ st.s_aug / T  # (U, B+2)
        RE = R @ st.e_aug / T
        rows = parent_inv[:, None]
        start = starts[:, m : m + 1]
        active = np.isfinite(start[:, 0])
        mask = (b[None, :] >= start) & active[:, None]
        x = np.where(mask, np.minimum(b[None, :] - np.where(active[:, None], start, 0.0), thr[:, m : m + 1]), 0.0)
        x = np.clip(x, 0.0, None)
        kw = grid.weights(x)
        s_lo, s_hi = _gather(RS, rows, kw.index), _gather(RS, rows, kw.index + 1)
        e_val = _gather(RE, rows, kw.index) + kw.alpha * s_lo + kw.beta * s_hi
        s_val = (1 - kw.w) * s_lo + kw.w * s_hi
        before = full_spend[:, :m].sum(axis=1)[:, None] if m else 0.0
        S_out = np.where(mask, s_val, S_out) if m else s_val
        E_out = np.where(mask, before + e_val, E_out) if m else e_val
        partial = np.where(mask, e_val, partial) if m else e_val
        stage_of = np.where(mask, m, stage_of)
        if m == M - 1:
            break
        # close stage m at its threshold: full spend and the next prefix's per-task survival
        t = thr[:, m]
        fin = np.isfinite(t) & active
        tt = np.where(fin, t, 0.0)
        kw_t = grid.weights(tt)
        fs_lo = RS[parent_inv, kw_t.index]
        fs_hi = RS[parent_inv, kw_t.index + 1]
        full_spend[:, m] = np.where(fin, RE[parent_inv, kw_t.index] + kw_t.alpha * fs_lo + kw_t.beta * fs_hi, 0.0)
        key = np.stack([parent_inv.astype(np.float64), np.where(fin, t, np.inf)], axis=1)
        uniq, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
        inv = inv.reshape(-1)
        kw_u = grid.weights(np.where(fin[first], thr[first, m], 0.0))
        s_task = (1 - kw_u.w) * st.s_aug[:, kw_u.index] + kw_u.w * st.s_aug[:, kw_u.index + 1]  # (T, U')
        R = R[parent_inv[first]] * s_task.T
        R[~fin[first]] = 0.0  # prefixes that never end: later stages are unreachable
        parent_inv = inv
    P = 1.0 - S_out
    by = None
    if by_model:
        lev = np.arange(M)[None, :, None]
        sof = stage_of[:, None, :]
        by = np.where(lev < sof, full_spend[:, :, None], np.where(lev == sof, partial[:, None, :], 0.0))
    return P, E_out, by


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


def margins(market: np.ndarray, arbitrageur: np.ndarray) -> np.ndarray:
    """Net margin ``max(C(u) - C_q(u), 0) / C(u)`` in [0, 1]; ``nan`` where the market cannot reach u.

    A market price of 0 leaves nothing to undercut (margin 0); an arbitrageur that cannot reach u earns 0.
    """
    C = np.asarray(market, dtype=np.float64)
    Cq = np.asarray(arbitrageur, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(C > 0, np.maximum(C - Cq, 0.0) / C, 0.0)
    m = np.where(np.isfinite(Cq), m, 0.0)
    return np.where(np.isfinite(C), m, np.nan)
