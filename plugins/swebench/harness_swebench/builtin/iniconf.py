"""builtin/iniconf: a small INI-style configuration parser."""

from harness_swebench.builtin.model import BuiltinInstance, BuiltinRepo

INIT = '''"""iniconf: parse INI-style configuration text."""

from iniconf.parser import ParseError, parse
from iniconf.values import get_bool, get_int

__all__ = ["ParseError", "get_bool", "get_int", "parse"]
'''

PARSER = '''"""Parse small INI-style configuration text into nested dictionaries."""


class ParseError(ValueError):
    """The text is not valid configuration; ``lineno`` says where."""

    def __init__(self, message, lineno):
        super().__init__(f"line {lineno}: {message}")
        self.lineno = lineno


def parse(text):
    """Sections of ``key = value`` lines: {"section": {"key": "value"}}.

    Blank lines and lines starting with "#" or ";" are comments. Keys before any section header go
    into the "" section. Whitespace around keys and values is stripped.
    """
    config = {"": {}}
    section = ""
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            config.setdefault(section, {})
            continue
        if "=" not in line:
            raise ParseError(f"expected 'key = value', got {line!r}", lineno)
        key, value = line.split("=")
        config[section][key.strip()] = value.strip()
    return config
'''

VALUES = '''"""Typed access to parsed configuration values."""

_TRUE = ("true",)
_FALSE = ("false",)


def get_bool(config, section, key, default=None):
    """The value of ``key`` in ``section`` as a bool.

    Accepts true/false, yes/no, on/off and 1/0, in any letter case; a missing key gives ``default``.
    """
    value = config.get(section, {}).get(key)
    if value is None:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{section}.{key}: not a boolean: {value!r}")


def get_int(config, section, key, default=None):
    """The value of ``key`` in ``section`` as an int; a missing key gives ``default``."""
    value = config.get(section, {}).get(key)
    return default if value is None else int(value)
'''

TEST_PARSER = """import pytest

from iniconf import ParseError, parse


def test_sections():
    text = "[server]\\nhost = example.org\\nport = 80\\n\\n[client]\\nretries = 3\\n"
    assert parse(text) == {"": {}, "server": {"host": "example.org", "port": "80"}, "client": {"retries": "3"}}


def test_keys_before_section():
    assert parse("name = demo\\n[a]\\nx = 1\\n")[""] == {"name": "demo"}


def test_hash_comments():
    assert parse("# a comment\\nkey = 1\\n   # indented comment\\n") == {"": {"key": "1"}}


def test_missing_equals_is_an_error():
    with pytest.raises(ParseError) as info:
        parse("[a]\\nkey = 1\\nbroken line\\n")
    assert info.value.lineno == 3
"""

TEST_VALUES = """import pytest

from iniconf import get_bool, get_int

CONFIG = {"": {}, "app": {"debug": "true", "quiet": "false", "workers": "4", "mode": "fast"}}


def test_get_bool_true_false():
    assert get_bool(CONFIG, "app", "debug") is True
    assert get_bool(CONFIG, "app", "quiet") is False


def test_get_bool_default():
    assert get_bool(CONFIG, "app", "missing", default=True) is True
    assert get_bool(CONFIG, "nosuch", "debug") is None


def test_get_bool_rejects_garbage():
    with pytest.raises(ValueError):
        get_bool(CONFIG, "app", "mode")


def test_get_int():
    assert get_int(CONFIG, "app", "workers") == 4
    assert get_int(CONFIG, "app", "missing", default=7) == 7
"""

REPO = BuiltinRepo(
    name="builtin/iniconf",
    history=[
        ("iniconf: parser", {"iniconf/__init__.py": INIT, "iniconf/parser.py": PARSER, "iniconf/values.py": VALUES}),
        ("Add tests", {"tests/test_parser.py": TEST_PARSER, "tests/test_values.py": TEST_VALUES}),
    ],
)

INSTANCES = [
    BuiltinInstance(
        repo=REPO,
        number=1,
        difficulty="easy",
        notes="split on the first '=' only",
        problem_statement="""
parse() fails on values that contain "="

A URL with a query string in a value makes the parser crash:

```python
>>> from iniconf import parse
>>> parse("[db]\\nurl = postgres://host/db?sslmode=require\\n")
ValueError: too many values to unpack (expected 2)
```

Only the first `=` on a line should separate the key from the value; I expected
`{"": {}, "db": {"url": "postgres://host/db?sslmode=require"}}`.

(The parser is `parse` in `iniconf/parser.py`.)
""",
        fix={"iniconf/parser.py": [('key, value = line.split("=")', 'key, value = line.split("=", 1)')]},
        tests={
            "tests/test_parser.py": TEST_PARSER
            + """

def test_value_with_equals_sign():
    text = "[db]\\nurl = postgres://host/db?sslmode=require\\nexpr = a=b=c\\n"
    assert parse(text)["db"] == {"url": "postgres://host/db?sslmode=require", "expr": "a=b=c"}
"""
        },
        fail_to_pass=["tests/test_parser.py::test_value_with_equals_sign"],
        pass_to_pass=[
            "tests/test_parser.py::test_sections",
            "tests/test_parser.py::test_keys_before_section",
            "tests/test_parser.py::test_hash_comments",
            "tests/test_parser.py::test_missing_equals_is_an_error",
        ],
        regression={"iniconf/parser.py": [('if not line or line.startswith("#"):', "if not line:")]},
    ),
    BuiltinInstance(
        repo=REPO,
        number=2,
        difficulty="easy",
        notes="';' comment lines are not skipped",
        problem_statement="""
Lines starting with ";" are not treated as comments

The docstring of `iniconf.parse` says blank lines and lines starting with "#" or ";" are comments,
but a ";" comment raises an error:

```python
>>> parse("; generated file\\nkey = 1\\n")
iniconf.parser.ParseError: line 1: expected 'key = value', got '; generated file'
```

(The parser is `parse` in `iniconf/parser.py`.)
""",
        fix={"iniconf/parser.py": [('line.startswith("#")', 'line.startswith(("#", ";"))')]},
        tests={
            "tests/test_parser.py": TEST_PARSER
            + """

def test_semicolon_comments():
    assert parse("; generated file\\nkey = 1\\n  ; note = ignored\\n") == {"": {"key": "1"}}
"""
        },
        fail_to_pass=["tests/test_parser.py::test_semicolon_comments"],
        pass_to_pass=[
            "tests/test_parser.py::test_hash_comments",
            "tests/test_parser.py::test_sections",
            "tests/test_parser.py::test_missing_equals_is_an_error",
        ],
        regression={
            "iniconf/parser.py": [
                ("""raise ParseError(f"expected 'key = value', got {line!r}", lineno)""", "continue"),
            ]
        },
    ),
    BuiltinInstance(
        repo=REPO,
        number=3,
        difficulty="medium",
        notes="get_bool must accept yes/no/on/off/1/0 in any case",
        problem_statement="""
get_bool() only understands lower-case "true" and "false"

`iniconf.get_bool` is documented to accept true/false, yes/no, on/off and 1/0 in any letter case,
but:

```python
>>> get_bool({"app": {"debug": "yes"}}, "app", "debug")
ValueError: app.debug: not a boolean: 'yes'
>>> get_bool({"app": {"debug": "True"}}, "app", "debug")
ValueError: app.debug: not a boolean: 'True'
```
""",
        fix={
            "iniconf/values.py": [
                (
                    '_TRUE = ("true",)\n_FALSE = ("false",)',
                    '_TRUE = ("true", "yes", "on", "1")\n_FALSE = ("false", "no", "off", "0")',
                ),
                ("    if value in _TRUE:", "    value = value.lower()\n    if value in _TRUE:"),
            ]
        },
        tests={
            "tests/test_values.py": TEST_VALUES
            + """

def test_get_bool_accepts_yes_no_on_off():
    config = {"x": {"a": "yes", "b": "no", "c": "on", "d": "off", "e": "1", "f": "0"}}
    assert [get_bool(config, "x", k) for k in "abcdef"] == [True, False, True, False, True, False]


def test_get_bool_ignores_case():
    config = {"x": {"a": "True", "b": "FALSE", "c": "Yes"}}
    assert [get_bool(config, "x", k) for k in "abc"] == [True, False, True]
"""
        },
        fail_to_pass=[
            "tests/test_values.py::test_get_bool_accepts_yes_no_on_off",
            "tests/test_values.py::test_get_bool_ignores_case",
        ],
        pass_to_pass=[
            "tests/test_values.py::test_get_bool_true_false",
            "tests/test_values.py::test_get_bool_default",
            "tests/test_values.py::test_get_bool_rejects_garbage",
            "tests/test_values.py::test_get_int",
        ],
        regression={"iniconf/values.py": [("return default if value is None else int(value)", "return int(value)")]},
    ),
]
