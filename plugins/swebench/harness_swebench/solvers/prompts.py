"""The one-shot prompt, and mini-swe-agent's SWE-bench templates for the agent.

The one-shot prompt shows the issue and the chosen files, each under its path, and asks either for
the complete new content of each changed file in the same shape (path line, then a fenced block;
``reply = "files"``, the default: small models copy a file with a few lines changed far more reliably
than they write a diff, and offering them the choice made the 0.5B model write broken diffs) or for a
unified diff (``reply = "diff"``: shorter, so cheaper, for models that write diffs well). The
extraction accepts either whatever was asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

SYSTEM = "You are an expert Python developer. You fix bugs in repositories by editing their source files."

_HEAD = """Here are the source files of a Python repository:

{files}

A user reported this issue:

<issue>
{issue}
</issue>

Fix the issue. """

#: Whole changed files (the default): what small models get right most often. (An example block with a
#: placeholder body made the 0.5B model reply with the placeholder, so the format is only described.)
FILES_REPLY = """Reply with the fixed version of the file that needs to change, in the same format as above: its
path on one line, then the complete file in a ```python block. Write out the whole file with your fix,
every line of it, not only the lines you change. Change only what the fix needs."""

#: A unified diff: shorter replies, for models that write diffs reliably.
DIFF_REPLY = """Reply with the fix as a unified diff (``git diff`` format) in one ```diff block, with ``--- a/PATH``
and ``+++ b/PATH`` headers and a few lines of context around each change. Change only what the fix
needs and do not change tests."""

TEMPLATES = {"files": FILES_REPLY, "diff": DIFF_REPLY}


def render_files(files: Mapping[str, str]) -> str:
    """Each file as its path on one line, then its content in a fenced block."""
    parts = []
    for path, text in files.items():
        fence = "````" if "```" in text else "```"
        parts.append(f"{path}\n{fence}python\n{text.rstrip()}\n{fence}")
    return "\n\n".join(parts)


def oneshot_prompt(issue: str, files: Mapping[str, str], reply: str = "files") -> str:
    """The user message of the one-shot solver; ``reply`` is ``files`` (whole files) or ``diff``."""
    head = _HEAD.format(issue=issue.strip(), files=render_files(files) or "(none)")
    return head + TEMPLATES[reply]


@cache
def mini_swe_agent_config() -> dict[str, Any]:
    """mini-swe-agent's own SWE-bench configuration (``config/extra/swebench.yaml`` of the pinned package)."""
    import yaml
    from minisweagent.config import builtin_config_dir

    path = Path(builtin_config_dir) / "extra" / "swebench.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))
