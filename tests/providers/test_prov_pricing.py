"""Prices: harness.toml wins, else litellm's bundled map; unpriced models are rejected at load time."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import load_config, parse_config
from harness.errors import ConfigError
from harness.providers.pricing import Price, map_price, resolve_price

REPO = Path(__file__).resolve().parents[2]


def test_unpriced_model_is_rejected_when_the_configuration_loads(tmp_path: Path) -> None:
    path = tmp_path / "harness.toml"
    path.write_text('[models.mystery]\nroute = "openai/no-such-model-xyz"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert text.startswith(str(path)) and "'mystery'" in text and "input_cost_per_mtok" in text
    assert "\n" not in text


def test_cost_from_response_or_prices_make_a_model_acceptable() -> None:
    cfg = parse_config(
        {
            "models": {
                "reported": {"route": "openrouter/some/unknown", "cost_from_response": True},
                "priced": {"route": "openai/unknown", "input_cost_per_mtok": 0.5, "output_cost_per_mtok": 1.5},
                "mapped": {"route": "openai/gpt-4o-mini"},
                "bare": {"route": "gpt-4o-mini"},
            }
        }
    )
    assert resolve_price(cfg.models["reported"]) is None
    assert resolve_price(cfg.models["priced"]) == Price(0.5, 1.5)
    mapped = resolve_price(cfg.models["mapped"])
    assert mapped is not None and mapped.input_per_mtok == pytest.approx(0.15) and "price map" in mapped.source
    assert resolve_price(cfg.models["bare"]) == mapped


def test_config_price_overrides_the_map() -> None:
    cfg = parse_config(
        {"models": {"m": {"route": "gpt-4o-mini", "input_cost_per_mtok": 9.0, "output_cost_per_mtok": 9.0}}}
    )
    assert resolve_price(cfg.models["m"]) == Price(9.0, 9.0)


def test_map_lookup_requires_the_matching_provider_prefix() -> None:
    assert map_price("openai/gpt-4o-mini") is not None
    assert map_price("anthropic/gpt-4o-mini") is None  # gpt-4o-mini is an openai model in the map
    assert map_price("no-such-model") is None


def test_price_arithmetic_is_per_million_tokens() -> None:
    assert Price(2.0, 8.0).cost(1_000_000, 500_000) == pytest.approx(6.0)


def test_default_harness_toml_loads() -> None:
    if not (REPO / "harness.toml").exists():
        pytest.skip("no harness.toml")
    cfg = load_config(REPO / "harness.toml")
    for m in cfg.models.values():
        assert resolve_price(m) is not None or m.cost_from_response
