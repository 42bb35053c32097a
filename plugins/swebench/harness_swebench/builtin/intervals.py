"""builtin/intervals: merging closed intervals."""

from harness_swebench.builtin.model import BuiltinInstance, BuiltinRepo

INIT = '''"""intervals: unions of closed intervals."""

from intervals.merge import merge, total_length

__all__ = ["merge", "total_length"]
'''

MERGE = '''"""Merge overlapping closed intervals."""


def merge(intervals):
    """Merge overlapping or touching (start, end) intervals into a sorted list of disjoint ones.

    [(1, 3), (2, 5), (7, 8)] -> [(1, 5), (7, 8)]; touching intervals (1, 3) and (3, 4) merge into (1, 4).
    """
    result = []
    for start, end in sorted(intervals):
        if start > end:
            raise ValueError(f"interval ({start}, {end}) ends before it starts")
        if result and start < result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def total_length(intervals):
    """The length covered by the union of ``intervals``."""
    return sum(end - start for start, end in merge(intervals))
'''

TESTS = """import pytest

from intervals import merge, total_length


def test_overlapping():
    assert merge([(1, 3), (2, 5), (7, 8)]) == [(1, 5), (7, 8)]


def test_disjoint():
    assert merge([(5, 6), (1, 2)]) == [(1, 2), (5, 6)]


def test_contained():
    assert merge([(1, 10), (2, 3)]) == [(1, 10)]


def test_rejects_reversed():
    with pytest.raises(ValueError):
        merge([(3, 1)])


def test_total_length():
    assert total_length([(0, 4), (2, 6), (10, 11)]) == 7
"""

REPO = BuiltinRepo(
    name="builtin/intervals",
    history=[
        ("intervals: merge", {"intervals/__init__.py": INIT, "intervals/merge.py": MERGE}),
        ("Add tests", {"tests/test_merge.py": TESTS}),
    ],
)

INSTANCES = [
    BuiltinInstance(
        repo=REPO,
        number=1,
        difficulty="easy",
        notes="touching intervals not merged (< instead of <=)",
        problem_statement="""
merge() does not merge touching intervals

The docstring of `intervals.merge` says touching intervals merge, but:

```python
>>> from intervals import merge
>>> merge([(1, 3), (3, 4)])
[(1, 3), (3, 4)]
```

I expected `[(1, 4)]`. Overlapping intervals are merged correctly.

(`merge` is in `intervals/merge.py`.)
""",
        fix={"intervals/merge.py": [("if result and start < result[-1][1]:", "if result and start <= result[-1][1]:")]},
        tests={
            "tests/test_merge.py": TESTS
            + """

def test_touching_intervals_merge():
    assert merge([(1, 3), (3, 4)]) == [(1, 4)]
    assert merge([(5, 7), (0, 5), (7, 7)]) == [(0, 7)]
"""
        },
        fail_to_pass=["tests/test_merge.py::test_touching_intervals_merge"],
        pass_to_pass=[
            "tests/test_merge.py::test_overlapping",
            "tests/test_merge.py::test_disjoint",
            "tests/test_merge.py::test_contained",
            "tests/test_merge.py::test_rejects_reversed",
            "tests/test_merge.py::test_total_length",
        ],
        regression={"intervals/merge.py": [("max(result[-1][1], end)", "end")]},
    ),
]
