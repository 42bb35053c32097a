"""Audit: the attempt fingerprint changes with what changes the model's output, and only with that."""

from __future__ import annotations

import dataclasses
import types
from pathlib import Path
from typing import Any

import pytest
from collect_fixtures import config_for, toy_domain

from harness import hookimpl
from harness.collect.collector import CollectOptions, Collector
from harness.registry import load_plugins
from harness.store import Store

BASE_TOY = {"count": 5}


def _fp(
    server: Any,
    tmp_path: Path,
    model: dict[str, Any] | None = None,
    toy: dict[str, Any] | None = None,
    domain: Any = None,
) -> str:
    cfg = config_for(server, tmp_path / "store.sqlite", {"good": model or {}}, toy or BASE_TOY)
    registry = load_plugins(extra=[("toy", domain or toy_domain)])
    with Store(cfg.store_path) as store:
        return Collector(cfg, registry, store, CollectOptions(domain="toy", models=["good"])).fingerprints["good"]


@pytest.mark.parametrize(
    "change",
    [
        {"route": "openai/another-model"},
        {"temperature": 0.3},
        {"top_p": 0.5},
        {"seed": 7},
        {"max_tokens": 51},
        {"params": {"frequency_penalty": 0.5}},
    ],
)
def test_what_changes_the_output_changes_the_fingerprint(fake_server, tmp_path: Path, change: dict) -> None:
    assert _fp(fake_server, tmp_path, change) != _fp(fake_server, tmp_path)


@pytest.mark.parametrize(
    "change",
    [
        {"timeout_s": 99.0},
        {"concurrency": 1},
        {"rpm": 5},
        {"tpm": 1000},
        {"api_key_env": "OTHER_KEY"},
        {"input_cost_per_mtok": 9.0, "output_cost_per_mtok": 9.0},
        {"max_retries": 0},
    ],
)
def test_what_does_not_change_the_output_keeps_the_fingerprint(fake_server, tmp_path: Path, change: dict) -> None:
    assert _fp(fake_server, tmp_path, change) == _fp(fake_server, tmp_path)


def test_the_domain_options_and_version_are_part_of_the_fingerprint(fake_server, tmp_path: Path) -> None:
    base = _fp(fake_server, tmp_path)
    assert _fp(fake_server, tmp_path, toy={**BASE_TOY, "prompt_template": "Q: {question}"}) != base
    assert _fp(fake_server, tmp_path, toy={**BASE_TOY, "limit": 3}) == base  # how many tasks: same experiment
    newer = dataclasses.replace(toy_domain.TOY, version="2")
    plugin = types.ModuleType("toy_v2")

    @hookimpl
    def register_domains(register: Any) -> None:
        register(newer)

    plugin.register_domains = register_domains  # type: ignore[attr-defined]
    assert _fp(fake_server, tmp_path, domain=plugin) != base
