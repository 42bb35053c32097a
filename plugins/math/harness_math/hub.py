"""Hugging Face hub datasets through ``datasets``, pinned to a revision, failing fast when unreachable.

``datasets`` retries an unreachable hub for about half a minute before it gives up; a reachability probe
with a short timeout (and the offline switches ``HF_HUB_OFFLINE`` / ``HF_DATASETS_OFFLINE``) turns that
into one clear line at once, naming the two offline alternatives.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from harness import HarnessError

DEFAULT_ENDPOINT = "https://huggingface.co"
ALTERNATIVES = (
    'use a local file ([domains.math.options] path = "test.jsonl") '
    'or the offline generator ([domains.math] source = "generator")'
)


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
    revision: str,
    timeout_s: float = 3.0,
) -> Iterable[dict[str, Any]]:
    """The rows of ``dataset`` at ``revision``; a HarnessError line at once when the hub is out of reach."""
    what = f"{dataset}" + (f" (config {config})" if config else "") + f" split {split} @ {revision[:10]}"
    if not offline_mode():
        reason = probe_hub(timeout_s)
        if reason is not None:
            raise HarnessError(f"math: cannot reach the Hugging Face hub for {what} ({reason}); {ALTERNATIVES}")
    try:
        import datasets
    except ImportError:
        raise HarnessError(
            f"math: loading {what} needs the 'datasets' package (pip install datasets); or {ALTERNATIVES}"
        ) from None
    try:
        rows = datasets.load_dataset(dataset, config, split=split, revision=revision)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        offline = offline_mode() and isinstance(exc, OSError)  # ConnectionError, missing cache files
        mode = "offline mode and not in the local cache" if offline else first
        raise HarnessError(f"math: cannot load {what} from the Hugging Face hub ({mode}); {ALTERNATIVES}") from None
    return rows
