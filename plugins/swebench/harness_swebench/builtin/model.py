"""How a built-in instance is written down: a tiny repository's history, and per instance the issue, the
fix and the new tests as exact text edits; the SWE-bench row (patches as git diffs, ids) is derived."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from harness_swebench.gitobj import Commit, commit_ids

#: An edit of one file: its whole new text, or (old, new) replacements that must each match exactly once.
Edit = str | Sequence[tuple[str, str]]
DIFFICULTIES = ("very easy", "easy", "medium", "hard")
_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z; commit i of a repository is i days later


@dataclass(frozen=True)
class BuiltinRepo:
    """A small pure-Python repository: ``history`` is (message, files added or replaced) per commit."""

    name: str  # "builtin/textkit"
    history: Sequence[tuple[str, Mapping[str, str]]]
    version: str = "0.1"

    @cached_property
    def commits(self) -> list[Commit]:
        files: dict[str, bytes] = {}
        out = []
        for i, (message, changed) in enumerate(self.history):
            for path, text in changed.items():
                if not text.endswith("\n"):
                    raise ValueError(f"{self.name}: {path} must end with a newline")
                files[path] = text.encode()
            out.append(Commit(message, dict(files), _EPOCH + 86_400 * i))
        return out

    @cached_property
    def head(self) -> str:
        """The id of the last commit (every instance of the repository is based on it)."""
        return commit_ids(self.commits)[-1]

    @property
    def files(self) -> dict[str, str]:
        return {p: b.decode() for p, b in self.commits[-1].files.items()}

    @property
    def slug(self) -> str:
        return self.name.replace("/", "__")


@dataclass(frozen=True)
class BuiltinInstance:
    """One issue of a built-in repository, with its gold fix and the tests that check it."""

    repo: BuiltinRepo
    number: int
    difficulty: str
    problem_statement: str
    fix: Mapping[str, Edit]
    tests: Mapping[str, Edit]
    fail_to_pass: Sequence[str]
    pass_to_pass: Sequence[str]
    #: Edits on top of the fixed files giving a patch that resolves the issue but breaks a PASS_TO_PASS test.
    regression: Mapping[str, Edit] = field(default_factory=dict)
    hints_text: str = ""
    created_at: str = "2024-02-01T00:00:00Z"
    notes: str = ""  # what the bug is, for the README table

    def __post_init__(self) -> None:
        if self.difficulty not in DIFFICULTIES:
            raise ValueError(f"{self.instance_id}: difficulty must be one of {DIFFICULTIES}")

    @property
    def instance_id(self) -> str:
        return f"{self.repo.slug}-{self.number}"

    def row(self) -> dict[str, Any]:
        """The instance in the SWE-bench schema (plus ``difficulty``)."""
        base = self.repo.files
        return {
            "repo": self.repo.name,
            "instance_id": self.instance_id,
            "base_commit": self.repo.head,
            "patch": unified_diff(base, edited(base, self.fix)),
            "test_patch": unified_diff(base, edited(base, self.tests)),
            "problem_statement": self.problem_statement.strip() + "\n",
            "hints_text": self.hints_text,
            "created_at": self.created_at,
            "version": self.repo.version,
            "FAIL_TO_PASS": json.dumps(list(self.fail_to_pass)),
            "PASS_TO_PASS": json.dumps(list(self.pass_to_pass)),
            "environment_setup_commit": self.repo.head,
            "difficulty": self.difficulty,
        }

    def regression_patch(self) -> str:
        """A patch that makes the FAIL_TO_PASS tests pass but breaks a PASS_TO_PASS one (for tests)."""
        base = self.repo.files
        fixed = {**base, **edited(base, self.fix)}
        return unified_diff(base, {**edited(base, self.fix), **edited(fixed, self.regression)})


def edited(base: Mapping[str, str], edits: Mapping[str, Edit]) -> dict[str, str]:
    """The new text of every file ``edits`` touches."""
    return {path: apply_edit(path, base.get(path), edit) for path, edit in edits.items()}


def apply_edit(path: str, old: str | None, edit: Edit) -> str:
    """The new text of ``path`` after ``edit`` (whole text, or exact replacements)."""
    if isinstance(edit, str):
        return edit
    if old is None:
        raise ValueError(f"{path}: a new file needs its whole text, not replacements")
    text = old
    for before, after in edit:
        if text.count(before) != 1:
            raise ValueError(f"{path}: {before!r} occurs {text.count(before)} times (must be exactly once)")
        text = text.replace(before, after)
    return text


def unified_diff(base: Mapping[str, str], new_texts: Mapping[str, str]) -> str:
    """A git-style unified diff from ``base`` to ``new_texts`` (files sorted by path, 3 lines of context)."""
    out: list[str] = []
    for path in sorted(new_texts):
        old, new = base.get(path), new_texts[path]
        if not new.endswith("\n"):
            raise ValueError(f"{path}: the new text must end with a newline")
        out.append(f"diff --git a/{path} b/{path}\n")
        if old is None:
            out.append("new file mode 100644\n")
        lines = difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile="/dev/null" if old is None else f"a/{path}",
            tofile=f"b/{path}",
        )
        out.extend(lines)
    return "".join(out)
