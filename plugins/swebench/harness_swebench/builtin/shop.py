"""builtin/shop: prices in cents, discounts and a cart."""

from harness_swebench.builtin.model import BuiltinInstance, BuiltinRepo

INIT = '''"""shop: prices in cents, discount codes and a shopping cart."""

from shop.cart import Cart
from shop.pricing import add_tax, apply_discount

__all__ = ["Cart", "add_tax", "apply_discount"]
'''

PRICING = '''"""Prices in cents: discounts and tax."""


def apply_discount(cents, percent):
    """``cents`` reduced by ``percent`` percent, rounded to the nearest cent."""
    if not 0 <= percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    return round(cents * (1 + percent / 100))


def add_tax(cents, rate_percent):
    """``cents`` plus ``rate_percent`` percent tax, rounded to the nearest cent."""
    return round(cents * (1 + rate_percent / 100))
'''

CART = '''"""A shopping cart of (item, unit price in cents, quantity) lines."""

from shop.pricing import add_tax, apply_discount


class Cart:
    """Lines of a purchase; ``total`` applies an optional discount code, then tax."""

    CODES = {"SAVE10": 10, "HALF": 50}

    def __init__(self, tax_percent=0):
        self.tax_percent = tax_percent
        self.lines = []

    def add(self, item, cents, qty=1):
        """Add ``qty`` units of ``item`` at ``cents`` each."""
        if qty < 1:
            raise ValueError("quantity must be at least 1")
        self.lines.append((item, cents, qty))

    def subtotal(self):
        """The sum of unit price times quantity over all lines, in cents."""
        return sum(cents * qty for _, cents, qty in self.lines)

    def total(self, code=None):
        """The amount to pay in cents: the subtotal, less the discount of ``code``, plus tax."""
        amount = self.subtotal()
        if code is not None:
            if code not in self.CODES:
                raise ValueError(f"unknown discount code {code!r}")
            amount = apply_discount(amount, self.CODES[code])
        return add_tax(amount, self.tax_percent)
'''

TEST_PRICING = """import pytest

from shop import add_tax, apply_discount


def test_apply_discount_rejects_bad_percent():
    with pytest.raises(ValueError):
        apply_discount(1000, 120)


def test_add_tax():
    assert add_tax(1000, 20) == 1200
    assert add_tax(999, 0) == 999
"""

TEST_CART = """import pytest

from shop import Cart


def make(tax=0):
    cart = Cart(tax_percent=tax)
    cart.add("pen", 150, qty=2)
    cart.add("book", 1700)
    return cart


def test_subtotal():
    assert make().subtotal() == 2000


def test_total_without_code():
    assert make().total() == 2000
    assert make(tax=10).total() == 2200


def test_add_rejects_zero_quantity():
    with pytest.raises(ValueError):
        Cart().add("pen", 150, qty=0)


def test_unknown_code():
    with pytest.raises(ValueError):
        make().total("NOPE")
"""

REPO = BuiltinRepo(
    name="builtin/shop",
    history=[
        ("shop: pricing", {"shop/__init__.py": INIT, "shop/pricing.py": PRICING}),
        (
            "Add the cart and tests",
            {"shop/cart.py": CART, "tests/test_pricing.py": TEST_PRICING, "tests/test_cart.py": TEST_CART},
        ),
    ],
)

INSTANCES = [
    BuiltinInstance(
        repo=REPO,
        number=1,
        difficulty="very easy",
        notes="wrong operator (+ instead of -)",
        problem_statement="""
apply_discount() raises the price instead of lowering it

```python
>>> from shop import apply_discount
>>> apply_discount(1000, 10)
1100
```

A 10% discount on 1000 cents should give 900. Because of this, `Cart.total("SAVE10")` charges more
than the undiscounted total.

(`apply_discount` is in `shop/pricing.py`.)
""",
        fix={
            "shop/pricing.py": [
                ("return round(cents * (1 + percent / 100))", "return round(cents * (1 - percent / 100))")
            ]
        },
        tests={
            "tests/test_pricing.py": TEST_PRICING
            + """

def test_apply_discount():
    assert apply_discount(1000, 10) == 900
    assert apply_discount(999, 50) == 500
    assert apply_discount(1000, 0) == 1000
""",
            "tests/test_cart.py": TEST_CART
            + """

def test_total_with_code():
    assert make().total("SAVE10") == 1800
    assert make(tax=10).total("HALF") == 1100
""",
        },
        fail_to_pass=["tests/test_pricing.py::test_apply_discount", "tests/test_cart.py::test_total_with_code"],
        pass_to_pass=[
            "tests/test_pricing.py::test_apply_discount_rejects_bad_percent",
            "tests/test_pricing.py::test_add_tax",
            "tests/test_cart.py::test_subtotal",
            "tests/test_cart.py::test_total_without_code",
            "tests/test_cart.py::test_add_rejects_zero_quantity",
            "tests/test_cart.py::test_unknown_code",
        ],
        regression={"shop/cart.py": [("if qty < 1:", "if qty < 0:")]},
    ),
    BuiltinInstance(
        repo=REPO,
        number=2,
        difficulty="hard",
        notes="a new function in pricing.py used by a new kind of code in cart.py",
        problem_statement="""
Support fixed-amount discount codes

All discount codes are percentages today. Marketing wants a code that takes a fixed amount off:
`FIVEOFF` should take 500 cents off the subtotal (before tax), but never make the amount negative.

Please add `shop.pricing.subtract_amount(cents, amount)`, which returns `cents - amount` but never
less than 0, and make `Cart.total("FIVEOFF")` use it:

```python
>>> cart = Cart()
>>> cart.add("book", 2000)
>>> cart.total("FIVEOFF")
1500
```

Percentage codes (`SAVE10`, `HALF`) and unknown codes should keep working as they do now.
""",
        fix={
            "shop/pricing.py": [
                (
                    "def add_tax(",
                    "def subtract_amount(cents, amount):\n"
                    '    """``cents`` less a fixed ``amount`` of cents, never below 0."""\n'
                    "    return max(cents - amount, 0)\n\n\ndef add_tax(",
                )
            ],
            "shop/cart.py": [
                (
                    "from shop.pricing import add_tax, apply_discount",
                    "from shop.pricing import add_tax, apply_discount, subtract_amount",
                ),
                (
                    '    CODES = {"SAVE10": 10, "HALF": 50}\n',
                    '    CODES = {"SAVE10": 10, "HALF": 50}\n    AMOUNT_CODES = {"FIVEOFF": 500}\n',
                ),
                (
                    "            if code not in self.CODES:\n"
                    '                raise ValueError(f"unknown discount code {code!r}")\n'
                    "            amount = apply_discount(amount, self.CODES[code])\n",
                    "            if code in self.AMOUNT_CODES:\n"
                    "                amount = subtract_amount(amount, self.AMOUNT_CODES[code])\n"
                    "            elif code in self.CODES:\n"
                    "                amount = apply_discount(amount, self.CODES[code])\n"
                    "            else:\n"
                    '                raise ValueError(f"unknown discount code {code!r}")\n',
                ),
            ],
        },
        tests={
            "tests/test_pricing.py": TEST_PRICING
            + """

def test_subtract_amount():
    from shop.pricing import subtract_amount

    assert subtract_amount(1000, 250) == 750
    assert subtract_amount(100, 250) == 0
""",
            "tests/test_cart.py": TEST_CART
            + """

def test_total_with_amount_code():
    assert make().total("FIVEOFF") == 1500
    assert make(tax=10).total("FIVEOFF") == 1650


def test_amount_code_never_negative():
    cart = Cart()
    cart.add("pin", 300)
    assert cart.total("FIVEOFF") == 0
""",
        },
        fail_to_pass=[
            "tests/test_pricing.py::test_subtract_amount",
            "tests/test_cart.py::test_total_with_amount_code",
            "tests/test_cart.py::test_amount_code_never_negative",
        ],
        pass_to_pass=[
            "tests/test_pricing.py::test_add_tax",
            "tests/test_cart.py::test_subtotal",
            "tests/test_cart.py::test_total_without_code",
            "tests/test_cart.py::test_unknown_code",
        ],
        regression={"shop/cart.py": [('raise ValueError(f"unknown discount code {code!r}")', "pass")]},
    ),
]
