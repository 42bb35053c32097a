"""Hostile programs end as failed or timed-out runs within the limits, and the host stays healthy."""

from __future__ import annotations

import os
import socket
import time
import uuid

import pytest

from harness.toolkit.sandbox import ISOLATIONS, Limits, available_isolations, detect_isolation
from harness.toolkit.sandbox import run_python as sandbox_run_python

AVAILABLE = available_isolations()
#: modes that promise a private network (and, for bwrap, a private filesystem)
NETWORK_ISOLATED = [i for i in AVAILABLE if i != "rlimits"]
SHORT = Limits(
    wall_s=2.0, cpu_s=1.0, memory_bytes=256 * 1024 * 1024, processes=16, stdout_bytes=1 << 20, stderr_bytes=1 << 16
)


USED_UIDS: set[int] = set()


def run_python(code, **kwargs):
    """The sandbox's run_python, remembering the fresh uid of each run (other sessions may run sandboxes too)."""
    result = sandbox_run_python(code, **kwargs)
    if result.uid is not None:
        USED_UIDS.add(result.uid)
    return result


def _sandbox_processes() -> int:
    """Live processes (not zombies left to an init that does not reap) under a uid these tests used."""
    n = 0
    for e in os.scandir("/proc"):
        if e.name.isdigit():
            try:
                uid = e.stat().st_uid
                state = open(f"/proc/{e.name}/stat").read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            n += uid in USED_UIDS and state not in ("Z", "X")
    return n


@pytest.fixture(autouse=True)
def _host_stays_healthy():
    USED_UIDS.clear()
    yield
    # no sandboxed process survives its run, and the test process can still fork and allocate
    deadline = time.monotonic() + 3
    while _sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sandbox_processes() == 0
    assert os.system("true") == 0
    assert len(bytearray(50 * 1024 * 1024)) == 50 * 1024 * 1024


def test_detects_bwrap_when_it_works():
    import shutil
    import subprocess

    best = detect_isolation()
    assert best in ISOLATIONS
    bwrap = shutil.which("bwrap")
    if bwrap and shutil.which("setpriv"):
        works = (
            subprocess.run(
                [bwrap, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "true"],
                capture_output=True,
                timeout=30,
            ).returncode
            == 0
        )
        assert (best == "bwrap") == works


@pytest.mark.parametrize("iso", AVAILABLE)
def test_infinite_loop_hits_cpu_limit(iso):
    r = run_python("while True:\n    pass\n", limits=SHORT, isolation=iso)
    assert r.timed_out and r.failure_kind == "timeout"
    assert r.wall_s < SHORT.wall_s + 1.5
    assert r.isolation == iso


@pytest.mark.parametrize("iso", AVAILABLE)
def test_sleeping_program_hits_wall_limit(iso):
    r = run_python("import time\ntime.sleep(60)\n", limits=Limits(wall_s=1.0, cpu_s=1.0), isolation=iso)
    assert r.timed_out and 0.9 < r.wall_s < 2.5


@pytest.mark.parametrize("iso", AVAILABLE)
def test_process_limit_holds_as_root(iso):
    code = (
        "import os, time\n"
        "n = 0\n"
        "for _ in range(100):\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError:\n"
        "        break\n"
        "    if pid == 0:\n"
        "        time.sleep(30)\n"
        "        os._exit(0)\n"
        "    n += 1\n"
        "print(n)\n"
    )
    r = run_python(code, limits=SHORT, isolation=iso)
    assert r.exit_code == 0, r.stderr
    assert int(r.stdout) < SHORT.processes  # the 100 forks did not all succeed, even as root
    if os.geteuid() == 0:
        assert r.uid is not None and r.uid >= 1_900_000_000  # a fresh unprivileged uid of its own


@pytest.mark.parametrize("iso", AVAILABLE)
def test_fork_bomb_is_contained(iso):
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    start = time.monotonic()
    r = run_python(code, limits=SHORT, isolation=iso)
    assert not r.ok and (r.timed_out or r.exit_code != 0)
    assert time.monotonic() - start < SHORT.wall_s + 3


@pytest.mark.parametrize("iso", AVAILABLE)
def test_ten_gigabyte_allocation_fails(iso):
    r = run_python("x = bytearray(10 * 1024 ** 3)\nprint('allocated')\n", limits=SHORT, isolation=iso)
    assert r.exit_code != 0 and "allocated" not in r.stdout
    assert r.failure_kind == "memory"


@pytest.mark.parametrize("iso", AVAILABLE)
def test_printing_gigabytes_is_cut_off(iso):
    code = "import sys\nb = b'x' * (1 << 20)\nfor _ in range(10 * 1024):\n    sys.stdout.buffer.write(b)\n"
    start = time.monotonic()
    r = run_python(code, limits=SHORT, isolation=iso)
    assert r.stdout_truncated and not r.ok and r.failure_kind == "output_limit"
    assert len(r.stdout) <= SHORT.stdout_bytes
    assert time.monotonic() - start < SHORT.wall_s


@pytest.mark.parametrize("iso", AVAILABLE)
def test_large_file_write_hits_file_size_limit(iso):
    limits = Limits(wall_s=3, cpu_s=2, file_size_bytes=1 << 20)
    r = run_python("open('big', 'wb').write(b'x' * (8 << 20))\nprint('wrote')\n", limits=limits, isolation=iso)
    assert r.exit_code != 0 and "wrote" not in r.stdout


@pytest.mark.parametrize("iso", NETWORK_ISOLATED)
def test_reading_a_secret_outside_fails(iso, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    secret.chmod(0o644)
    targets = [str(secret)]
    if iso == "bwrap":  # a private filesystem hides even world-readable files in /tmp and $HOME
        public = f"/tmp/harness-test-secret-{uuid.uuid4().hex}"
        with open(public, "w") as f:
            f.write("TOPSECRET")
        os.chmod(public, 0o644)
        targets.append(public)
    try:
        for t in targets:
            r = run_python(f"print(open({t!r}).read())\n", limits=SHORT, isolation=iso)
            assert "TOPSECRET" not in r.stdout and r.exit_code != 0
    finally:
        for t in targets[1:]:
            os.unlink(t)


@pytest.mark.parametrize("iso", NETWORK_ISOLATED)
def test_writing_outside_fails(iso, tmp_path):
    target = tmp_path / "pwned.txt"
    outside = [str(target), os.path.expanduser("~/harness-pwned.txt")]
    if iso == "bwrap":
        outside.append(f"/tmp/harness-pwned-{uuid.uuid4().hex}")
    for t in outside:
        r = run_python(f"open({t!r}, 'w').write('x')\nprint('wrote')\n", limits=SHORT, isolation=iso)
        assert not os.path.exists(t), t
        assert "wrote" not in r.stdout or iso == "bwrap"  # bwrap's /tmp is a private, discarded tmpfs


@pytest.mark.parametrize("iso", AVAILABLE)  # rlimits too: no isolation mode has open network
def test_network_connection_fails(iso):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    code = (
        "import socket\n"
        f"s = socket.create_connection(('127.0.0.1', {port}), timeout=1)\n"
        "s.sendall(b'exfiltrate')\n"
        "print('connected')\n"
    )
    try:
        r = run_python(code, limits=SHORT, isolation=iso)
        assert "connected" not in r.stdout and r.exit_code != 0
        with pytest.raises(OSError):
            server.accept()
    finally:
        server.close()


@pytest.mark.parametrize("iso", AVAILABLE)
def test_escaped_daemon_is_killed(iso):
    code = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        time.sleep(60)\n"
        "    os._exit(0)\n"
        "print('bye')\n"
    )
    start = time.monotonic()
    r = run_python(code, limits=SHORT, isolation=iso)
    assert r.ok and r.stdout.strip() == "bye"
    assert time.monotonic() - start < 2.5


@pytest.mark.parametrize("iso", AVAILABLE)
def test_harness_environment_does_not_leak(iso, monkeypatch):
    """API keys in the harness's environment are invisible: not inherited, /proc/<harness>/environ unreadable."""
    if iso != "bwrap" and os.geteuid() != 0:
        pytest.skip("without bwrap, a non-root harness shares its uid (and /proc) with the program")
    monkeypatch.setenv("HARNESS_TEST_API_KEY", "sk-leak-check")
    code = (
        "import os\n"
        "print(dict(os.environ))\n"
        "try:\n"
        f"    print(open('/proc/{os.getpid()}/environ', 'rb').read())\n"
        "except OSError as exc:\n"
        "    print('denied', exc)\n"
    )
    r = run_python(code, limits=SHORT, isolation=iso)
    assert r.exit_code == 0 and "sk-leak-check" not in r.stdout


def test_filling_the_disk_is_capped_under_bwrap():
    if "bwrap" not in AVAILABLE:
        pytest.skip("bwrap is not usable here: files are only capped one by one (RLIMIT_FSIZE)")
    code = (
        "import os\n"
        "n = 0\n"
        "try:\n"
        "    for i in range(400):\n"
        "        with open(f'f{i}', 'wb') as f:\n"
        "            f.write(b'x' * (1 << 20))\n"
        "        n += 1\n"
        "finally:\n"
        "    print(n)\n"
    )
    r = run_python(code, limits=Limits(wall_s=5, cpu_s=3, disk_bytes=8 << 20), isolation="bwrap")
    assert r.exit_code != 0 and r.stdout.strip() and int(r.stdout) < 8


@pytest.mark.parametrize("iso", AVAILABLE)
def test_program_dies_with_a_killed_harness(iso):
    """If the verifying process is killed, its sandboxed program does not live on."""
    import subprocess
    import sys

    marker = f"harness-orphan-{uuid.uuid4().hex}"
    script = (
        "from harness.toolkit.sandbox import Limits, python_for, run_sandboxed\n"
        f"run_sandboxed([python_for({iso!r}), '-S', '-c', 'import time; time.sleep(60)', {marker!r}],\n"
        f"              limits=Limits(wall_s=1.0, cpu_s=1.0), isolation={iso!r})\n"
    )

    def alive() -> bool:
        for e in os.scandir("/proc"):
            if e.name.isdigit() and int(e.name) != harness.pid:  # its command line holds the marker too
                try:
                    state = open(f"/proc/{e.name}/stat").read().rsplit(")", 1)[1].split()[0]
                    if state not in ("Z", "X") and marker.encode() in open(f"/proc/{e.name}/cmdline", "rb").read():
                        return True
                except (OSError, IndexError):
                    continue
        return False

    harness = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 10
    while not alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive()  # the program runs
    harness.kill()
    harness.wait()
    deadline = time.monotonic() + 5  # bwrap: the in-sandbox watchdog fires at wall_s + 2
    while alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive()


@pytest.mark.parametrize("iso", AVAILABLE)
def test_kill_everything_hurts_nobody_outside(iso):
    """``kill(-1, SIGKILL)`` from the program reaches no process of the host (it runs as its own uid)."""
    import subprocess

    if iso != "bwrap" and os.geteuid() != 0:
        pytest.skip("without bwrap, a non-root harness shares its uid with the program")
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        code = "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass\nprint('sent')\n"
        r = run_python(code, limits=SHORT, isolation=iso)
        assert r.stdout.strip() == "sent"
        assert bystander.poll() is None  # still running
    finally:
        bystander.kill()
        bystander.wait()
