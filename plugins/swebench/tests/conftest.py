"""Shared fixtures: the built-in repositories are built once per session into a private cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def swebench_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh $HARNESS_CACHE for the session: every built-in repository is built here, once."""
    root = tmp_path_factory.mktemp("harness-cache")
    old = os.environ.get("HARNESS_CACHE")
    os.environ["HARNESS_CACHE"] = str(root)
    yield root
    if old is None:
        os.environ.pop("HARNESS_CACHE", None)
    else:
        os.environ["HARNESS_CACHE"] = old


@pytest.fixture(scope="session")
def builtin_tasks(swebench_cache: Path) -> dict:
    """The built-in set as tasks, by id, with every repository built."""
    from harness_swebench.builtin import REPOS
    from harness_swebench.repos import built_repo
    from harness_swebench.sources import BuiltinSource

    for repo in REPOS.values():
        built_repo(repo)
    return {t.id: t for t in BuiltinSource().tasks({})}
