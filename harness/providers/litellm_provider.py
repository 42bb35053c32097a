"""The litellm provider: every hosted or local-server model call goes through ``litellm.acompletion``.

Each request has an explicit timeout (``timeout_s``, never litellm's default of hours) and litellm's own
retries are off: rate limits (429), server errors (5xx, malformed bodies, dropped connections) and
timeouts are retried here, up to ``max_retries`` times, with exponential backoff and full jitter,
waiting at least what a Retry-After header asks; authentication and bad-request errors are not retried.
So ``timeout_s`` bounds one request's model time, and a call takes at most ``(max_retries + 1) *
timeout_s`` plus its backoff; time queued inside the provider (behind other local generations) is not
counted against it. Each retry and its backoff are reported to the call's ticket, so an attempt records
them. A server that refuses connections before it ever answered is not retried: a wrong ``api_base`` or
a server that is not running fails in seconds, not after a minute of backoff. The cost of a call is
what the provider reports (``cost_from_response``), else the per-Mtok prices in harness.toml, else
litellm's bundled price map.
API keys are read from the environment at call time and never appear in errors.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # before litellm is imported: no network

from harness.collect.metering import AuthenticationFailed, ProviderError, redact  # noqa: E402
from harness.errors import HarnessError  # noqa: E402
from harness.providers.pricing import map_key, resolve_price  # noqa: E402
from harness.providers.ticket import CallAbandoned, CallTicket, current_ticket  # noqa: E402
from harness.types import Completion, Message  # noqa: E402

_litellm: Any = None


def litellm_module() -> Any:
    """litellm, imported once with its network fetches and debug banners switched off."""
    global _litellm
    if _litellm is None:
        os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
        import litellm

        litellm.suppress_debug_info = True
        litellm.telemetry = False
        litellm.drop_params = True
        _litellm = litellm
    return _litellm


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter: try n waits uniform(0, min(cap, base * 2**n)) seconds."""

    base_s: float = 1.0
    cap_s: float = 60.0
    max_retry_after_s: float = 300.0

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        backoff = random.uniform(0.0, min(self.cap_s, self.base_s * 2**retry))
        if retry_after is not None:
            return min(self.max_retry_after_s, retry_after) + backoff * 0.1
        return backoff


def retry_after_seconds(exc: BaseException) -> float | None:
    """The Retry-After (or retry-after-ms) of an error response, in seconds, if it has one."""
    headers: Any = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        headers = getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(float(ms) / 1000.0, 0.0)
        value = headers.get("retry-after")
    except Exception:
        return None
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        when = email.utils.parsedate_to_datetime(value) if value else None
        return max(when.timestamp() - time.time(), 0.0) if when else None


#: Exceptions that mean no connection could be opened (refused, unresolvable host): nothing was sent.
_CONNECT_FAILURES = frozenset(
    {
        "APIConnectionError",
        "ConnectError",
        "ClientConnectorError",
        "ClientConnectorDNSError",
        "ConnectionRefusedError",
        "gaierror",
    }
)


def _could_not_connect(exc: BaseException) -> bool:
    """Does the cause chain say the connection was never made? (litellm reports it as a 500.)"""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if type(link).__name__ in _CONNECT_FAILURES and "Timeout" not in type(link).__name__:
            return True
        link = link.__cause__ or link.__context__
    return False


def classify(exc: BaseException, secrets: Sequence[str] = ()) -> ProviderError:
    """Map a litellm/openai exception onto a :class:`ProviderError` (kind, retryable)."""
    if isinstance(exc, ProviderError):
        return exc
    litellm = litellm_module()
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    text = redact(f"{name}: {exc}", secrets)[:300]
    if isinstance(exc, litellm.AuthenticationError | litellm.PermissionDeniedError) or status in (401, 403):
        return AuthenticationFailed(f"authentication failed ({name}, HTTP {status})")
    if isinstance(exc, litellm.RateLimitError) or status == 429:
        return ProviderError("rate_limit", text, retryable=True)
    if isinstance(exc, litellm.Timeout | asyncio.TimeoutError | TimeoutError) or status == 408:
        return ProviderError("timeout", text, retryable=True)
    if isinstance(exc, litellm.ContextWindowExceededError):
        return ProviderError("context_window", text)
    if isinstance(exc, litellm.BadRequestError | litellm.NotFoundError | litellm.UnprocessableEntityError):
        return ProviderError("bad_request", text)
    if _could_not_connect(exc):  # refused, or no such host: a server that is down or a wrong api_base
        return ProviderError("unreachable", text, retryable=True)
    if isinstance(exc, litellm.APIConnectionError):
        return ProviderError("connection", text, retryable=True)
    if isinstance(exc, litellm.InternalServerError | litellm.ServiceUnavailableError | litellm.BadGatewayError) or (
        isinstance(status, int) and status >= 500
    ):
        return ProviderError("server_error", text, retryable=True)
    return ProviderError("api_error", text)


class LiteLLMProvider:
    """Hosted and local-server models through ``litellm.acompletion``, priced exactly per call."""

    name = "litellm"

    def __init__(self, retry: RetryPolicy | None = None) -> None:
        base = os.environ.get("HARNESS_RETRY_BASE_S")  # tests and impatient operators shorten backoff
        self.retry = retry or (RetryPolicy(base_s=float(base)) if base else RetryPolicy())
        self._answered: set[tuple[str, str | None]] = set()  # (route, api_base) that answered a request

    # ---- checks before a run -------------------------------------------------------------------

    def check(self, model: Any) -> None:
        """Fail fast (one line) when the model's key is missing from the environment; import litellm now."""
        if model.api_key_env:
            if not os.environ.get(model.api_key_env):
                raise HarnessError(
                    f"model {model.name!r}: environment variable {model.api_key_env} is not set; "
                    "export the API key in it (keys are read from the environment only)"
                )
            litellm_module()
            return
        if model.api_base:
            litellm_module()
            return  # a local or self-hosted server: it may need no key
        try:
            missing = litellm_module().validate_environment(model=model.route).get("missing_keys") or []
        except Exception:
            missing = []
        if missing:
            raise HarnessError(
                f"model {model.name!r} (route {model.route!r}) needs {', '.join(missing)} in the environment; "
                f"export it, or name the variable with api_key_env in [models.{model.name}]"
            )

    # ---- calls -------------------------------------------------------------------------------

    def _kwargs(self, model: Any, messages: Sequence[Message], params: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": model.route,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": model.max_tokens,
            **{
                k: v
                for k, v in (
                    ("temperature", model.temperature),
                    ("top_p", model.top_p),
                    ("seed", model.seed),
                    ("api_base", model.api_base),
                )
                if v is not None
            },
            **model.params,
            **params,
        }
        kwargs["timeout"] = float(params.get("timeout") or model.timeout_s)
        kwargs["num_retries"] = 0  # retries are ours: litellm's and the openai client's are off
        kwargs["max_retries"] = 0
        if model.api_key_env:
            kwargs["api_key"] = os.environ.get(model.api_key_env, "")
        elif model.api_base and "api_key" not in kwargs:
            # A self-hosted server without api_key_env gets no key: never send a provider's key elsewhere.
            kwargs["api_key"] = "none"
        return kwargs

    async def complete(self, model: Any, messages: Sequence[Message], **params: Any) -> Completion:
        """One call with retries; raises :class:`ProviderError` (never leaking a key) when it fails."""
        litellm = litellm_module()
        kwargs = self._kwargs(model, messages, params)
        secrets = [kwargs.get("api_key") or ""]
        retries = int(getattr(model, "max_retries", 4))
        endpoint = (model.route, model.api_base)
        ticket = current_ticket.get()
        for attempt in range(retries + 1):
            start, waited = time.perf_counter(), ticket.waited() if ticket else 0.0
            try:
                resp = await _bounded(litellm.acompletion(**kwargs), kwargs["timeout"], ticket)
            except Exception as exc:
                if ticket is not None and ticket.abandoned:
                    raise CallAbandoned("the run stopped while this call was queued") from None
                err = classify(exc, secrets)
                if not self.retryable(err, endpoint) or attempt == retries:
                    if err.retryable and attempt:
                        err.args = (f"{err.args[0]} (after {attempt} retries)",)
                    raise err from None
                await self._back_off(attempt, retry_after_seconds(exc), ticket)
                continue
            self._answered.add(endpoint)
            model_s = time.perf_counter() - start - ((ticket.waited() - waited) if ticket else 0.0)
            return self._completion(model, resp, max(model_s, 0.0))
        raise AssertionError("unreachable")

    def retryable(self, err: ProviderError, endpoint: tuple[str, str | None]) -> bool:
        """Whether to repeat a request that failed with ``err``: a transient kind, and not a server that
        refuses connections without ever having answered (it is down, or api_base is wrong)."""
        return err.retryable and not (err.kind == "unreachable" and endpoint not in self._answered)

    async def _back_off(self, attempt: int, retry_after: float | None, ticket: CallTicket | None) -> None:
        """Sleep before a retry; a run that stops meanwhile abandons the call (the retry is never sent)."""
        if ticket is not None and not ticket.wait("backoff"):
            raise CallAbandoned("the run is stopping: the call is not retried")
        try:
            await asyncio.sleep(self.retry.delay(attempt, retry_after))
        finally:
            if ticket is not None:
                ticket.run()

    def _completion(self, model: Any, resp: Any, latency: float) -> Completion:
        """The completion of a response; ``latency`` is the model's own time (queueing excluded)."""
        usage = getattr(resp, "usage", None)
        tin = int(getattr(usage, "prompt_tokens", 0) or 0)
        tout = int(getattr(usage, "completion_tokens", 0) or 0)
        cost = self.cost(model, resp, tin, tout)
        choices = getattr(resp, "choices", None) or []
        if not choices:  # billed (it has a usage block) but unusable
            raise ProviderError(
                "no_output", "the response has no choices", input_tokens=tin, output_tokens=tout, billed_cost=cost
            )
        if cost is None:
            raise ProviderError(
                "cost_unknown",
                "the provider reported no cost and the model has no price",
                input_tokens=tin,
                output_tokens=tout,
                billed_cost=None,
            )
        message = getattr(choices[0], "message", None)
        return Completion(
            text=getattr(message, "content", None) or "",
            input_tokens=tin,
            output_tokens=tout,
            cost_usd=cost,
            latency_s=latency,
            model=model.name,
            finish_reason=getattr(choices[0], "finish_reason", None),
        )

    def cost(self, model: Any, resp: Any, tin: int, tout: int) -> float | None:
        """Dollars for one response: reported by the provider, from harness.toml, or the bundled map."""
        usage = getattr(resp, "usage", None)
        if getattr(model, "cost_from_response", False):
            reported = getattr(usage, "cost", None)
            if reported is None and isinstance(usage, dict):
                reported = usage.get("cost")
            if reported is not None:
                return float(reported)
        if model.input_cost_per_mtok is not None:
            price = resolve_price(model)
            return price.cost(tin, tout) if price else None
        key = map_key(model.route)
        if key is None:
            return None
        try:
            return float(litellm_module().completion_cost(completion_response=resp, model=key))
        except Exception:
            price = resolve_price(model)
            return price.cost(tin, tout) if price else None


async def _bounded(aw: Any, timeout: float, ticket: CallTicket | None) -> Any:
    """Await one request, in case a transport ignores its timeout, for at most 1.5 x ``timeout`` + 5 s of
    its own time: time the ticket spends queued (behind other local generations) is not counted."""
    guard = timeout * 1.5 + 5.0
    if ticket is None:
        return await asyncio.wait_for(aw, guard)
    task = asyncio.ensure_future(aw)
    start, waited = time.monotonic(), ticket.waited()
    try:
        while True:
            left = guard - (time.monotonic() - start - (ticket.waited() - waited))
            if left <= 0:
                raise TimeoutError(f"no answer within {guard:g} s (the request's timeout was {timeout:g} s)")
            done, _ = await asyncio.wait({task}, timeout=left)
            if done:
                return task.result()
    finally:
        if not task.done():
            task.cancel()
