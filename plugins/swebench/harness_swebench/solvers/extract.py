"""Turn a model's reply into file edits: whole changed files in fenced blocks, or a unified diff.

The reply is treated as hostile text: a path is accepted only if it is a plain relative path inside the
repository (no ``..``, not absolute, not under ``.git``). Whole files are matched to their path by the
fence's info string (```` ```python pkg/mod.py ````), a path comment on the block's first line, or the
last line before the block naming a path; a reply with one unlabelled block when one file was shown is
that file. Diffs (a ```` ```diff ```` block, or ``---``/``+++``/``@@`` anywhere) are read leniently by
:mod:`.diffparse` and applied by content. The caller turns the edits into a canonical git diff.
"""

from __future__ import annotations

import difflib
import posixpath
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from harness_swebench.solvers.diffparse import apply_hunks, looks_like_diff, parse_diff
from harness_swebench.solvers.splice import is_snippet_of, splice

_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})([^\n]*)\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.S | re.M)
_PATHLIKE = re.compile(r"[\w.][\w.\-/]*\.[A-Za-z0-9_]+")
_DIFF_TAGS = {"diff", "patch", "udiff"}
MIN_SIMILARITY = 0.6  # an unlabelled block is a changed copy of a shown file at least this similar (difflib)
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
        inside = sorted((k for k in known if t.endswith("/" + k)), key=len)
        if inside:  # "path/to/pkg/utils.py" (a placeholder prefix) for pkg/utils.py
            return inside[-1]
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
    commented = re.match(r"^\s*(#|//)\s*(file(name)?\s*:)?\s*\S+\s*$", first, re.I)
    if commented or re.match(r"^\s*\S+\.py\s*$", first):  # "# pkg/mod.py", "File: ...", or a bare path line
        found = _path_in(first, known, allow_new=bool(commented))
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


def _closest(block: str, shown: Mapping[str, str], taken: set[str]) -> str | None:
    """The shown file an unlabelled whole-file block is a changed copy of (similar enough), if any."""
    best, score = None, 0.0
    for path, text in shown.items():
        if path in taken:
            continue
        sm = difflib.SequenceMatcher(None, text.splitlines(), block.splitlines(), autojunk=False)
        if sm.quick_ratio() >= MIN_SIMILARITY and (r := sm.ratio()) > score:
            best, score = path, r
    return best if score >= MIN_SIMILARITY else None


def _whole_or_snippet(path: str, body: str, current: str | None, edits: dict[str, str | None], kinds: set[str]) -> None:
    """A block for ``path``: the whole new file, or (when it rewrites only some definitions) spliced in."""
    if current is not None and path.endswith(".py") and is_snippet_of(body, current):
        spliced = splice(body, {path: current})
        if spliced:
            edits.update(spliced)
            kinds.add("snippets")
            return
    edits[path] = body
    kinds.add("whole_files")


def _unlabelled(
    blocks: list[str], shown: Mapping[str, str], current: Callable[[str], str | None], edits: dict, kinds: set
) -> int:
    """Place blocks that name no file: definitions spliced into their files, else the one similar file."""
    left = 0
    for body in blocks:
        texts = {p: current(p) or "" for p in shown}
        spliced = splice(body, texts)
        if spliced:
            edits.update(spliced)
            kinds.add("snippets")
            continue
        path = next(iter(shown)) if len(shown) == 1 else _closest(body, texts, set(edits))
        if path is None:
            left += 1
            continue
        edits[path] = body
        kinds.add("whole_files")
    return left


def extract_edits(
    reply: str, shown: Mapping[str, str], read: Callable[[str], str | None], known: set[str]
) -> Extraction:
    """The edits in ``reply``; ``shown`` are the files the prompt showed, ``read`` gives any base file."""
    ex = Extraction()
    text = _THINK.sub("", (reply or "").replace("\r\n", "\n"))
    known = set(known) | set(shown)
    edits: dict[str, str | None] = {}
    kinds: set[str] = set()

    def current(path: str) -> str | None:
        return edits[path] if path in edits else read(path)

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
        if drop_first:
            body = body.split("\n", 1)[1] if "\n" in body else ""
        if path is None:
            unlabelled.append(body)
        else:
            _whole_or_snippet(path, body, current(path), edits, kinds)
    if not blocks and looks_like_diff(text):
        _apply_diff(text, read, known, ex, edits)
        kinds.add("diff")
    left = _unlabelled(unlabelled, shown, current, edits, kinds) if unlabelled and not kinds & {"diff"} else 0
    if left or (unlabelled and "diff" in kinds):
        ex.problems.append(f"{left or len(unlabelled)} code block(s) name no file")
    ex.edits = {p: (v if v is None else _fit(v, read(p))) for p, v in edits.items()}
    ex.edits = {p: v for p, v in ex.edits.items() if v != read(p)}
    ex.how = "mixed" if len(kinds) > 1 else next(iter(kinds), "none")
    if not ex.edits and not ex.problems:
        ex.problems.append("the reply changes no file" if kinds else "the reply holds no file and no diff")
    return ex
