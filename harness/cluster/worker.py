"""What runs on the Ray workers: solves in a :class:`SolveHost` actor, verifications as plain tasks.

A solve runs the domain's own solver with a :class:`RemoteClient` as its model: each ``complete`` call
is put in the host's outbox, the driver takes it (long poll), makes the call through its metered client
(the spend cap, the per-model limits and the prices live only there) and answers. So the driver knows
every call an attempt made and what it cost, even when the worker dies in the middle of the attempt.
A host is an async actor: many I/O-bound solves share one process, instead of one process per solve.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Sequence
from typing import Any

from harness.cluster.wire import Packed, pack, unpack
from harness.collect.verify import Checked, verify_in_worker
from harness.types import Candidate, Completion, Message, Task

#: A call for the driver: (request id, attempt key, messages, params).
Request = tuple[int, str, list[Message], dict[str, Any]]


class RemoteClient:
    """The :class:`harness.ModelClient` a solver gets on a worker: every call is made by the driver."""

    def __init__(self, host: SolveHost, key: str, name: str) -> None:
        self.name = name
        self._host = host
        self._key = key

    async def complete(self, messages: Sequence[Message], **params: Any) -> Completion:
        status, value = await self._host.ask(self._key, list(messages), params)
        if status == "ok":
            return value
        raise unpack(value)


class SolveHost:
    """An async actor running solves; its outbox holds their model calls until the driver takes them."""

    def __init__(self) -> None:
        self._outbox: list[Request] = []
        self._waiting: dict[int, asyncio.Future[tuple[str, Any]]] = {}
        self._ids = itertools.count()
        self._wake: asyncio.Event | None = None

    def _event(self) -> asyncio.Event:
        if self._wake is None:
            self._wake = asyncio.Event()
        return self._wake

    async def ready(self, *components: Any) -> int:
        """Called once before the run: the components arrived (their modules import here); the pid."""
        return os.getpid()

    async def solve(self, key: str, solver: Any, task: Task, model: str) -> tuple[str, Any]:
        """``("ok", candidate)`` or ``("raised", packed exception)``: a solver's exception is a result, so
        an error raised by Ray itself always means the worker or its node was lost."""
        try:
            candidate = await solver.solve(task, RemoteClient(self, key, model))
        except Exception as exc:
            return ("raised", pack(exc))
        return ("ok", candidate)

    async def ask(self, key: str, messages: list[Message], params: dict[str, Any]) -> tuple[str, Any]:
        rid = next(self._ids)
        future: asyncio.Future[tuple[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = future
        self._outbox.append((rid, key, messages, params))
        self._event().set()
        try:
            return await future
        finally:
            self._waiting.pop(rid, None)

    async def take(self, wait_s: float) -> list[Request]:
        """The calls waiting for the driver (after at most ``wait_s`` seconds without any: none)."""
        wake = self._event()
        if not self._outbox:
            try:
                await asyncio.wait_for(wake.wait(), wait_s)
            except TimeoutError:
                pass
        wake.clear()
        out, self._outbox = self._outbox, []
        return out

    async def answer(self, replies: list[tuple[int, tuple[str, Any]]]) -> None:
        """The driver's answers: ``(request id, ("ok", completion) | ("raise", packed exception))``."""
        for rid, reply in replies:
            future = self._waiting.get(rid)
            if future is not None and not future.done():
                future.set_result(reply)


def verify_task(verifier: Any, task: Task, candidate: Candidate) -> Checked:
    """One verification on a worker: exactly the local executor's worker function."""
    return verify_in_worker(verifier, task, candidate)


def refusal(exc: BaseException) -> tuple[str, Packed]:
    """The reply for a call the driver did not make (or that failed)."""
    return ("raise", pack(exc))
