"""A tolerant reader of model-written unified diffs, and hunk application by content, not line numbers.

Models get diffs slightly wrong: hunk line counts that do not add up, wrong line numbers, a blank
context line without its leading space, ``a/``/``b/`` prefixes missing, CRLF line ends, prose after
the last hunk. Strict parsers (``unidiff``, ``git apply``) reject all of these, so the diff is read here
leniently, and each hunk is applied to the original file by finding its old lines (exactly, then
ignoring trailing whitespace, then with fewer context lines); the harness then computes a canonical
diff from the resulting files. A hunk that cannot be placed is reported, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@+ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@+")
_TIMESTAMP = re.compile(r"\t.*$")
MAX_FUZZ = 3  # context lines that may be dropped from each end of a hunk to place it


@dataclass
class Hunk:
    """One hunk: its stated old start line (1-based, only a hint) and its lines as (tag, text)."""

    old_start: int
    lines: list[tuple[str, str]] = field(default_factory=list)

    @property
    def old(self) -> list[str]:
        return [t for tag, t in self.lines if tag in " -"]

    @property
    def new(self) -> list[str]:
        return [t for tag, t in self.lines if tag in " +"]


@dataclass
class FilePatch:
    """The hunks of one file; ``old_path``/``new_path`` are None for /dev/null (a new or deleted file)."""

    old_path: str | None
    new_path: str | None
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


def looks_like_diff(text: str) -> bool:
    """True when ``text`` holds at least one ``---``/``+++`` header followed by a hunk."""
    lines = _lines(text)
    return any(_header_at(lines, i) for i in range(len(lines)))


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _header_at(lines: list[str], i: int) -> bool:
    return (
        i + 2 < len(lines)
        and lines[i].startswith("--- ")
        and lines[i + 1].startswith("+++ ")
        and lines[i + 2].startswith("@@")
    )


def _clean_path(raw: str, exists: Callable[[str], bool]) -> str | None:
    """A header path without timestamp, quotes and the ``a/``/``b/`` prefix (kept if it names a real file)."""
    path = _TIMESTAMP.sub("", raw).strip().strip('"')
    if path == "/dev/null" or not path:
        return None
    if path[:2] in ("a/", "b/") and (exists(path[2:]) or not exists(path)):
        path = path[2:]
    return path[2:] if path.startswith("./") else path


def parse_diff(text: str, exists: Callable[[str], bool] = lambda p: False) -> list[FilePatch]:
    """Every file section of a (possibly sloppy) unified diff; ``exists`` says which paths are real files."""
    lines = _lines(text)
    patches: list[FilePatch] = []
    i = 0
    while i < len(lines):
        if not _header_at(lines, i):
            i += 1
            continue
        fp = FilePatch(_clean_path(lines[i][4:], exists), _clean_path(lines[i + 1][4:], exists))
        i += 2
        while i < len(lines) and lines[i].startswith("@@"):
            match = _HUNK.match(lines[i])
            hunk = Hunk(int(match.group(1)) if match else 0)
            i += 1
            while i < len(lines) and not lines[i].startswith("@@") and not _header_at(lines, i):
                line = lines[i]
                if line[:1] in (" ", "+", "-"):
                    hunk.lines.append((line[0], line[1:]))
                elif line == "":
                    hunk.lines.append((" ", ""))  # a blank context line that lost its space
                elif not line.startswith("\\"):  # "\ No newline at end of file" is dropped; prose ends it
                    break
                i += 1
            while hunk.lines and hunk.lines[-1] == (" ", ""):
                hunk.lines.pop()  # trailing blank "context" is usually the gap before prose
            if hunk.lines:
                fp.hunks.append(hunk)
            if i < len(lines) and not lines[i].startswith("@@"):
                break
        patches.append(fp)
    return patches


def _find(haystack: list[str], needle: list[str], hint: int, start: int, loose: bool) -> int | None:
    """The position of ``needle`` in ``haystack`` at or after ``start``, nearest ``hint`` (None: absent)."""
    norm = (lambda s: s.rstrip()) if loose else (lambda s: s)
    target = [norm(s) for s in needle]
    hits = [
        p
        for p in range(start, len(haystack) - len(needle) + 1)
        if [norm(s) for s in haystack[p : p + len(needle)]] == target
    ]
    return min(hits, key=lambda p: abs(p - hint)) if hits else None


def _place(lines: list[str], hunk: Hunk, start: int) -> tuple[int, int, int] | None:
    """Where the hunk's old lines are: (position, context lines dropped at the head, at the tail)."""
    body = hunk.lines
    lead = next((k for k, (tag, _) in enumerate(body) if tag != " "), len(body))
    trail = next((k for k, (tag, _) in enumerate(reversed(body)) if tag != " "), len(body))
    for fuzz in range(MAX_FUZZ + 1):
        head, tail = min(fuzz, lead), min(fuzz, trail)
        old = [t for tag, t in body[head : len(body) - tail] if tag in " -"]
        if not old:
            continue
        for loose in (False, True):
            for lo in (start, 0):
                pos = _find(lines, old, max(hunk.old_start - 1 + head, 0), lo, loose)
                if pos is not None:
                    return pos, head, tail
        if head == lead and tail == trail:
            break
    return None


def apply_hunks(original: str, hunks: list[Hunk]) -> tuple[str, list[int]]:
    """The file after the hunks (placed by content), and the numbers (1-based) of hunks that could not be placed."""
    had_newline = original.endswith("\n") or not original
    lines = original.split("\n")
    if had_newline and original:
        lines.pop()
    failed: list[int] = []
    cursor = 0
    for n, hunk in enumerate(hunks, 1):
        if not hunk.old:  # pure insertion: at its stated line
            at = min(max(hunk.old_start, 0), len(lines))
            lines[at:at] = hunk.new
            cursor = at + len(hunk.new)
            continue
        placed = _place(lines, hunk, cursor)
        if placed is None:
            failed.append(n)
            continue
        pos, head, tail = placed
        body = hunk.lines[head : len(hunk.lines) - tail]
        old = [t for tag, t in body if tag in " -"]
        new = [t for tag, t in body if tag in " +"]
        lines[pos : pos + len(old)] = new
        cursor = pos + len(new)
    text = "\n".join(lines)
    return (text + "\n" if had_newline and lines else text), failed
