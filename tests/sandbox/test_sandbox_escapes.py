"""Every escape of the issue, as a hostile program (``tests/sandbox/hostile/``), in every isolation here.

Each is contained or refused, and after each test nothing of the runs' uids is left on the host: no
process, no file in the shared temporary directories, no run directory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from harness.toolkit.sandbox import Limits, SandboxError, _cgroup, available_isolations, python_for, run_sandboxed
from harness.toolkit.sandbox._state import SHARED_TMP, state_dir, uid_processes

HOSTILE = Path(__file__).parent / "hostile"
AVAILABLE = available_isolations()
PRIVATE_FS = [i for i in AVAILABLE if i != "rlimits"]  # a private filesystem and PID namespace
SHORT = Limits(wall_s=3.0, cpu_s=2.0, memory_bytes=256 << 20, processes=16, stdout_bytes=1 << 20)
ROOT = os.geteuid() == 0
UIDS: set[int] = set()


def hostile(name: str, *args: str, iso: str, limits: Limits = SHORT, **kw):
    res = run_sandboxed(
        [python_for(iso), "-S", "main.py", *args],
        files={"main.py": (HOSTILE / f"{name}.py").read_text()},
        isolation=iso,
        limits=limits,
        **kw,
    )
    if res.uid is not None:
        UIDS.add(res.uid)
    return res


def _files_of(uids: set[int]) -> list[str]:
    found = []
    for top in [*SHARED_TMP, str(state_dir())]:
        for base, dirs, names in os.walk(top):
            for n in (*dirs, *names):
                try:
                    if os.lstat(os.path.join(base, n)).st_uid in uids:
                        found.append(os.path.join(base, n))
                except OSError:
                    pass
    return found


@pytest.fixture(autouse=True)
def _nothing_left_on_the_host():
    UIDS.clear()
    yield
    deadline = time.monotonic() + 3
    while any(uid_processes(u) for u in UIDS) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(uid_processes(u) for u in UIDS)
    assert _files_of(UIDS) == []
    lay = _cgroup.layout()
    cgroups = [p / f"run-{u}" for p in (lay.parents.values() if lay else []) for u in UIDS]
    deadline = time.monotonic() + 3  # empty run cgroups are removed in the background
    while any(c.exists() for c in cgroups) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(c.exists() for c in cgroups)
    assert list((state_dir() / "runs").iterdir()) == [] or not UIDS


@pytest.mark.parametrize("iso", AVAILABLE)
def test_shared_tmp_is_private_or_swept_and_the_run_dir_cannot_escape(iso):
    marker = f"harness-left-{uuid.uuid4().hex}"
    r = hostile("write_shared_tmp", marker, iso=iso)
    assert r.exit_code == 0, r.stderr
    for d in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        assert not os.path.exists(os.path.join(d, marker)) and not os.path.exists(os.path.join(d, marker + ".d"))
    assert not list(Path("/tmp").glob(marker + "*")) and not list((state_dir() / "runs").glob("*" + marker + "*"))


@pytest.mark.parametrize("iso", PRIVATE_FS)
def test_project_home_and_harness_state_are_invisible(iso, tmp_path):
    public = tmp_path / "world-readable.txt"
    public.write_text("TOPSECRET")
    public.chmod(0o644)
    targets = [__file__, str(Path(__file__).parents[2] / "harness.toml"), str(public), str(state_dir())]
    targets += [os.path.expanduser("~"), "/run", "/work", "/var/lib"]
    code = (
        "import os, sys\n"
        "for t in sys.argv[1:]:\n"
        "    print(t, os.path.exists(t) and (os.listdir(t) if os.path.isdir(t) else open(t).read()[:20]))\n"
    )
    r = run_sandboxed([python_for(iso), "-S", "-c", code, *targets], isolation=iso, limits=SHORT)
    assert r.ok, r.stderr
    # the interpreter's own tree (a virtual environment's base interpreter too) is the one thing under a home
    routes = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
    for line in r.stdout.splitlines():
        path, _, seen = line.partition(" ")
        if seen not in ("False", "[]"):  # absent, or an empty directory the sandbox made
            entries = eval(seen)
            assert any(
                route.startswith(path + "/") and all(route.startswith(f"{path}/{e}") for e in entries)
                for route in routes
            ), line


@pytest.mark.parametrize("iso", PRIVATE_FS)
def test_host_processes_are_invisible(iso):
    marker = f"harness-bystander-{uuid.uuid4().hex}"
    bystander = subprocess.Popen(["sleep", "30", marker][:2] + [], env={"X": marker})
    with_marker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", marker])
    try:
        r = hostile("spy_processes", iso=iso)
        assert r.ok, r.stderr
        assert marker not in r.stdout and "pytest" not in r.stdout
        assert len(r.stdout.splitlines()) <= 6  # the sandbox's own init, watchdog and the program
    finally:
        for p in (bystander, with_marker):
            p.kill()
            p.wait()


@pytest.mark.parametrize("iso", AVAILABLE)
def test_unix_sockets_of_the_host_are_unreachable(iso, tmp_path):
    abstract = f"@harness-test-{uuid.uuid4().hex}"
    servers = [socket.socket(socket.AF_UNIX)]
    servers[0].bind("\0" + abstract[1:])
    targets = [abstract]
    if iso in PRIVATE_FS:  # rlimits shares the filesystem: a socket file any uid may open stays reachable
        path = f"/tmp/harness-test-{uuid.uuid4().hex}.sock"
        servers.append(socket.socket(socket.AF_UNIX))
        servers[1].bind(path)
        os.chmod(path, 0o777)
        targets.append(path)
    for s in servers:
        s.listen(1)
        s.settimeout(0.2)
    try:
        r = hostile("connect_unix", *targets, iso=iso)
        assert "connected" not in r.stdout, r.stdout
        for s in servers:
            with pytest.raises(OSError):
                s.accept()
    finally:
        for s in servers:
            s.close()
        if len(targets) > 1:
            os.unlink(targets[1])


@pytest.mark.parametrize("iso", AVAILABLE)
def test_never_root_no_new_privileges_no_capabilities(iso):
    r = hostile("privileges", iso=iso)
    assert r.ok, r.stderr
    out = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    assert out["nnp"] == "1"
    assert out["capeff"].startswith("0000000000000000")
    if ROOT:
        assert out["uid"] != "0 0" and r.uid and r.uid >= 1_000_000_000
        assert "read /etc/shadow" not in r.stdout and "wrote /root" not in r.stdout
        assert not os.path.exists("/root/pwned-by-sandbox")


@pytest.mark.parametrize("iso", AVAILABLE)
def test_the_harness_interpreter_runs_unprivileged_or_is_refused(iso):
    code = "import os; print(os.getuid())"
    try:
        r = run_sandboxed([sys.executable, "-S", "-c", code], isolation=iso, limits=SHORT)
    except SandboxError as exc:
        assert iso == "rlimits" and "would have to run" in str(exc)
        return
    assert r.ok and (r.stdout.strip() != "0" or not ROOT), r.stdout


@pytest.mark.parametrize("iso", AVAILABLE)
def test_a_faked_sandbox_error_is_the_programs_failure(iso):
    for code, text in [(127, "timeout: failed to run command 'x'"), (1, "bwrap: Can't mount proc"), (1, "setpriv: x")]:
        script = f'echo "{text}" >&2; exit {code}'
        r = run_sandboxed(["/bin/sh", "-c", script], isolation=iso, limits=SHORT)
        assert r.exit_code == code and r.stderr.strip() == text and r.failure_kind == "runtime_error"


@pytest.mark.parametrize("iso", AVAILABLE)
def test_a_real_setup_failure_is_a_sandbox_error(iso, monkeypatch):
    from harness.toolkit.sandbox import _runner

    monkeypatch.setattr(_runner, "_START", "exit 3")  # the step that marks the sandbox as up never runs
    with pytest.raises(SandboxError, match="failed to set up"):
        run_sandboxed(["/bin/true"], isolation=iso, limits=SHORT)


@pytest.mark.parametrize("iso", PRIVATE_FS)
def test_the_watchdog_cannot_be_ptraced_or_stopped(iso):
    start = time.monotonic()
    r = hostile("ptrace_watchdog", iso=iso, limits=Limits(wall_s=2.0, cpu_s=1.0))
    assert r.timed_out and time.monotonic() - start < 6
    attached = r.stdout.split("attached", 1)[1].strip() if "attached" in r.stdout else "[]"
    assert attached == "[]", r.stdout  # neither the init nor the watchdog could be attached or stopped


@pytest.mark.parametrize("iso", AVAILABLE)
def test_the_run_dies_with_a_killed_harness(iso):
    """SIGKILL the harness-side process: the program and the daemon it forked die too."""
    marker = f"harness-orphan-{uuid.uuid4().hex}"
    code = (
        "import os, sys, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    os.execv(sys.executable, [sys.executable, '-S', '-c', 'import time; time.sleep(60)', sys.argv[1] + '-d'])\n"
        "time.sleep(60)\n"
    )
    script = (
        "from harness.toolkit.sandbox import Limits, python_for, run_sandboxed\n"
        f"run_sandboxed([python_for({iso!r}), '-S', '-c', {code!r}, {marker!r}],\n"
        f"              limits=Limits(wall_s=30.0, cpu_s=5.0), isolation={iso!r})\n"
    )
    harness = subprocess.Popen([sys.executable, "-c", script])

    def alive() -> int:
        n = 0
        for e in os.scandir("/proc"):
            if e.name.isdigit() and int(e.name) != harness.pid:
                try:
                    state = open(f"/proc/{e.name}/stat").read().rsplit(")", 1)[1].split()[0]
                    cmd = open(f"/proc/{e.name}/cmdline", "rb").read()
                except (OSError, IndexError):
                    continue
                n += state not in ("Z", "X") and marker.encode() in cmd and b"run_sandboxed" not in cmd
        return n

    deadline = time.monotonic() + 15
    while alive() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert alive() >= 2  # the program and its daemon run
    harness.send_signal(signal.SIGKILL)
    harness.wait()
    deadline = time.monotonic() + 5
    while alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if iso == "rlimits":  # no PID namespace: the program dies with the harness, a setsid daemon at the next start
        from harness.toolkit.sandbox import _state

        subprocess.run([sys.executable, "-c", "from harness.toolkit.sandbox import _state; _state.reap_stale()"])
        deadline = time.monotonic() + 3
        while alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _state  # reaped by a later harness process
    assert alive() == 0
