"""Target solve-rate grids given relative to a side's own frontier: ``LO:HI[:N]`` with ``top`` terms.

``top`` is the best solve rate that side's market reaches (its best provider at the largest budget), so
``top-0.05:top:20`` is 20 rates from 0.05 below the frontier up to it (the paper's evaluation grid) and
``0.1:top`` the fit grid; plain numbers are absolute. Each side of a robust fit resolves its own grid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from harness.errors import HarnessError

_TERM = re.compile(r"^\s*(?:(?P<num>\d*\.?\d+(?:[eE][-+]?\d+)?)|top\s*(?:(?P<sign>[-+])\s*(?P<off>\d*\.?\d+))?)\s*$")


@dataclass(frozen=True)
class RateSpec:
    """``lo`` and ``hi`` as (absolute value or None, offset from ``top``); ``points`` rates from lo to hi."""

    lo: tuple[float | None, float]
    hi: tuple[float | None, float]
    points: int
    text: str = ""

    @classmethod
    def parse(cls, text: str, points: int = 100, what: str = "--rates") -> RateSpec:
        """``LO:HI`` or ``LO:HI:N``; LO and HI are numbers, ``top`` or ``top-X``."""
        parts = text.split(":")
        if len(parts) not in (2, 3):
            raise HarnessError(f"{what} must look like LO:HI or LO:HI:N (e.g. 0.1:top, top-0.05:top:20), got {text!r}")
        lo, hi = (_term(p, what, text) for p in parts[:2])
        if len(parts) == 3:
            try:
                points = int(parts[2])
            except ValueError:
                raise HarnessError(f"{what}: N in LO:HI:N must be a whole number, got {parts[2]!r}") from None
        if points < 1:
            raise HarnessError(f"{what}: need at least one solve rate, got {points}")
        return cls(lo, hi, points, text)

    @property
    def relative(self) -> bool:
        return self.lo[0] is None or self.hi[0] is None

    def bounds(self, top: float) -> tuple[float, float]:
        """(lo, hi) for a side whose frontier is ``top``."""
        lo, hi = (top + off if v is None else v for v, off in (self.lo, self.hi))
        return float(lo), float(min(hi, 1.0))

    def resolve(self, top: float) -> np.ndarray | None:
        """The target rates for a side whose frontier is ``top``; ``None`` if they are not solve rates there."""
        lo, hi = self.bounds(top)
        if not (0 < lo <= hi <= 1):
            return None
        return np.linspace(lo, hi, self.points)


def _term(part: str, what: str, text: str) -> tuple[float | None, float]:
    m = _TERM.match(part)
    if not m:
        raise HarnessError(f"{what}: {part!r} in {text!r} is not a solve rate, 'top' or 'top-X'")
    if m.group("num") is not None:
        v = float(m.group("num"))
        if not 0 < v <= 1:
            raise HarnessError(f"{what}: solve rates are in (0, 1], got {v}")
        return v, 0.0
    off = float(m.group("off") or 0.0)
    return None, -off if m.group("sign") == "-" else off
