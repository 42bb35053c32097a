"""Exact parsing of numeric answers into fractions: '70,000', '$18.00', '\\dfrac{14}{3}', '90^\\circ', '-3'.

GSM8K-style answers are compared with :class:`fractions.Fraction`, never with a float tolerance, so
'18' equals '18.0' and '$18' but never '18.000001'.
"""

from __future__ import annotations

import re
from fractions import Fraction

_DECIMAL = r"(?:\d+(?:\.\d*)?|\.\d+)"
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_PLAIN = re.compile(rf"([+-]?){_DECIMAL}")
_SLASH = re.compile(r"([+-]?)(\d+)\s*/\s*(\d+)")
_FRAC = re.compile(r"([+-]?)\\[dt]?frac\s*\{\s*([+-]?\d+)\s*\}\s*\{\s*(\d+)\s*\}")
_FRAC_SHORT = re.compile(r"([+-]?)\\[dt]?frac(\d)(\d)")
_NOISE = (
    "\\$",
    "$",
    "\\!",
    "\\,",
    "\\;",
    "\\:",
    "\\ ",
    "\\left",
    "\\right",
    "{,}",
    "^{\\circ}",
    "^\\circ",
    "\\circ",
    "°",
    "\\%",
    "%",
    "\\displaystyle",
)
_TEXT = re.compile(r"\\(?:text|textbf|mathrm|mbox|textnormal)\s*\{([^{}]*)\}")
_UNITS = re.compile(r"\s*[A-Za-z][A-Za-z .'-]*$")
_LHS = re.compile(r"^\s*[A-Za-z]\w*\s*=\s*")


def _strip_noise(s: str) -> str:
    for token in _NOISE:
        s = s.replace(token, "")
    return s.strip()


def parse_number(text: str | None, lenient: bool = False) -> Fraction | None:
    """Parse a plain numeric answer exactly; None when it is not one number.

    ``lenient`` also drops trailing unit words ('18 dollars', '5\\text{ cm}') and a leading
    'x =', which is right for grade-school answers and wrong for algebra ('5x' is not 5).
    """
    if text is None:
        return None
    s = text.strip()
    if lenient:
        s = _TEXT.sub(lambda m: " " + m.group(1), s)
        s = _LHS.sub("", s)
    s = _strip_noise(s)
    if lenient:
        s = _UNITS.sub("", s).strip()
        s = _strip_noise(s)
    if s.startswith("{") and s.endswith("}"):
        s = s[1:-1].strip()
    if not s:
        return None
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    if _PLAIN.fullmatch(s):
        return Fraction(s)
    for pattern in (_SLASH, _FRAC, _FRAC_SHORT):
        m = pattern.fullmatch(s)
        if m:
            sign = -1 if m.group(1) == "-" else 1
            num, den = int(m.group(2)), int(m.group(3))
            return None if den == 0 else sign * Fraction(num, den)
    return None


def format_number(value: Fraction) -> str:
    """Render a fraction the way a grade-school answer is written: '18', '-3', '7/2'."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
