"""Local provider throughput: tokens/s through litellm (and the harness provider) vs bare llama-cpp-python.

Run: ``python benchmarks/bench_local.py [--model 0.5b|1.5b] [--tokens 128] [--rounds 3] [--json]``

Both paths run the same model file, the same thread count and the same greedy request (so they
generate the same tokens); rounds alternate between the paths so background load hits both alike.
Throughput is completion tokens over wall time per request (prompt processing included; both paths
evaluate the prompt afresh, as the provider does by default for reproducible seeds). Target: litellm path >= 90% of bare. On a shared machine other
processes steal cores from llama.cpp's threads at random, so the verdict uses each path's best round
(as ``timeit`` does: the least-disturbed run estimates the cost of the path itself); medians are shown too,
and so is a load-independent figure: the share of the litellm path's wall time spent inside llama.cpp.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from harness import Message  # noqa: E402
from harness.config import ModelConfig  # noqa: E402
from harness.providers.local import (  # noqa: E402
    LocalProvider,
    register_route,
    weights,  # noqa: E402
)
from harness.providers.local import runtime as rt  # noqa: E402

MODELS = {"0.5b": "qwen2.5-coder-0.5b-instruct", "1.5b": "qwen2.5-coder-1.5b-instruct"}
PROMPT = "Write a Python class implementing a binary search tree with insert, delete and in-order traversal."
TARGET = 0.90


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=sorted(MODELS), default="0.5b")
    ap.add_argument("--tokens", type=int, default=128, help="completion tokens per request")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args()
    name = MODELS[args.model]
    route = f"local/{name}"
    messages = [{"role": "user", "content": PROMPT}]
    spec = rt.spec_for(name)

    t = time.perf_counter()
    path = weights.assemble(spec)
    assemble_s = time.perf_counter() - t
    t = time.perf_counter()
    rt.load(name)
    load_s = time.perf_counter() - t

    from llama_cpp import Llama

    threads = rt.thread_count()
    bare = Llama(
        model_path=str(path), n_ctx=rt.context_size(), n_threads=threads, n_threads_batch=threads, verbose=False
    )
    register_route()
    import litellm

    cfg = ModelConfig(
        name=name,
        provider="local",
        route=route,
        input_cost_per_mtok=0.15,
        output_cost_per_mtok=0.60,
        temperature=0.0,
        max_tokens=args.tokens,
        seed=0,
    )
    provider = LocalProvider()
    request = {"max_tokens": args.tokens, "temperature": 0.0, "seed": 0}

    def run_bare() -> tuple[int, float, str]:
        start = time.perf_counter()
        if not rt.prefix_cache():
            bare.reset()  # the provider evaluates each prompt afresh (reproducible seeds): same work here
        out = bare.create_chat_completion(messages=messages, **rt.DEFAULTS | request)
        return out["usage"]["completion_tokens"], time.perf_counter() - start, out["choices"][0]["message"]["content"]

    overhead: list[tuple[float, float]] = []  # (wall, time inside llama.cpp) of each litellm call

    async def run_litellm() -> tuple[int, float, str]:
        start = time.perf_counter()
        resp = await litellm.acompletion(model=route, messages=messages, **request)
        wall = time.perf_counter() - start
        overhead.append((wall, resp._hidden_params["local_generation_s"]))
        return resp.usage.completion_tokens, wall, resp.choices[0].message.content

    async def run_provider() -> tuple[int, float, str]:
        start = time.perf_counter()
        done = await provider.complete(cfg, [Message("user", PROMPT)])
        return done.output_tokens, time.perf_counter() - start, done.text

    async def bench() -> dict[str, list[tuple[int, float, str]]]:
        runs: dict[str, list[tuple[int, float, str]]] = {"bare": [], "litellm": [], "provider": []}
        run_bare()  # warm up: page in the weights, litellm's first-call setup
        await run_litellm()
        await run_provider()
        for _ in range(args.rounds):
            runs["bare"].append(run_bare())
            runs["litellm"].append(await run_litellm())
            runs["provider"].append(await run_provider())
        return runs

    runs = asyncio.run(bench())
    rate = {k: [n / s for n, s, _ in v] for k, v in runs.items()}
    med = {k: statistics.median(v) for k, v in rate.items()}
    best = {k: max(v) for k, v in rate.items()}
    same_text = len({text for v in runs.values() for _, _, text in v}) == 1
    ratio = best["litellm"] / best["bare"]
    timed = overhead[1:]  # without the warm-up call
    overhead_ms = statistics.median((w - g) * 1000 for w, g in timed)
    inside = sum(g for _, g in timed) / sum(w for w, _ in timed)
    result = {
        "model": name,
        "threads": threads,
        "n_ctx": rt.context_size(),
        "completion_tokens": args.tokens,
        "rounds": args.rounds,
        "assemble_or_verify_s": round(assemble_s, 3),
        "load_s": round(load_s, 3),
        "tokens_per_s": {k: [round(x, 2) for x in v] for k, v in rate.items()},
        "median_tokens_per_s": {k: round(v, 2) for k, v in med.items()},
        "best_tokens_per_s": {k: round(v, 2) for k, v in best.items()},
        "litellm_vs_bare": round(ratio, 4),
        "provider_vs_bare": round(best["provider"] / best["bare"], 4),
        "litellm_vs_bare_median": round(med["litellm"] / med["bare"], 4),
        "litellm_overhead_ms_per_call": round(overhead_ms, 2),
        "litellm_time_in_llama_cpp": round(inside, 4),
        "identical_outputs": same_text,
        "target": TARGET,
        "meets_target": ratio >= TARGET,
        "load_average": os.getloadavg()[0],
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"model {name}: {threads} threads, n_ctx {rt.context_size()}, {args.tokens} tokens x "
            f"{args.rounds} rounds (greedy; outputs identical across paths: {same_text})"
        )
        print(f"weights ready in {assemble_s:.2f} s (first use assembles and hashes), model loaded in {load_s:.2f} s")
        for k, label in (
            ("bare", "bare llama-cpp-python"),
            ("litellm", "litellm.acompletion local/"),
            ("provider", "harness LocalProvider"),
        ):
            runs_txt = ", ".join(f"{x:.1f}" for x in rate[k])
            print(f"  {label:28s} best {best[k]:6.1f} tok/s  median {med[k]:6.1f}  ({runs_txt})")
        print(
            f"litellm / bare = {ratio:.1%} best-of (target >= {TARGET:.0%}: {'met' if ratio >= TARGET else 'NOT met'}), "
            f"{result['litellm_vs_bare_median']:.1%} median; provider / bare = {result['provider_vs_bare']:.1%}; "
            f"1-min load average {result['load_average']:.2f}"
        )
        print(
            f"litellm route overhead outside llama.cpp: {overhead_ms:.1f} ms per call (median); "
            f"{inside:.2%} of the litellm path's wall time is llama.cpp generation (load-independent check)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
