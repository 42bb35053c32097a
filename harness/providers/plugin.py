"""Built-in model providers, registered through the same hook as third-party ones."""

from __future__ import annotations

from typing import Any

from harness.arbitrage.replay import ReplayProvider
from harness.hookspecs import hookimpl
from harness.providers.litellm_provider import LiteLLMProvider
from harness.providers.local import LocalProvider


@hookimpl
def register_providers(register: Any) -> None:
    register(LiteLLMProvider())
    register(LocalProvider())
    register(ReplayProvider())
