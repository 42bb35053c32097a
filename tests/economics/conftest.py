"""Shared fixtures of the economics tests: the public SWE-bench and LiveCodeBench data, and list prices."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from harness.bank import Bank, BankEntry, BankMatrix
from harness.bank.formats import read_bank

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"
SWEBENCH_EVAL = SHARED_DATA / "swebench-bash-only" / "evaluation"
LCB_CSV = SHARED_DATA / "livecodebench" / "lcb_codegen_per_problem_2025-04-22_83b6481.csv"

SWE_PAIRS = {
    "gpt5": ("20250807_mini-v1.7.0_gpt-5-mini", "20250807_mini-v1.7.0_gpt-5"),
    "qwen": ("20250803_mini-v1.0.0_qwen2-5-coder-32b-instruct", "20250802_mini-v1.0.0_qwen3-coder-480b-a35b-instruct"),
}

# LiveCodeBench publishes pass counts (n_correct_of_10) but no costs. We price one attempt as
# (input tokens x input price + output tokens x output price) with public list prices in USD per million
# tokens (OpenAI and Anthropic pricing pages and DeepSeek API docs, as also listed in litellm's bundled
# model_prices_and_context_window.json, early 2025). Token counts per attempt are our assumption: a
# 600-token prompt, 1,500 output tokens for chat models, more for reasoning effort levels.
LCB_PRICES = {
    # model: (input USD/Mtok, output USD/Mtok, input tokens, output tokens)
    "GPT-4O-mini-2024-07-18": (0.15, 0.60, 600, 1500),
    "DeepSeek-V3": (0.27, 1.10, 600, 1500),
    "Claude-3-Haiku": (0.25, 1.25, 600, 1500),
    "GPT-4O-2024-08-06": (2.50, 10.00, 600, 1500),
    "Claude-3.5-Sonnet-20241022": (3.00, 15.00, 600, 1500),
    "O4-Mini (Low)": (1.10, 4.40, 600, 3000),
    "O4-Mini (Medium)": (1.10, 4.40, 600, 8000),
    "O4-Mini (High)": (1.10, 4.40, 600, 20000),
}


def lcb_cost(model: str) -> float:
    """USD per attempt for a LiveCodeBench model from the table above."""
    pin, pout, tin, tout = LCB_PRICES[model]
    return (pin * tin + pout * tout) / 1e6


@pytest.fixture(scope="session")
def swe_bank() -> Bank:
    """The SWE-bench bash-only bank (one attempt per instance); skips when ../shared/data is missing."""
    if not SWEBENCH_EVAL.is_dir():
        pytest.skip(f"shared data not found at {SWEBENCH_EVAL}")
    return read_bank(SWEBENCH_EVAL)


@pytest.fixture(scope="session")
def swe_eval_dir() -> Path:
    if not SWEBENCH_EVAL.is_dir():
        pytest.skip(f"shared data not found at {SWEBENCH_EVAL}")
    return SWEBENCH_EVAL


@pytest.fixture(scope="session")
def lcb_bank() -> Bank:
    """LiveCodeBench as a 10-attempt bank (attempt outcomes ordered: c ones then zeros), priced above."""
    if not LCB_CSV.is_file():
        pytest.skip(f"shared data not found at {LCB_CSV}")
    entries: dict[str, dict[str, BankEntry]] = {m: {} for m in LCB_PRICES}
    with LCB_CSV.open(newline="") as fh:
        for row in csv.DictReader(fh):
            m = row["model"]
            if m in entries:
                c = int(row["n_correct_of_10"])
                entries[m][row["question_id"]] = BankEntry(lcb_cost(m), (1,) * c + (0,) * (10 - c))
    return Bank(entries)


def random_matrix(rng: np.random.Generator, tasks: int, models: int, attempts: int = 10) -> BankMatrix:
    """A synthetic bank matrix with varied n, c and costs (including zero-cost and zero-attempt cells)."""
    n = rng.integers(0, attempts + 1, size=(tasks, models))
    c = rng.binomial(n, rng.uniform(0, 1, size=(tasks, models)))
    cost = rng.choice([0.0, 1e-3, 0.01, 0.03, 0.1, 0.4], size=(tasks, models))
    return BankMatrix(tuple(f"t{i}" for i in range(tasks)), tuple(f"m{j}" for j in range(models)), n, c, cost)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def make_matrix():
    return random_matrix


@pytest.fixture(scope="session")
def swe_pairs() -> dict[str, tuple[str, str]]:
    """Same-family (cheap, expensive) SWE-bench runs: the gpt-5-mini/gpt-5 and qwen pairs."""
    return SWE_PAIRS
