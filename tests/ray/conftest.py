"""One local Ray cluster for the whole test session: 127.0.0.1 only, 2 CPUs, no dashboard, token auth.

It is ``ray start --head --block`` in a session of its own: every Ray process it starts (GCS, raylet,
agents, and the workers, which Ray puts in process groups of their own) carries that session id, so the
fixture stops exactly those processes, by pid, when the test session ends; nothing else is touched. Tests drive it through the real command line (subprocesses): the test
process itself never imports Ray, so its own forks (local verification pools) stay safe.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPPORT = Path(__file__).resolve().parents[1] / "support"
if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

from collect_fixtures import _fake_key  # noqa: E402, F401

START_TIMEOUT_S = 180


@dataclass
class Cluster:
    address: str
    env: dict[str, str]  # what a driver needs to connect (token, loopback)
    root: Path
    sid: int  # the session of ``ray start`` (its pid)

    def processes(self, title: str = "") -> list[int]:
        """Pids of this cluster's processes whose title starts with ``title`` (e.g. ``ray::SolveHost``)."""
        out = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if os.getsid(int(proc.name)) != self.sid:
                    continue
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, ProcessLookupError):
                continue
            if cmd.startswith(title):
                out.append(int(proc.name))
        return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Cluster]:
    pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[ray]'")
    root = Path(tempfile.mkdtemp(prefix="hr-"))  # short: Ray's socket paths must fit in 107 bytes
    token = root / "token"
    token.write_text(secrets.token_hex(32))
    env = {
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(token),
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # bind and advertise 127.0.0.1 only
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    port = _free_port()
    log = open(root / "start.log", "w")  # noqa: SIM115
    cmd = [
        *(sys.executable, "-c", "from ray.scripts.scripts import main; main()"),
        *("start", "--head", "--block", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2"),
        *("--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={root / 'ray'}"),
    ]
    proc = subprocess.Popen(
        cmd, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    cluster = Cluster(f"127.0.0.1:{port}", env, root, proc.pid)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while "Ray runtime started" not in (root / "start.log").read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"ray start failed: {(root / 'start.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield cluster
    finally:
        proc.send_signal(signal.SIGTERM)  # ray start stops the processes it started
        deadline = time.monotonic() + 30
        while (proc.poll() is None or cluster.processes()) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in cluster.processes():  # whatever outlived it, by pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(10)
        log.close()
        shutil.rmtree(root, ignore_errors=True)
