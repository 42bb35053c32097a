"""Final-answer extraction from a model's response: ``#### N``, ``\\boxed{}``, "Answer: ...", last number.

The order matters: an explicit marker always wins over the last number in the text, so a model that
states its answer is judged on what it stated, not on a number it mentioned afterwards.
"""

from __future__ import annotations

import re

_HASHES = re.compile(r"####\s*([^\n]*)")
_WORD = re.compile(r"\s*[A-Za-z]{2,}")
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_ANSWER = re.compile(r"\b(?:final\s+answer|answer)\s*(?:\*\*)?\s*(?:is\s*:?|:)\s*(?:\*\*)?\s*([^\n]+)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?(?:\s*/\s*\d+)?|-?\.\d+")
_WRAPPERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"), ("**", "**"), ("`", "`"))


def boxed_contents(text: str) -> list[str]:
    """The contents of every ``\\boxed{...}`` (and ``\\fbox{...}``), honouring nested braces."""
    found = []
    for match in _BOXED.finditer(text):
        depth, start = 1, match.end()
        for i in range(start, len(text)):
            ch = text[i]
            if ch == "{" and text[i - 1] != "\\":
                depth += 1
            elif ch == "}" and text[i - 1] != "\\":
                depth -= 1
                if depth == 0:
                    found.append(text[start:i])
                    break
    return found


def clean_answer(answer: str) -> str:
    """Strip the decoration around a stated answer: math delimiters, bold, a trailing full stop."""
    s = answer.strip()
    while s:
        before = s
        s = s.rstrip(".,;:").strip()
        for left, right in _WRAPPERS:
            if len(s) >= len(left) + len(right) and s.startswith(left) and s.endswith(right):
                s = s[len(left) : len(s) - len(right)].strip()
        if s == before:
            break
    return s


def extract_answer(text: str | None) -> tuple[str | None, str]:
    """Return (final answer or None, how it was found: '####', 'boxed', 'answer', 'last-number', 'none')."""
    if not text:
        return None, "none"
    # '#### 18' is an answer; '#### Step 2: ...' is a Markdown heading, so skip lines that open with a word.
    hashes = [m.group(1).strip() for m in _HASHES.finditer(text) if m.group(1).strip() and not _WORD.match(m.group(1))]
    if hashes:
        return clean_answer(hashes[-1]), "####"
    boxed = [b for b in boxed_contents(text) if b.strip()]
    if boxed:
        return clean_answer(boxed[-1]), "boxed"
    stated = [m.group(1) for m in _ANSWER.finditer(text)]
    for raw in reversed(stated):
        cleaned = clean_answer(raw)
        if cleaned:
            return cleaned, "answer"
    numbers = _NUMBER.findall(text)
    if numbers:
        return numbers[-1].replace(" ", ""), "last-number"
    return None, "none"
