# ruff: noqa: F811  (pytest fixtures imported from tests/support are parameters here)
"""The litellm provider against the fake OpenAI-compatible server: retries, timeouts, costs, keys."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from collect_fixtures import SECRET, _fake_key, fake_server, model_config  # noqa: E402, F401

from harness.collect.metering import AuthenticationFailed, ProviderError, redact
from harness.providers.litellm_provider import LiteLLMProvider, RetryPolicy, retry_after_seconds
from harness.testing.fakeserver import Behaviour  # noqa: E402
from harness.types import Message

FAST = RetryPolicy(base_s=0.01, cap_s=0.05)
MSG = [Message("user", "Compute: 2+3")]


def call(model, provider=None, **params):
    return asyncio.run((provider or LiteLLMProvider(FAST)).complete(model, MSG, **params))


def test_ok_call_returns_text_tokens_and_exact_cost(fake_server) -> None:
    fake_server.completion_tokens = 7
    c = call(model_config(fake_server, input_cost_per_mtok=3.0, output_cost_per_mtok=11.0))
    assert c.text == "ANSWER: 5"
    assert (c.input_tokens, c.output_tokens) == (20, 7)
    assert c.cost_usd == pytest.approx((20 * 3.0 + 7 * 11.0) / 1e6, rel=1e-12)
    req = fake_server.requests[0]
    assert req["max_tokens"] == 50 and req["model"] == "fake-good"
    assert req["headers"]["Authorization"] == f"Bearer {SECRET}"  # the key is read from the environment


def test_cost_from_bundled_price_map(fake_server) -> None:
    import litellm

    model = model_config(
        fake_server, "mini", route="openai/gpt-4o-mini", input_cost_per_mtok=None, output_cost_per_mtok=None
    )
    c = call(model)
    entry = litellm.model_cost["gpt-4o-mini"]
    expected = 20 * entry["input_cost_per_token"] + 8 * entry["output_cost_per_token"]
    assert c.cost_usd == pytest.approx(expected, rel=1e-9) and c.cost_usd > 0


def test_cost_reported_by_the_provider_wins_when_configured(fake_server) -> None:
    fake_server.report_cost = 0.0123
    c = call(model_config(fake_server, cost_from_response=True))
    assert c.cost_usd == pytest.approx(0.0123)
    c2 = call(model_config(fake_server))  # not declared: the configured price is used
    assert c2.cost_usd == pytest.approx((20 * 1.0 + 8 * 2.0) / 1e6)


def test_rate_limits_and_server_errors_are_retried_honouring_retry_after(fake_server) -> None:
    fake_server.push(Behaviour("429", retry_after=0.4), "500", "malformed")
    t = time.perf_counter()
    c = call(model_config(fake_server, max_retries=3))
    elapsed = time.perf_counter() - t
    assert c.text == "ANSWER: 5"
    assert fake_server.count == 4 and fake_server.by_kind == {"429": 1, "500": 1, "malformed": 1, "ok": 1}
    assert elapsed >= 0.4  # waited what Retry-After asked, not the 10 ms backoff


def test_retries_exhausted_raise_a_retryable_kind(fake_server) -> None:
    fake_server.default = Behaviour("500")
    with pytest.raises(ProviderError) as info:
        call(model_config(fake_server, max_retries=2))
    assert info.value.kind == "server_error" and "after 2 retries" in str(info.value)
    assert fake_server.count == 3


def test_timeout_is_explicit_and_retried(fake_server) -> None:
    fake_server.default = Behaviour("hang")
    t = time.perf_counter()
    with pytest.raises(ProviderError) as info:
        call(model_config(fake_server, timeout_s=0.3, max_retries=1))
    assert info.value.kind == "timeout"
    assert fake_server.count == 2
    assert time.perf_counter() - t < 3.0


@pytest.mark.parametrize(("kind", "error"), [("401", AuthenticationFailed), ("400", ProviderError)])
def test_auth_and_bad_request_are_not_retried(fake_server, kind: str, error: type) -> None:
    fake_server.default = Behaviour(kind)
    with pytest.raises(error) as info:
        call(model_config(fake_server, max_retries=3))
    assert fake_server.count == 1
    assert info.value.kind == ("auth" if kind == "401" else "bad_request")
    assert SECRET not in str(info.value) and SECRET not in repr(info.value.args)


def test_billed_response_without_choices_reports_its_cost(fake_server) -> None:
    fake_server.push("no_choices")
    with pytest.raises(ProviderError) as info:
        call(model_config(fake_server))
    e = info.value
    assert e.kind == "no_output" and not e.retryable
    assert (e.input_tokens, e.output_tokens) == (20, 8)
    assert e.billed_cost == pytest.approx((20 * 1.0 + 8 * 2.0) / 1e6)
    assert fake_server.count == 1


def test_params_of_the_call_override_the_model(fake_server) -> None:
    call(model_config(fake_server, temperature=0.5), max_tokens=3, temperature=0.0)
    body = fake_server.requests[0]["body"]
    assert body["max_tokens"] == 3 and body["temperature"] == 0.0


def test_retry_policy_backs_off_exponentially_with_jitter() -> None:
    p = RetryPolicy(base_s=1.0, cap_s=8.0)
    for n, bound in [(0, 1.0), (1, 2.0), (2, 4.0), (5, 8.0)]:
        delays = [p.delay(n) for _ in range(200)]
        assert all(0 <= d <= bound for d in delays)
        assert max(delays) > bound * 0.7 and min(delays) < bound * 0.3  # jittered over the whole range
    assert 3.0 <= p.delay(0, retry_after=3.0) <= 3.1


def test_retry_after_header_forms() -> None:
    class E(Exception):
        def __init__(self, headers):
            self.litellm_response_headers = headers

    assert retry_after_seconds(E({"retry-after": "2.5"})) == 2.5
    assert retry_after_seconds(E({"retry-after-ms": "1500"})) == 1.5
    future = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    assert 25 <= retry_after_seconds(E({"retry-after": future})) <= 31
    assert retry_after_seconds(E({})) is None


def test_redact_removes_secrets_and_key_shapes() -> None:
    text = f"Incorrect API key provided: {SECRET}; also sk-proj-abcdefghijklmnop"
    out = redact(text, [SECRET])
    assert SECRET not in out and "abcdefghijklmnop" not in out and "Incorrect API key" in out


def test_a_server_without_api_key_env_never_receives_other_keys(fake_server, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key-000000000")
    call(model_config(fake_server, api_key_env=None))
    assert fake_server.requests[0]["headers"]["Authorization"] == "Bearer none"
