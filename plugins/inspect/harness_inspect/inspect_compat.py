"""The inspect internals the plugin leans on beyond inspect's public API, in one place.

inspect has no public way to resolve an ``inspect eval`` task name to a ``Task``, to set the model
solvers get from ``get_model()``, to name a scorer as logs do, or to write a log without buffering
every sample. inspect-ai is pinned (pyproject.toml); when a release moves one of these, the fallback
here keeps the plugin working (slower, or with a clear error) until this module follows it.
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


def load_tasks(spec: str, args: dict[str, Any]) -> list[Any]:
    """The tasks ``inspect eval SPEC -T args`` would run (registry names, ``file.py@task``, ``hf/...``)."""
    try:
        from inspect_ai._eval.loader import load_tasks as inspect_load_tasks
    except ImportError as exc:
        from harness import HarnessError

        raise HarnessError(
            f"this inspect-ai cannot resolve task names for the plugin ({exc}); install inspect-ai==0.3.285"
        ) from None
    return inspect_load_tasks([spec], args)


def set_active_model(model: Any, config: Any) -> None:
    """Make ``model`` what ``get_model()`` returns in this context (solvers that call it themselves)."""
    try:
        from inspect_ai.model._model import init_active_model
    except ImportError:  # such solvers then fail with inspect's own "no model" error: an error attempt
        return
    init_active_model(model, config)


def scorer_name(scorer: Any) -> str:
    """A scorer's name as inspect's logs give it (its registry name without the package)."""
    try:
        from inspect_ai._util.registry import registry_unqualified_name
    except ImportError:
        return getattr(scorer, "__name__", "score")
    return registry_unqualified_name(scorer)
