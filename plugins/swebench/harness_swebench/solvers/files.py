"""Which files the one-shot prompt shows the model.

- ``all``: every non-test Python source file of the repository (the built-in repositories are small:
  all of their sources fit in one prompt), except package ``__init__.py`` files that only import and
  re-export names (a fix rarely goes there, and each extra file distracts a small model).
- ``mentioned``: files the issue text points at: their path, dotted module name or file name appears
  in it, or they define a function or class the issue names; ranked by how strongly, within the size
  budget. This uses nothing a real solver would not have.
- ``oracle``: the files the gold patch changes (its file *list*, never its content). This is the
  SWE-bench "oracle" retrieval setting of the original paper: it tells the model where the fix goes,
  so its results are an upper bound for retrieval, not comparable with agents that search themselves.
- ``auto`` (the default): ``all`` when the sources fit the budget, else ``mentioned``.

Test files (under ``tests``/``test``/``testing``, ``test_*.py``, ``*_test.py``, ``conftest.py``) are
never shown: the fix goes in the sources, and SWE-bench's tests are hidden from solvers.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness_swebench.solvers.diffparse import parse_diff

_TEST_DIRS = {"tests", "test", "testing"}
_IDENT = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]{2,})\b")


def is_test(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    return (
        any(p in _TEST_DIRS for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def source_files(paths: Sequence[str]) -> list[str]:
    """The non-test Python sources among ``paths``."""
    return [p for p in paths if p.endswith((".py", ".pyi")) and not is_test(p)]


def reexports_only(text: str) -> bool:
    """True for a module holding only a docstring, imports and ``__all__`` (a package's public names)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["__all__"]:
            continue
        return False
    return True


def oracle_files(data: Mapping[str, Any], paths: Sequence[str]) -> list[str]:
    """The existing files the gold patch changes (SWE-bench's oracle setting; the file list only)."""
    present = set(paths)
    changed = [fp.old_path for fp in parse_diff(str(data.get("patch") or ""), exists=present.__contains__)]
    return [p for p in dict.fromkeys(changed) if p in present]


def _score(path: str, text: str, issue: str, idents: set[str]) -> int:
    module = path[:-3].replace("/", ".") if path.endswith(".py") else path
    name = posixpath.basename(path)
    score = 0
    if path in issue or module in issue:
        score += 6
    elif re.search(rf"(?<![\w.]){re.escape(name)}\b", issue):
        score += 3
    defined = set(re.findall(r"^\s*(?:async\s+def|def|class)\s+([A-Za-z_]\w*)", text, re.M))
    score += 2 * len(defined & idents)
    return score


def mentioned_files(issue: str, paths: Sequence[str], read: Callable[[str], str | None], budget: int) -> list[str]:
    """Sources the issue points at, strongest first, as many as fit ``budget`` characters."""
    idents = set(_IDENT.findall(issue))
    scored = []
    for p in source_files(paths):
        text = read(p) or ""
        s = _score(p, text, issue, idents)
        if s > 0:
            scored.append((s, len(text), p))
    chosen, used = [], 0
    for _, size, p in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
        if used + size <= budget or not chosen:
            chosen.append(p)
            used += size
    return sorted(chosen)


def select_files(
    mode: str,
    data: Mapping[str, Any],
    issue: str,
    paths: Sequence[str],
    read: Callable[[str], str | None],
    budget: int,
) -> tuple[list[str], str]:
    """The files to show and the mode actually used (``auto`` resolves to ``all`` or ``mentioned``)."""
    if mode == "oracle":
        return oracle_files(data, paths), "oracle"
    sources = [p for p in source_files(paths) if not (p.endswith("__init__.py") and reexports_only(read(p) or ""))]
    if mode == "all" or (mode == "auto" and sum(len(read(p) or "") for p in sources) <= budget):
        return sources, "all"
    return mentioned_files(issue, paths, read, budget), "mentioned"
