"""In-process llama.cpp models: load once per process, generate one request at a time on all cores.

The local models run in this process through ``llama-cpp-python``. A llama.cpp context is not thread
safe and one generation already uses every core, so generations are serialised by one process-wide
lock (two at once would only oversubscribe the cores) and, from async code, run on one dedicated
worker thread so the event loop never blocks. This module knows nothing about litellm.

Reproducibility: llama.cpp's logits depend (by up to ~0.4) on how the prompt was split into decode
batches, so reusing the KV cache of an earlier request's common prefix changes what a seed samples.
By default every request therefore evaluates its prompt from scratch, and the same request with the
same seed gives the same text whatever ran before. ``HARNESS_LOCAL_PREFIX_CACHE=1`` turns prefix
reuse on (faster for long multi-turn agent prompts, no longer bit-reproducible).
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import math
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from harness.errors import HarnessError, NotAvailableError
from harness.providers.local.weights import QWEN25_CODER_05B, QWEN25_CODER_15B, WeightsSpec, assemble
from harness.providers.ticket import CallAbandoned, current_ticket

T = TypeVar("T")

#: Local model name (the part after ``local/`` in a route) -> its weights.
MODELS: dict[str, WeightsSpec] = {
    "qwen2.5-coder-0.5b-instruct": QWEN25_CODER_05B,
    "qwen2.5-coder-1.5b-instruct": QWEN25_CODER_15B,
}

#: Sampling defaults when a request leaves them out: Qwen2.5-Coder's own generation_config.json
#: (temperature 0.7, top_p 0.8, top_k 20, repetition_penalty 1.05), and no min_p cut-off.
DEFAULTS: dict[str, Any] = {"temperature": 0.7, "top_p": 0.8, "top_k": 20, "repeat_penalty": 1.05, "min_p": 0.0}
#: Extra llama.cpp sampling settings a request may pass through (litellm forwards unknown params).
PASSTHROUGH = ("top_k", "min_p", "typical_p", "repeat_penalty", "presence_penalty", "frequency_penalty")
DEFAULT_N_CTX = 16384

GENERATION_LOCK = threading.Lock()
_LOAD_LOCK = threading.Lock()
_LOADED: dict[str, Any] = {}
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="harness-local")


class UnknownLocalModel(HarnessError):
    """A route names a local model the harness does not ship."""


@dataclass(frozen=True)
class ChatResult:
    """One local generation: text, exact token counts, and why it stopped."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str
    seed: int
    #: ``"timeout"`` or ``"cancelled"`` when generation was cut short, else ``None``.
    interrupted: str | None = None
    seconds: float = 0.0


def thread_count() -> int:
    """Threads for llama.cpp: ``$HARNESS_LOCAL_THREADS``, else the cores this process may use
    (CPU affinity and any cgroup CPU quota), so generation never oversubscribes them."""
    env = os.environ.get("HARNESS_LOCAL_THREADS")
    if env:
        try:
            n = int(env)
        except ValueError:
            n = 0
        if n <= 0:
            raise HarnessError(f"HARNESS_LOCAL_THREADS must be a positive integer, got {env!r}")
        return n
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cores)


def context_size() -> int:
    """Context window in tokens: ``$HARNESS_LOCAL_N_CTX``, else 16384 (Qwen2.5-Coder trains on 32768)."""
    env = os.environ.get("HARNESS_LOCAL_N_CTX", str(DEFAULT_N_CTX))
    try:
        n = int(env)
    except ValueError:
        n = 0
    if n < 256:
        raise HarnessError(f"HARNESS_LOCAL_N_CTX must be an integer >= 256, got {env!r}")
    return n


def prefix_cache() -> bool:
    """Whether requests may reuse an earlier request's KV cache (``$HARNESS_LOCAL_PREFIX_CACHE``)."""
    return os.environ.get("HARNESS_LOCAL_PREFIX_CACHE", "").strip().lower() in ("1", "true", "yes")


def spec_for(name: str) -> WeightsSpec:
    """The weights of local model ``name``; an unknown name is a clear error listing the known ones."""
    if name not in MODELS:
        known = ", ".join(f"local/{m}" for m in MODELS)
        raise UnknownLocalModel(f"unknown local model {name!r}: use one of {known}")
    return MODELS[name]


def _missing_llama(exc: BaseException | str) -> NotAvailableError:
    return NotAvailableError(
        f"the local models need llama-cpp-python ({exc}): "
        "run pip install 'llama-cpp-python>=0.3.36' (it builds llama.cpp: a few minutes)"
    )


def check_runtime() -> None:
    """Fail fast (without importing it) when llama-cpp-python is not installed."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise _missing_llama("not installed")


def extra_buffers() -> bool:
    """Whether llama.cpp may use its extra CPU buffer types (weight repacking, Intel AMX tiles).

    Off where the CPU advertises AMX: on virtual machines that pass the AMX flags through without the
    tile state (seen here), llama.cpp's AMX kernels die with SIGILL on their first ``tilezero``, and the
    kernel's permission check passes, so nothing short of running one can tell. Repacking goes with them
    (a few percent of speed). ``$HARNESS_LOCAL_EXTRA_BUFFERS=1``/``0`` forces either way.
    """
    env = os.environ.get("HARNESS_LOCAL_EXTRA_BUFFERS", "").strip().lower()
    if env in ("1", "true", "yes", "0", "false", "no"):
        return env in ("1", "true", "yes")
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return True
    return " amx_tile" not in flags


def _llama_class() -> type:
    try:
        import llama_cpp.llama as llama_module
        from llama_cpp import Llama
    except ImportError as exc:
        raise _missing_llama(exc) from None

    if not extra_buffers():  # Llama() reads its defaults from this function: switch the extra buffers off
        defaults = llama_module.llama_cpp.llama_model_default_params

        def model_params() -> Any:
            params = defaults()
            params.use_extra_bufts = False
            return params

        llama_module.llama_cpp.llama_model_default_params = model_params

    class InterruptibleLlama(Llama):  # type: ignore[misc, valid-type]
        """llama.cpp with a per-token check, so a deadline or a cancelled request stops generation."""

        stop_check: Callable[[], bool] | None = None

        def generate(self, tokens: Sequence[int], **kwargs: Any) -> Any:
            for token in super().generate(tokens, **kwargs):
                check = self.stop_check
                if check is not None and check():
                    return
                yield token

    return InterruptibleLlama


_LLAMA_CLASS: type | None = None


def load(name: str, *, progress: bool = True) -> Any:
    """The loaded model ``name`` (assembling its weights on first use); later calls return it at once."""
    global _LLAMA_CLASS
    model = _LOADED.get(name)
    if model is not None:
        return model
    spec = spec_for(name)
    with _LOAD_LOCK:
        if name in _LOADED:
            return _LOADED[name]
        path = assemble(spec, progress=progress)
        if _LLAMA_CLASS is None:
            _LLAMA_CLASS = _llama_class()
        threads = thread_count()
        try:
            model = _LLAMA_CLASS(
                model_path=str(path),
                n_ctx=context_size(),
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            raise HarnessError(f"llama.cpp could not load {path} ({exc}): delete it and retry") from None
        _LOADED[name] = model
        return model


@atexit.register
def unload() -> None:
    """Free every loaded model (at exit, before interpreter teardown makes llama.cpp's own cleanup fail)."""
    with _LOAD_LOCK:
        while _LOADED:
            _, model = _LOADED.popitem()
            model.close()


def loaded() -> list[str]:
    """Names of the models loaded in this process."""
    return list(_LOADED)


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # OpenAI content parts
        return "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    return "" if content is None else str(content)


def chat(
    name: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    max_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    stop: str | list[str] | None = None,
    timeout_s: float | None = None,
    cancel: threading.Event | None = None,
    **extra: Any,
) -> ChatResult:
    """Generate a chat reply with the model's own chat template; blocks (call it off the event loop).

    A fixed ``seed`` gives the same text for the same request; ``seed=None`` draws a fresh one.
    ``timeout_s`` counts from the start of generation (not the wait for the lock).
    """
    llm = load(name)
    msgs = [{"role": m.get("role", "user"), "content": _text(m.get("content"))} for m in messages]
    used_seed = secrets.randbits(31) if seed is None else int(seed)
    sampling = {**DEFAULTS, **{k: v for k, v in extra.items() if k in PASSTHROUGH and v is not None}}
    if temperature is not None:
        sampling["temperature"] = float(temperature)
    if top_p is not None:
        sampling["top_p"] = float(top_p)
    with GENERATION_LOCK:
        if cancel is not None and cancel.is_set():  # given up while waiting for the lock
            return ChatResult("", 0, 0, "stop", used_seed, interrupted="cancelled")
        start = time.monotonic()
        deadline = start + timeout_s if timeout_s else math.inf
        why: list[str] = []

        def stop_check() -> bool:
            if cancel is not None and cancel.is_set():
                why.append("cancelled")
            elif time.monotonic() > deadline:
                why.append("timeout")
            return bool(why)

        llm.stop_check = stop_check
        if not prefix_cache():
            llm.reset()  # evaluate the whole prompt afresh: same request + seed -> same text
        try:
            out = llm.create_chat_completion(
                messages=msgs, max_tokens=max_tokens, seed=used_seed, stop=stop or [], **sampling
            )
        finally:
            llm.stop_check = None
        seconds = time.monotonic() - start
    choice = out["choices"][0]
    usage = out.get("usage") or {}
    return ChatResult(
        text=choice["message"].get("content") or "",
        prompt_tokens=int(usage.get("prompt_tokens", 0)),
        completion_tokens=int(usage.get("completion_tokens", 0)),
        finish_reason=choice.get("finish_reason") or "stop",
        seed=used_seed,
        interrupted=why[0] if why else None,
        seconds=seconds,
    )


async def run_local(fn: Callable[..., T], *args: Any, on_cancel: threading.Event | None = None, **kwargs: Any) -> T:
    """Run ``fn`` on the local-model worker thread; if the caller is cancelled, set ``on_cancel``
    (which ``fn`` watches) so the thread stops early instead of finishing unwanted work.

    The wait for the thread (behind other generations) is reported to the call's ticket: a metered call
    queued here is not in flight, and is abandoned, never started, when the run stops meanwhile.
    """
    ticket = current_ticket.get()
    if ticket is not None and not ticket.wait("queue"):
        raise CallAbandoned("the run is stopping: this local generation was not started")

    def job() -> T:
        if ticket is not None and not ticket.run():
            raise CallAbandoned("the run stopped while this local generation was queued: not started")
        return fn(*args, **kwargs)

    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(_EXECUTOR, job)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        if on_cancel is not None:
            on_cancel.set()
        future.cancel()
        raise
