"""The server a model is reached at is part of the experiment: pointing a model at another api_base does
not reuse the attempts another server answered (it may serve another model under the same route)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from collect_fixtures import config_for, toy_domain

from harness.collect.collector import CollectOptions, Collector
from harness.registry import load_plugins
from harness.store import Store
from harness.testing.fakeserver import FakeServer


def _collect(server: FakeServer, store: Path, **model: Any) -> dict[str, Any]:
    cfg = config_for(server, store, {"good": model}, {"count": 3})
    registry = load_plugins(extra=[("toy", toy_domain)])
    with Store(cfg.store_path) as st:
        return Collector(cfg, registry, st, CollectOptions(domain="toy", models=["good"])).run()


def test_another_api_base_is_another_experiment(fake_server, tmp_path: Path) -> None:
    store = tmp_path / "store.sqlite"
    first = _collect(fake_server, store)
    assert first["done"] == 3 and fake_server.count == 3
    again = _collect(fake_server, store, api_base=fake_server.api_base + "/")  # the same server, spelled with /
    assert again["done"] == 0 and again["already_done"] == 3 and fake_server.count == 3
    assert again["fingerprints"] == first["fingerprints"]
    with FakeServer() as other:
        moved = _collect(other, store)  # same route and settings, another server
        assert moved["done"] == 3 and moved["already_done"] == 0 and other.count == 3
    assert moved["fingerprints"] != first["fingerprints"]
    with Store(store) as st:
        assert len(st.attempts(domain="toy")) == 6  # both servers' answers kept, apart
