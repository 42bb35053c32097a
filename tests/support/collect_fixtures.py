"""Fixtures shared by tests/providers and tests/collect: the fake server, model configs, the toy domain."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

SUPPORT = Path(__file__).resolve().parent
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

import toy_domain  # noqa: E402

from harness.config import Config, ModelConfig, parse_config  # noqa: E402
from harness.registry import BUILTIN_PLUGINS  # noqa: E402
from harness.testing.fakeserver import FakeServer  # noqa: E402

KEY_ENV = "HARNESS_TEST_FAKE_KEY"
SECRET = "sk-test-SECRETVALUE-0123456789"


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _fake_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, SECRET)
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "1")
    monkeypatch.setenv("HARNESS_RETRY_BASE_S", "0.02")


def model_table(server: FakeServer, name: str = "good", **kw: Any) -> dict[str, Any]:
    """A [models.<name>] table routed to the fake server (prices 1 and 2 USD per Mtok by default)."""
    return server.model_table(
        name, **{"api_key_env": KEY_ENV, "max_tokens": 50, "timeout_s": 5.0, "max_retries": 2, **kw}
    )


def model_config(server: FakeServer, name: str = "good", **kw: Any) -> ModelConfig:
    return parse_config({"models": {name: model_table(server, name, **kw)}}).models[name]


def config_for(
    server: FakeServer, store: Path, models: dict[str, dict[str, Any]] | None = None, toy: dict[str, Any] | None = None
) -> Config:
    models = models or {"good": {}, "bad": {}}
    data = {
        "models": {n: model_table(server, n, **kw) for n, kw in models.items()},
        "store": {"path": str(store)},
        "domains": {"toy": {"options": toy or {"count": 5}}},
    }
    return parse_config(data)


def toml_for(
    server: FakeServer, store: Path, models: dict[str, dict[str, Any]] | None = None, toy: dict[str, Any] | None = None
) -> str:
    """The same configuration as harness.toml text (for the command line in a subprocess)."""
    models = models or {"good": {}, "bad": {}}
    lines = [f'[store]\npath = "{store}"\n']
    for n, kw in models.items():
        lines.append(f"[models.{n}]")
        for k, v in model_table(server, n, **kw).items():
            lines.append(f"{k} = {_toml(v)}")
        lines.append("")
    opts = ", ".join(f"{k} = {_toml(v)}" for k, v in (toy or {"count": 5}).items())
    lines.append(f"[domains.toy]\noptions = {{ {opts} }}\n")
    return "\n".join(lines)


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    return repr(v)


def toy_site(root: Path) -> Path:
    """Install the toy domain the way pip would (module + dist-info), for subprocesses via PYTHONPATH."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "harness_toy.py").write_text((SUPPORT / "toy_domain.py").read_text())
    dist = root / "harness_toy-0.1.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: harness-toy\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[harness]\ntoy = harness_toy\n")
    return root


__all__ = [
    "FakeServer",
    "KEY_ENV",
    "SECRET",
    "config_for",
    "fake_server",
    "model_config",
    "model_table",
    "toml_for",
    "toy_domain",
    "toy_site",
    "_fake_key",
]


def env_for(tmp_path: Path) -> dict[str, str]:
    """Only the toy plugin (installed like pip would) loads from entry points: others are blocked."""
    others = {ep.name for ep in metadata.entry_points(group="harness")} - {*BUILTIN_PLUGINS, "toy"}
    env = {**os.environ, "HARNESS_DISABLE_PLUGINS": "0", KEY_ENV: SECRET, "HARNESS_BLOCK_PLUGINS": ",".join(others)}
    site = toy_site(tmp_path / "site")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    return env


def stored(store: Path) -> dict[tuple[str, str, int], tuple[str, str, float]]:
    """(task, model, index) -> (verdict, run id, started_at) of the stored attempts."""
    if not store.exists():
        return {}
    db = sqlite3.connect(store, timeout=30)
    try:
        rows = db.execute("SELECT task_id, model, idx, verdict, run_id, started_at FROM attempts").fetchall()
    except sqlite3.OperationalError:  # the schema is not there yet
        rows = []
    db.close()
    return {(t, m, i): (v, r, s) for t, m, i, v, r, s in rows}
