"""The one-shot solver: the issue and the relevant files in one prompt; the reply becomes a git diff.

One model call per attempt, which suits small local models (an agent loop needs a model that can
drive a shell). The repository is checked out at ``base_commit`` in a temporary directory; the files
to show are chosen by :mod:`.files`; the reply's whole files or diff hunks are written into that
checkout and the candidate is its ``git diff`` against the base commit, so it always applies with
``git apply`` to a fresh checkout. The reply's token limit is sized to the shown files (a whole-file
reply must not be cut off) unless ``solver_options.max_tokens`` fixes it.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from harness import Candidate, Message, ModelClient, Task
from harness_swebench.solvers.extract import extract_edits
from harness_swebench.solvers.files import select_files
from harness_swebench.solvers.options import OneShotOptions, merged
from harness_swebench.solvers.prompts import SYSTEM, oneshot_prompt
from harness_swebench.solvers.workcopy import PrivateRepo, list_files, write_edits

Checkout = Callable[[Task, Path], Path]
View = Callable[[Task], Mapping[str, Any]]
CHARS_PER_TOKEN = 3.0  # code tokenises at roughly 3-4 characters per token: err on the long side
MIN_REPLY_TOKENS, MAX_REPLY_TOKENS = 512, 4096


def default_checkout(task: Task, dest: Path) -> Path:
    from harness_swebench.repos import checkout

    return checkout(task, dest)


def default_view(task: Task) -> Mapping[str, Any]:
    from harness_swebench.instance import public_view

    return public_view(task)


def reply_tokens(files: Mapping[str, str]) -> int:
    """A token limit that lets the model repeat every shown file once, plus a little prose."""
    need = math.ceil(sum(len(t) for t in files.values()) / CHARS_PER_TOKEN * 1.1) + 200
    return max(MIN_REPLY_TOKENS, min(MAX_REPLY_TOKENS, need))


class _Repo:
    """A fresh checkout of the task's repository at its base commit, with its files readable by path."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.paths = list_files(root)
        self._known = set(self.paths)

    def read(self, path: str) -> str | None:
        if path not in self._known:
            return None
        try:
            return (self.root / path).read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None


class OneShotSolver:
    """One prompt (issue + relevant files), one reply, extracted into a patch."""

    name = "oneshot"

    def __init__(
        self, options: OneShotOptions | None = None, checkout: Checkout | None = None, view: View | None = None
    ) -> None:
        self.options = options or OneShotOptions()
        self.checkout = checkout or default_checkout
        self.view = view or default_view

    async def solve(self, task: Task, model: ModelClient) -> Candidate:
        opts: OneShotOptions = merged(self.options, task.data)
        issue = str(self.view(task).get("problem_statement") or "")
        with tempfile.TemporaryDirectory(prefix="harness-oneshot-") as tmp:
            repo = await asyncio.to_thread(lambda: _Repo(self.checkout(task, Path(tmp) / "repo")))
            chosen, mode = select_files(opts.files, task.data, issue, repo.paths, repo.read, opts.file_chars)
            files = {p: repo.read(p) or "" for p in chosen}
            prompt = oneshot_prompt(issue, files, opts.reply)
            max_tokens = opts.max_tokens or reply_tokens(files if opts.reply == "files" else {})
            messages = [Message("system", SYSTEM), Message("user", prompt)]
            completion = await model.complete(messages, max_tokens=max_tokens)
            ex = extract_edits(completion.text, files, repo.read, set(repo.paths))
            diff = await asyncio.to_thread(self._diff, repo.root, ex.edits, ex.problems) if ex.edits else None
        detail = {
            "files_mode": mode,
            "reply_format": opts.reply,
            "files_shown": chosen,
            "max_tokens": max_tokens,
            "finish_reason": completion.finish_reason,
            "extraction": ex.how,
            "problems": ex.problems,
            "files_changed": diff.files if diff else [],
        }
        answer = diff.text if diff and diff.text.strip() else None
        return Candidate(answer=answer, prompt=prompt, response=completion.text, detail=detail)

    @staticmethod
    def _diff(root: Path, edits: Mapping[str, str | None], problems: list[str]) -> Any:
        problems.extend(f"{p}: cannot be written there" for p in write_edits(root, edits))
        return PrivateRepo.trusted(root).diff(root)
