"""What one verification asks of a cluster node: a verifier's optional ``resources`` attribute.

A verifier (or any component) may declare ``resources``, a mapping read once per run:

- ``cpus``: CPU cores one verification keeps busy (default 1; fractions allowed);
- ``memory_mb``: memory one verification may take, in MB (default: none reserved);
- ``gpus``: GPUs (default 0);
- any other key: a custom Ray resource, e.g. ``{"docker": 1}`` for nodes started with
  ``ray start --resources '{"docker": 8}'``.

Ray schedules each verification on a node with that much free, so a node never runs more verifications
than it has room for. The local executor ignores it (one worker process per core).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from harness.errors import HarnessError

DEFAULT = {"cpus": 1.0}


def declared(component: Any, what: str) -> dict[str, float]:
    """The component's ``resources`` (validated), over the defaults."""
    raw = getattr(component, "resources", None)
    if raw is None:
        return dict(DEFAULT)
    if not isinstance(raw, Mapping):
        raise HarnessError(f"{what}: resources must be a mapping like {{'cpus': 1, 'memory_mb': 2048}} (got {raw!r})")
    out = dict(DEFAULT)
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise HarnessError(f"{what}: resources[{key!r}] must be a non-negative number (got {value!r})")
        out[str(key)] = float(value)
    return out


def ray_options(needs: Mapping[str, float]) -> dict[str, Any]:
    """The Ray task options for ``needs`` (``num_cpus``, ``memory`` in bytes, ``num_gpus``, custom)."""
    opts: dict[str, Any] = {"num_cpus": needs.get("cpus", 1.0)}
    if needs.get("memory_mb"):
        opts["memory"] = int(needs["memory_mb"] * 2**20)
    if needs.get("gpus"):
        opts["num_gpus"] = needs["gpus"]
    custom = {k: v for k, v in needs.items() if k not in ("cpus", "memory_mb", "gpus")}
    if custom:
        opts["resources"] = custom
    return opts


def check_feasible(needs: Mapping[str, float], nodes: Sequence[Mapping[str, float]], what: str, where: str) -> None:
    """Fail before anything is paid when no node of the cluster could ever run one verification."""
    want = {"CPU": needs.get("cpus", 1.0), "memory": needs.get("memory_mb", 0.0) * 2**20, "GPU": needs.get("gpus", 0.0)}
    want |= {k: v for k, v in needs.items() if k not in ("cpus", "memory_mb", "gpus")}
    if any(all(node.get(k, 0.0) >= v for k, v in want.items() if v) for node in nodes):
        return
    largest = max(nodes, key=lambda n: n.get("CPU", 0.0), default={})
    asked = ", ".join(f"{k}={v:g}" for k, v in needs.items())
    have = f"{largest.get('CPU', 0):g} CPUs and {largest.get('memory', 0) / 2**20:.0f} MB" if largest else "no node"
    raise HarnessError(
        f"{what} asks for {asked} per verification, more than any node of the Ray cluster at {where} has "
        f"(largest: {have}); add a larger node or lower the verifier's resources"
    )
