"""The log-spaced budget grid and the one survival model every curve in the economics shares.

A task's failure probability ``S(x)`` (the chance that a budget of ``x`` dollars has not yet bought a
verified solution) is known exactly at the grid budgets ``b_0 < ... < b_{B-1}``. Between two grid
budgets it is interpolated **linearly in log x**; on ``(0, b_0]`` it equals ``S(b_0)`` (the limit of
log-linear interpolation from the knot ``x = 0``, where ``S = 1``, which sits at ``log x = -inf``); past
the last budget it stays at ``S(b_{B-1})``. Expected spend ``E(x) = integral_0^x S(y) dy`` is the exact
integral of that interpolant, in closed form per segment. This is the approximation of DESIGN.md: it is
exact at every grid budget for ``P = 1 - S`` and exact for ``E`` while ``b_0`` is below every positive
per-attempt cost (then ``S = 1`` on ``[0, b_0]``) or for free models; elsewhere ``E`` is off by at most
the grid's relative spacing times the budget (3.8% for the default 250 points over four decades).

Precisely, with ``r`` the largest ratio of neighbouring budgets and ``S_step`` the exact step survival,
``S_step(x r) <= S(x) <= S_step(x / r)`` and ``E_step(x r) / r <= E(x) <= r E_step(x / r)`` for
``0 < x <= b_{B-1}``, stage by stage in a cascade, **provided no attempt costs less than** ``b_0``. An
attempt cheaper than ``b_0`` is bought at ``0+`` and spent as if free (a 3e-5 USD model priced 4.5x too
cheap on the default grid): :func:`harness.economics.curves.task_curves` warns, and
:func:`harness.economics.analysis.analysis_grid` extends the grid below the cheapest attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.errors import HarnessError

DEFAULT_LO = 1e-4
DEFAULT_HI = 1.0
DEFAULT_POINTS = 250


def budget_grid(lo: float = DEFAULT_LO, hi: float = DEFAULT_HI, num: int = DEFAULT_POINTS) -> np.ndarray:
    """The default log-spaced grid of per-task budgets in USD (``lo`` to ``hi``, ``num`` points)."""
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi):
        raise HarnessError(f"budget grid needs 0 < lo < hi (finite), got lo={lo}, hi={hi}")
    if int(num) < 2:
        raise HarnessError(f"budget grid needs at least 2 points, got {num}")
    return np.geomspace(lo, hi, int(num))


@dataclass(frozen=True)
class KnotWeights:
    """How to read ``S`` and ``E`` at arbitrary budgets ``x`` from a curve's augmented knot arrays.

    With ``S_aug = [1, S_0, ..., S_{B-1}, S_{B-1}]`` and ``E_aug = [0, E_0, ..., E_{B-1}, E_{B-1}]``
    (see :meth:`LogGrid.augment`): ``S(x) = (1-w) S_aug[i] + w S_aug[i+1]`` and
    ``E(x) = E_aug[i] + alpha S_aug[i] + beta S_aug[i+1]``. Every field has the shape of ``x``.
    """

    index: np.ndarray
    w: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray


class LogGrid:
    """A strictly increasing positive budget grid with the closed-form survival integral on it."""

    def __init__(self, budgets: np.ndarray | None = None) -> None:
        b = budget_grid() if budgets is None else np.asarray(budgets, dtype=np.float64)
        if b.ndim != 1 or b.size < 2 or not np.all(np.isfinite(b)) or b[0] <= 0 or np.any(np.diff(b) <= 0):
            raise HarnessError("budget grid must be a 1-D strictly increasing array of positive budgets (>= 2)")
        self.budgets = b
        lo, hi = b[:-1], b[1:]
        self._log = np.log(b)
        self._L = np.log(hi / lo)
        dx = hi - lo
        logmean = dx / self._L  # logarithmic mean of the segment ends
        # integral over segment j of the log-linear interpolant = a_j S_j + c_j S_{j+1}
        self.a = logmean - lo
        self.c = hi - logmean

    @property
    def size(self) -> int:
        """Number of grid budgets."""
        return int(self.budgets.size)

    def integrate(self, survival: np.ndarray) -> np.ndarray:
        """Expected spend ``E(b_j)`` at every grid budget from failure probabilities ``S`` (last axis = grid)."""
        s = np.asarray(survival, dtype=np.float64)
        if s.shape[-1] != self.size:
            raise HarnessError(f"curve has {s.shape[-1]} budget points, the grid has {self.size}")
        seg = self.a * s[..., :-1] + self.c * s[..., 1:]
        out = np.empty_like(s)
        out[..., 0] = self.budgets[0] * s[..., 0]
        np.cumsum(seg, axis=-1, out=out[..., 1:])
        out[..., 1:] += out[..., :1]
        return out

    def augment(self, survival: np.ndarray, spend: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The augmented knot arrays (``S_aug``, ``E_aug``, last axis ``B + 2``) read by :class:`KnotWeights`."""
        s = np.asarray(survival, dtype=np.float64)
        e = self.integrate(s) if spend is None else np.asarray(spend, dtype=np.float64)
        shape = s.shape[:-1]
        s_aug = np.concatenate([np.ones(shape + (1,)), s, s[..., -1:]], axis=-1)
        e_aug = np.concatenate([np.zeros(shape + (1,)), e, e[..., -1:]], axis=-1)
        return s_aug, e_aug

    def weights(self, x: np.ndarray) -> KnotWeights:
        """Knot weights to evaluate the interpolated ``S`` and its integral ``E`` at finite budgets ``x >= 0``."""
        x = np.asarray(x, dtype=np.float64)
        if np.any(~np.isfinite(x)) or np.any(x < 0):
            raise HarnessError("budgets to evaluate must be finite and >= 0")
        b = self.budgets
        B = self.size
        j = np.searchsorted(b, x, side="left")  # b[j-1] < x <= b[j]
        index = np.empty(x.shape, dtype=np.int64)
        w = np.zeros(x.shape)
        alpha = np.zeros(x.shape)
        beta = np.zeros(x.shape)
        first = (x > 0) & (j == 0)
        index[x == 0] = 0
        index[first] = 0
        w[first] = 1.0
        beta[first] = x[first]
        past = j >= B
        index[past] = B
        alpha[past] = x[past] - b[-1]
        mid = (j > 0) & ~past
        jm = j[mid] - 1
        xm = x[mid]
        lo = b[jm]
        L = self._L[jm]
        ratio = np.log(xm / lo)
        D = xm - lo
        Lam = xm * ratio - D  # integral of (log y - log lo) dy over [lo, x]
        index[mid] = jm + 1
        w[mid] = ratio / L
        beta[mid] = Lam / L
        alpha[mid] = D - Lam / L
        return KnotWeights(index, w, alpha, beta)


def read_survival(s_aug: np.ndarray, kw: KnotWeights) -> np.ndarray:
    """Interpolated failure probability: ``s_aug`` is (..., B+2), weights broadcast over the leading axes."""
    i = kw.index
    return (1 - kw.w) * np.take(s_aug, i, axis=-1) + kw.w * np.take(s_aug, i + 1, axis=-1)


def read_spend(s_aug: np.ndarray, e_aug: np.ndarray, kw: KnotWeights) -> np.ndarray:
    """Expected spend ``E(x)`` of the interpolated survival, read from augmented knot arrays."""
    i = kw.index
    return np.take(e_aug, i, axis=-1) + kw.alpha * np.take(s_aug, i, axis=-1) + kw.beta * np.take(s_aug, i + 1, axis=-1)


def solve_rate_grid(lo: float, hi: float, num: int = 100) -> np.ndarray:
    """Target solve rates, ``num`` evenly spaced points from ``lo`` to ``hi`` within (0, 1]."""
    if not (0 < lo <= hi <= 1):
        raise HarnessError(f"solve-rate range must satisfy 0 < lo <= hi <= 1, got {lo}..{hi}")
    if int(num) < 1:
        raise HarnessError(f"need at least one target solve rate, got {num}")
    return np.linspace(lo, hi, int(num))
