"""inspect messages and outputs to and from plain JSON (how an attempt's inspect state is stored)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def dump_messages(messages: Sequence[Any]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json", exclude_none=True) for m in messages]


def load_messages(data: Sequence[dict[str, Any]]) -> list[Any]:
    from inspect_ai.model import ChatMessage
    from pydantic import TypeAdapter

    return TypeAdapter(list[ChatMessage]).validate_python(list(data))


def dump_output(output: Any) -> dict[str, Any]:
    return output.model_dump(mode="json", exclude_none=True)


def load_output(data: dict[str, Any]) -> Any:
    from inspect_ai.model import ModelOutput

    return ModelOutput.model_validate(data)
