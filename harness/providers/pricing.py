"""Model prices: per-Mtok prices from harness.toml, else litellm's bundled price map.

The bundled map is read as a JSON file from the installed litellm package, without importing litellm
(its import takes seconds and, without ``LITELLM_LOCAL_MODEL_COST_MAP``, fetches the map over the
network). A model whose price is unknown is rejected when the configuration loads, unless its config
says ``cost_from_response = true`` (the provider reports each call's cost, e.g. OpenRouter's
``usage.cost``).
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.errors import ConfigError

#: Providers whose models are litellm-routed and therefore need a price when the configuration loads.
PRICED_PROVIDERS = ("litellm", "local")
_MAP_FILE = "model_prices_and_context_window_backup.json"


@dataclass(frozen=True)
class Price:
    """Dollars per million input and output tokens."""

    input_per_mtok: float
    output_per_mtok: float
    source: str = "harness.toml"

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        """The dollar cost of a call with these token counts."""
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


@lru_cache(maxsize=1)
def bundled_map() -> dict[str, Any]:
    """litellm's bundled price map (empty if litellm is not installed)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.origin:
        return {}
    path = Path(spec.origin).parent / _MAP_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def map_key(route: str) -> str | None:
    """The key of ``route`` in the bundled map: the route itself, or without its provider prefix."""
    prices = bundled_map()
    entry = prices.get(route)
    if isinstance(entry, dict) and "input_cost_per_token" in entry:
        return route
    prefix, _, rest = route.partition("/")
    entry = prices.get(rest) if rest else None
    if isinstance(entry, dict) and "input_cost_per_token" in entry and entry.get("litellm_provider") == prefix:
        return rest
    return None


def map_price(route: str) -> Price | None:
    """The bundled map's price of a litellm route, or None when the map does not know it."""
    key = map_key(route)
    if key is None:
        return None
    entry = bundled_map()[key]
    return Price(
        float(entry.get("input_cost_per_token") or 0.0) * 1e6,
        float(entry.get("output_cost_per_token") or 0.0) * 1e6,
        source=f"litellm price map ({key})",
    )


def resolve_price(model: Any) -> Price | None:
    """A model's price: per-Mtok prices in its config win, else the bundled map (litellm routes)."""
    if model.input_cost_per_mtok is not None and model.output_cost_per_mtok is not None:
        return Price(float(model.input_cost_per_mtok), float(model.output_cost_per_mtok))
    if model.provider in PRICED_PROVIDERS:
        return map_price(model.route)
    return None


def check_prices(config: Any, where: str) -> None:
    """Reject litellm-routed models whose price is unknown, one line each (called at load time)."""
    problems = [
        f"{where}: model {name!r} (route {model.route!r}) has no known price: litellm's price map "
        f"does not list it; set input_cost_per_mtok and output_cost_per_mtok in [models.{name}], "
        "or cost_from_response = true if the provider reports each call's cost"
        for name, model in config.models.items()
        if model.provider in PRICED_PROVIDERS
        and not getattr(model, "cost_from_response", False)
        and resolve_price(model) is None
    ]
    if problems:
        raise ConfigError("\n".join(problems))
