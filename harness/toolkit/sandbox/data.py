"""Values across the sandbox boundary as plain data: a typed JSON encoding, and its source for the inside.

A program's answers reach the harness as JSON text that :func:`decode` turns into plain Python values
(None, bool, int, float, str, bytes, complex, list, tuple, dict, set, frozenset); never an object of the
program's, so an ``__eq__`` that always says True, or a subclass of int or str, cannot fake a match: the
harness compares what it decoded. JSON's own types pass as themselves; the others are tagged objects
(``{"tuple": [...]}``, ``{"dict": [[k, v], ...]}``, ``{"float": "nan"}``, ...). :data:`INSIDE_SOURCE` is
the same encoder and decoder as source text, for the program the harness writes into the sandbox (the
harness's own packages are not visible there). Anything the encoder meets that is not plain data is
reported as unencodable (``{"unencodable": "<type name>"}``), which decodes to an error.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Iterable
from typing import Any


class DataError(ValueError):
    """Text from the sandbox that is not well-formed plain data."""


def _encode(value, _depth=0):  # noqa: C901 - copied into the sandbox as it is: keep it self-contained
    if _depth > 100:
        raise ValueError("nested too deeply")
    if value is None or type(value) is bool:
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int.__index__(value)  # the int inside a subclass, whatever its methods say
    if isinstance(value, float):
        v = float.__float__(value)
        return v if v == v and v not in (float("inf"), float("-inf")) else {"float": repr(v)}
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (bytes, bytearray)):
        import base64

        return {"bytes": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, complex):
        return {"complex": [_encode(value.real, _depth + 1), _encode(value.imag, _depth + 1)]}
    if isinstance(value, list):
        return [_encode(v, _depth + 1) for v in list.__iter__(value)]
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, _depth + 1) for v in tuple.__iter__(value)]}
    if isinstance(value, dict):
        return {"dict": [[_encode(k, _depth + 1), _encode(v, _depth + 1)] for k, v in dict.items(value)]}
    if isinstance(value, frozenset):
        return {"frozenset": [_encode(v, _depth + 1) for v in frozenset.__iter__(value)]}
    if isinstance(value, set):
        return {"set": [_encode(v, _depth + 1) for v in set.__iter__(value)]}
    return {"unencodable": type(value).__name__}


_TAGS = {"float", "bytes", "complex", "tuple", "dict", "set", "frozenset"}


def _decode(obj, _depth=0):  # noqa: C901 - copied into the sandbox as it is: keep it self-contained
    if _depth > 100:
        raise ValueError("nested too deeply")
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if type(obj) is list:
        return [_decode(v, _depth + 1) for v in obj]
    if type(obj) is not dict or len(obj) != 1:
        raise ValueError(f"not plain data: {type(obj).__name__}")
    ((tag, v),) = obj.items()
    if tag == "float" and v in ("nan", "inf", "-inf"):
        return float(v)
    if tag == "bytes" and type(v) is str:
        import base64

        return base64.b64decode(v.encode(), validate=True)
    if type(v) is not list:
        raise ValueError(f"not plain data: {tag}")
    items = [_decode(x, _depth + 1) for x in v]
    if tag == "complex" and len(items) == 2 and all(type(x) in (int, float) for x in items):
        return complex(items[0], items[1])
    if tag == "tuple":
        return tuple(items)
    if tag == "set":
        return set(items)
    if tag == "frozenset":
        return frozenset(items)
    if tag == "dict" and all(type(x) is list and len(x) == 2 for x in items):
        return {k: val for k, val in items}
    raise ValueError(f"not plain data: {tag}")


def encode(value: Any) -> str:
    """JSON text of a plain value (raises ValueError for anything else)."""
    data = _encode(value)
    if _has_unencodable(data):
        raise ValueError(f"not plain data: {value!r:.80}")
    return json.dumps(data, allow_nan=False)


def _has_unencodable(data: Any) -> bool:
    if isinstance(data, list):
        return any(_has_unencodable(x) for x in data)
    if isinstance(data, dict):
        return "unencodable" in data or any(_has_unencodable(x) for x in data.values())
    return False


def decode(text: str | bytes) -> Any:
    """The plain value in JSON text from the sandbox; DataError for anything malformed or not plain."""
    try:
        return _decode(json.loads(text))
    except (ValueError, TypeError, RecursionError, UnicodeDecodeError) as exc:
        raise DataError(f"sandbox sent malformed data: {exc}"[:300]) from None


def decode_json(obj: Any) -> Any:
    """Like :func:`decode` for an already parsed JSON object."""
    try:
        return _decode(obj)
    except (ValueError, TypeError, RecursionError) as exc:
        raise DataError(f"sandbox sent malformed data: {exc}"[:300]) from None


def read_records(channel: bytes, expected: Iterable[str], key: str = "id") -> tuple[dict[str, dict], str | None]:
    """JSON-line records from a result channel, one per expected key: (records by key, problem or None).

    For verifiers whose program reports one record per test (e.g. a pytest plugin the harness injects,
    writing ``{"id": nodeid, "outcome": ...}`` per test to ``$HARNESS_CHANNEL_FD``): a line that is not a
    JSON object, a record without ``key``, an unknown key, a key seen twice or an expected key missing
    is a *problem*, and a careful verifier then fails the whole run (the program may have forged it).
    """
    want = set(expected)
    out: dict[str, dict] = {}
    for line in channel.splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            return out, "a line that is not JSON"
        if not isinstance(rec, dict) or not isinstance(rec.get(key), str):
            return out, f"a record without a string {key!r}"
        k = rec[key]
        if k not in want:
            return out, f"a record for an unknown {key} {k!r:.100}"
        if k in out:
            return out, f"two records for {key} {k!r:.100}"
        out[k] = rec
    missing = want - set(out)
    if missing:
        return out, f"{len(missing)} expected record(s) missing, e.g. {sorted(missing)[0]!r:.100}"
    return out, None


#: ``_encode`` and ``_decode`` as source text, to paste into a program the harness runs in the sandbox
INSIDE_SOURCE = inspect.getsource(_encode) + "\n\n" + inspect.getsource(_decode)
