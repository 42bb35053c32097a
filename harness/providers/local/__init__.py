"""The in-process local models: llama.cpp behind litellm's custom-provider route ``local/``."""

from harness.providers.local.provider import (
    PREFIX,
    LocalProvider,
    model_name,
    prepare,
    prepare_weights,
    register_route,
)

__all__ = ["PREFIX", "LocalProvider", "model_name", "prepare", "prepare_weights", "register_route"]
