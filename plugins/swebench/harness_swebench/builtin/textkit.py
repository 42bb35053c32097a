"""builtin/textkit: text helpers (truncate, slugify, count_words)."""

from harness_swebench.builtin.model import BuiltinInstance, BuiltinRepo

INIT = '''"""textkit: small text helpers."""

from textkit.core import count_words, slugify, truncate

__all__ = ["count_words", "slugify", "truncate"]
'''

CORE = '''"""Text helpers: shortening, slugs and word counts."""

import re

_NON_WORD = re.compile(r"[^a-z0-9]+")


def truncate(text, width, suffix="..."):
    """Shorten ``text`` to at most ``width`` characters, ending with ``suffix`` when it was cut.

    Text that already fits is returned unchanged.
    """
    if width < len(suffix):
        raise ValueError("width must be at least the length of the suffix")
    if len(text) < width:
        return text
    return text[: width - len(suffix)] + suffix


def slugify(text, sep="_"):
    """Lower-case ``text`` and join its words with ``sep``: slugify("Hello World!") == "hello-world"."""
    words = _NON_WORD.split(text.lower())
    return sep.join(w for w in words if w)


def count_words(text):
    """How often each word occurs in ``text``: {"the": 2, "cat": 1}."""
    counts = {}
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1
    return counts
'''

TESTS = """import pytest

from textkit import count_words, slugify, truncate


def test_truncate_short_text():
    assert truncate("hi", 10) == "hi"


def test_truncate_long_text():
    out = truncate("hello world", 8)
    assert out == "hello..."
    assert len(out) == 8


def test_truncate_rejects_tiny_width():
    with pytest.raises(ValueError):
        truncate("hello", 2)


def test_slugify_custom_separator():
    assert slugify("Hello World", sep="+") == "hello+world"


def test_count_words_simple():
    assert count_words("a b a") == {"a": 2, "b": 1}
"""

REPO = BuiltinRepo(
    name="builtin/textkit",
    history=[
        ("Initial textkit: truncate and slugify", {"textkit/__init__.py": INIT, "textkit/core.py": CORE}),
        ("Add tests", {"tests/test_core.py": TESTS, "README.md": "# textkit\n\nSmall text helpers.\n"}),
    ],
)

INSTANCES = [
    BuiltinInstance(
        repo=REPO,
        number=1,
        difficulty="very easy",
        notes="off-by-one comparison (< instead of <=)",
        problem_statement="""
truncate() cuts text that exactly fits

`textkit.truncate(text, width)` is documented to return text that already fits unchanged, but text
whose length is exactly `width` gets cut:

```python
>>> from textkit import truncate
>>> truncate("hello", 5)
'he...'
```

"hello" has 5 characters and fits in a width of 5, so I expected `'hello'`.

(`truncate` is in `textkit/core.py`.)
""",
        fix={"textkit/core.py": [("if len(text) < width:", "if len(text) <= width:")]},
        tests={
            "tests/test_core.py": TESTS
            + """

def test_truncate_exact_fit():
    assert truncate("hello", 5) == "hello"
    assert truncate("abc", 3, suffix="..") == "abc"
"""
        },
        fail_to_pass=["tests/test_core.py::test_truncate_exact_fit"],
        pass_to_pass=[
            "tests/test_core.py::test_truncate_short_text",
            "tests/test_core.py::test_truncate_long_text",
            "tests/test_core.py::test_truncate_rejects_tiny_width",
            "tests/test_core.py::test_slugify_custom_separator",
            "tests/test_core.py::test_count_words_simple",
        ],
        regression={"textkit/core.py": [("text[: width - len(suffix)] + suffix", "text[:width] + suffix")]},
    ),
    BuiltinInstance(
        repo=REPO,
        number=2,
        difficulty="very easy",
        notes="wrong default argument",
        problem_statement="""
slugify() joins words with underscores by default

The docstring of `textkit.slugify` says `slugify("Hello World!") == "hello-world"`, but:

```python
>>> from textkit import slugify
>>> slugify("Hello World!")
'hello_world'
```

The default separator should be a hyphen, as documented (see `slugify` in `textkit/core.py`).
""",
        fix={"textkit/core.py": [('def slugify(text, sep="_"):', 'def slugify(text, sep="-"):')]},
        tests={
            "tests/test_core.py": TESTS
            + """

def test_slugify_default_separator():
    assert slugify("Hello World!") == "hello-world"
    assert slugify("  Many   spaces here ") == "many-spaces-here"
"""
        },
        fail_to_pass=["tests/test_core.py::test_slugify_default_separator"],
        pass_to_pass=[
            "tests/test_core.py::test_slugify_custom_separator",
            "tests/test_core.py::test_truncate_long_text",
            "tests/test_core.py::test_count_words_simple",
        ],
        regression={"textkit/core.py": [("text[: width - len(suffix)] + suffix", "text[:width] + suffix")]},
    ),
    BuiltinInstance(
        repo=REPO,
        number=3,
        difficulty="medium",
        notes="word counting must ignore case and punctuation",
        problem_statement="""
count_words() counts "The" and "the" separately and keeps punctuation

```python
>>> from textkit import count_words
>>> count_words("The cat and the hat.")
{'The': 1, 'cat': 1, 'and': 1, 'the': 1, 'hat.': 1}
```

Words should be counted case-insensitively and without surrounding punctuation, so I expected
`{'the': 2, 'cat': 1, 'and': 1, 'hat': 1}`. A word is a run of letters and digits.
""",
        fix={
            "textkit/core.py": [
                (
                    'occurs in ``text``: {"the": 2, "cat": 1}.',
                    'occurs in ``text``, ignoring case and punctuation: {"the": 2}.',
                ),
                ("for word in text.split():", 'for word in re.findall(r"[a-z0-9]+", text.lower()):'),
            ]
        },
        tests={
            "tests/test_core.py": TESTS
            + """

def test_count_words_ignores_case_and_punctuation():
    assert count_words("The cat and the hat.") == {"the": 2, "cat": 1, "and": 1, "hat": 1}
    assert count_words("Hello, hello! HELLO?") == {"hello": 3}
"""
        },
        fail_to_pass=["tests/test_core.py::test_count_words_ignores_case_and_punctuation"],
        pass_to_pass=[
            "tests/test_core.py::test_count_words_simple",
            "tests/test_core.py::test_truncate_long_text",
            "tests/test_core.py::test_slugify_custom_separator",
        ],
        regression={"textkit/core.py": [("words = _NON_WORD.split(text.lower())", "words = _NON_WORD.split(text)")]},
    ),
]
