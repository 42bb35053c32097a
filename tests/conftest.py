"""Fixtures for the core's tests: temporary configs, and plugins installed the way entry points are read."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SWEBENCH_EVAL = SHARED_DATA / "swebench-bash-only" / "evaluation"


def make_entry_point_plugin(root: Path, name: str, source: str, version: str = "0.1.0") -> Path:
    """Write module ``<name>`` and a dist-info declaring it in the ``harness`` entry-point group.

    This is exactly what pip leaves on disk for an installed plugin, so importlib.metadata finds it
    when ``root`` is on sys.path / PYTHONPATH.
    """
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.py").write_text(textwrap.dedent(source))
    dist = root / f"{name}-{version}.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (dist / "entry_points.txt").write_text(f"[harness]\n{name} = {name}\n")
    return root


@pytest.fixture
def entry_point_plugin(tmp_path: Path) -> Callable[[str, str], Path]:
    """Create an entry-point plugin in a temp dir; returns the dir to put on PYTHONPATH."""

    def make(name: str, source: str) -> Path:
        return make_entry_point_plugin(tmp_path / "site", name, source)

    return make


def run_harness(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    pythonpath: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess."""
    full_env = {**os.environ, **(env or {})}
    if pythonpath is not None:
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), full_env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def harness_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_harness


@pytest.fixture
def swebench_eval() -> Path:
    if not SWEBENCH_EVAL.is_dir():
        pytest.skip("../shared/data/swebench-bash-only is not beside the project")
    return SWEBENCH_EVAL


@pytest.fixture
def config_file(tmp_path: Path) -> Callable[[str], Path]:
    """Write a harness.toml into a temp dir (store inside it)."""

    def write(body: str = "") -> Path:
        path = tmp_path / "harness.toml"
        path.write_text(textwrap.dedent(body))
        return path

    return write
