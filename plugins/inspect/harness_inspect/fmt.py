"""The ``inspect`` bank format: ``harness import``, ``--bank`` and ``harness export --format inspect``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness import Attempt, Bank

from harness_inspect import logread, logwrite


class InspectFormat:
    """inspect-ai logs: a ``.eval``/``.json`` log or a folder of them, read as a bank; attempts written as logs.

    Options reach it through the environment (``harness import`` has no per-format options):
    ``HARNESS_INSPECT_SCORER`` (which score is the verdict) and ``HARNESS_INSPECT_PASS`` (which values
    pass); prices come from ``$HARNESS_CONFIG`` or ``./harness.toml``, else litellm's bundled map.
    """

    name = "inspect"
    description = "inspect-ai logs (.eval or .json, or a folder of them); one epoch = one attempt"
    domain = "inspect"

    def detect(self, path: Path) -> bool:
        return bool(logread.log_files(Path(path)))

    def read(self, path: Path) -> Bank:
        return logread.to_bank(self.read_attempts(path))

    def read_attempts(self, path: Path) -> list[Attempt]:
        """Every attempt of the logs with its own cost, tokens and index (a bank keeps only mean costs)."""
        return logread.read_attempts(path, domain=self.domain)

    def export(self, attempts: Sequence[Attempt], out_dir: Path) -> list[Path]:
        return logwrite.write_logs(attempts, Path(out_dir))
