"""builtin/duration: parse and format durations like "1h30m"."""

from harness_swebench.builtin.model import BuiltinInstance, BuiltinRepo

INIT = '''"""duration: compact durations ("1h30m") to seconds and back."""

from duration.format import format_duration
from duration.parse import parse_duration

__all__ = ["format_duration", "parse_duration"]
'''

PARSE = '''"""Parse durations written like "1h30m" or "45s" into seconds."""

import re

_PART = re.compile(r"(\\d+)([hms])")
_SECONDS = {"h": 3600, "m": 3600, "s": 1}


def parse_duration(text):
    """The number of seconds in ``text``: one or more <number><unit> parts, with units h, m and s."""
    text = text.strip().lower()
    if not text:
        raise ValueError("empty duration")
    pos, total = 0, 0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += int(match.group(1)) * _SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(text):
        raise ValueError(f"not a duration: {text!r}")
    return total
'''

FORMAT = '''"""Write a number of seconds as a compact duration like "1h30m"."""


def format_duration(seconds):
    """The compact <number><unit> form of ``seconds``: 5400 -> "1h30m", 0 -> "0s"."""
    if seconds < 0:
        raise ValueError("negative duration")
    if seconds == 0:
        return "0s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    for value, unit in ((hours, "h"), (minutes, "m"), (secs, "s")):
        if value:
            parts.append(f"{value}{unit}")
    return "".join(parts)
'''

TEST_PARSE = """import pytest

from duration import parse_duration


def test_seconds():
    assert parse_duration("45s") == 45


def test_hours():
    assert parse_duration("2h") == 7200
    assert parse_duration(" 1H ") == 3600


def test_rejects_garbage():
    for text in ("12", "h", "1x", "1h 2s"):
        with pytest.raises(ValueError):
            parse_duration(text)


def test_rejects_empty():
    with pytest.raises(ValueError):
        parse_duration("  ")
"""

TEST_FORMAT = """import pytest

from duration import format_duration


def test_hours_and_minutes():
    assert format_duration(5400) == "1h30m"


def test_seconds_only():
    assert format_duration(59) == "59s"


def test_zero():
    assert format_duration(0) == "0s"


def test_negative():
    with pytest.raises(ValueError):
        format_duration(-1)
"""

REPO = BuiltinRepo(
    name="builtin/duration",
    history=[
        ("duration: parse", {"duration/__init__.py": INIT, "duration/parse.py": PARSE, "duration/format.py": FORMAT}),
        ("Add tests", {"tests/test_parse.py": TEST_PARSE, "tests/test_format.py": TEST_FORMAT}),
    ],
)

INSTANCES = [
    BuiltinInstance(
        repo=REPO,
        number=1,
        difficulty="very easy",
        notes="wrong constant (minutes worth 3600 s)",
        problem_statement="""
parse_duration() treats minutes as hours

```python
>>> from duration import parse_duration
>>> parse_duration("2m")
7200
>>> parse_duration("1h30m")
108000
```

A minute is 60 seconds: I expected `120` and `5400`.

(`parse_duration` is in `duration/parse.py`.)
""",
        fix={"duration/parse.py": [('"m": 3600', '"m": 60')]},
        tests={
            "tests/test_parse.py": TEST_PARSE
            + """

def test_minutes():
    assert parse_duration("2m") == 120


def test_hours_and_minutes():
    assert parse_duration("1h30m") == 5400
    assert parse_duration("1h1m1s") == 3661
"""
        },
        fail_to_pass=["tests/test_parse.py::test_minutes", "tests/test_parse.py::test_hours_and_minutes"],
        pass_to_pass=[
            "tests/test_parse.py::test_seconds",
            "tests/test_parse.py::test_hours",
            "tests/test_parse.py::test_rejects_garbage",
            "tests/test_parse.py::test_rejects_empty",
        ],
        regression={"duration/parse.py": [("text = text.strip().lower()", "text = text.strip()")]},
    ),
    BuiltinInstance(
        repo=REPO,
        number=2,
        difficulty="hard",
        notes="add a unit across parse.py and format.py",
        problem_statement="""
Support days ("d") in parse_duration and format_duration

Durations of a day or more are common in our configuration files, but neither function knows days:

```python
>>> parse_duration("1d2h")
ValueError: not a duration: '1d2h'
>>> format_duration(93600)
'26h'
```

Please add the unit `d` (86400 seconds) to both: `parse_duration("1d2h")` should be `93600`, and
`format_duration(93600)` should be `"1d2h"` (days first, then hours, minutes and seconds, as today).
""",
        fix={
            "duration/parse.py": [
                ('r"(\\d+)([hms])"', 'r"(\\d+)([dhms])"'),
                ('_SECONDS = {"h": 3600,', '_SECONDS = {"d": 86400, "h": 3600,'),
                ("with units h, m and s.", "with units d, h, m and s."),
            ],
            "duration/format.py": [
                (
                    "    hours, rest = divmod(seconds, 3600)\n",
                    "    days, rest = divmod(seconds, 86400)\n    hours, rest = divmod(rest, 3600)\n",
                ),
                ('for value, unit in ((hours, "h"),', 'for value, unit in ((days, "d"), (hours, "h"),'),
            ],
        },
        tests={
            "tests/test_parse.py": TEST_PARSE
            + """

def test_days():
    assert parse_duration("1d2h") == 93600
    assert parse_duration("2d") == 172800
""",
            "tests/test_format.py": TEST_FORMAT
            + """

def test_days():
    assert format_duration(93600) == "1d2h"
    assert format_duration(86400 + 61) == "1d1m1s"
""",
        },
        fail_to_pass=["tests/test_parse.py::test_days", "tests/test_format.py::test_days"],
        pass_to_pass=[
            "tests/test_parse.py::test_seconds",
            "tests/test_parse.py::test_hours",
            "tests/test_parse.py::test_rejects_garbage",
            "tests/test_format.py::test_hours_and_minutes",
            "tests/test_format.py::test_seconds_only",
            "tests/test_format.py::test_zero",
            "tests/test_format.py::test_negative",
        ],
        regression={"duration/format.py": [('    if seconds == 0:\n        return "0s"\n', "")]},
    ),
]
