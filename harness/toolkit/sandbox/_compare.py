"""Token-wise comparison of a program's output with the expected output (done by the harness)."""

from __future__ import annotations

import math


def _float(tok: str) -> float | None:
    try:
        v = float(tok)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def compare_tokens(actual: str, expected: str, float_tol: float | None = None) -> bool:
    """Whitespace-insensitive token comparison; with ``float_tol``, numbers match within abs/rel tol."""
    a, e = actual.split(), expected.split()
    if len(a) != len(e):
        return False
    for x, y in zip(a, e, strict=True):
        if x == y:
            continue
        if float_tol is None:
            return False
        fx, fy = _float(x), _float(y)
        if fx is None or fy is None:
            return False
        if abs(fx - fy) > float_tol * max(1.0, abs(fy)):
            return False
    return True
