"""The harness model and price of an inspect model name, from the same table ``harness collect`` uses.

An inspect log names its model ``provider/name`` (``openai/gpt-4o-mini``). It becomes, in this order:

1. ``harness/<m>`` (written by this plugin: its model API and its exported logs): harness model ``m``;
2. a ``[models.<m>]`` of harness.toml whose name or ``route`` is the inspect name: model ``m`` with its
   harness.toml price (else litellm's bundled price of its route);
3. otherwise the inspect name itself, priced by litellm's bundled map (read locally, no network).

No price at all is not guessed: the reader then takes each sample's own ``total_cost`` (inspect's
``--model-cost-config``) or says which ``[models.<m>]`` table to add.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness_inspect._core import Price, map_price, resolve_price

HARNESS_PREFIX = "harness/"


@dataclass(frozen=True)
class ModelPricing:
    """The bank's name for an inspect model and its price (None: no table knows it)."""

    name: str
    price: Price | None
    source: str


def pricing_for(inspect_model: str, config: Any) -> ModelPricing:
    """See the module docstring for the order."""
    stripped = inspect_model.removeprefix(HARNESS_PREFIX)
    for name, model in getattr(config, "models", {}).items():
        if name in (inspect_model, stripped) or model.route == inspect_model:
            price = resolve_price(model)
            return ModelPricing(name, price, f"harness.toml [models.{name}]" if price else "")
    price = map_price(inspect_model)
    if price is not None:
        return ModelPricing(stripped, price, price.source)
    return ModelPricing(stripped, None, "")


def usage_tokens(usage: Any) -> tuple[int, int]:
    """(input, output) tokens of an inspect ``ModelUsage``. Cache reads and writes are input tokens,
    priced at the input price (an upper bound for discounted cache reads); reasoning tokens are already
    part of inspect's output count."""
    if usage is None:
        return 0, 0
    inputs = (usage.input_tokens or 0) + (usage.input_tokens_cache_write or 0) + (usage.input_tokens_cache_read or 0)
    return int(inputs), int(usage.output_tokens or 0)
