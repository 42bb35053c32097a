"""Past one machine: collection and live runs with solves and verifications on a Ray cluster.

``harness collect|run --executor ray [--ray-address auto|HOST:PORT]``. Ray is an optional extra
(``harness-core[ray]``) and is imported only when asked for. The driver (the ``harness`` process) keeps
the store, the spend cap and the per-model limits; see :mod:`harness.cluster.executor` for how.
"""

from __future__ import annotations

from harness.cluster.connection import choose, connect, describe, import_ray
from harness.cluster.executor import RayExecutor
from harness.cluster.resources import declared

__all__ = ["RayExecutor", "choose", "connect", "declared", "describe", "import_ray"]
