"""The sandbox runs ordinary programs faithfully and compares outputs token-wise."""

from __future__ import annotations

import sys

import pytest

from harness.errors import HarnessError
from harness.toolkit.sandbox import (
    Limits,
    SandboxError,
    available_isolations,
    compare_tokens,
    detect_isolation,
    run_python,
    run_sandboxed,
)

AVAILABLE = available_isolations()


@pytest.mark.parametrize("iso", AVAILABLE)
def test_stdin_stdout_and_files(iso):
    code = "import sys\nn = int(sys.stdin.readline())\nprint(n * 2, open('data.txt').read().strip())\n"
    r = run_python(code, stdin="21\n", files={"data.txt": "hello"}, isolation=iso)
    assert r.ok and r.exit_code == 0 and r.stdout.split() == ["42", "hello"]
    assert r.isolation == iso and r.failure_kind is None
    assert 0 < r.wall_s < 5 and r.cpu_s >= 0


@pytest.mark.parametrize("iso", AVAILABLE)
def test_exit_code_and_stderr(iso):
    r = run_python("import sys\nprint('out')\nsys.stderr.write('boom')\nsys.exit(3)\n", isolation=iso)
    assert r.exit_code == 3 and r.stdout == "out\n" and r.stderr == "boom"
    assert not r.ok and r.failure_kind == "runtime_error"


@pytest.mark.parametrize("iso", AVAILABLE)
def test_fresh_directory_each_run(iso):
    r1 = run_python("import os\nopen('left.txt', 'w').write('x')\nprint(os.listdir('.'))\n", isolation=iso)
    r2 = run_python("import os\nprint(sorted(os.listdir('.')))\n", isolation=iso)
    assert "left.txt" in r1.stdout and r2.stdout.strip() == "['main.py']"


def test_large_stdin_and_output_roundtrip():
    data = "\n".join(str(i) for i in range(200_000)) + "\n"
    r = run_python("import sys\nsys.stdout.write(sys.stdin.read())\n", stdin=data)
    assert r.ok and r.stdout == data and not r.stdout_truncated


def test_stderr_cap_is_separate_from_stdout():
    limits = Limits(stderr_bytes=1000, stdout_bytes=1 << 20)
    r = run_python("import sys\nprint('ok')\nsys.stderr.write('e' * 100000)\n", limits=limits)
    assert r.stderr_truncated and len(r.stderr) == 1000 and not r.stdout_truncated


def test_generic_command():
    r = run_sandboxed(["/bin/sh", "-c", "cat in.txt; echo done"], files={"in.txt": "abc\n"})
    assert r.ok and r.stdout == "abc\ndone\n"


@pytest.mark.parametrize("iso", AVAILABLE)
def test_tree_is_copied_in(iso, tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("VALUE = 7\n")
    r = run_sandboxed(["/bin/sh", "-c", "cat pkg/mod.py"], tree=tmp_path, isolation=iso)
    assert r.ok and r.stdout == "VALUE = 7\n"
    assert (tmp_path / "pkg" / "mod.py").read_text() == "VALUE = 7\n"


def test_bad_requests_are_sandbox_errors():
    assert issubclass(SandboxError, HarnessError)
    with pytest.raises(SandboxError, match="inside the run directory"):
        run_sandboxed(["/bin/true"], files={"../escape.txt": "x"})
    with pytest.raises(SandboxError, match="not a directory"):
        run_sandboxed(["/bin/true"], tree="/nonexistent/tree")
    with pytest.raises(SandboxError, match="argv is empty"):
        run_sandboxed([])
    with pytest.raises(SandboxError, match="unknown sandbox isolation"):
        detect_isolation("docker")
    with pytest.raises(SandboxError, match="could not start"):
        run_sandboxed(["/nonexistent/program"], isolation="rlimits")


def test_explicit_interpreter():
    r = run_python("import sys\nprint(sys.version_info[0])\n", python=sys.executable)
    assert r.ok and r.stdout.strip() == "3"


@pytest.mark.parametrize(
    ("actual", "expected", "tol", "same"),
    [
        ("1 2 3\n", "1  2\n3", None, True),
        ("  YES ", "YES\n", None, True),
        ("YES", "yes", None, False),
        ("1 2", "1 2 3", None, False),
        ("", "\n\n", None, True),
        ("0.3333333", "0.333333333", None, False),
        ("0.3333333", "0.333333333", 1e-6, True),
        ("0.334", "0.333333333", 1e-6, False),
        ("1000000.5", "1000000.4", 1e-6, True),  # relative tolerance for large values
        ("abc", "abd", 1e-6, False),
        ("nan", "nan", 1e-6, True),  # identical tokens
        ("inf", "1e400", 1e-6, False),
        ("1e-9", "0", 1e-6, True),
    ],
)
def test_compare_tokens(actual, expected, tol, same):
    assert compare_tokens(actual, expected, tol) is same


def test_falls_back_cleanly_without_bwrap(monkeypatch):
    """No bubblewrap: auto takes the next isolation and every result says why; asking for bwrap is an error."""
    from harness.toolkit.sandbox import _bwrap, _probe

    monkeypatch.setattr(_bwrap, "bwrap_binary", lambda: None)
    _probe.probe.cache_clear()
    _probe._detect.cache_clear()
    try:
        iso = detect_isolation()
        assert iso in ("rlimits+unshare", "rlimits")
        r = run_python("print('fine')\n")
        assert r.ok and r.isolation == iso
        assert any(n.startswith("bwrap unavailable: bubblewrap is not installed") for n in r.notes)
        with pytest.raises(SandboxError, match="'bwrap' does not work here: bubblewrap is not installed"):
            run_python("print(1)", isolation="bwrap")
    finally:
        _probe.probe.cache_clear()
        _probe._detect.cache_clear()


def test_environment_caps_the_isolation(monkeypatch):
    monkeypatch.setenv("HARNESS_SANDBOX", "rlimits")
    assert detect_isolation() == "rlimits" and run_python("print(1)").isolation == "rlimits"
    monkeypatch.setenv("HARNESS_SANDBOX", "docker")
    with pytest.raises(SandboxError, match="HARNESS_SANDBOX"):
        detect_isolation()
