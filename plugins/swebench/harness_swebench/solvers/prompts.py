"""The one-shot prompt, and mini-swe-agent's SWE-bench templates for the agent.

The one-shot prompt shows the issue and the chosen files, each under its path, and asks for the
complete new content of each changed file in the same shape (path line, then a fenced block): small
models copy a file with a few lines changed far more reliably than they write a unified diff with
correct line numbers. A diff is accepted too, for models that prefer one.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

SYSTEM = "You are an expert Python developer. You fix bugs in repositories by editing their source files."

ONESHOT = """Fix the issue below by changing the repository's source files.

<issue>
{issue}
</issue>

The relevant files of the repository:

{files}

Reply with the complete new content of every file you change, each one as its path on its own line
followed by the whole file in a fenced code block, like this:

{example}
```python
...every line of the file, with your fix...
```

Write every line of each changed file (not only the changed part). Change only what the fix needs,
do not change or add tests, and do not repeat files you leave unchanged. Instead of whole files you
may reply with a unified diff in a ```diff block."""


def render_files(files: Mapping[str, str]) -> str:
    """Each file as its path on one line, then its content in a fenced block."""
    parts = []
    for path, text in files.items():
        fence = "````" if "```" in text else "```"
        parts.append(f"{path}\n{fence}python\n{text.rstrip()}\n{fence}")
    return "\n\n".join(parts)


def oneshot_prompt(issue: str, files: Mapping[str, str]) -> str:
    """The user message of the one-shot solver."""
    example = max(files, key=lambda p: len(files[p]), default="path/to/file.py")
    return ONESHOT.format(issue=issue.strip(), files=render_files(files) or "(none)", example=example)


@cache
def mini_swe_agent_config() -> dict[str, Any]:
    """mini-swe-agent's own SWE-bench configuration (``config/extra/swebench.yaml`` of the pinned package)."""
    import yaml
    from minisweagent.config import builtin_config_dir

    path = Path(builtin_config_dir) / "extra" / "swebench.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))
