"""Helpers of the inspect plugin's tests (on sys.path through the suite's conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

SUPPORT = Path(__file__).resolve().parent
REPO = SUPPORT.parents[3]
SHARED_DATA = REPO.parent / "shared" / "data"
GSM8K = SHARED_DATA / "gsm8k" / "test.jsonl"
ARITH = SUPPORT / "arith_tasks.py"
#: Prices of the scripted models in the tests' harness.toml (USD per Mtok in, out).
PRICES = {"alpha": (1.0, 2.0), "beta": (3.0, 4.0)}
EPOCHS = 3


def prices_toml(store: Path) -> str:
    """A harness.toml pricing the scripted models (routes scripted/<name>, as the logs name them)."""
    lines = [f'[store]\npath = "{store}"\n']
    for name, (pin, pout) in PRICES.items():
        lines.append(
            f'[models.{name}]\nroute = "scripted/{name}"\ninput_cost_per_mtok = {pin}\noutput_cost_per_mtok = {pout}\n'
        )
    return "\n".join(lines)


def cli_env(**extra: str) -> dict[str, str]:
    """Only the core's built-ins and this plugin load: other installed plugins are blocked."""
    others = {ep.name for ep in metadata.entry_points(group="harness")} - {"providers", "strategies", "bank_formats"}
    env = {
        **os.environ,
        "HARNESS_DISABLE_PLUGINS": "0",
        "HARNESS_BLOCK_PLUGINS": ",".join(sorted(others - {"inspect"})),
    }
    env.update(extra)
    return env


def run_harness(*args: str, config: Path, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    """The real command line in a subprocess, with ``config`` as its harness.toml."""
    return subprocess.run(
        [sys.executable, "-m", "harness", "--config", str(config), *args],
        env=cli_env(HARNESS_CONFIG=str(config), **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=config.parent,
    )
