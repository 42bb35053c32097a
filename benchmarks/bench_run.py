"""Benchmark: `harness run` replaying a recorded 500-task SWE-bench bank, and the live loop's overhead.

Run: python benchmarks/bench_run.py [--n 1000] [--concurrency 16]

- Replay: the whole command (`harness run --replay ../shared/data/swebench-bash-only/evaluation ...`) in a
  subprocess for each built-in strategy on gpt-5-mini -> gpt-5 (robust and adaptive fitted on the same
  bank given as --fit-bank, only to time them). Targets: under 5 s for a non-adaptive strategy, under 30 s
  for adaptive.
- Live: the per-attempt overhead of the run loop over `harness collect`'s pipeline, both in-process with a
  provider that answers at once (no HTTP): N attempts collected, then a run whose strategy buys up to 4
  attempts of a model per task (right on one task in five) (the first of each is reused from the collection, 3 are bought).
  Target: under 2 ms per attempt.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
EVAL = REPO.parent / "shared" / "data" / "swebench-bash-only" / "evaluation"
PAIR = "20250807_mini-v1.7.0_gpt-5-mini,20250807_mini-v1.7.0_gpt-5"


def replay(strategy: str, workdir: Path) -> float:
    (workdir / "harness.toml").write_text('[store]\npath = "s.sqlite"\n')
    extra = ["--fit-bank", str(EVAL)] if strategy in ("robust", "adaptive") else []
    if strategy == "cascade":
        extra = ["--stages", "gpt-5-mini:0.05,gpt-5"]
    t = time.perf_counter()
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "run",
            "--replay",
            str(EVAL),
            "--domain",
            "swebench",
            "--strategy",
            strategy,
            "--models",
            PAIR,
            "--providers",
            PAIR,
            "--json",
            *extra,
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(f"harness run --strategy {strategy} failed: {out.stderr}")
    return wall


def live_overhead(n: int, concurrency: int, workdir: Path) -> tuple[float, float, int]:
    """(ms per attempt collected, ms per attempt bought by the run, attempts bought)."""
    import toy_domain

    from harness import Completion, hookimpl
    from harness.arbitrage.banks import BankPlan
    from harness.arbitrage.run import Runner, RunOptions
    from harness.collect.collector import CollectOptions, Collector
    from harness.collect.metering import count_prompt_tokens
    from harness.config import parse_config
    from harness.registry import load_plugins
    from harness.store import Store
    from harness.types import Message

    class Instant:
        name = "instant"

        async def complete(self, model, messages, **params):  # noqa: ANN001, ANN003, ANN201
            a, b = (int(x) for x in re.findall(r"-?\d+", messages[-1].content.split("Compute:")[1]))
            text = f"ANSWER: {a + b if a % 5 == 0 else -1}"  # right on one task in five, wrong on the others
            return Completion(text=text, input_tokens=20, output_tokens=8, cost_usd=3.6e-5, model=model.name)

    plugin = types.ModuleType("instant_provider")
    plugin.register_providers = hookimpl(lambda register: register(Instant()))  # type: ignore[attr-defined]
    plugin.register_providers.__name__ = "register_providers"
    count_prompt_tokens("openai/x", [Message("user", "warm up litellm's tokenizer")])
    table = {
        "route": "openai/x",
        "provider": "instant",
        "input_cost_per_mtok": 1.0,
        "output_cost_per_mtok": 2.0,
        "concurrency": concurrency,
        "max_tokens": 8,
    }
    cfg = parse_config({"models": {"m": table}, "domains": {"toy": {"options": {"count": n}}}})
    os.environ["HARNESS_DISABLE_PLUGINS"] = "1"
    registry = load_plugins(extra=[("toy", toy_domain), ("instant", plugin)])
    store = Store(workdir / "live.sqlite")
    t = time.perf_counter()
    Collector(cfg, registry, store, CollectOptions(domain="toy", models=["m"], concurrency=concurrency)).run()
    per_collected = (time.perf_counter() - t) / n * 1e3
    plan = BankPlan(False, tasks=n, attempts=1, collect=lambda o, why: {})
    price = 20 * 1e-6 + 8 * 2e-6  # one call at most (max_tokens 8)
    options = RunOptions(
        domain="toy", strategy="single", models=("m",), providers=("m",), budget_usd=4 * price, concurrency=concurrency
    )
    runner = Runner(cfg, registry, store, options, plan)
    t = time.perf_counter()
    result = runner.run()
    bought = result.live["attempts_bought"]
    per_bought = (time.perf_counter() - t) / max(bought, 1) * 1e3
    store.close()
    return per_collected, per_bought, bought


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000, help="tasks of the live overhead measurement")
    ap.add_argument("--concurrency", type=int, default=16)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if EVAL.is_dir():
            print("replay of the 500-task SWE-bench bank (whole command, wall seconds):")
            for s in ("single", "cascade", "optimal", "robust", "oracle", "adaptive"):
                print(f"  {s:<9} {replay(s, Path(tmp)):6.2f} s")
        else:
            print(f"skipped the replay: {EVAL} is missing")
        collected, bought, n = live_overhead(args.n, args.concurrency, Path(tmp))
        print(f"live, instant provider, concurrency {args.concurrency}:")
        print(f"  collect: {collected:.3f} ms per attempt ({args.n} attempts)")
        print(f"  run:     {bought:.3f} ms per attempt bought ({n} bought; its reuse checks and collection included)")
        print(f"  overhead of the run loop: {bought - collected:+.3f} ms per attempt (target < 2 ms)")


if __name__ == "__main__":
    main()
