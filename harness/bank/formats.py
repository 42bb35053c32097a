"""Bank formats: the core's JSONL folders, and reading any registered format by what a path holds.

A core plugin: it registers the ``jsonl`` format through ``register_bank_formats`` like any other
plugin. :func:`read_bank` asks every registered format whether it recognises a path (plugins' formats
first, the core's JSONL last), so ``harness import`` and ``--bank`` never need to know a format.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.bank import Bank
from harness.errors import BankFormatError
from harness.hookspecs import hookimpl


class JsonlFormat:
    """A folder of ``<model>.jsonl`` files (or one such file): the bank format of DESIGN.md."""

    name = "jsonl"
    description = "a folder of <model>.jsonl files, one {id, mean_cost, attempts} line per task"
    domain = None

    def detect(self, path: Path) -> bool:
        return (path.is_file() and path.suffix == ".jsonl") or (path.is_dir() and any(path.glob("*.jsonl")))

    def read(self, path: Path) -> Bank:
        return Bank.read_jsonl(path)


class ParquetFormat:
    """The ``attempts.parquet`` that ``harness export`` writes: every attempt with its verdict and correctness."""

    name = "parquet"
    description = "an attempts.parquet written by harness export (verdict and correctness per attempt)"
    domain = None

    def detect(self, path: Path) -> bool:
        return path.is_file() and path.suffix == ".parquet"

    def read(self, path: Path) -> Bank:
        return Bank.read_parquet(path)


def find_format(path: str | Path, formats: Mapping[str, Any] | None = None, fmt: str | None = None) -> Any:
    """The registered format that reads ``path``: ``fmt`` by name, else the first whose ``detect`` is true
    (plugins' formats before the core's JSONL). ``formats`` defaults to the loaded plugins' formats."""
    if formats is None:
        from harness.registry import get_registry

        formats = get_registry().bank_formats
    p = Path(path)
    if not p.exists():
        raise BankFormatError(f"{p}: no such file or folder")
    if fmt is not None:
        if fmt not in formats:
            raise BankFormatError(f"unknown bank format {fmt!r} (known: {', '.join(formats)}); check --format")
        return formats[fmt]
    ordered = [f for n, f in formats.items() if n != JsonlFormat.name] + [f for n, f in formats.items() if n == "jsonl"]
    for f in ordered:
        if f.detect(p):
            return f
    names = "; ".join(f"{f.name} ({f.description})" for f in ordered)
    raise BankFormatError(f"{p}: not a bank in any known format; expected one of: {names}")


def read_bank(path: str | Path, formats: Mapping[str, Any] | None = None, fmt: str | None = None) -> Bank:
    """The bank at ``path``, read by the format :func:`find_format` picks."""
    return find_format(path, formats, fmt).read(Path(path))


@hookimpl
def register_bank_formats(register: Any) -> None:
    register(JsonlFormat())
    register(ParquetFormat())
