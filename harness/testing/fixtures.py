"""The pytest fixtures of harness.testing (documented in :mod:`harness.testing`).

Every fixture is named ``harness_*`` so none shadows a plugin's own fixtures (or the core's: its
``tests/conftest.py`` keeps ``harness_cli``, ``config_file`` and ``entry_point_plugin``).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from harness.registry import Registry, load_plugins
from harness.store import Store
from harness.testing.scripted import Reply, ScriptedModel

#: Where the test run keeps litellm's price map and the Hugging Face hub: offline (set unless already set).
OFFLINE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}

PluginSpec = ModuleType | str | tuple[str, Any]


def pytest_configure(config: pytest.Config) -> None:
    """No test of a plugin reaches the network for prices or datasets unless its environment says so."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)


def plugin_pair(spec: PluginSpec) -> tuple[str, Any]:
    """``(name, module)`` for a plugin given as a module, an importable module name, or a pair."""
    if isinstance(spec, tuple):
        return spec
    module = importlib.import_module(spec) if isinstance(spec, str) else spec
    return module.__name__, module


def isolated_registry(monkeypatch: pytest.MonkeyPatch, *plugins: PluginSpec) -> Registry:
    """A registry of the core's built-ins plus exactly ``plugins``: no installed plugin loads."""
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "1")
    monkeypatch.delenv("HARNESS_BLOCK_PLUGINS", raising=False)
    return load_plugins(extra=[plugin_pair(p) for p in plugins])


@pytest.fixture
def harness_registry(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Registry]:
    """``harness_registry(*plugins)``: a plugin registry with only these plugins (and the core's built-ins)."""
    return lambda *plugins: isolated_registry(monkeypatch, *plugins)


@pytest.fixture
def harness_store(tmp_path: Path) -> Iterator[Store]:
    """An empty attempt store (``harness.store.Store``) in the test's temporary directory."""
    with Store(tmp_path / "harness-store" / "attempts.sqlite") as store:
        yield store


@pytest.fixture
def harness_scripted_model() -> Callable[..., ScriptedModel]:
    """``harness_scripted_model(*replies, cap=None, ...)``: a :class:`ScriptedModel` answering with ``replies``."""

    def make(*replies: Reply, **kw: Any) -> ScriptedModel:
        return ScriptedModel(replies, **kw)

    return make


@pytest.fixture
def harness_fake_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A running fake OpenAI-compatible server on 127.0.0.1 (:class:`harness.testing.fakeserver.FakeServer`)."""
    from harness.testing.fakeserver import FAKE_KEY_ENV, FakeServer  # aiohttp only when a test asks for it

    monkeypatch.setenv(FAKE_KEY_ENV, "sk-harness-fake-server-key")
    with FakeServer() as server:
        yield server
