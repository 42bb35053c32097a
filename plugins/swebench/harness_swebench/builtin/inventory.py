"""builtin/inventory: a stock ledger."""

from harness_swebench.builtin.model import BuiltinInstance, BuiltinRepo

INIT = '''"""inventory: quantities and prices of items in stock."""

from inventory.stock import Inventory

__all__ = ["Inventory"]
'''

STOCK = '''"""A tiny stock ledger: items with a quantity and a unit price."""


class Inventory:
    """Quantities and unit prices of the items in stock."""

    def __init__(self):
        self._qty = {}
        self._price = {}

    def add(self, name, qty, price):
        """Add ``qty`` units of ``name`` at ``price`` each (the latest price wins)."""
        if qty <= 0:
            raise ValueError("quantity must be positive")
        self._qty[name] = self._qty.get(name, 0) + qty
        self._price[name] = price

    def remove(self, name, qty):
        """Take ``qty`` units of ``name`` out of stock."""
        if name not in self._qty:
            raise KeyError(name)
        self._qty[name] -= qty

    def quantity(self, name):
        """Units of ``name`` in stock (0 when there are none)."""
        return self._qty.get(name, 0)

    def items(self):
        """The names of the items in stock, sorted."""
        return sorted(self._qty)

    def total_value(self):
        """The value of everything in stock: the sum of quantity times unit price."""
        total = 0
        for name, qty in self._qty.items():
            total += qty * self._price[name]
'''

TESTS = """import pytest

from inventory import Inventory


def make():
    inv = Inventory()
    inv.add("apple", 3, 2)
    inv.add("pear", 1, 5)
    return inv


def test_add_accumulates():
    inv = make()
    inv.add("apple", 2, 3)
    assert inv.quantity("apple") == 5


def test_add_rejects_non_positive():
    with pytest.raises(ValueError):
        Inventory().add("apple", 0, 1)


def test_quantity_of_unknown_item():
    assert make().quantity("plum") == 0


def test_remove_some():
    inv = make()
    inv.remove("apple", 2)
    assert inv.quantity("apple") == 1
    assert inv.items() == ["apple", "pear"]


def test_remove_unknown_item():
    with pytest.raises(KeyError):
        make().remove("plum", 1)
"""

REPO = BuiltinRepo(
    name="builtin/inventory",
    history=[
        ("inventory: a stock ledger", {"inventory/__init__.py": INIT, "inventory/stock.py": STOCK}),
        ("Add tests", {"tests/test_stock.py": TESTS}),
    ],
)

INSTANCES = [
    BuiltinInstance(
        repo=REPO,
        number=1,
        difficulty="very easy",
        notes="missing return",
        problem_statement="""
Inventory.total_value() returns None

```python
>>> from inventory import Inventory
>>> inv = Inventory()
>>> inv.add("apple", 3, 2)
>>> print(inv.total_value())
None
```

It should return the sum of quantity times unit price, here `6`.

(`Inventory` is in `inventory/stock.py`.)
""",
        fix={
            "inventory/stock.py": [
                (
                    "            total += qty * self._price[name]\n",
                    "            total += qty * self._price[name]\n        return total\n",
                )
            ]
        },
        tests={
            "tests/test_stock.py": TESTS
            + """

def test_total_value():
    assert make().total_value() == 11
    assert Inventory().total_value() == 0
"""
        },
        fail_to_pass=["tests/test_stock.py::test_total_value"],
        pass_to_pass=[
            "tests/test_stock.py::test_add_accumulates",
            "tests/test_stock.py::test_add_rejects_non_positive",
            "tests/test_stock.py::test_quantity_of_unknown_item",
            "tests/test_stock.py::test_remove_some",
        ],
        regression={
            "inventory/stock.py": [("self._qty[name] = self._qty.get(name, 0) + qty", "self._qty[name] = qty")]
        },
    ),
    BuiltinInstance(
        repo=REPO,
        number=2,
        difficulty="medium",
        notes="remove() must refuse to go negative and drop empty items",
        problem_statement="""
Inventory.remove() lets stock go negative and keeps sold-out items

```python
>>> inv = Inventory()
>>> inv.add("apple", 3, 2)
>>> inv.remove("apple", 5)
>>> inv.quantity("apple")
-2
```

Removing more units than are in stock should raise `ValueError` and leave the stock unchanged.
Also, when the last unit of an item is removed, the item should disappear from `items()`
(today `inv.remove("apple", 3)` leaves `"apple"` listed with quantity 0).
""",
        fix={
            "inventory/stock.py": [
                (
                    "            raise KeyError(name)\n        self._qty[name] -= qty\n",
                    "            raise KeyError(name)\n"
                    "        if qty > self._qty[name]:\n"
                    '            raise ValueError(f"not enough {name} in stock")\n'
                    "        self._qty[name] -= qty\n"
                    "        if self._qty[name] == 0:\n"
                    "            del self._qty[name]\n"
                    "            del self._price[name]\n",
                )
            ]
        },
        tests={
            "tests/test_stock.py": TESTS
            + """

def test_remove_more_than_stock():
    inv = make()
    with pytest.raises(ValueError):
        inv.remove("apple", 5)
    assert inv.quantity("apple") == 3


def test_remove_all_drops_item():
    inv = make()
    inv.remove("pear", 1)
    assert inv.items() == ["apple"]
    assert inv.quantity("pear") == 0
"""
        },
        fail_to_pass=[
            "tests/test_stock.py::test_remove_more_than_stock",
            "tests/test_stock.py::test_remove_all_drops_item",
        ],
        pass_to_pass=[
            "tests/test_stock.py::test_remove_some",
            "tests/test_stock.py::test_remove_unknown_item",
            "tests/test_stock.py::test_add_accumulates",
            "tests/test_stock.py::test_quantity_of_unknown_item",
        ],
        regression={
            "inventory/stock.py": [("self._qty[name] = self._qty.get(name, 0) + qty", "self._qty[name] = qty")]
        },
    ),
]
