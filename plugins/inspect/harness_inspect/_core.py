"""What this plugin takes from the harness's public API for pricing and configuration, in one place:

- the configuration (``load_config``): the ``[models.<m>]`` price table a log's usage is priced with;
- the price of a model (``resolve_price``, ``map_price``): harness.toml's per-Mtok prices, else
  litellm's bundled price map read locally, exactly as ``harness collect`` prices calls;
- ``exact_mean``: the correctly rounded mean cost per attempt, so a bank read from an exported log is
  byte-identical to the bank the store exports.
"""

from __future__ import annotations

from typing import Any

from harness import Price, exact_mean, load_config, map_price, resolve_price

__all__ = ["Price", "exact_mean", "load_config", "map_price", "resolve_price", "config_or_none"]


def config_or_none() -> Any:
    """The harness configuration in effect ($HARNESS_CONFIG, else ./harness.toml, else the defaults)."""
    return load_config(None)
