"""One loader for task records: Hugging Face hub datasets (pinned revision) or local JSONL/Parquet.

Local files are read directly (JSONL line by line, so a malformed line is named by file and line);
hub datasets go through ``datasets.load_dataset``. An unreachable hub is one clear error at once, not
after minutes of retries.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

HUB_HOST = "huggingface.co"
LOCAL_SUFFIXES = (".jsonl", ".json", ".parquet")


def is_local(source: str) -> bool:
    """Whether ``source`` names a local file rather than a hub dataset."""
    return source.endswith(LOCAL_SUFFIXES) or Path(source).exists()


def load_records(
    source: str,
    split: str | None = None,
    revision: str | None = None,
    config_name: str | None = None,
    limit: int | None = None,
    streaming: bool = False,
    columns: Mapping[str, str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield records (dicts) from a local file or a hub dataset, renaming ``columns`` {theirs: ours}."""
    records = _local(Path(source)) if is_local(source) else _hub(source, split, revision, config_name, streaming)
    for rec in islice(records, limit):
        if columns:
            rec = {columns.get(k, k): v for k, v in rec.items()}
        yield rec


def _local(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise HarnessError(f"{path}: no such file; check the domain's source in harness.toml")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise HarnessError(f"{path}: not a readable Parquet file ({exc})") from None
        yield from table.to_pylist()
        return
    with path.open(encoding="utf-8") as fh:
        if path.suffix == ".json" and fh.read(1) == "[":
            fh.seek(0)
            try:
                rows = json.load(fh)
            except json.JSONDecodeError as exc:
                raise HarnessError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
            yield from rows
            return
        fh.seek(0)
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise HarnessError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise HarnessError(f"{path}:{lineno}: expected a JSON object per line")
            yield row


def hub_offline_reason() -> str | None:
    """Why the hub cannot be reached right now, or None if it looks reachable."""
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return f"{var} is set"
    try:
        socket.create_connection((HUB_HOST, 443), timeout=3).close()
    except OSError as exc:
        return f"{HUB_HOST} is unreachable ({exc.__class__.__name__})"
    return None


def _hub(name: str, split: str | None, revision: str | None, config_name: str | None,
         streaming: bool) -> Iterator[dict[str, Any]]:
    reason = hub_offline_reason()
    if reason:
        raise HarnessError(
            f"cannot load {name!r} from the Hugging Face hub: {reason}; use a local .jsonl/.parquet file "
            "as the domain's source (or its built-in set) instead"
        )
    import datasets

    try:
        ds = datasets.load_dataset(name, config_name, split=split, revision=revision, streaming=streaming)
    except Exception as exc:  # datasets wraps network and missing-split errors in many types
        raise HarnessError(f"cannot load {name!r} (split {split}, revision {revision}) from the hub: {exc}") from None
    yield from ds
