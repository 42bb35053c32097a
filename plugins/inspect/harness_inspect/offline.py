"""What inspect needs so that it makes no network call, set before the plugin first imports inspect.

- ``TIKTOKEN_CACHE_DIR``: inspect estimates token counts with tiktoken's ``o200k_base`` encoding
  (context compaction, ``mockllm``), which tiktoken downloads on first use. litellm ships that file (and
  ``cl100k_base``) under tiktoken's cache names, so the cache points there; nothing is downloaded.
- ``HF_HUB_OFFLINE`` / ``HF_DATASETS_OFFLINE``: inspect-evals tasks load their datasets from the Hugging
  Face hub (with minutes of back-off when it is unreachable). Offline they fail at once; point a task at
  local files with ``[domains.inspect] options.dataset``, or set ``HF_HUB_OFFLINE=0`` to allow the hub.

Each is set only when the environment does not set it already. Telemetry needs nothing: inspect sends
none unless ``INSPECT_TELEMETRY`` or ``INSPECT_API_KEY_OVERRIDE`` name a hook, and the plugin sets neither.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

_TOKENIZERS = ("litellm_core_utils", "tokenizers")
_applied = False


def bundled_tokenizers() -> Path | None:
    """litellm's folder of tiktoken files (found without importing litellm), or None."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.origin:
        return None
    folder = Path(spec.origin).parent.joinpath(*_TOKENIZERS)
    return folder if folder.is_dir() else None


def apply() -> None:
    """Set the offline defaults above (once per process, never overriding the environment)."""
    global _applied
    if _applied:
        return
    _applied = True
    folder = bundled_tokenizers()
    if folder is not None:
        os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(folder))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
