"""Replies become edits: whole files and sloppy diffs, and every result is a git-applicable patch."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from harness_swebench.solvers.diffparse import apply_hunks, parse_diff
from harness_swebench.solvers.extract import extract_edits, safe_path
from harness_swebench.solvers.workcopy import PrivateRepo, write_edits

MOD = 'def add(a, b):\n    """Add."""\n    return a - b\n\n\ndef sub(a, b):\n    return a - b\n'
FIXED = MOD.replace("return a - b\n\n\n", "return a + b\n\n\n", 1)
UTIL = "def twice(x):\n    return x * 3\n"
FILES = {"calc/ops.py": MOD, "calc/util.py": UTIL}


def read(path: str) -> str | None:
    return FILES.get(path)


def edits_of(reply: str, shown: dict[str, str] | None = None) -> dict[str, str | None]:
    ex = extract_edits(reply, shown if shown is not None else FILES, read, set(FILES))
    return ex.edits


def test_whole_file_under_a_path_heading() -> None:
    reply = f"Here is the fix.\n\n### `calc/ops.py`\n```python\n{FIXED}```\nThat fixes add."
    assert edits_of(reply) == {"calc/ops.py": FIXED}


def test_path_in_the_fence_info_string_and_as_first_line_comment() -> None:
    assert edits_of(f"```python calc/ops.py\n{FIXED}```") == {"calc/ops.py": FIXED}
    assert edits_of(f"```python\n# calc/ops.py\n{FIXED}```") == {"calc/ops.py": FIXED}


def test_bare_file_name_maps_to_the_one_file_of_that_name() -> None:
    assert edits_of(f"Updated ops.py:\n```python\n{FIXED}```") == {"calc/ops.py": FIXED}


def test_single_unlabelled_block_when_one_file_was_shown() -> None:
    shown = {"calc/ops.py": MOD}
    assert edits_of(f"```python\n{FIXED}```", shown) == {"calc/ops.py": FIXED}
    ex = extract_edits("```python\nx = 1\n```", FILES, read, set(FILES))
    assert ex.edits == {} and "name no file" in ex.problems[0]  # two files shown, like neither: not guessed


def test_unchanged_file_is_not_an_edit_and_the_last_version_wins() -> None:
    reply = f"calc/util.py\n```python\n{UTIL}```\ncalc/ops.py\n```python\n{MOD}```\ncalc/ops.py\n```python\n{FIXED}```"
    assert edits_of(reply) == {"calc/ops.py": FIXED}


def test_missing_final_newline_and_crlf_follow_the_original() -> None:
    reply = "calc/ops.py\r\n```python\r\n" + FIXED.rstrip("\n").replace("\n", "\r\n") + "\r\n```"
    assert edits_of(reply) == {"calc/ops.py": FIXED}


SLOPPY_DIFF = """I changed the operator:

```diff
--- calc/ops.py
+++ calc/ops.py
@@ -10,7 +10,7 @@
 def add(a, b):
     \"\"\"Add.\"\"\"
-    return a - b
+    return a + b

 def sub(a, b):
```

This makes add correct. - Good luck
"""


def test_sloppy_diff_no_prefix_wrong_numbers_counts_and_blank_context() -> None:
    # no a/ b/ prefixes, wrong start lines and counts, a blank context line without its space, prose after
    assert edits_of(SLOPPY_DIFF) == {"calc/ops.py": FIXED}


def test_unfenced_diff_with_prefixes_and_crlf() -> None:
    diff = "--- a/calc/util.py\r\n+++ b/calc/util.py\r\n@@ -1,2 +1,2 @@\r\n def twice(x):\r\n-    return x * 3\r\n+    return x * 2\r\n"
    assert edits_of("Patch:\n" + diff + "\nDone.") == {"calc/util.py": "def twice(x):\n    return x * 2\n"}


def test_diff_with_trailing_whitespace_drift_and_a_context_line_that_matches_nothing() -> None:
    diff = "--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -6,3 +6,3 @@\n def sub(a, b):   \n-    return a - b\n+    return a + b\n nothing_like_this\n"
    expected = MOD[: MOD.rindex("return a - b")] + "return a + b\n"
    assert edits_of(diff) == {"calc/ops.py": expected}


def test_hunk_that_matches_nothing_is_reported_not_guessed() -> None:
    diff = "--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -1 +1 @@\n-    return totally_different\n+    return 1\n"
    ex = extract_edits(diff, FILES, read, set(FILES))
    assert ex.edits == {} and "match no lines" in ex.problems[0]


def test_new_and_deleted_files_by_diff() -> None:
    diff = (
        "--- /dev/null\n+++ b/calc/new.py\n@@ -0,0 +1,2 @@\n+def new():\n+    return 1\n"
        "--- a/calc/util.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-def twice(x):\n-    return x * 3\n"
    )
    assert edits_of(diff) == {"calc/new.py": "def new():\n    return 1\n", "calc/util.py": None}


@pytest.mark.parametrize("bad", ["../evil.py", "/etc/passwd", ".git/config", "calc/../../x.py", "a/.git/hooks/x"])
def test_paths_that_leave_the_repository_are_refused(bad: str) -> None:
    assert safe_path(bad) is None
    reply = f"{bad}\n```python\nprint('pwned')\n```"
    assert all(safe_path(p) for p in edits_of(reply))
    diff = f"--- /dev/null\n+++ b/{bad}\n@@ -0,0 +1 @@\n+x\n"
    assert edits_of(diff) == {}


def test_empty_and_prose_only_replies() -> None:
    for reply in ("", "I cannot help with that.", "```\n\n```"):
        ex = extract_edits(reply, FILES, read, set(FILES))
        assert ex.edits == {} and ex.how == "none" and ex.problems


def test_think_blocks_are_ignored() -> None:
    reply = f"<think>maybe calc/util.py\n```python\nbroken\n```</think>calc/ops.py\n```python\n{FIXED}```"
    assert edits_of(reply) == {"calc/ops.py": FIXED}


def test_apply_hunks_uses_content_not_line_numbers() -> None:
    (fp,) = parse_diff("--- a/x\n+++ b/x\n@@ -99,2 +99,2 @@\n b\n-c\n+C\n")
    new, failed = apply_hunks("a\nb\nc\nd\n", fp.hunks)
    assert (new, failed) == ("a\nb\nC\nd\n", [])


def _git(*args: str, cwd: Path) -> str:
    env = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    out = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return out.stdout


def test_every_extraction_is_a_git_applicable_patch(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "calc").mkdir(parents=True)
    for p, t in FILES.items():
        (src / p).write_text(t)
    _git("init", "-q", cwd=src)
    _git("add", "-A", cwd=src)
    _git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base", cwd=src)
    for n, reply in enumerate([SLOPPY_DIFF, f"calc/ops.py\n```python\n{FIXED}```"]):
        work = tmp_path / f"work{n}"
        _git("clone", "-q", str(src), str(work), cwd=tmp_path)
        write_edits(work, edits_of(reply))
        patch = PrivateRepo.trusted(work).diff(work).text
        fresh = tmp_path / f"fresh{n}"
        _git("clone", "-q", str(src), str(fresh), cwd=tmp_path)
        (fresh / "c.patch").write_text(patch)
        _git("apply", "--check", "c.patch", cwd=fresh)
        _git("apply", "c.patch", cwd=fresh)
        assert (fresh / "calc/ops.py").read_text() == FIXED


def test_a_function_alone_is_spliced_into_its_file() -> None:
    snippet = "def add(a, b):\n    return a + b\n"
    expected = MOD.replace('    """Add."""\n    return a - b\n\n\n', "    return a + b\n\n\n", 1)
    assert edits_of(f"calc/ops.py\n```python\n{snippet}```") == {"calc/ops.py": expected}
    # unlabelled, with functions of two files run together: each goes back to the file defining it
    mixed = "import calc\n\ndef add(a, b):\n    return a + b\n\n\ndef twice(x):\n    return x * 2\n"
    assert edits_of(f"```python\n{mixed}```") == {
        "calc/ops.py": expected,
        "calc/util.py": "def twice(x):\n    return x * 2\n",
    }


def test_unlabelled_whole_file_goes_to_the_file_it_is_a_copy_of() -> None:
    assert edits_of(f"Fixed:\n```python\n{FIXED}```") == {"calc/ops.py": FIXED}
    assert edits_of("```python\nprint('something else entirely')\n```") == {}


def test_placeholder_path_prefix_and_a_bare_path_first_line() -> None:
    assert edits_of(f"path/to/calc/ops.py\n```python\n{FIXED}```") == {"calc/ops.py": FIXED}
    assert edits_of(f"```python\ncalc/ops.py\n{FIXED}```") == {"calc/ops.py": FIXED}


def test_file_selection_modes() -> None:
    from harness_swebench.solvers.files import reexports_only, select_files

    repo = {
        "pkg/__init__.py": '"""Pkg."""\nfrom pkg.a import f\n__all__ = ["f"]\n',
        "pkg/a.py": "def f():\n    return 1\n",
        "pkg/b.py": "class Parser:\n    pass\n" + "# filler\n" * 50,
        "pkg/c.py": "X = 1\n",
        "tests/test_a.py": "def test_f():\n    pass\n",
    }
    assert reexports_only(repo["pkg/__init__.py"]) and not reexports_only(repo["pkg/a.py"])
    paths = sorted(repo)
    chosen, mode = select_files("auto", {}, "f() is wrong", paths, repo.get, 10_000)
    assert mode == "all" and chosen == ["pkg/a.py", "pkg/b.py", "pkg/c.py"]  # no tests, no re-export __init__
    # over budget: the files the issue points at, strongest first (a path beats a class name), within it
    assert select_files("auto", {}, "Parser breaks in pkg/a.py", paths, repo.get, 100) == (["pkg/a.py"], "mentioned")
    assert select_files("mentioned", {}, "Parser breaks in pkg/a.py", paths, repo.get, 1000)[0] == [
        "pkg/a.py",
        "pkg/b.py",
    ]
    gold = {"patch": "diff --git a/pkg/c.py b/pkg/c.py\n--- a/pkg/c.py\n+++ b/pkg/c.py\n@@ -1 +1 @@\n-X = 1\n+X = 2\n"}
    assert select_files("oracle", gold, "anything", paths, repo.get, 10) == (["pkg/c.py"], "oracle")


def test_an_edit_that_cannot_be_written_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "calc").mkdir()
    (tmp_path / "calc" / "ops.py").write_text(MOD)
    failed = write_edits(tmp_path, {"calc/ops.py/inner.py": "x = 1\n", "calc/new.py": "y = 2\n"})
    assert failed == ["calc/ops.py/inner.py"] and (tmp_path / "calc" / "new.py").read_text() == "y = 2\n"
