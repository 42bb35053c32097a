"""Python snippets put back where they belong: a reply that rewrites only some functions.

Asked for whole files, small models often answer with just the function they changed, or with the
functions of two files run together in one block. When such a block parses as Python, each of its
top-level functions and classes replaces the definition of the same name in the one shown file that
defines it (decorators included); definitions no file has are left out. A block that holds most of a
file's definitions is that whole file, not a snippet (see :func:`is_snippet_of`).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _defs(source: str) -> dict[str, tuple[int, int]] | None:
    """Top-level definitions: name -> (first line incl. decorators, last line), 0-based; None if unparsable."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    out = {}
    for node in tree.body:
        if isinstance(node, _DEFS) and node.end_lineno is not None:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            out[node.name] = (first, node.end_lineno - 1)
    return out


def is_snippet_of(block: str, original: str) -> bool:
    """True when ``block`` defines some of ``original``'s top-level names but well under all of them."""
    mine, theirs = _defs(block), _defs(original)
    if not mine or not theirs:
        return False
    shared = set(mine) & set(theirs)
    return bool(shared) and len(shared) < 0.75 * len(theirs) and len(mine) < len(theirs)


def splice(block: str, files: Mapping[str, str]) -> dict[str, str]:
    """New texts of the files whose definitions ``block`` rewrites (only files that change)."""
    mine = _defs(block)
    if not mine:
        return {}
    lines = block.split("\n")
    owners: dict[str, list[str]] = {}
    parsed = {p: _defs(t) for p, t in files.items() if p.endswith(".py")}
    for name in mine:
        having = [p for p, d in parsed.items() if d and name in d]
        if len(having) == 1:
            owners.setdefault(having[0], []).append(name)
    out = {}
    for path, names in owners.items():
        text = files[path]
        target = text.split("\n")
        spans = parsed[path] or {}
        for name in sorted(names, key=lambda n: spans[n][0], reverse=True):  # bottom-up: line numbers hold
            a, b = spans[name]
            c, d = mine[name]
            target[a : b + 1] = lines[c : d + 1]
        new = "\n".join(target)
        if new != text:
            out[path] = new
    return out
