"""The progress display and the end-of-run summary show what the run did."""

from __future__ import annotations

from pathlib import Path

from collect_fixtures import config_for, toy_domain
from rich.console import Console

from harness.cli.collect import _summary_lines, render
from harness.collect.collector import CollectOptions, Collector
from harness.registry import load_plugins
from harness.store import Store
from harness.testing.fakeserver import Behaviour


def test_display_shows_progress_spend_pass_rates_and_errors(fake_server, tmp_path: Path) -> None:
    fake_server.push(Behaviour("400"))
    cfg = config_for(fake_server, tmp_path / "s.sqlite", {"good": {"concurrency": 1}, "bad": {}})
    collector = Collector(
        cfg,
        load_plugins(extra=[("toy", toy_domain)]),
        Store(cfg.store_path),
        CollectOptions(domain="toy", models=["good", "bad"], max_spend=1.0, concurrency=1),
    )
    summary = collector.run()
    console = Console(record=True, width=120)
    console.print(render(collector))
    text = console.export_text()
    assert "10/10 attempts" in text and "/ $1.0000" in text
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith(("good", "bad"))}
    assert "100.0%" in lines["good"] and "bad_request: 1" in lines["good"] and "5/5" in lines["good"]
    assert "0.0%" in lines["bad"]
    out = "\n".join(_summary_lines(summary))
    assert "collected 10 attempts of 10 planned" in out and "1 attempts ended in errors" in out
