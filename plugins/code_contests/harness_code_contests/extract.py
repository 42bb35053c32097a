"""Pull the program out of a model's reply: fenced blocks, several blocks, unlabeled fences or none."""

from __future__ import annotations

import ast
import re
import textwrap

_THINK = re.compile(r"<think>.*?</think>", re.S | re.I)
# an opening fence (any length >= 3) with an optional language tag, then the body up to the closing fence
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*\n(.*?)(?:^[ \t]*\1[ \t]*$|\Z)", re.S | re.M)
_PYTHON_TAGS = {"python", "py", "python3", "py3", "python2"}
_CODE_START = re.compile(r"^(import |from \w|def |class |@|if __name__|for |while |print\(|\w+\s*=|#!)")


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _from_first_code_line(text: str) -> str | None:
    """Unfenced replies: drop prose before the first line that looks like code, if the rest parses."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _CODE_START.match(line):
            rest = "\n".join(lines[i:]).strip()
            if _parses(rest):
                return rest
    return None


def extract_code(text: str | None) -> str | None:
    """The most plausible Python program in ``text`` (None when the reply holds no code at all).

    Fenced blocks labeled python win over unlabeled ones, which win over other languages. Among
    those, blocks that parse are preferred, and the last one at least half as long as the longest is
    taken: that skips short usage snippets after the solution but keeps a corrected final version.
    """
    if not text or not text.strip():
        return None
    text = _THINK.sub("", text.replace("\r\n", "\n"))
    blocks = [(m.group(2).lower(), textwrap.dedent(m.group(3)).strip("\n")) for m in _FENCE.finditer(text)]
    blocks = [(tag, body) for tag, body in blocks if body.strip()]
    if blocks:
        for group in (
            [b for t, b in blocks if t in _PYTHON_TAGS],
            [b for t, b in blocks if not t],
            [b for _, b in blocks],
        ):
            if group:
                break
        parsing = [b for b in group if _parses(b)] or group
        longest = max(len(b) for b in parsing)
        return [b for b in parsing if len(b) >= longest / 2][-1]
    stripped = text.strip()
    if _parses(stripped):
        return stripped
    return _from_first_code_line(stripped) or stripped
