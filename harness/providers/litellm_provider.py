"""The litellm provider: every hosted or local-server model call goes through ``litellm.acompletion``."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before litellm is imported: no network

from harness.types import Completion, Message  # noqa: E402


class LiteLLMProvider:
    """Hosted and local-server models through ``litellm.acompletion``, priced from litellm's bundled
    map or from harness.toml."""

    name = "litellm"

    async def complete(self, model: Any, messages: Sequence[Message], **params: Any) -> Completion:
        import litellm

        kwargs: dict[str, Any] = {
            "model": model.route,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "timeout": model.timeout_s,
            "max_tokens": model.max_tokens,
            **{k: v for k, v in (("temperature", model.temperature), ("top_p", model.top_p),
                                 ("seed", model.seed), ("api_base", model.api_base)) if v is not None},
            **model.params,
            **params,
        }
        if model.api_key_env:
            kwargs["api_key"] = os.environ.get(model.api_key_env)
        start = time.perf_counter()
        resp = await litellm.acompletion(**kwargs)
        latency = time.perf_counter() - start
        usage = getattr(resp, "usage", None)
        tin = int(getattr(usage, "prompt_tokens", 0) or 0)
        tout = int(getattr(usage, "completion_tokens", 0) or 0)
        if model.input_cost_per_mtok is not None:
            cost = (tin * model.input_cost_per_mtok + tout * model.output_cost_per_mtok) / 1e6
        else:
            cost = float(litellm.completion_cost(completion_response=resp, model=model.route))
        choice = resp.choices[0]
        return Completion(
            text=choice.message.content or "", input_tokens=tin, output_tokens=tout, cost_usd=cost,
            latency_s=latency, model=model.name, finish_reason=getattr(choice, "finish_reason", None),
        )
