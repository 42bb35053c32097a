"""Exceptions crossing between the driver and a Ray worker, as plain data.

A solver on a worker must see exactly the exceptions a local solver sees from its model client (the
metering's ``ProviderError``, ``SpendCapReached``, ``CallsStopped``, ``AttemptLimitReached``...), and
the driver must see exactly what a solver raised, so an attempt's record is the same on both executors.
Exceptions with a constructor pickle cannot replay (``ProviderError``) are rebuilt from their fields;
one that does not survive a pickle round trip comes back as an exception of the same name and message.
"""

from __future__ import annotations

import pickle
from typing import Any

Packed = tuple[Any, ...]


def pack(exc: BaseException) -> Packed:
    """An exception as data that unpickles anywhere the harness is installed."""
    from harness.collect.metering import ProviderError

    if type(exc) is ProviderError:
        fields = {
            "retryable": exc.retryable,
            "input_tokens": exc.input_tokens,
            "output_tokens": exc.output_tokens,
            "billed_cost": exc.billed_cost,
        }
        return ("provider", exc.kind, str(exc), fields)
    try:
        blob = pickle.dumps(exc)
        pickle.loads(blob)  # a constructor that cannot replay its args fails here, not on the other side
        return ("pickle", blob)
    except Exception:
        return ("text", type(exc).__name__, str(exc))


def unpack(packed: Packed) -> BaseException:
    """The exception :func:`pack` described."""
    kind = packed[0]
    if kind == "provider":
        from harness.collect.metering import ProviderError

        _, error_kind, message, fields = packed
        return ProviderError(error_kind, message, **fields)
    if kind == "pickle":
        try:
            return pickle.loads(packed[1])
        except Exception as exc:  # a class the driver cannot import: keep its words
            return RuntimeError(f"an exception from a Ray worker could not be read here: {exc}")
    _, name, message = packed
    return type(name, (Exception,), {"__module__": __name__})(message)
