"""Fixtures of the inspect plugin's tests: real inspect logs written by inspect itself, a priced config."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

SUPPORT = Path(__file__).resolve().parent / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

from helpers import ARITH, EPOCHS, PRICES, prices_toml  # noqa: E402


@pytest.fixture(scope="session")
def inspect_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with two real inspect logs (scripted/alpha and scripted/beta, 3 epochs of 6 samples),
    written by ``inspect_ai.eval`` itself on the local addition task."""
    from harness_inspect import offline

    offline.apply()
    import scripted_model  # noqa: F401 (registers the scripted model API with inspect)
    from inspect_ai import eval as inspect_eval

    folder = tmp_path_factory.mktemp("inspect-logs")
    logs = inspect_eval(
        f"{ARITH}@addition", model=[f"scripted/{m}" for m in PRICES], epochs=EPOCHS, log_dir=str(folder), display="none"
    )
    assert [log.status for log in logs] == ["success"] * len(PRICES)
    return folder


@pytest.fixture
def prices_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A harness.toml pricing the scripted models, in effect through HARNESS_CONFIG."""
    path = tmp_path / "harness.toml"
    path.write_text(prices_toml(tmp_path / "store.sqlite"))
    monkeypatch.setenv("HARNESS_CONFIG", str(path))
    return path
