"""Code extraction from model replies."""

from __future__ import annotations

import pytest
from harness_code_contests.extract import extract_code

PROGRAM = "n = int(input())\nprint(n * 2)"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (f"Here you go:\n```python\n{PROGRAM}\n```\nDone.", PROGRAM),
        (f"```py\n{PROGRAM}\n```", PROGRAM),
        (f"```\n{PROGRAM}\n```", PROGRAM),  # unlabeled fence
        (PROGRAM, PROGRAM),  # no fence at all
        (f"Sure! The idea is to double n.\n{PROGRAM}", PROGRAM),  # prose, then code, no fence
        (f"```python\n{PROGRAM}\n```\nRun it with:\n```bash\npython main.py\n```", PROGRAM),
        # the solution, then a short usage snippet: the solution wins
        (f"```python\n{PROGRAM}\n```\nExample:\n```python\nprint(2)\n```", PROGRAM),
        # a draft, then the corrected program of similar length: the last one wins
        (f"```python\nn = int(input())\nprint(n + n + 0)\n```\nBetter:\n```python\n{PROGRAM}\n```", PROGRAM),
        # python-labeled beats unlabeled text blocks
        (f"```\nInput: 3\nOutput: 6 and some long explanation text here\n```\n```python\n{PROGRAM}\n```", PROGRAM),
        # a block that does not parse loses to one that does
        (f"```python\n{PROGRAM}\n```\n```python\ndef broken(:\n    pass and more and more text here\n```", PROGRAM),
        (f"<think>maybe ```python\nprint(0)\n``` no</think>\n```python\n{PROGRAM}\n```", PROGRAM),
        (f"```python\n{PROGRAM}", PROGRAM),  # truncated reply: unterminated fence
        (f"````python\n{PROGRAM}\n````", PROGRAM),  # four-backtick fence
        (f"```python\r\n{PROGRAM}\r\n```\r\n".replace("\n", "\r\n").replace("\r\r", "\r"), PROGRAM),  # CRLF
        ("1. Read n.\n   ```python\n   n = int(input())\n   print(n * 2)\n   ```\n", PROGRAM),  # indented fence
        ("", None),
        ("   \n", None),
    ],
)
def test_extract_code(reply, expected):
    assert extract_code(reply) == expected


def test_unparseable_reply_is_returned_for_the_verifier_to_fail():
    text = "I cannot solve this problem, sorry."
    assert extract_code(text) == text
