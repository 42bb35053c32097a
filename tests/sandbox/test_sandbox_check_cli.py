"""``harness sandbox check`` says which protections are active here, as text and JSON."""

from __future__ import annotations

import json
import os

from typer.testing import CliRunner

from harness.cli.app import app
from harness.toolkit.sandbox import available_isolations


def test_check_json_matches_what_works_here():
    res = CliRunner().invoke(app, ["sandbox", "check", "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    works = [iso for iso, m in rep["modes"].items() if m["works"]]
    assert set(works) == set(available_isolations()) and rep["default"] == available_isolations()[0]
    for iso, active in rep["active"].items():
        assert active["no_new_privs"] and active["no_capabilities"] and active["private_network"]
        assert active["unprivileged"] and (active["fresh_uid"] or os.geteuid() != 0)
        assert active["private_filesystem"] == active["pid_namespace"] == (iso != "rlimits")


def test_check_text_lists_each_isolation(monkeypatch):
    monkeypatch.setenv("HARNESS_SANDBOX_CGROUP", "off")
    res = CliRunner().invoke(app, ["sandbox", "check"])
    assert res.exit_code == 0, res.output
    assert "per-run cgroup: unavailable" in res.output
    for iso in available_isolations():
        assert f"{iso}:" in res.output
    assert "[x] private network" in res.output
