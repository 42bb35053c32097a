"""The attempt record: one candidate of one model for one task, with its cost and verdict."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


def fingerprint(*parts: Any) -> str:
    """A short, stable hash of JSON-able settings (model route, sampling, prompt version ...).

    Attempts made under a different fingerprint are different experiments and are never reused.
    """
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class AttemptKey:
    """The identity of an attempt: asking for it again returns the stored one instead of paying."""

    domain: str
    task_id: str
    model: str
    fingerprint: str
    index: int


@dataclass(frozen=True)
class Attempt:
    """One stored attempt. ``cost_usd`` is what the provider billed, including failed calls."""

    domain: str
    task_id: str
    model: str
    fingerprint: str
    index: int
    verdict: str
    cost_usd: float
    run_id: str = ""
    input_tokens: int | None = None
    output_tokens: int | None = None
    latency_s: float | None = None
    error_kind: str | None = None
    correct: bool | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    detail: Mapping[str, Any] = field(default_factory=dict)
    prompt: str | None = None
    response: str | None = None
    started_at: float = field(default_factory=time.time)
    finished_at: float = field(default_factory=time.time)

    @property
    def key(self) -> AttemptKey:
        return AttemptKey(self.domain, self.task_id, self.model, self.fingerprint, self.index)

    @property
    def passed(self) -> bool:
        return self.verdict == "passed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
