"""Where code_contests tasks come from: built-in problems, HumanEval, the hub, or local files.

Options (``[domains.code_contests]`` and its ``options`` table):

- ``source``: ``builtin`` (default), ``humaneval``, ``hub`` (alias ``code_contests``: deepmind/code_contests)
  or ``local``; a ``path`` alone, or a source ending in .jsonl/.parquet, means ``local``.
- ``path``: a JSONL or Parquet file in the deepmind/code_contests schema (HumanEval JSONL for humaneval).
- ``split`` (hub: train/valid/test, default test), ``limit``, ``dataset``, ``revision`` (hub).
- ``max_hidden_tests`` (default 100, 0 = all): private tests first, then generated ones. A problem
  without public tests gets its first hidden test as the public one.
- ``time_scale`` (default 2.0): multiplies the problems' time limits (they were set for C++).
- ``float_tolerance`` (default 1e-6): numeric tokens match within this absolute/relative error.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from harness import HarnessError, Task
from harness.toolkit.sources import load_hub_rows, read_rows
from harness_code_contests import builtin, humaneval

DATASET = "deepmind/code_contests"
SOURCES = ("builtin", "humaneval", "hub", "local")
DEFAULTS = {"max_hidden_tests": 100, "time_scale": 2.0, "float_tolerance": 1e-6}
OFFLINE_ALTERNATIVES = (
    'use a local file ([domains.code_contests.options] path = "problems.jsonl") or an offline source '
    '([domains.code_contests] source = "builtin" or "humaneval")'
)
_KNOWN_OPTIONS = {"source", "path", "split", "limit", "dataset", "revision", *DEFAULTS}


def _option(options: Mapping[str, Any], key: str) -> Any:
    return options.get(key, DEFAULTS.get(key))


def _number(options: Mapping[str, Any], key: str) -> float:
    value = _option(options, key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise HarnessError(f"[domains.code_contests] option {key} must be a number >= 0 (got {value!r})")
    return float(value)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:80] or "problem"


def _tests(block: Any) -> list[dict[str, str]]:
    """``{"input": [...], "output": [...]}`` (the dataset's form) as a list of test cases."""
    if not block:
        return []
    if isinstance(block, list):
        return [{"input": t["input"], "output": t["output"]} for t in block]
    ins, outs = block.get("input") or [], block.get("output") or []
    return [{"input": i, "output": o} for i, o in zip(ins, outs, strict=False)]


def row_to_task(row: Mapping[str, Any], options: Mapping[str, Any], split: str | None, index: int) -> Task:
    """One deepmind/code_contests row as a stdin/stdout task (public tests, hidden private+generated)."""
    name = str(row.get("name") or f"problem-{index}")
    if not row.get("description"):
        raise HarnessError(f"code_contests row {index} ({name}) has no description; is this the right schema?")
    hidden, seen = [], set()
    for t in _tests(row.get("private_tests")) + _tests(row.get("generated_tests")):
        if t["input"] not in seen:
            seen.add(t["input"])
            hidden.append(t)
    public = _tests(row.get("public_tests"))
    if not public and len(hidden) > 1:  # a few problems have no examples: one hidden test becomes public
        public, hidden = hidden[:1], hidden[1:]
    cap = int(_number(options, "max_hidden_tests"))
    hidden_total = len(hidden)
    if cap:
        hidden = hidden[:cap]
    tl = row.get("time_limit") or {}
    seconds = (tl.get("seconds") or 0) + (tl.get("nanos") or 0) / 1e9 if isinstance(tl, Mapping) else float(tl)
    return Task(
        id=f"{split or 'local'}/{_slug(name)}",
        split=split,
        data={
            "kind": "stdio",
            "source": options.get("source", "local"),
            "name": name,
            "description": row["description"],
            "public_tests": public,
            "hidden_tests": hidden,
            "hidden_tests_available": hidden_total,
            "time_limit_s": (seconds or 2.0) * _number(options, "time_scale"),
            "memory_limit_bytes": int(row.get("memory_limit_bytes") or 256 * 1024 * 1024),
            "float_tolerance": _number(options, "float_tolerance") or None,
            "difficulty": row.get("difficulty"),
            "cf_rating": row.get("cf_rating"),
        },
    )


def builtin_tasks(options: Mapping[str, Any]) -> Iterator[Task]:
    """The problems written for harness (offline, seeded hidden tests)."""
    scale = _number(options, "time_scale") / DEFAULTS["time_scale"]  # built-in limits are for Python
    for p in builtin.PROBLEMS:
        public, hidden = builtin.problem_tests(p.slug)
        yield Task(
            id=f"builtin/{p.slug}",
            split="test",
            data={
                "kind": "stdio",
                "source": "builtin",
                "name": p.title,
                "description": p.statement,
                "public_tests": public,
                "hidden_tests": hidden,
                "hidden_tests_available": len(hidden),
                "time_limit_s": p.time_limit_s * scale,
                "memory_limit_bytes": p.memory_limit_bytes,
                "float_tolerance": p.float_tolerance,
            },
        )


class CodeContestsSource:
    """TaskSource of the code_contests domain (see the module docstring for options).

    One instance is registered per source (``builtin``, ``humaneval``, ``hub`` alias ``code_contests``,
    ``local``); ``name`` is the source used when ``[domains.code_contests] source`` does not say.
    """

    def __init__(self, name: str = "builtin") -> None:
        self.name = name

    def tasks(self, options: Mapping[str, Any]) -> Iterable[Task]:
        if options.get("source") is None and not (self.name == "builtin" and options.get("path")):
            options = {**options, "source": self.name}
        unknown = sorted(k for k in set(options) - _KNOWN_OPTIONS if not k.startswith("_"))
        if unknown:
            raise HarnessError(
                f"[domains.code_contests] unknown option(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(_KNOWN_OPTIONS))}"
            )
        source = options.get("source") or ("local" if options.get("path") else "builtin")
        if source.endswith((".jsonl", ".ndjson", ".json", ".parquet")):  # source = "file.jsonl": a local file
            options = {**options, "path": source}
            source = "local"
        if source == "code_contests":
            source = "hub"
        if source not in SOURCES:
            raise HarnessError(
                f"[domains.code_contests] source = {source!r} is unknown; use one of {', '.join(SOURCES)}"
            )
        opts = {**options, "source": source}
        if options.get("path"):  # relative to harness.toml's folder (``_root``), else to the cwd
            opts["path"] = str(Path(options.get("_root") or ".") / os.path.expanduser(options["path"]))
        rows: Iterable[Mapping[str, Any]] = ()
        if source == "hub":  # now: an offline or unreachable hub is one clear line at once
            rows = load_hub_rows(
                options.get("dataset") or DATASET,
                None,
                options.get("split") or "test",
                options.get("revision"),
                domain="code_contests",
                alternatives=OFFLINE_ALTERNATIVES,
                streaming=True,
            )
        if source == "local" and not options.get("path"):
            raise HarnessError('[domains.code_contests] source = "local" needs options.path (JSONL or Parquet)')
        if opts.get("path") and not Path(opts["path"]).is_file():
            raise HarnessError(
                f"code_contests file {opts['path']} does not exist; set [domains.code_contests.options] path"
            )
        limit = options.get("limit")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0):
            raise HarnessError(f"[domains.code_contests] limit must be a positive integer (got {limit!r})")
        return itertools.islice(self._all(source, opts, rows), limit)

    def _all(self, source: str, options: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> Iterator[Task]:
        if source == "builtin":
            yield from builtin_tasks(options)
        elif source == "humaneval":
            for problem in humaneval.load_problems(options.get("path")):
                yield humaneval.to_task(problem)
        elif source == "local":
            for i, row in enumerate(read_rows(Path(options["path"]), domain="code_contests")):
                yield row_to_task(row, options, options.get("split"), i)
        else:
            split = options.get("split") or "test"
            for i, row in enumerate(rows):
                yield row_to_task(row, options, split, i)
