"""What one model call is doing right now: running, or waiting (queued behind other calls, or backing off).

The metered client opens a :class:`CallTicket` for each provider call and makes it the current one (a
context variable, so the provider and the local runtime reach it without a new parameter). A provider
reports when the call waits (queued behind other local generations, or sleeping before a retry) and when
it runs again. With that the client counts only running calls as in flight, abandons waiting calls at
once when the run stops (a queued local generation is never started after a Ctrl-C), and records the
time queued, the time backing off and the retries apart from the model's own time. A provider that
reports nothing is simply running from the moment it is called.
"""

from __future__ import annotations

import contextvars
import threading
import time
from typing import Literal

WaitKind = Literal["queue", "backoff"]


class CallAbandoned(Exception):
    """The call was waiting when the run stopped, so it was given up before it ran (nothing was paid)."""


class CallTicket:
    """The state of one provider call; thread-safe (the local runtime reports from its worker thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.state: Literal["running", "waiting", "abandoned"] = "running"
        self.stopping = False  # the run is stopping: a waiting call is abandoned, no new wait starts
        self.queue_s = 0.0  # queued behind other calls inside the provider (local generations)
        self.backoff_s = 0.0  # sleeping before retries
        self.retries = 0
        self._kind: WaitKind | None = None
        self._since = 0.0

    def wait(self, kind: WaitKind) -> bool:
        """The call starts waiting (``kind``); False when the run is stopping: give the call up now."""
        with self._lock:
            if self.stopping or self.state == "abandoned":
                self.state = "abandoned"
                return False
            if kind == "backoff":
                self.retries += 1
            self.state, self._kind, self._since = "waiting", kind, time.monotonic()
            return True

    def run(self) -> bool:
        """The call runs (again); False when it was abandoned while it waited: do not start it."""
        with self._lock:
            if self.state == "abandoned":
                return False
            self._settle()
            self.state = "running"
            return True

    def stop(self) -> bool:
        """The run is stopping: abandon the call if it is waiting (True), else let it finish (False)."""
        with self._lock:
            self.stopping = True
            if self.state == "waiting":
                self._settle()
                self.state = "abandoned"
            return self.state == "abandoned"

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def abandoned(self) -> bool:
        return self.state == "abandoned"

    def waited(self) -> float:
        """Seconds this call has waited so far (queued and backing off), the current wait included."""
        with self._lock:
            now = time.monotonic() - self._since if self.state == "waiting" else 0.0
            return self.queue_s + self.backoff_s + now

    def _settle(self) -> None:
        if self.state == "waiting":
            spent = time.monotonic() - self._since
            if self._kind == "backoff":
                self.backoff_s += spent
            else:
                self.queue_s += spent
        self._kind = None


#: The ticket of the provider call being made in this context (None outside a metered call).
current_ticket: contextvars.ContextVar[CallTicket | None] = contextvars.ContextVar("harness_call", default=None)
