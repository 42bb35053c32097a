"""The ``local/...`` litellm route: a ``litellm.CustomLLM`` that answers from the in-process models.

Imported lazily (importing litellm takes seconds); :func:`harness.providers.local.register_route`
installs it under the provider name ``local`` in ``litellm.custom_provider_map``, after which
``litellm.acompletion(model="local/qwen2.5-coder-0.5b-instruct", messages=...)`` returns a normal
``ModelResponse`` with exact token usage.
"""

from __future__ import annotations

import os
import threading
from functools import partial
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before litellm is imported: no network

import litellm  # noqa: E402
from litellm import CustomLLM, ModelResponse, Usage  # noqa: E402

from harness.providers.local import runtime as rt  # noqa: E402

PROVIDER = "local"


def _timeout_seconds(timeout: Any) -> float | None:
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        return float(timeout) if timeout > 0 else None
    read = getattr(timeout, "read", None)  # httpx.Timeout
    return float(read) if isinstance(read, (int, float)) and read > 0 else None


class LocalLLM(CustomLLM):
    """litellm custom provider serving the harness's local llama.cpp models."""

    def _request(
        self, model: str, messages: list, optional_params: dict, timeout: Any, cancel: threading.Event | None = None
    ) -> partial:
        try:
            rt.spec_for(model)
        except rt.UnknownLocalModel as exc:
            raise litellm.NotFoundError(str(exc), model=model, llm_provider=PROVIDER) from None
        params = dict(optional_params)
        return partial(
            rt.chat,
            model,
            messages,
            max_tokens=params.pop("max_tokens", None),
            temperature=params.pop("temperature", None),
            top_p=params.pop("top_p", None),
            seed=params.pop("seed", None),
            stop=params.pop("stop", None),
            timeout_s=_timeout_seconds(timeout),
            cancel=cancel,
            **params,
        )

    def _response(
        self, model: str, result: rt.ChatResult, model_response: ModelResponse, timeout: Any
    ) -> ModelResponse:
        if result.interrupted == "timeout":
            raise litellm.Timeout(
                f"local model {model} did not finish within {_timeout_seconds(timeout):g} s "
                f"({result.completion_tokens} tokens generated)",
                model=model,
                llm_provider=PROVIDER,
            )
        model_response.choices[0].message.content = result.text  # type: ignore[union-attr]
        model_response.choices[0].finish_reason = result.finish_reason
        model_response.model = f"{PROVIDER}/{model}"
        model_response.system_fingerprint = f"llama.cpp-{rt.spec_for(model).sha256[:12]}-seed{result.seed}"
        usage = Usage(
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            total_tokens=result.prompt_tokens + result.completion_tokens,
        )
        setattr(model_response, "usage", usage)  # noqa: B010 (usage is not a declared field)
        model_response._hidden_params["seed"] = result.seed
        model_response._hidden_params["local_generation_s"] = result.seconds
        return model_response

    def _run(self, request: partial, model: str) -> rt.ChatResult:
        try:
            return request()
        except ValueError as exc:
            if "context window" in str(exc):
                raise litellm.ContextWindowExceededError(
                    f"local model {model}: {exc} (set HARNESS_LOCAL_N_CTX to raise it)",
                    model=model,
                    llm_provider=PROVIDER,
                ) from None
            raise

    def completion(
        self,
        model: str,
        messages: list,
        api_base: str,
        custom_prompt_dict: dict,
        model_response: ModelResponse,
        print_verbose: Any,
        encoding: Any,
        api_key: Any,
        logging_obj: Any,
        optional_params: dict,
        acompletion: Any = None,
        litellm_params: Any = None,
        logger_fn: Any = None,
        headers: Any = None,
        timeout: Any = None,
        client: Any = None,
    ) -> ModelResponse:
        request = self._request(model, messages, optional_params, timeout)
        return self._response(model, self._run(request, model), model_response, timeout)

    async def acompletion(
        self,
        model: str,
        messages: list,
        api_base: str,
        custom_prompt_dict: dict,
        model_response: ModelResponse,
        print_verbose: Any,
        encoding: Any,
        api_key: Any,
        logging_obj: Any,
        optional_params: dict,
        acompletion: Any = None,
        litellm_params: Any = None,
        logger_fn: Any = None,
        headers: Any = None,
        timeout: Any = None,
        client: Any = None,
    ) -> ModelResponse:
        cancel = threading.Event()
        request = self._request(model, messages, optional_params, timeout, cancel)
        result = await rt.run_local(self._run, request, model, on_cancel=cancel)
        return self._response(model, result, model_response, timeout)


HANDLER = LocalLLM()


def install() -> None:
    """Put :data:`HANDLER` in ``litellm.custom_provider_map`` under ``local`` (idempotent)."""
    entries = [e for e in litellm.custom_provider_map if e.get("provider") != PROVIDER]
    litellm.custom_provider_map = [*entries, {"provider": PROVIDER, "custom_handler": HANDLER}]
