"""The repository stays lint-clean and formatted: `ruff check` and `ruff format --check` run in the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("ruff")
    cmd = [exe] if exe else [sys.executable, "-m", "ruff"]
    return subprocess.run([*cmd, *args], cwd=REPO, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", [("check", "."), ("format", "--check", ".")], ids=["check", "format"])
def test_ruff_is_clean(args: tuple[str, ...]) -> None:
    out = _ruff(*args)
    assert out.returncode == 0, f"ruff {' '.join(args)} found problems:\n{out.stdout}{out.stderr}"


def test_user_facing_text_never_mentions_issues() -> None:
    # Messages and help are for users of the harness, not for the project's issue tracker.
    offenders = []
    for path in (REPO / "harness").rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "issue" in line.lower() and ('"' in line or "'" in line):
                offenders.append(f"{path.relative_to(REPO)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
