"""The state of a collection or run: one :class:`StopReason`, and the event that stops new model calls."""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass, field


class StopReason(enum.IntEnum):
    """Why a collection or run is stopping (or stopped); a higher value overrides a lower one."""

    CAP_REACHED = 1  # an attempt did not fit under --max-spend (others still may: work goes on)
    UNREACHABLE = 2  # a model that had answered stopped answering: no new attempt, the calls in flight finish
    DRAINING = 3  # a first Ctrl-C/SIGTERM: no new call starts, the calls in flight finish and are recorded
    INTERRUPTED = 4  # a second Ctrl-C, or the loop was cancelled: calls in flight are abandoned
    FATAL = 5  # bad credentials, a wrong api_base, a configuration error, an unusable store

    @property
    def label(self) -> str:
        """The word the summaries use (``spend_cap``, ``unreachable``, ``interrupted``, ``fatal``)."""
        return {1: "spend_cap", 2: "unreachable", 3: "interrupted", 4: "interrupted", 5: "fatal"}[int(self)]


@dataclass
class RunState:
    """One place for the run's stop state. ``halt`` is set once no new model call may start."""

    reason: StopReason | None = None
    message: str | None = None
    halt: asyncio.Event | None = field(default=None, repr=False)

    def stop(self, reason: StopReason, message: str | None = None) -> None:
        """Record ``reason`` unless a more severe one is already recorded (the first fatal message wins)."""
        if self.reason is None or reason > self.reason:
            self.reason, self.message = reason, message
        elif reason == self.reason and self.message is None:
            self.message = message
        if reason > StopReason.CAP_REACHED and self.halt is not None:
            self.halt.set()

    @property
    def accepting(self) -> bool:
        """Whether new attempts may start (a reached cap does not stop cheaper attempts)."""
        return self.reason is None or self.reason == StopReason.CAP_REACHED

    @property
    def fatal(self) -> str | None:
        return self.message if self.reason == StopReason.FATAL else None
