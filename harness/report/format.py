"""How numbers and model names read in every output (terminal, JSON, figures).

Decisions: JSON numbers keep 15 significant digits (full precision for any comparison, without float
noise such as 0.00044280000000000003); a number that is not finite is ``null`` in JSON (the table or
summary says why in a field next to it) and ``-`` on a terminal; prices show 4 significant digits so
that sub-cent prices of small local models stay readable.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Iterable
from typing import Any

_RUN_NAME = re.compile(r"^\d{8}_[^_]+_(?P<model>.+)$")  # SWE-bench experiment runs: date_scaffold_model


def display_names(names: Iterable[str]) -> dict[str, str]:
    """Short labels for tables and legends (SWE-bench run names lose their date and scaffold) if unique."""
    names = list(dict.fromkeys(names))
    short = {n: (m.group("model") if (m := _RUN_NAME.match(n)) else n) for n in names}
    return short if len(set(short.values())) == len(short) else {n: n for n in names}


def json_number(x: float | None) -> float | None:
    """A JSON-safe float: ``None`` for inf/nan, else rounded to 15 significant digits."""
    if x is None:
        return None
    x = float(x)
    return float(f"{x:.15g}") if math.isfinite(x) else None


def json_clean(obj: Any) -> Any:
    """``obj`` with every float made JSON-safe (recursively through dicts, lists and tuples)."""
    if isinstance(obj, dict):
        return {str(k): json_clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)):  # numpy scalars
        obj = obj.item()
    if isinstance(obj, float):
        return json_number(obj)
    return obj


def emit_json(data: Any) -> None:
    """Write ``data`` to stdout as strict JSON (``NaN``/``Infinity`` can never appear)."""
    json.dump(json_clean(data), sys.stdout, indent=2, sort_keys=True, allow_nan=False, default=str)
    sys.stdout.write("\n")


def fmt_usd(x: Any, dollar: bool = False) -> str:
    """A price in USD with 4 significant digits (``-`` when not finite)."""
    if x is None or not math.isfinite(float(x)):
        return "-"
    return f"{'$' if dollar else ''}{float(x):.4g}"


def fmt_frac(x: Any, digits: int = 3) -> str:
    """A fraction (margin, share, solve rate) with ``digits`` decimals (``-`` when not finite)."""
    if x is None or not math.isfinite(float(x)):
        return "-"
    x = float(x)
    return f"{0.0 if abs(x) < 0.5 * 10**-digits else x:.{digits}f}"


def fmt_threshold(x: float) -> str:
    """A cascade threshold: ``rest`` for the remainder of the budget, else 4-significant-digit USD."""
    return "rest" if not math.isfinite(float(x)) else f"${float(x):.4g}"
