"""builtin/lrucache: a least-recently-used cache."""

from harness_swebench.builtin.model import BuiltinInstance, BuiltinRepo

INIT = '''"""lrucache: a fixed-capacity least-recently-used cache."""

from lrucache.cache import LRUCache

__all__ = ["LRUCache"]
'''

CACHE = '''"""A least-recently-used cache with a fixed capacity."""

from collections import OrderedDict


class LRUCache:
    """Keeps at most ``capacity`` entries; adding one more evicts the least recently used."""

    def __init__(self, capacity):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._data = OrderedDict()

    def get(self, key, default=None):
        """The value stored for ``key`` (reading it counts as a use), or ``default``."""
        if key not in self._data:
            return default
        return self._data[key]

    def put(self, key, value):
        """Store ``value`` for ``key`` (a use), evicting the least recently used entry when full."""
        if key in self._data:
            self._data.move_to_end(key)
        self._data[key] = value
        if len(self._data) > self.capacity:
            self._data.popitem(last=False)

    def __len__(self):
        return len(self._data)

    def __contains__(self, key):
        return key in self._data
'''

TESTS = """import pytest

from lrucache import LRUCache


def test_put_and_get():
    cache = LRUCache(2)
    cache.put("a", 1)
    assert cache.get("a") == 1
    assert cache.get("zzz", 0) == 0


def test_eviction_order():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert "a" not in cache and len(cache) == 2


def test_update_existing_key():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    cache.put("c", 3)
    assert cache.get("a") == 10 and "b" not in cache


def test_rejects_zero_capacity():
    with pytest.raises(ValueError):
        LRUCache(0)
"""

REPO = BuiltinRepo(
    name="builtin/lrucache",
    history=[
        ("lrucache: LRUCache", {"lrucache/__init__.py": INIT, "lrucache/cache.py": CACHE}),
        ("Add tests", {"tests/test_cache.py": TESTS}),
    ],
)

INSTANCES = [
    BuiltinInstance(
        repo=REPO,
        number=1,
        difficulty="medium",
        notes="get() must refresh recency (move_to_end)",
        problem_statement="""
LRUCache evicts an entry that was just read

Reading a key with `get` is documented to count as a use, but the entry is still evicted first:

```python
>>> cache = LRUCache(2)
>>> cache.put("a", 1)
>>> cache.put("b", 2)
>>> cache.get("a")
1
>>> cache.put("c", 3)
>>> "a" in cache
False
```

After reading "a", the least recently used entry is "b", so "b" should have been evicted.
""",
        fix={
            "lrucache/cache.py": [
                (
                    "            return default\n        return self._data[key]\n",
                    "            return default\n        self._data.move_to_end(key)\n        return self._data[key]\n",
                )
            ]
        },
        tests={
            "tests/test_cache.py": TESTS
            + """

def test_get_counts_as_use():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert "a" in cache and "b" not in cache
"""
        },
        fail_to_pass=["tests/test_cache.py::test_get_counts_as_use"],
        pass_to_pass=[
            "tests/test_cache.py::test_put_and_get",
            "tests/test_cache.py::test_eviction_order",
            "tests/test_cache.py::test_update_existing_key",
            "tests/test_cache.py::test_rejects_zero_capacity",
        ],
        regression={
            "lrucache/cache.py": [("        if key in self._data:\n            self._data.move_to_end(key)\n", "")]
        },
    ),
]
