"""Fixtures of the providers/collect tests live in tests/support/collect_fixtures.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))

from collect_fixtures import _fake_key, fake_server  # noqa: E402, F401
