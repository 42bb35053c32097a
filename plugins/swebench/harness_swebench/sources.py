"""Task sources: ``builtin`` (the offline set), ``local`` (a JSON/JSONL/Parquet file) and ``hub``
(SWE-bench Verified or Lite through ``datasets``, pinned to a dataset commit).

Options (``[domains.swebench]`` and its ``options`` table): ``repos`` and ``instances`` (lists, or
comma-separated text) keep only those repositories (``django/django``) and instance ids; ``limit``;
``split``; ``repos_dir`` (the folder of your clones, hub and local instances); ``path`` (local) or
``source = "path/to/file.jsonl"``; ``dataset`` and ``revision`` (hub); ``difficulty`` (built-in).
Hub and local instances are listed only when every repository and base commit is in ``repos_dir``
(one line naming what is missing, exit 2), so a collection never pays for an attempt it cannot verify.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

from harness import HarnessError, Task
from harness.toolkit.sources import load_hub_rows, read_rows
from harness_swebench import builtin
from harness_swebench.instance import check_row, to_task
from harness_swebench.repos import GIT, source_repo

#: Pinned dataset revisions (hub commit ids): a result is only reproducible against the same instances.
#: Both are the commits of the repositories' former names (princeton-nlp/SWE-bench_Verified and
#: princeton-nlp/SWE-bench_Lite; the hub keeps a renamed repository's history), as pinned by many public
#: evaluation set-ups; they could not be checked against the hub from this machine (no network).
HUB_REVISIONS = {
    "SWE-bench/SWE-bench_Verified": "c104f840cc67f8b6eec6f759ebc8b2693d585d4a",
    "SWE-bench/SWE-bench_Lite": "6ec7bb89b9342f664a54a6e0a6ea6501d3437cc2",
}
ALIASES = {"verified": "SWE-bench/SWE-bench_Verified", "lite": "SWE-bench/SWE-bench_Lite"}
DEFAULT_DATASET = "SWE-bench/SWE-bench_Verified"
_ALTERNATIVES = (
    'use a local copy of the instances ([domains.swebench] source = "path/to/instances.jsonl") or the '
    'built-in set (source = "builtin")'
)
#: Options that configure verification and checkouts, carried by each task (see instance.py).
TASK_OPTIONS = ("repos_dir", "timeout_s", "python", "isolation", "autoload_plugins")


def _names(value: Any, key: str) -> set[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return {v.strip() for v in value.split(",") if v.strip()}
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return set(value)
    raise HarnessError(f"swebench: [domains.swebench.options] {key} must be a list of names (got {value!r})")


def _filtered(rows: Iterable[Mapping[str, Any]], options: Mapping[str, Any], where: str) -> Iterator[Mapping[str, Any]]:
    repos, ids = _names(options.get("repos"), "repos"), _names(options.get("instances"), "instances")
    for row in rows:
        check_row(row, where)
        if repos is not None and row["repo"] not in repos:
            continue
        if ids is not None and str(row["instance_id"]) not in ids:
            continue
        yield row


def _task_options(options: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: options[k] for k in TASK_OPTIONS if options.get(k) is not None}
    if "repos_dir" in out:
        path = Path(str(out["repos_dir"])).expanduser()
        out["repos_dir"] = str(path if path.is_absolute() else Path(str(options.get("_root", "."))) / path)
    return out


def _limit(options: Mapping[str, Any]) -> int | None:
    limit = options.get("limit")
    return None if limit is None else int(limit)


class BuiltinSource:
    """The built-in offline set (see ``harness_swebench.builtin``); ``difficulty`` filters by level."""

    name = "builtin"

    def tasks(self, options: Mapping[str, Any]) -> Iterable[Task]:
        levels = _names(options.get("difficulty"), "difficulty")
        if levels is not None and not levels <= set(builtin.DIFFICULTIES):
            known = ", ".join(builtin.DIFFICULTIES)
            raise HarnessError(f"swebench: difficulty must be among {known} (got {sorted(levels)})")
        rows = (i.row() for i in builtin.INSTANCES.values() if levels is None or i.difficulty in levels)
        split = str(options.get("split") or "test")
        selected = islice(_filtered(rows, options, "built-in set"), _limit(options))
        return [to_task(r, split, _task_options(options), options.get("solver_options")) for r in selected]


class _ExternalSource:
    """Instances of real repositories: their clones must be in ``repos_dir`` before anything is listed."""

    name = "external"

    def rows(self, options: Mapping[str, Any]) -> tuple[Iterable[Mapping[str, Any]], str]:
        raise NotImplementedError

    def tasks(self, options: Mapping[str, Any]) -> Iterable[Task]:
        rows, where = self.rows(options)
        split = str(options.get("split") or "test")
        selected = islice(_filtered(rows, options, where), _limit(options))
        tasks = [to_task(r, split, _task_options(options), options.get("solver_options")) for r in selected]
        if options.get("check_repos", True):
            check_clones(tasks)
        return tasks


class LocalSource(_ExternalSource):
    """A JSON (array), JSONL or Parquet file of SWE-bench instances: ``path``, or ``source`` when it is a path."""

    name = "local"

    def rows(self, options: Mapping[str, Any]) -> tuple[Iterable[Mapping[str, Any]], str]:
        given = options.get("path") or options.get("source")
        if not given or given == self.name:
            raise HarnessError('swebench: the local source needs a file: [domains.swebench] source = "instances.jsonl"')
        path = Path(str(given)).expanduser()
        path = path if path.is_absolute() else Path(str(options.get("_root", "."))) / path
        return read_rows(path, options.get("format"), domain="swebench"), str(path)


class HubSource(_ExternalSource):
    """SWE-bench Verified (default) or Lite from the Hugging Face hub at a pinned revision."""

    name = "hub"

    def rows(self, options: Mapping[str, Any]) -> tuple[Iterable[Mapping[str, Any]], str]:
        source = options.get("source")
        dataset = str(options.get("dataset") or (source if source and source != self.name else DEFAULT_DATASET))
        dataset = ALIASES.get(dataset.lower(), dataset)
        revision = options.get("revision") or HUB_REVISIONS.get(dataset)
        split = str(options.get("split") or "test")
        rows = load_hub_rows(dataset, None, split, revision, domain="swebench", alternatives=_ALTERNATIVES)
        return rows, dataset


def check_clones(tasks: list[Task]) -> None:
    """Every task's repository has a clone holding its base commit (one line naming the first missing one)."""
    by_repo: dict[str, list[Task]] = {}
    for t in tasks:
        by_repo.setdefault(str(t.data["repo"]), []).append(t)
    for group in by_repo.values():
        src, is_builtin = source_repo(group[0])
        if is_builtin:
            continue
        commits = "".join(f"{t.data['base_commit']}^{{commit}}\n" for t in group)
        out = subprocess.run(
            [*GIT, "-C", str(src), "cat-file", "--batch-check"], input=commits, capture_output=True, text=True
        ).stdout.splitlines()
        for task, line in zip(group, out, strict=False):
            if line.endswith(" missing"):
                raise HarnessError(
                    f"swebench: {task.id}: commit {str(task.data['base_commit'])[:12]} is not in {src}; "
                    f"update the clone (git -C {src} fetch origin)"
                )
