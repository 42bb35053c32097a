"""Git object ids computed in pure Python (blob, tree, commit), so a built-in instance knows its
``base_commit`` without running git; the repository built at run time must come out with the same id
(checked when it is built), which is what makes the build deterministic and verifiable."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Author and committer of every built-in commit (fixed, so the ids never change).
AUTHOR_NAME = "Harness Builtin"
AUTHOR_EMAIL = "builtin@harness.invalid"


def _object_id(kind: str, body: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(body)}\0".encode() + body).hexdigest()


def blob_id(content: bytes) -> str:
    return _object_id("blob", content)


def tree_id(files: Mapping[str, bytes]) -> str:
    """The id of the tree holding ``files`` (POSIX relative path -> content, all mode 100644)."""
    here: dict[str, bytes] = {}
    subdirs: dict[str, dict[str, bytes]] = {}
    for path, content in files.items():
        head, _, rest = path.partition("/")
        if rest:
            subdirs.setdefault(head, {})[rest] = content
        else:
            here[head] = content
    entries = [(name, b"100644", bytes.fromhex(blob_id(c))) for name, c in here.items()]
    entries += [(name + "/", b"40000", bytes.fromhex(tree_id(sub))) for name, sub in subdirs.items()]
    body = b"".join(mode + b" " + name.rstrip("/").encode() + b"\0" + oid for name, mode, oid in sorted(entries))
    return _object_id("tree", body)


@dataclass(frozen=True)
class Commit:
    """One built-in commit: the whole tree after it, its message and its time (seconds since the epoch)."""

    message: str
    files: Mapping[str, bytes]
    timestamp: int


def commit_ids(commits: Sequence[Commit]) -> list[str]:
    """The ids of a linear history of ``commits`` (each the parent of the next), as git computes them."""
    ids: list[str] = []
    for c in commits:
        who = f"{AUTHOR_NAME} <{AUTHOR_EMAIL}> {c.timestamp} +0000"
        lines = [f"tree {tree_id(c.files)}"]
        if ids:
            lines.append(f"parent {ids[-1]}")
        lines += [f"author {who}", f"committer {who}", "", c.message.rstrip("\n"), ""]
        ids.append(_object_id("commit", "\n".join(lines).encode()))
    return ids
