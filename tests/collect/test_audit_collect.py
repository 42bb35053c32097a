"""Audit: collect never ends as a success when the store cannot take its attempts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from collect_fixtures import config_for, toy_domain

from harness import HarnessError
from harness.collect import CollectOptions, Collector
from harness.plugins import load_plugins
from harness.store import Store


class FullDiskStore(Store):
    """A store whose writes fail the way a damaged or full database file does (bad input, exit 2)."""

    def record(self, attempts: Any) -> Any:
        raise HarnessError(f"{self.path}: the attempt store is damaged or cannot be used (disk full)")


def test_a_store_that_cannot_be_written_stops_collect_with_its_error(fake_server, tmp_path: Path) -> None:
    fake_server.latency = 0.3  # the writer fails while other attempts are still being solved
    cfg = config_for(fake_server, tmp_path / "store.sqlite", {"good": {}}, {"count": 20})
    registry = load_plugins(extra=[("toy", toy_domain)])
    store = FullDiskStore(cfg.store_path)
    collector = Collector(cfg, registry, store, CollectOptions(domain="toy", models=["good"], attempts=1,
                                                                       concurrency=1))
    with pytest.raises(HarnessError, match="disk full"):
        collector.run()
