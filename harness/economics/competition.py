"""Competition between arbitrageurs who undercut each other in turns (DESIGN.md "Competition").

At each target solve rate the consumer price starts at the market price. In round r arbitrageur
``r mod K`` (unless it already holds the market) offers ``max(undercut x price, its own cost)`` and takes
the market if that is lower than the current price. The price falls toward the cheapest arbitrageur's
cost; the providers' revenue is what the holder spends on them, and the holder's margin is its markup.

Conventions: a margin here is relative to the final consumer price (not the providers' price C(u)); the
holder never undercuts itself, so a lone arbitrageur undercuts once, to ``undercut x C(u)``; nobody sells
where the providers cannot reach u (there is no price to undercut).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.errors import HarnessError


@dataclass(frozen=True)
class CompetitionResult:
    """Per round and target: consumer ``price`` (rounds+1, targets) and ``holder`` (-1: the providers).

    ``margins`` (arbitrageurs, targets) are the final margins (0 for those not holding the market);
    ``provider_revenue`` (providers, targets) is per-task revenue at the final price, when spends were given.
    """

    targets: np.ndarray
    price: np.ndarray
    holder: np.ndarray
    margins: np.ndarray
    provider_revenue: np.ndarray | None

    @property
    def final_price(self) -> np.ndarray:
        """The consumer price per target after the last round."""
        return self.price[-1]


def compete(
    targets: np.ndarray,
    market: np.ndarray,
    costs: np.ndarray,
    rounds: int = 50,
    undercut: float = 0.93,
    spend: np.ndarray | None = None,
    cheapest: np.ndarray | None = None,
) -> CompetitionResult:
    """Run ``rounds`` turns of undercutting between ``K`` arbitrageurs with prices ``costs`` (K, targets).

    ``market`` is the providers' price C(u). ``spend`` (K, providers, targets) is what each arbitrageur
    pays each provider per task; with ``cheapest`` (targets,; provider index setting the market price) the
    providers' revenue is also reported when no arbitrageur holds the market.
    """
    u = np.asarray(targets, dtype=np.float64)
    C = np.asarray(market, dtype=np.float64)
    Cq = np.atleast_2d(np.asarray(costs, dtype=np.float64))
    if C.shape != u.shape or Cq.shape[1:] != u.shape:
        raise HarnessError("market and arbitrageur prices must be given at every target solve rate")
    if not 0 < undercut < 1:
        raise HarnessError(f"undercut must be a fraction in (0, 1), got {undercut}")
    if rounds < 0:
        raise HarnessError(f"rounds must be >= 0, got {rounds}")
    K = Cq.shape[0]
    price = np.empty((rounds + 1, u.size))
    holder = np.full((rounds + 1, u.size), -1, dtype=np.int64)
    price[0] = C
    cur, who = C.copy(), np.full(u.size, -1, dtype=np.int64)
    for r in range(rounds):
        k = r % K
        offer = np.maximum(undercut * cur, Cq[k])
        take = (offer < cur) & (who != k) & np.isfinite(C)
        cur = np.where(take, offer, cur)
        who = np.where(take, k, who)
        price[r + 1], holder[r + 1] = cur, who
    mg = np.zeros((K, u.size))
    for k in range(K):
        with np.errstate(divide="ignore", invalid="ignore"):
            mg[k] = np.where((who == k) & (cur > 0), (cur - Cq[k]) / cur, 0.0)
    revenue = None
    if spend is not None:
        sp = np.asarray(spend, dtype=np.float64)
        if sp.ndim != 3 or sp.shape[0] != K or sp.shape[2] != u.size:
            raise HarnessError("spend must have shape (arbitrageurs, providers, targets)")
        revenue = np.zeros(sp.shape[1:])
        for k in range(K):
            revenue = np.where((who == k)[None, :], np.nan_to_num(sp[k]), revenue)
        if cheapest is not None:
            ch = np.asarray(cheapest, dtype=np.int64)
            none = (who < 0) & (ch >= 0) & np.isfinite(cur)
            for p in range(sp.shape[1]):
                revenue[p] = np.where(none & (ch == p), cur, revenue[p])
    return CompetitionResult(u, price, holder, mg, revenue)
