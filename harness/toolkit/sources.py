"""Task records for domain plugins: Hugging Face hub datasets (pinned revision) or local files.

A public core module: plugins call :func:`read_rows` for local JSONL/JSON/Parquet files (errors name the
file and line) and :func:`load_hub_rows` for hub datasets. ``datasets`` retries an unreachable hub for
about half a minute; a reachability probe with a short timeout (and the offline switches
``HF_HUB_OFFLINE`` / ``HF_DATASETS_OFFLINE``) turns that into one clear line at once.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.errors import HarnessError

DEFAULT_ENDPOINT = "https://huggingface.co"
FORMATS = ("jsonl", "json", "parquet")


def _truthy(var: str) -> bool:
    return os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on")


def offline_mode() -> bool:
    """True when the environment asks the Hugging Face libraries not to touch the network."""
    return _truthy("HF_HUB_OFFLINE") or _truthy("HF_DATASETS_OFFLINE")


def probe_hub(timeout_s: float = 3.0, endpoint: str | None = None) -> str | None:
    """Why the hub cannot be reached (None when a TCP connection to it opens within ``timeout_s``)."""
    url = urlsplit(endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT)
    host = url.hostname or "huggingface.co"
    port = url.port or (80 if url.scheme == "http" else 443)
    outcome: list[str | None] = []

    def connect() -> None:  # in a thread: name resolution has no timeout of its own
        try:
            socket.create_connection((host, port), timeout=timeout_s).close()
            outcome.append(None)
        except OSError as exc:
            outcome.append(exc.strerror or type(exc).__name__)

    worker = threading.Thread(target=connect, daemon=True)
    worker.start()
    worker.join(timeout_s + 0.5)
    if not outcome:
        return f"no answer from {host}:{port} within {timeout_s:g}s"
    reason = outcome[0]
    return None if reason is None else f"{host}:{port}: {reason.lower()}"


def load_hub_rows(
    dataset: str,
    config: str | None,
    split: str,
    revision: str | None,
    *,
    domain: str,
    alternatives: str,
    timeout_s: float = 3.0,
    streaming: bool = False,
) -> Iterable[dict[str, Any]]:
    """The rows of ``dataset`` at ``revision``; a HarnessError line at once when the hub is out of reach.

    ``domain`` prefixes the message and ``alternatives`` says what to use instead (a local file, a
    built-in set).
    """
    what = dataset + (f" (config {config})" if config else "") + f" split {split}"
    what += f" @ {revision[:10]}" if revision else ""
    if not offline_mode():
        reason = probe_hub(timeout_s)
        if reason is not None:
            raise HarnessError(f"{domain}: cannot reach the Hugging Face hub for {what} ({reason}); {alternatives}")
    try:
        import datasets
    except ImportError:
        raise HarnessError(
            f"{domain}: loading {what} needs the 'datasets' package (pip install datasets); or {alternatives}"
        ) from None
    try:
        return datasets.load_dataset(dataset, config, split=split, revision=revision, streaming=streaming)
    except Exception as exc:  # datasets wraps network and missing-split errors in many types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        offline = offline_mode() and isinstance(exc, OSError)  # ConnectionError, missing cache files
        mode = "offline mode and not in the local cache" if offline else first
        raise HarnessError(f"{domain}: cannot load {what} from the Hugging Face hub ({mode}); {alternatives}") from None


def detect_format(path: Path, declared: str | None = None, *, domain: str) -> str:
    """The file's format: the declared one, else from its suffix."""
    if declared:
        if declared not in FORMATS:
            raise HarnessError(
                f"{domain}: [domains.{domain}.options] format must be one of {', '.join(FORMATS)} (got {declared!r})"
            )
        return declared
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".json", ".parquet"):
        return suffix[1:]
    raise HarnessError(
        f"{domain}: cannot tell the format of {path} from its suffix; set [domains.{domain}.options] format "
        f"to one of {', '.join(FORMATS)}"
    )


def read_rows(path: Path, fmt: str | None = None, *, domain: str) -> Iterator[dict[str, Any]]:
    """Yield each record of a local JSONL, JSON (array) or Parquet file as a dict."""
    if not path.is_file():
        raise HarnessError(f"{domain}: task file {path} not found; fix [domains.{domain}.options] path")
    fmt = detect_format(path, fmt, domain=domain)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise HarnessError(f"{domain}: {path} is not a readable Parquet file ({exc})") from None
        yield from table.to_pylist()
        return
    if fmt == "json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise HarnessError(f"{domain}: {path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise HarnessError(f"{domain}: {path}: expected a JSON array of objects, one per task")
        yield from data
        return
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise HarnessError(f"{domain}: {path}:{lineno}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise HarnessError(f"{domain}: {path}:{lineno}: expected a JSON object per line")
            yield row
