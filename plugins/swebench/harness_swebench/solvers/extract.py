"""Turn a model's reply into file edits: whole changed files in fenced blocks, or a unified diff.

The reply is treated as hostile text: a path is accepted only if it is a plain relative path inside the
repository (no ``..``, not absolute, not under ``.git``). Whole files are matched to their path by the
fence's info string (```` ```python pkg/mod.py ````), a path comment on the block's first line, or the
last line before the block naming a path; a reply with one unlabelled block when one file was shown is
that file. Diffs (a ```` ```diff ```` block, or ``---``/``+++``/``@@`` anywhere) are read leniently by
:mod:`.diffparse` and applied by content. The caller turns the edits into a canonical git diff.
"""

from __future__ import annotations

import posixpath
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from harness_swebench.solvers.diffparse import apply_hunks, looks_like_diff, parse_diff

_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})([^\n]*)\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.S | re.M)
_PATHLIKE = re.compile(r"[\w.][\w.\-/]*\.[A-Za-z0-9_]+")
_DIFF_TAGS = {"diff", "patch", "udiff"}
_SOURCE_SUFFIXES = (".py", ".pyi", ".txt", ".cfg", ".toml", ".md", ".rst", ".json", ".yaml", ".yml", ".ini")


@dataclass
class Extraction:
    """What a reply asks to change: ``edits`` maps a path to its new text (None: delete the file)."""

    edits: dict[str, str | None] = field(default_factory=dict)
    how: str = "none"  # whole_files, diff, mixed or none
    problems: list[str] = field(default_factory=list)


def safe_path(path: str) -> str | None:
    """``path`` as a normalised relative path inside the repository, or None if it could escape it."""
    path = path.strip().strip("`'\"*:").replace("\\", "/")
    if path.startswith("./"):
        path = path[2:]
    if not path or path.startswith("/") or "\x00" in path:
        return None
    norm = posixpath.normpath(path)
    parts = norm.split("/")
    if norm in (".", "") or ".." in parts or ".git" in parts:
        return None
    return norm


def _path_in(line: str, known: set[str], allow_new: bool) -> str | None:
    """The path a heading line names: a known file (longest match first), else a new source file."""
    tokens = [safe_path(t) for t in _PATHLIKE.findall(line)]
    tokens = [t for t in tokens if t]
    for t in sorted(tokens, key=len, reverse=True):
        if t in known:
            return t
        same_name = [k for k in known if posixpath.basename(k) == t]
        if "/" not in t and len(same_name) == 1:  # "utils.py" for the one pkg/utils.py
            return same_name[0]
    if allow_new:
        new = [t for t in tokens if t.endswith(_SOURCE_SUFFIXES) and "/" in t or t.endswith(".py")]
        return new[-1] if new else None
    return None


def _block_path(info: str, body: str, before: str, known: set[str]) -> tuple[str | None, bool]:
    """The file a whole-file block is for, and whether its first line is a path comment to drop."""
    words = info.replace("title=", " ").replace(":", " ").split()
    found = _path_in(" ".join(words[1:] if len(words) > 1 else words), known, allow_new=True)
    if found:
        return found, False
    first = body.split("\n", 1)[0]
    if re.match(r"^\s*(#|//)\s*(file(name)?\s*:)?\s*\S+\s*$", first, re.I):
        found = _path_in(first, known, allow_new=True)
        if found:
            return found, True
    lines = [ln for ln in before.split("\n") if ln.strip()][-3:]
    for k, line in enumerate(reversed(lines)):
        found = _path_in(line, known, allow_new=k == 0)
        if found:
            return found, False
    return None, False


def _fit(new: str, original: str | None) -> str:
    """Match the original's line ends and final newline (models drop or change them)."""
    new = new.replace("\r\n", "\n")
    if original is None or original.endswith("\n") or not original:
        new = new.rstrip("\n") + "\n"
    if original and "\r\n" in original:
        new = new.replace("\n", "\r\n")
    return new


def _apply_diff(
    text: str, read: Callable[[str], str | None], known: set[str], ex: Extraction, edits: dict[str, str | None]
) -> None:
    """Apply every file section of a diff to the current edits (or the base files)."""
    for fp in parse_diff(text, exists=lambda p: p in known):
        path = safe_path(fp.path) if fp.path else None
        if path is None:
            ex.problems.append(f"diff names an unsafe or empty path {fp.path!r}")
            continue
        if fp.new_path is None:
            edits[path] = None
            continue
        original = edits.get(path) if path in edits else read(path) if fp.old_path is not None else ""
        if original is None:
            ex.problems.append(f"diff changes {path}, which is not in the repository")
            continue
        new, failed = apply_hunks(original.replace("\r\n", "\n"), fp.hunks)
        if failed:
            ex.problems.append(f"{path}: hunk(s) {', '.join(map(str, failed))} match no lines of the file")
        edits[path] = _fit(new, original if fp.old_path is not None else None)


def extract_edits(
    reply: str, shown: Mapping[str, str], read: Callable[[str], str | None], known: set[str]
) -> Extraction:
    """The edits in ``reply``; ``shown`` are the files the prompt showed, ``read`` gives any base file."""
    ex = Extraction()
    text = _THINK.sub("", (reply or "").replace("\r\n", "\n"))
    known = set(known) | set(shown)
    edits: dict[str, str | None] = {}
    kinds: set[str] = set()
    blocks = list(_FENCE.finditer(text))
    unlabelled: list[str] = []
    prev_end = 0
    for m in blocks:
        info, body = m.group(2).strip(), textwrap.dedent(m.group(3))
        before, prev_end = text[prev_end : m.start()], m.end()
        if info.split()[:1] and info.split()[0].lower() in _DIFF_TAGS or looks_like_diff(body):
            _apply_diff(body, read, known, ex, edits)
            kinds.add("diff")
            continue
        if not body.strip():
            continue
        path, drop_first = _block_path(info, body, before, known)
        if path is None:
            unlabelled.append(body)
            continue
        if drop_first:
            body = body.split("\n", 1)[1] if "\n" in body else ""
        edits[path] = _fit(body, read(path))
        kinds.add("whole_files")
    if not blocks and looks_like_diff(text):
        _apply_diff(text, read, known, ex, edits)
        kinds.add("diff")
    if not edits and len(shown) == 1 and len(unlabelled) == 1:
        (path,) = shown
        edits[path] = _fit(unlabelled[0], shown[path])
        kinds.add("whole_files")
    elif unlabelled:
        ex.problems.append(f"{len(unlabelled)} code block(s) name no file")
    ex.edits = {p: v for p, v in edits.items() if v != read(p)}
    ex.how = "mixed" if len(kinds) > 1 else next(iter(kinds), "none")
    if not ex.edits and not ex.problems:
        ex.problems.append("the reply changes no file" if kinds else "the reply holds no file and no diff")
    return ex
