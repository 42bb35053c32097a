"""The ``harness`` model API of inspect: inspect's model calls go to the harness's metered client.

``@modelapi(name="harness")`` registers a provider with inspect, so ``harness/<m>`` is a normal inspect
``Model`` (solvers, ``generate()``, ``get_model()`` all work). Each attempt gets its own ``Model`` whose
API holds the attempt's :class:`harness.ModelClient` (a model argument, not a context variable, so a
call can never be charged to another attempt whatever tasks inspect runs it in), and ``generate``
forwards every call to it: the spend cap, the price table, rate limits, retries and the store apply.
inspect's own retries and connection limits stay out of the way: the client does both. The client is
text-in, text-out, so tools and images are refused with a clear error instead of being dropped.
"""

from __future__ import annotations

from typing import Any

from harness import HarnessError, Message, ModelClient

from harness_inspect import offline

PROVIDER = "harness"
_STOP = {"stop": "stop", "length": "max_tokens", "max_tokens": "max_tokens", "content_filter": "content_filter"}
_registered = False


def get_harness_model(client: ModelClient | None, name: str | None = None) -> Any:
    """A fresh inspect ``Model`` ``harness/<client.name>`` whose calls go to ``client`` (one attempt's)."""
    register()
    from inspect_ai.model import get_model

    return get_model(f"{PROVIDER}/{name or client.name}", memoize=False, client=client)


def register() -> None:
    """Register the ``harness`` model API with inspect (idempotent; imports inspect)."""
    global _registered
    if _registered:
        return
    offline.apply()
    from inspect_ai.model import modelapi

    @modelapi(name=PROVIDER)
    def harness() -> type:
        return _api_class()

    _registered = True


def _api_class() -> type:
    from inspect_ai.model import GenerateConfig, ModelAPI, ModelOutput, ModelUsage

    class HarnessModelAPI(ModelAPI):
        """Forwards to the current attempt's harness client."""

        def __init__(
            self,
            model_name: str,
            base_url: str | None = None,
            api_key: str | None = None,
            config: GenerateConfig = GenerateConfig(),  # noqa: B008 (inspect's own signature)
            client: ModelClient | None = None,
            **model_args: Any,
        ) -> None:
            super().__init__(model_name, base_url, api_key, [], config)
            self.client = client

        async def generate(self, input: list[Any], tools: list[Any], tool_choice: Any, config: Any) -> Any:
            client = self.client
            if client is None:
                raise HarnessError(
                    f"model {PROVIDER}/{self.model_name} was called outside a harness attempt; it only serves "
                    "the inspect domain's solver"
                )
            if tools:
                raise HarnessError("this inspect task gives the model tools; the harness's model clients are text-only")
            completion = await client.complete([to_message(m) for m in input], **generate_params(config))
            output = ModelOutput.from_content(
                model=self.model_name,
                content=completion.text,
                stop_reason=_STOP.get(completion.finish_reason or "stop", "unknown"),
            )
            output.usage = ModelUsage(
                input_tokens=completion.input_tokens,
                output_tokens=completion.output_tokens,
                total_tokens=completion.input_tokens + completion.output_tokens,
                total_cost=completion.cost_usd,
            )
            output.time = completion.latency_s
            return output

        def max_connections(self) -> int:
            return 1_000_000  # the harness's per-model gate limits concurrency

        def should_retry(self, ex: BaseException) -> bool:
            return False  # the harness client already retried what can be retried

    return HarnessModelAPI


def to_message(message: Any) -> Message:
    """An inspect chat message as a harness message (text only)."""
    content = message.content
    if not isinstance(content, str):
        kinds = {getattr(c, "type", "?") for c in content} - {"text", "reasoning"}
        if kinds:
            raise HarnessError(
                f"this inspect task sends {', '.join(sorted(kinds))} content; the harness's model clients are text-only"
            )
    return Message(message.role, message.text)


def generate_params(config: Any) -> dict[str, Any]:
    """The task's or solver's generation settings that the harness providers take; they win over the
    model's harness.toml settings, as they do under ``inspect eval``."""
    params: dict[str, Any] = {}
    for key in ("max_tokens", "temperature", "top_p", "seed"):
        value = getattr(config, key, None)
        if value is not None:
            params[key] = value
    if getattr(config, "stop_seqs", None):
        params["stop"] = list(config.stop_seqs)
    return params
