"""Synthetic banks for the run and economics tests: many attempts per task, known per-task probabilities."""

from __future__ import annotations

import numpy as np

from harness.bank import Bank, BankEntry


def synthetic_bank(tasks: int = 300, attempts: int = 20, seed: int = 0) -> Bank:
    """Two models with many attempts per task: a cheap one (~$0.01, often wrong) and a strong one (~$0.1)."""
    rng = np.random.default_rng(seed)
    entries: dict[str, dict[str, BankEntry]] = {"cheap": {}, "strong": {}}
    for i in range(tasks):
        tid = f"t{i:04d}"
        p_cheap = float(rng.beta(0.6, 1.4))
        p_strong = min(1.0, p_cheap + float(rng.uniform(0.1, 0.5)))
        for name, p, cost in (("cheap", p_cheap, 0.01), ("strong", p_strong, 0.1)):
            outcomes = tuple(int(x) for x in rng.random(attempts) < p)
            entries[name][tid] = BankEntry(round(cost * float(rng.uniform(0.7, 1.3)), 6), outcomes)
    return Bank(entries)
