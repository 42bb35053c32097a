"""What protects sandboxed runs on this machine: each isolation's status, and a live run that checks them."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import harness
from harness.toolkit.sandbox import _cgroup, _runner, _state
from harness.toolkit.sandbox._base import ISOLATIONS, Limits, SandboxError
from harness.toolkit.sandbox._probe import detect_isolation, probe, python_for

_INSIDE = """
import json, os, socket
status = dict(l.split(":\\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\\t" in l)
print(json.dumps({
    "uid": os.getuid(),
    "no_new_privs": status.get("NoNewPrivs", "").strip() == "1",
    "capabilities": int(status.get("CapEff", "0").strip() or "0", 16),
    "processes_visible": sum(n.isdigit() for n in os.listdir("/proc")),
    "interfaces": [name for _, name in socket.if_nameindex()],
    "sees": {p: os.path.exists(p) for p in __import__("sys").argv[1:]},
}))
"""


def _live(iso: str) -> dict[str, Any]:
    """Run a small program under ``iso`` and report what it could see and do."""
    probes = [str(_state.state_dir()), os.path.dirname(os.path.realpath(harness.__file__))]
    if not os.getcwd().startswith(("/tmp", "/var/tmp", "/dev/shm")):  # those exist inside, private
        probes.append(os.getcwd())
    home, route = os.path.expanduser("~"), os.path.realpath(sys.prefix)
    try:
        probes += [os.path.join(home, n) for n in os.listdir(home) if not route.startswith(os.path.join(home, n))][:3]
    except OSError:
        pass
    req = _runner.Request(
        argv=[python_for(iso), "-S", "-c", _INSIDE, *probes],
        files={},
        stdin=b"",
        limits=Limits(wall_s=20, cpu_s=10),
        isolation=iso,
    )
    res = _runner.run(req)
    seen = json.loads(res.stdout)
    return {
        "unprivileged": seen["uid"] != 0 or not _state.is_root(),
        "fresh_uid": res.uid is not None and res.uid >= _state.UID_BASE,
        "no_new_privs": seen["no_new_privs"],
        "no_capabilities": seen["capabilities"] == 0,
        "private_network": set(seen["interfaces"]) <= {"lo"},
        "pid_namespace": seen["processes_visible"] < 10,
        "private_filesystem": not any(seen["sees"].values()),
        "cgroup": res.cgroup,
        "notes": list(res.notes),
    }


def report() -> dict[str, Any]:
    """Everything ``harness sandbox check`` prints, as plain data."""
    modes = {iso: {"works": probe(iso) is None, "reason": probe(iso)} for iso in ISOLATIONS}
    lay = _cgroup.layout() if _runner.cgroups_enabled() else None
    out: dict[str, Any] = {
        "requested": os.environ.get("HARNESS_SANDBOX", "").strip() or "auto",
        "root": _state.is_root(),
        "python": sys.executable,
        "modes": modes,
        "cgroup": {"version": lay.version, "parents": {k: str(v) for k, v in lay.parents.items()}} if lay else None,
        "state_dir": str(_state.state_dir()),
    }
    try:
        out["default"] = detect_isolation()
    except SandboxError as exc:
        out["default"], out["error"] = None, str(exc)
    out["active"] = {iso: _live(iso) for iso in ISOLATIONS if modes[iso]["works"]}
    return out
