"""builtin/semver: semantic version strings."""

from harness_swebench.builtin.model import BuiltinInstance, BuiltinRepo

INIT = '''"""semver: parse, compare and bump MAJOR.MINOR.PATCH versions."""

from semver.version import Version

__all__ = ["Version"]
'''

VERSION = '''"""Parse and compare semantic version strings like "1.4.2"."""

from functools import total_ordering


@total_ordering
class Version:
    """A MAJOR.MINOR.PATCH version; versions compare by their numbers."""

    def __init__(self, text):
        parts = text.strip().split(".")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError(f"not a MAJOR.MINOR.PATCH version: {text!r}")
        self.text = text.strip()
        self.parts = tuple(parts)

    def __eq__(self, other):
        return self.parts == other.parts

    def __lt__(self, other):
        return self.parts < other.parts

    def __hash__(self):
        return hash(self.parts)

    def __repr__(self):
        return f"Version({self.text!r})"

    def bump(self, part):
        """The next version: ``part`` is "major", "minor" or "patch"; the parts after it reset to 0."""
        major, minor, patch = (int(p) for p in self.parts)
        if part == "major":
            return Version(f"{major + 1}.0.0")
        if part == "minor":
            return Version(f"{major}.{minor + 1}.0")
        if part == "patch":
            return Version(f"{major}.{minor}.{patch + 1}")
        raise ValueError(f"unknown part {part!r}")
'''

TESTS = """import pytest

from semver import Version


def test_equal():
    assert Version("1.2.3") == Version(" 1.2.3 ")
    assert len({Version("1.2.3"), Version("1.2.3")}) == 1


def test_simple_ordering():
    assert Version("1.2.3") < Version("1.2.4") < Version("1.3.0") < Version("2.0.0")


def test_rejects_garbage():
    for text in ("1.2", "1.2.x", "", "1.2.3.4"):
        with pytest.raises(ValueError):
            Version(text)


def test_bump():
    assert Version("1.2.3").bump("patch") == Version("1.2.4")
    assert Version("1.2.3").bump("minor") == Version("1.3.0")
    assert Version("1.2.3").bump("major") == Version("2.0.0")
"""

REPO = BuiltinRepo(
    name="builtin/semver",
    history=[
        ("semver: Version", {"semver/__init__.py": INIT, "semver/version.py": VERSION}),
        ("Add tests", {"tests/test_version.py": TESTS}),
    ],
)

INSTANCES = [
    BuiltinInstance(
        repo=REPO,
        number=1,
        difficulty="medium",
        notes="parts compared as strings, not numbers",
        problem_statement="""
Version("1.10.0") sorts before Version("1.9.0")

```python
>>> from semver import Version
>>> Version("1.10.0") < Version("1.9.0")
True
>>> max([Version("1.9.0"), Version("1.10.0")])
Version('1.9.0')
```

Versions are supposed to compare by their numbers, so 1.10.0 is newer than 1.9.0.
""",
        fix={"semver/version.py": [("self.parts = tuple(parts)", "self.parts = tuple(int(p) for p in parts)")]},
        tests={
            "tests/test_version.py": TESTS
            + """

def test_numeric_ordering():
    assert Version("1.9.0") < Version("1.10.0")
    assert Version("10.0.0") > Version("9.99.99")
    assert sorted([Version("0.10.1"), Version("0.2.0"), Version("0.10.0")]) == [
        Version("0.2.0"),
        Version("0.10.0"),
        Version("0.10.1"),
    ]
"""
        },
        fail_to_pass=["tests/test_version.py::test_numeric_ordering"],
        pass_to_pass=[
            "tests/test_version.py::test_equal",
            "tests/test_version.py::test_simple_ordering",
            "tests/test_version.py::test_rejects_garbage",
            "tests/test_version.py::test_bump",
        ],
        regression={
            "semver/version.py": [
                ('return Version(f"{major}.{minor + 1}.0")', 'return Version(f"{major}.{minor + 1}.{patch}")')
            ]
        },
    ),
    BuiltinInstance(
        repo=REPO,
        number=2,
        difficulty="hard",
        notes="pre-release versions: parsing, equality and ordering",
        problem_statement="""
Support pre-release versions such as 1.0.0-alpha

Release candidates are tagged like `2.1.0-rc1`, and `Version` rejects them:

```python
>>> Version("2.1.0-rc1")
ValueError: not a MAJOR.MINOR.PATCH version: '2.1.0-rc1'
```

Please accept an optional pre-release label after a hyphen (`MAJOR.MINOR.PATCH-LABEL`, the label
made of letters, digits and dots). A pre-release sorts before the release with the same numbers
(`1.0.0-alpha < 1.0.0`), pre-releases of the same numbers compare by their label as text
(`1.0.0-alpha < 1.0.0-beta`), and two versions are equal only when their numbers and labels are.
Keep the label available as `Version("2.1.0-rc1").prerelease == "rc1"` (`""` for a release).
""",
        fix={
            "semver/version.py": [
                (
                    '        parts = text.strip().split(".")\n'
                    "        if len(parts) != 3 or not all(p.isdigit() for p in parts):\n",
                    '        core, hyphen, label = text.strip().partition("-")\n'
                    '        parts = core.split(".")\n'
                    "        if len(parts) != 3 or not all(p.isdigit() for p in parts):\n"
                    '            raise ValueError(f"not a MAJOR.MINOR.PATCH version: {text!r}")\n'
                    '        if hyphen and not (label and all(c.isalnum() or c == "." for c in label)):\n',
                ),
                (
                    "        self.parts = tuple(parts)\n",
                    "        self.parts = tuple(parts)\n        self.prerelease = label\n",
                ),
                (
                    "    def __eq__(self, other):\n        return self.parts == other.parts\n\n"
                    "    def __lt__(self, other):\n        return self.parts < other.parts\n\n"
                    "    def __hash__(self):\n        return hash(self.parts)\n",
                    "    def _key(self):\n"
                    "        # a release (no label) sorts after every pre-release of the same numbers\n"
                    '        return (self.parts, self.prerelease == "", self.prerelease)\n\n'
                    "    def __eq__(self, other):\n        return self._key() == other._key()\n\n"
                    "    def __lt__(self, other):\n        return self._key() < other._key()\n\n"
                    "    def __hash__(self):\n        return hash(self._key())\n",
                ),
            ]
        },
        tests={
            "tests/test_version.py": TESTS
            + """

def test_prerelease_parses():
    assert Version("2.1.0-rc1").prerelease == "rc1"
    assert Version("2.1.0").prerelease == ""
    for text in ("1.0.0-", "1.0.0-a b"):
        with pytest.raises(ValueError):
            Version(text)


def test_prerelease_ordering():
    assert Version("1.0.0-alpha") < Version("1.0.0")
    assert Version("1.0.0-alpha") < Version("1.0.0-beta") < Version("1.0.0")
    assert Version("1.0.0-rc1") != Version("1.0.0")
    assert Version("0.9.0") < Version("1.0.0-alpha")
"""
        },
        fail_to_pass=[
            "tests/test_version.py::test_prerelease_parses",
            "tests/test_version.py::test_prerelease_ordering",
        ],
        pass_to_pass=[
            "tests/test_version.py::test_equal",
            "tests/test_version.py::test_simple_ordering",
            "tests/test_version.py::test_rejects_garbage",
            "tests/test_version.py::test_bump",
        ],
        regression={"semver/version.py": [("        return hash(self._key())\n", "        return id(self)\n")]},
    ),
]
