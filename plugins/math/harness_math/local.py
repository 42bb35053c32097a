"""Rows of a local JSONL, JSON or Parquet file, with errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness import HarnessError

FORMATS = ("jsonl", "json", "parquet")


def detect_format(path: Path, declared: str | None = None) -> str:
    """The file's format: the declared one, else from its suffix."""
    if declared:
        if declared not in FORMATS:
            raise HarnessError(
                f"math: [domains.math.options] format must be one of {', '.join(FORMATS)} (got {declared!r})"
            )
        return declared
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".json", ".parquet"):
        return suffix[1:]
    raise HarnessError(
        f"math: cannot tell the format of {path} from its suffix; set [domains.math.options] format "
        f"to one of {', '.join(FORMATS)}"
    )


def read_rows(path: Path, fmt: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield each record of the file as a dict."""
    if not path.is_file():
        raise HarnessError(f"math: task file {path} not found; fix [domains.math.options] path")
    fmt = detect_format(path, fmt)
    if fmt == "parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise HarnessError("math: reading Parquet needs pyarrow (pip install pyarrow)") from None
        try:
            table = pq.read_table(path)
        except Exception as exc:
            raise HarnessError(f"math: {path} is not a readable Parquet file ({exc})") from None
        yield from table.to_pylist()
        return
    if fmt == "json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise HarnessError(f"math: {path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise HarnessError(f"math: {path}: expected a JSON array of objects, one per task")
        yield from data
        return
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise HarnessError(f"math: {path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise HarnessError(f"math: {path}:{lineno}: expected a JSON object per line")
            yield row
