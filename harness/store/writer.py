"""The single writer of a collection or run: batches finished attempts into one transaction each, then
tells the observers (the ``attempt_recorded`` hook) what was committed. Nothing else writes attempts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from harness.store.attempt import Attempt

BATCH_MAX = 512
BATCH_WAIT_S = 0.02


class StoreWriter:
    """Commits attempts handed to it (``add``) in batched transactions; ``on_written`` sees each batch."""

    def __init__(
        self,
        store: Any,
        notify: Callable[[Attempt], None] | None = None,
        on_written: Callable[[Sequence[Attempt]], None] | None = None,
    ) -> None:
        self.store = store
        self.notify = notify
        self.on_written = on_written
        self.transactions = 0
        self.observer_errors = 0
        self._pending: list[Attempt] = []
        self._wake: asyncio.Event | None = None

    def add(self, attempt: Attempt) -> None:
        """Queue a finished attempt (committed by the next batch, or by :meth:`flush`)."""
        self._pending.append(attempt)
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        """Commit batches as attempts arrive; ends only by failing (the store cannot be written)."""
        self._wake = asyncio.Event()
        if self._pending:
            self._wake.set()
        while True:
            await self._wake.wait()
            self._wake.clear()
            if len(self._pending) < BATCH_MAX:
                await asyncio.sleep(BATCH_WAIT_S)  # let a few more finish: one transaction for all
            self.flush()

    def flush(self) -> list[Attempt]:
        """Commit everything queued now, then notify the observers; returns what was written."""
        out: list[Attempt] = []
        while self._pending:
            batch, self._pending = self._pending[:BATCH_MAX], self._pending[BATCH_MAX:]
            written = self.store.record(batch)
            self.transactions += 1
            for a in written:
                self._observe(a)
            out.extend(written)
            if self.on_written is not None:
                self.on_written(written)
        return out

    def _observe(self, attempt: Attempt) -> None:
        if self.notify is None:
            return
        try:
            self.notify(attempt)
        except Exception:  # an observer's bug must not stop a collection or lose its attempts
            self.observer_errors += 1
