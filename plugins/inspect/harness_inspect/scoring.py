"""Which inspect score is the verdict, and which of its values count as passed.

A *pass rule* is a string (``HARNESS_INSPECT_PASS`` for imported logs, ``[domains.inspect] options.pass``
for the domain):

- empty (the default): passed iff inspect's own ``value_to_float`` gives at least 1.0: ``C`` (correct),
  ``1``, ``true``, ``yes``; ``I``, ``P`` (partial), ``N`` (no answer), ``0`` are not passed. A partial answer is
  not a verified solution an arbitrageur could sell.
- a comma-separated list of values meaning passed, e.g. ``C,P`` (compared as text).
- a threshold on ``value_to_float``: ``>=0.5``, ``>0``, ``==1``, ``<=`` / ``<`` likewise.

A *scorer* names the score: ``match``, or ``name:key`` for a scorer whose value is a dict (one entry of
it). Without one, a log's headline scorer (else the first scorer) is used.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness import HarnessError

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    ">": operator.gt,
    "<": operator.lt,
}
_THRESHOLD = re.compile(r"^\s*(>=|<=|==|>|<)\s*(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*$")


def value_to_float(value: Any) -> float:
    """A score value as a number, exactly as inspect reads it (C/I/P/N, yes/no, true/false, numbers)."""
    from inspect_ai.scorer import value_to_float as inspect_value_to_float

    return float(inspect_value_to_float()(value))


@dataclass(frozen=True)
class PassRule:
    """Decides from a score value whether the attempt passed (see the module docstring)."""

    spec: str = ""

    def __post_init__(self) -> None:
        parse_pass_rule(self.spec)  # a bad rule fails where it is written, not at the first score

    def passed(self, value: Any) -> bool:
        kind, arg = parse_pass_rule(self.spec)
        if kind == "values":
            return str(value).strip() in arg
        number = value_to_float(value)
        if math.isnan(number):
            return False
        op, bound = arg
        return op(number, bound)


def parse_pass_rule(spec: str) -> tuple[str, Any]:
    """``("threshold", (op, bound))`` or ``("values", {...})``; a malformed rule is a HarnessError."""
    text = (spec or "").strip()
    if not text:
        return "threshold", (operator.ge, 1.0)
    m = _THRESHOLD.match(text)
    if m:
        return "threshold", (_OPS[m.group(1)], float(m.group(2)))
    if any(ch in text for ch in "<>="):
        raise HarnessError(f"pass rule {spec!r} is not a threshold like '>=0.5' or a list of values like 'C,P'; fix it")
    values = {v.strip() for v in text.split(",") if v.strip()}
    if not values:
        raise HarnessError(f"pass rule {spec!r} names no value; use e.g. 'C' or '>=1'")
    return "values", frozenset(values)


def pick_score(scores: Mapping[str, Any] | None, scorer: str | None, default: str | None) -> tuple[str, Any] | None:
    """The (scorer name, score value) that decides an attempt, or None when the sample has no such score.

    ``scorer`` is the user's choice (``name`` or ``name:key``); else ``default`` (the headline scorer),
    else the first score. A dict value needs ``name:key``.
    """
    if not scores:
        return None
    name, _, key = (scorer or default or next(iter(scores))).partition(":")
    if name not in scores:
        return None
    score = scores[name]
    value = getattr(score, "value", score)
    if isinstance(value, Mapping):
        if not key:
            keys = ", ".join(f"{name}:{k}" for k in value)
            raise HarnessError(f"scorer {name!r} gives several values; choose one of: {keys}")
        if key not in value:
            raise HarnessError(f"scorer {name!r} has no value {key!r} (it has: {', '.join(value)})")
        value = value[key]
    elif key:
        raise HarnessError(f"scorer {name!r} gives one value, not a table: use {name!r} without ':{key}'")
    return name, value
