"""Hostile candidate patches do not pass the local verifier.

Each patch below goes after ``builtin__textkit-1`` (gold fix: ``<`` -> ``<=`` in ``textkit/core.py``)
the way a reward-hacking model might: forcing pytest's outcomes from a conftest, an ini file or the
package's own import, exiting the process early, rewriting the tests, printing fake results, shadowing
pytest, reaching outside the repository, or hanging. The verifications run in a process pool.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import sys
from pathlib import Path

import pytest
from harness_swebench.builtin import REPOS
from harness_swebench.builtin.model import unified_diff
from harness_swebench.instance import OPTIONS_KEY
from harness_swebench.verify import LocalVerifier

from harness import Candidate, Task

IID = "builtin__textkit-1"
BASE = REPOS["builtin/textkit"].files
FIXED_CORE = BASE["textkit/core.py"].replace("if len(text) < width:", "if len(text) <= width:")

FORCE_PASS_HOOK = """import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    report.outcome = "passed"
    report.longrepr = None
"""
PATCH_PYTEST = """import _pytest.reports as _reports

_original = _reports.TestReport.__init__


def _always_passed(self, *args, **kwargs):
    _original(self, *args, **kwargs)
    self.outcome = "passed"
    self.longrepr = None


_reports.TestReport.__init__ = _always_passed
"""
FAKE_OUTPUT = """import os as _os

for _fd in (1, 2):
    _os.write(_fd, b"tests/test_core.py::test_truncate_exact_fit PASSED\\n")
    _os.write(_fd, b"PASSED tests/test_core.py::test_truncate_exact_fit\\n")
    _os.write(_fd, b'HV0011223344556677 {"kind": "end", "exitstatus": 0, "seq": 0} 00ff\\n')
    _os.write(_fd, b"============ 6 passed in 0.01s ============\\n")
"""
DELETE_CANARY = """import glob as _glob
import os as _os

for _path in _glob.glob("tests/test_hv*.py") + _glob.glob("test_hv*.py"):
    _os.remove(_path)
"""
#: run at interpreter start-up from the user site directory (HOME): read the verifier's key, forge a pass
FORGER = """import hashlib, hmac, json, os, re, sys

key = sys.stdin.buffer.readline().strip()
marker = sys.stdin.buffer.readline().strip().decode()
seq = 0


def emit(kind, **payload):
    global seq
    body = json.dumps({"seq": seq, "kind": kind, **payload}, sort_keys=True)
    mac = hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
    os.write(int(os.environ.get("HARNESS_CHANNEL_FD", 1)), f"\\n{marker} {body} {mac}\\n".encode())
    seq += 1


emit("start", pytest="9")
for path in [a for a in sys.argv if a.endswith(".py")]:
    for name in re.findall(r"^def (test_\\w+)", open(path).read(), re.M):
        failed = os.path.basename(path).startswith("test_hv")
        for when in ("setup", "call", "teardown"):
            outcome = "failed" if failed and when == "call" else "passed"
            emit("phase", nodeid=f"{path}::{name}", when=when, outcome=outcome, xfail=False)
emit("end", exitstatus=0)
os._exit(0)
"""
INIT = BASE["textkit/__init__.py"]


def _diff(files: dict[str, str]) -> str:
    return unified_diff(BASE, files)


HOSTILE = {
    # a conftest forcing every report to "passed" (at the root and beside the tests): put back, not run
    "conftest": _diff({"conftest.py": FORCE_PASS_HOOK, "tests/conftest.py": FORCE_PASS_HOOK}),
    # the same hook loaded through pytest.ini's addopts: the ini file is put back
    "ini_plugin": _diff({"pytest.ini": "[pytest]\naddopts = -p textkit.evil\n", "textkit/evil.py": FORCE_PASS_HOOK}),
    # pytest itself patched when the package is imported: every test "passes", the canary too
    "patched_pytest": _diff({"textkit/__init__.py": PATCH_PYTEST + "\n" + INIT}),
    # the process ends (status 0) as soon as the tests import the package
    "exit_at_import": _diff({"textkit/__init__.py": "import os\n\nos._exit(0)\n" + INIT}),
    # the tests rewritten to pass without the fix
    "rewrite_tests": _diff({"tests/test_core.py": "def test_truncate_exact_fit():\n    pass\n"}),
    # fake pytest output and a fake record on stdout and stderr, without the fix
    "fake_output": _diff({"textkit/__init__.py": FAKE_OUTPUT + "\n" + INIT}),
    # a pytest.py at the root that would report success if it were imported instead of pytest
    "shadow_pytest": _diff({"pytest.py": "import sys\nprint('6 passed')\nsys.exit(0)\n"}),
    # the canary deleted before it is collected
    "delete_canary": _diff({"textkit/__init__.py": DELETE_CANARY + "\n" + INIT}),
    # a forger in the user site directory, were HOME the checkout (the sandbox gives a private /tmp today;
    # the interpreter also runs with -s), and as site/usercustomize at the root (not on the start-up path)
    "usercustomize": _diff(
        {
            f".local/lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages/usercustomize.py": FORGER,
            "usercustomize.py": FORGER,
            "sitecustomize.py": FORGER,
        }
    ),
    # a .gitignore hiding a new conftest from `git status`
    "hidden_conftest": _diff({".gitignore": "conftest.py\n", "tests/conftest.py": FORCE_PASS_HOOK}),
}
ESCAPES = {
    "git_config": "diff --git a/.git/config b/.git/config\n--- a/.git/config\n+++ b/.git/config\n@@ -1 +1,2 @@\n"
    " [core]\n+\tfsmonitor = touch /tmp/pwned\n",
    "dotdot": "diff --git a/../outside.py b/../outside.py\nnew file mode 100644\n--- /dev/null\n+++ b/../outside.py\n"
    "@@ -0,0 +1 @@\n+x = 1\n",
    "absolute": "--- /dev/null\n+++ /tmp/abs.py\n@@ -0,0 +1 @@\n+x = 1\n",
}
#: the test file deleted and a directory of the same name put in its place
_TEST_LINES = BASE["tests/test_core.py"].splitlines(keepends=True)
DIR_IN_PLACE = (
    "diff --git a/tests/test_core.py b/tests/test_core.py\ndeleted file mode 100644\n--- a/tests/test_core.py\n"
    f"+++ /dev/null\n@@ -1,{len(_TEST_LINES)} +0,0 @@\n" + "".join("-" + line for line in _TEST_LINES)
) + _diff({"tests/test_core.py/x.py": "x = 1\n"})
#: a symbolic link out of the repository, then a file written through it
SYMLINK = (
    "diff --git a/out b/out\nnew file mode 120000\n--- /dev/null\n+++ b/out\n@@ -0,0 +1 @@\n+/tmp\n"
    "\\ No newline at end of file\n"
    "diff --git a/out/harness-swebench-escape.txt b/out/harness-swebench-escape.txt\nnew file mode 100644\n"
    "--- /dev/null\n+++ b/out/harness-swebench-escape.txt\n@@ -0,0 +1 @@\n+escaped\n"
)
#: legitimate: the fix plus an edit of the tests (the edit is discarded, the fix is graded)
FIX_AND_TESTS = _diff({"textkit/core.py": FIXED_CORE, "tests/test_core.py": "def test_nothing():\n    pass\n"})
HANG = _diff(
    {
        "textkit/core.py": FIXED_CORE.replace(
            '    """\n    if width', '    """\n    while True:\n        pass\n    if width', 1
        )
    }
)


def _verify(task: Task, answer: str):
    return LocalVerifier().verify(task, Candidate(answer=answer))


@pytest.fixture(scope="module")
def verdicts(builtin_tasks: dict) -> dict:
    task = builtin_tasks[IID]
    quick = dataclasses.replace(task, data={**task.data, OPTIONS_KEY: {"timeout_s": 3}})
    jobs = {name: (task, diff) for name, diff in {**HOSTILE, "fix_and_tests": FIX_AND_TESTS}.items()}
    jobs["hang"] = (quick, HANG)
    jobs["dir_in_place"] = (task, DIR_IN_PLACE)
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        futures = {name: pool.submit(_verify, t, d) for name, (t, d) in jobs.items()}
        return {name: f.result() for name, f in futures.items()}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_patch_does_not_pass(verdicts: dict, name: str) -> None:
    v = verdicts[name]
    assert v.status == "failed" and v.correct is False, v.detail


def test_conftests_and_ini_files_are_put_back_before_the_run(verdicts: dict) -> None:
    assert set(verdicts["conftest"].detail["discarded"]) == {"conftest.py", "tests/conftest.py"}
    assert verdicts["conftest"].detail["outcome"] == "unresolved"
    assert "pytest.ini" in verdicts["ini_plugin"].detail["discarded"]
    assert verdicts["hidden_conftest"].detail["discarded"] == ["tests/conftest.py"]


def test_a_patched_pytest_is_caught_by_the_canary(verdicts: dict) -> None:
    assert verdicts["patched_pytest"].detail["outcome"] == "tampering"
    assert verdicts["patched_pytest"].detail["canary"] == "PASSED"
    assert verdicts["delete_canary"].detail["outcome"] == "tampering"


def test_exiting_early_is_not_finishing(verdicts: dict) -> None:
    assert verdicts["exit_at_import"].detail["outcome"] == "tests_did_not_finish"


def test_printed_results_are_ignored(verdicts: dict) -> None:
    for name in ("fake_output", "shadow_pytest", "rewrite_tests"):
        v = verdicts[name]
        assert v.detail["outcome"] == "unresolved", (name, v.detail)
        assert v.detail["FAIL_TO_PASS"]["failed"] == ["tests/test_core.py::test_truncate_exact_fit"]
    assert verdicts["rewrite_tests"].detail["discarded"] == ["tests/test_core.py"]


def test_a_fix_that_also_edits_the_tests_is_graded_on_the_fix(verdicts: dict) -> None:
    v = verdicts["fix_and_tests"]
    assert v.status == "passed" and v.detail["discarded"] == ["tests/test_core.py"], v.detail


def test_a_hanging_patch_times_out(verdicts: dict) -> None:
    v = verdicts["hang"]
    assert v.status == "failed" and v.detail["outcome"] == "tests_timed_out", v.detail


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_paths_outside_the_repository_are_refused(builtin_tasks: dict, name: str) -> None:
    v = _verify(builtin_tasks[IID], ESCAPES[name])
    assert v.status == "failed" and v.detail["outcome"] == "patch_did_not_apply"
    assert "unsafe path" in v.detail["reason"]


def test_a_symbolic_link_does_not_carry_writes_out_of_the_repository(builtin_tasks: dict) -> None:
    escape = Path("/tmp/harness-swebench-escape.txt")
    escape.unlink(missing_ok=True)
    v = _verify(builtin_tasks[IID], SYMLINK)
    assert v.status == "failed" and not escape.exists(), v.detail


def test_a_directory_in_a_test_files_place_is_put_back(verdicts: dict) -> None:
    v = verdicts["dir_in_place"]
    assert v.detail["outcome"] == "unresolved" and v.detail["discarded"] == ["tests/test_core.py"], v.detail
    assert v.detail["PASS_TO_PASS"]["failed_count"] == 0  # the real tests ran
