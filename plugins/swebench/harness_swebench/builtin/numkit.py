"""builtin/numkit: descriptive statistics and numeric utilities."""

from harness_swebench.builtin.model import BuiltinInstance, BuiltinRepo

INIT = '''"""numkit: statistics and small numeric helpers."""

from numkit.stats import mean, median, spread
from numkit.util import clamp, lerp

__all__ = ["clamp", "lerp", "mean", "median", "spread"]
'''

STATS = '''"""Descriptive statistics for lists of numbers."""


def mean(values):
    """The arithmetic mean of ``values``; raises ValueError when there are none."""
    values = list(values)
    return sum(values) / len(values)


def median(values):
    """The middle value of ``values`` (the mean of the two middle values for an even count)."""
    data = sorted(values)
    if not data:
        raise ValueError("median of empty data")
    n = len(data)
    return data[n // 2]


def spread(values):
    """The difference between the largest and the smallest value."""
    data = list(values)
    if not data:
        raise ValueError("spread of empty data")
    return max(data) - min(data)
'''

UTIL = '''"""Small numeric utilities."""


def clamp(value, low, high):
    """Limit ``value`` to the closed range [low, high]."""
    if low > high:
        raise ValueError("low must not be greater than high")
    return max(high, min(low, value))


def lerp(start, stop, fraction):
    """The point ``fraction`` of the way from ``start`` to ``stop``."""
    return start + (stop - start) * fraction
'''

TEST_STATS = """import pytest

from numkit import mean, median, spread


def test_mean():
    assert mean([1, 2, 3, 6]) == 3
    assert mean([1, 2]) == 1.5


def test_median_odd():
    assert median([5, 1, 3]) == 3


def test_median_empty():
    with pytest.raises(ValueError):
        median([])


def test_spread():
    assert spread([4, -2, 7]) == 9
"""

TEST_UTIL = """import pytest

from numkit import clamp, lerp


def test_clamp_above():
    assert clamp(15, 0, 10) == 10


def test_clamp_rejects_bad_range():
    with pytest.raises(ValueError):
        clamp(1, 5, 0)


def test_lerp():
    assert lerp(10, 20, 0.25) == 12.5
"""

REPO = BuiltinRepo(
    name="builtin/numkit",
    history=[
        ("numkit: mean, median, spread", {"numkit/__init__.py": INIT, "numkit/stats.py": STATS}),
        (
            "Add clamp and lerp, tests",
            {"numkit/util.py": UTIL, "tests/test_stats.py": TEST_STATS, "tests/test_util.py": TEST_UTIL},
        ),
    ],
)

INSTANCES = [
    BuiltinInstance(
        repo=REPO,
        number=1,
        difficulty="very easy",
        notes="swapped arguments of min/max",
        problem_statement="""
clamp() returns the upper bound for values inside the range

```python
>>> from numkit import clamp
>>> clamp(5, 0, 10)
10
>>> clamp(-5, 0, 10)
10
```

`clamp(value, low, high)` should limit `value` to `[low, high]`: I expected `5` and `0`.

(`clamp` is in `numkit/util.py`.)
""",
        fix={"numkit/util.py": [("return max(high, min(low, value))", "return max(low, min(high, value))")]},
        tests={
            "tests/test_util.py": TEST_UTIL
            + """

def test_clamp_inside_range():
    assert clamp(5, 0, 10) == 5
    assert clamp(0.5, 0, 1) == 0.5


def test_clamp_below():
    assert clamp(-5, 0, 10) == 0
"""
        },
        fail_to_pass=["tests/test_util.py::test_clamp_inside_range", "tests/test_util.py::test_clamp_below"],
        pass_to_pass=[
            "tests/test_util.py::test_clamp_above",
            "tests/test_util.py::test_clamp_rejects_bad_range",
            "tests/test_util.py::test_lerp",
        ],
        regression={"numkit/util.py": [("return start + (stop - start) * fraction", "return start + stop * fraction")]},
    ),
    BuiltinInstance(
        repo=REPO,
        number=2,
        difficulty="easy",
        notes="median of an even count must average the two middle values",
        problem_statement="""
median() of an even number of values is wrong

```python
>>> from numkit import median
>>> median([1, 2, 3, 4])
3
```

The docstring says the median of an even count is the mean of the two middle values, so this should
be `2.5`. Odd counts work.

(`median` is in `numkit/stats.py`.)
""",
        fix={
            "numkit/stats.py": [
                (
                    "    n = len(data)\n    return data[n // 2]\n",
                    "    mid = len(data) // 2\n    if len(data) % 2:\n        return data[mid]\n"
                    "    return (data[mid - 1] + data[mid]) / 2\n",
                )
            ]
        },
        tests={
            "tests/test_stats.py": TEST_STATS
            + """

def test_median_even():
    assert median([1, 2, 3, 4]) == 2.5
    assert median([10, 0]) == 5
"""
        },
        fail_to_pass=["tests/test_stats.py::test_median_even"],
        pass_to_pass=[
            "tests/test_stats.py::test_median_odd",
            "tests/test_stats.py::test_median_empty",
            "tests/test_stats.py::test_spread",
            "tests/test_stats.py::test_mean",
        ],
        regression={"numkit/stats.py": [("return max(data) - min(data)", "return max(data) + min(data)")]},
    ),
    BuiltinInstance(
        repo=REPO,
        number=3,
        difficulty="easy",
        notes="missing check: ZeroDivisionError instead of ValueError",
        problem_statement="""
mean([]) raises ZeroDivisionError instead of ValueError

The docstring of `numkit.mean` says it raises `ValueError` when there are no values, like `median`
and `spread` do, but:

```python
>>> from numkit import mean
>>> mean([])
ZeroDivisionError: division by zero
```

(`mean` is in `numkit/stats.py`.)
""",
        fix={
            "numkit/stats.py": [
                (
                    "    values = list(values)\n    return sum(values) / len(values)\n",
                    '    values = list(values)\n    if not values:\n        raise ValueError("mean of empty data")\n'
                    "    return sum(values) / len(values)\n",
                )
            ]
        },
        tests={
            "tests/test_stats.py": TEST_STATS
            + """

def test_mean_empty():
    with pytest.raises(ValueError):
        mean([])
"""
        },
        fail_to_pass=["tests/test_stats.py::test_mean_empty"],
        pass_to_pass=["tests/test_stats.py::test_mean", "tests/test_stats.py::test_median_odd"],
        regression={"numkit/stats.py": [("return sum(values) / len(values)", "return sum(values) // len(values)")]},
    ),
]
