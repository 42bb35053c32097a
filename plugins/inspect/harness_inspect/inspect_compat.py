"""The two inspect internals the plugin leans on beyond its public API, each with a fallback.

inspect-ai is pinned (pyproject.toml); when a new release moves one of these, the fallback keeps the
plugin working (slower, or with a clear error) until this module follows it.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any


def eval_recorder() -> Any:
    """inspect's ``.eval`` recorder class (what ``write_eval_log`` uses), or None if it moved."""
    try:
        from inspect_ai.log._recorders.eval import EvalRecorder
    except ImportError:
        return None
    return EvalRecorder


def run_async(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to completion the way inspect's synchronous log functions do."""
    try:
        from inspect_ai._util._async import run_coroutine
    except ImportError:
        import asyncio

        return asyncio.run(coroutine)
    return run_coroutine(coroutine)
