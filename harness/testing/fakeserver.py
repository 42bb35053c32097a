"""A fake OpenAI-compatible chat server on 127.0.0.1 for tests and benchmarks (no network).

It runs aiohttp in a background thread. Each request takes the next behaviour from ``script`` (a FIFO
shared by all requests) or else ``default``: a normal answer after ``latency`` seconds, ``429`` with
Retry-After, ``500``, ``401``/``400``, ``hang`` (never answers in time), ``malformed`` (not JSON),
``no_choices`` (a usage block but no choices: billed, unusable). Every request is counted and kept.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

#: The environment variable the :meth:`FakeServer.model_toml` tables name as their key (any value works;
#: the ``harness_fake_server`` fixture sets it).
FAKE_KEY_ENV = "HARNESS_FAKE_SERVER_KEY"


@dataclass
class Behaviour:
    """What the server does for one request."""

    kind: str = "ok"  # ok | 429 | 500 | 401 | 400 | hang | malformed | no_choices
    latency: float | None = None
    retry_after: float | None = None
    completion_tokens: int | None = None


def default_answer(model: str, messages: list[dict[str, Any]]) -> str:
    """'Compute: a+b' is answered with the sum; a model whose name contains 'bad' is off by one."""
    text = str(messages[-1].get("content", "")) if messages else ""
    m = re.search(r"(-?\d+)\s*\+\s*(-?\d+)", text)
    if not m:
        return f"echo: {text[:40]}"
    total = int(m.group(1)) + int(m.group(2))
    return f"ANSWER: {total + (1 if 'bad' in model else 0)}"


@dataclass
class FakeServer:
    """Start with ``with FakeServer() as s:``; point litellm at ``s.api_base`` with route ``openai/<m>``."""

    latency: float = 0.0
    prompt_tokens: int = 20
    completion_tokens: int = 8
    report_cost: float | None = None  # put usage.cost (dollars) in every answer when set
    answer: Callable[[str, list[dict[str, Any]]], str] = default_answer
    default: Behaviour = field(default_factory=Behaviour)
    script: deque[Behaviour] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)
    port: int = 0
    in_flight: int = 0
    max_in_flight: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._closing: asyncio.Event | None = None

    # ---- control -----------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def model_table(self, name: str = "fake", **overrides: Any) -> dict[str, Any]:
        """A ``[models.<name>]`` table routed to this server (1 and 2 USD per Mtok; ``None`` drops a key)."""
        table: dict[str, Any] = {
            "route": f"openai/fake-{name}",
            "api_base": self.api_base,
            "api_key_env": FAKE_KEY_ENV,
            "input_cost_per_mtok": 1.0,
            "output_cost_per_mtok": 2.0,
            "max_tokens": 256,
            "timeout_s": 10.0,
            "max_retries": 1,
            **overrides,
        }
        return {k: v for k, v in table.items() if v is not None}

    def model_toml(self, name: str = "fake", **overrides: Any) -> str:
        """:meth:`model_table` as harness.toml text, to write into a test's configuration."""
        lines = [f"[models.{name}]"] + [
            f"{k} = {json.dumps(v)}" for k, v in self.model_table(name, **overrides).items()
        ]
        return "\n".join(lines) + "\n"

    def push(self, *behaviours: Behaviour | str) -> None:
        """Queue behaviours for the next requests (strings are kinds)."""
        with self._lock:
            for b in behaviours:
                self.script.append(Behaviour(kind=b) if isinstance(b, str) else b)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.by_kind.clear()
            self.script.clear()
            self.max_in_flight = 0

    def _next(self) -> Behaviour:
        with self._lock:
            return self.script.popleft() if self.script else self.default

    # ---- serving -----------------------------------------------------------------------------

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        b = self._next()
        with self._lock:
            self.requests.append(
                {
                    "model": body.get("model"),
                    "messages": body.get("messages"),
                    "kind": b.kind,
                    "max_tokens": body.get("max_tokens") or body.get("max_completion_tokens"),
                    "headers": dict(request.headers),
                    "body": body,
                    "at": time.time(),
                }
            )
            self.by_kind[b.kind] += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            return await self._respond(request, body, b)
        finally:
            with self._lock:
                self.in_flight -= 1

    async def _respond(self, request: web.Request, body: dict[str, Any], b: Behaviour) -> web.StreamResponse:
        latency = self.latency if b.latency is None else b.latency
        if latency:
            await asyncio.sleep(latency)
        if b.kind == "hang":
            assert self._closing is not None
            await self._closing.wait()  # until the server stops
            return _error(503, "server shutting down", "server_error")
        if b.kind == "429":
            headers = {"Retry-After": str(b.retry_after)} if b.retry_after is not None else {}
            return _error(429, "rate limited, slow down", "rate_limit_exceeded", headers)
        if b.kind == "500":
            return _error(500, "internal server error", "server_error")
        if b.kind == "401":
            auth = request.headers.get("Authorization", "")
            return _error(401, f"Incorrect API key provided: {auth.removeprefix('Bearer ')}", "invalid_api_key")
        if b.kind == "400":
            return _error(400, "bad request: unsupported parameter", "invalid_request_error")
        if b.kind == "malformed":
            return web.Response(status=200, text='{"id": "x", "choices": [ {"mess', content_type="application/json")
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens") or 1 << 30
        ctoks = self.completion_tokens if b.completion_tokens is None else b.completion_tokens
        usage: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": min(ctoks, max_tokens),
            "total_tokens": self.prompt_tokens + min(ctoks, max_tokens),
        }
        if self.report_cost is not None:
            usage["cost"] = self.report_cost
        model = str(body.get("model", ""))
        choices = (
            []
            if b.kind == "no_choices"
            else [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": self.answer(model, body.get("messages") or [])},
                }
            ]
        )
        return web.json_response(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": choices,
                "usage": usage,
            }
        )

    def start(self) -> FakeServer:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            self._closing = asyncio.Event()
            app = web.Application()
            app.router.add_post("/v1/chat/completions", self._chat)
            app.router.add_post("/chat/completions", self._chat)
            self._runner = web.AppRunner(app, access_log=None)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=run, name="fake-openai", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            assert self._closing is not None
            self._loop.call_soon_threadsafe(self._closing.set)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": code, "code": code, "param": None}}
    return web.Response(status=status, text=json.dumps(body), content_type="application/json", headers=headers or {})


def main() -> None:
    """Run the server in the foreground (for manual experiments): python -m harness.testing.fakeserver."""
    import sys

    s = FakeServer(latency=float(sys.argv[1]) if len(sys.argv) > 1 else 0.0).start()
    print(s.api_base, flush=True)
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        s.stop()


if __name__ == "__main__":
    main()
