"""A cgroup per run: total memory, processes and CPU share are bounded, timeouts are judged on CPU time,
neighbours are not starved; and stale runs of a dead harness are cleaned up at the next start."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.toolkit.sandbox import Limits, _cgroup, _state, available_isolations, python_for, run_python, run_sandboxed

HOSTILE = Path(__file__).parent / "hostile"
AVAILABLE = available_isolations()
HAVE_CGROUP = _cgroup.layout() is not None
needs_cgroup = pytest.mark.skipif(not HAVE_CGROUP, reason="no writable cgroup hierarchy here")


def _hostile(name: str, iso: str, limits: Limits):
    code = (HOSTILE / f"{name}.py").read_text()
    return run_python(code, isolation=iso, limits=limits, site_packages=False)


@needs_cgroup
@pytest.mark.parametrize("iso", AVAILABLE)
def test_total_memory_is_bounded(iso):
    limits = Limits(wall_s=8, cpu_s=6, memory_bytes=512 << 20, processes=16)
    r = _hostile("hold_memory", iso, limits)
    assert r.cgroup and r.oom_killed  # the kernel killed processes of the run: it never held 2.4 GB
    assert not r.ok and r.failure_kind == "memory"


@needs_cgroup
@pytest.mark.parametrize("iso", AVAILABLE)
def test_cpu_share_is_capped_and_timeouts_are_cpu_time(iso):
    spin = (
        "import os, time\nfor _ in range(3):\n    os.fork()\nt = time.time()\nwhile time.time() - t < 1.2:\n    pass\n"
    )
    r = run_python(spin, isolation=iso, limits=Limits(wall_s=4, cpu_s=10, cpus=1.0), site_packages=False)
    assert r.ok and r.cgroup
    assert r.cpu_s < 1.0 * r.wall_s + 0.3  # 8 spinning processes got one CPU between them
    sleeper = run_python(
        "import time\ntime.sleep(1.5)\nprint('awake')\n", isolation=iso, limits=Limits(wall_s=5, cpu_s=1)
    )
    assert sleeper.ok and sleeper.stdout.strip() == "awake"  # wall time beyond cpu_s is not a timeout
    start = time.monotonic()
    busy = _hostile("fork_spinners", iso, Limits(wall_s=20, cpu_s=1.0, processes=40))
    assert busy.timed_out and busy.failure_kind == "timeout"
    assert time.monotonic() - start < 4 and 0.9 <= busy.cpu_s < 1.6  # the whole run's CPU, not one process's


@needs_cgroup
@pytest.mark.parametrize("iso", [i for i in AVAILABLE if i != "rlimits"])
def test_correct_programs_pass_beside_a_hostile_neighbour(iso):
    """Two workers (the default pool here): one runs 31 spinners, the other correct programs; all pass."""
    neighbour = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from harness.toolkit.sandbox import Limits, run_python\n"
            f"code = open({str(HOSTILE / 'fork_spinners.py')!r}).read()\n"
            "for _ in range(3):\n"
            f"    run_python(code, isolation={iso!r}, limits=Limits(wall_s=4, cpu_s=3, processes=40), site_packages=False)\n",
        ]
    )
    correct = "n = int(input())\ns = 0\nfor i in range(n):\n    s += i * i\nprint(s)\n"
    n = 1_500_000
    try:
        time.sleep(0.5)  # the spinners are up
        results = [
            run_python(correct, stdin=f"{n}\n", isolation=iso, limits=Limits(wall_s=4, cpu_s=1.5), site_packages=False)
            for _ in range(5)
        ]
        assert neighbour.poll() is None  # the neighbour was busy the whole time
    finally:
        neighbour.kill()
        neighbour.wait()
    expected = str(sum(i * i for i in range(n)))
    assert [r.ok and r.stdout.strip() == expected for r in results] == [True] * 5, [
        (r.cpu_s, r.wall_s) for r in results
    ]


@pytest.mark.parametrize("iso", AVAILABLE)
def test_without_a_cgroup_the_result_says_so(iso, monkeypatch):
    monkeypatch.setenv("HARNESS_SANDBOX_CGROUP", "off")
    r = run_sandboxed(["/bin/true"], isolation=iso)
    assert r.ok and r.cgroup is None and r.protection == iso
    assert any("no per-run cgroup" in n for n in r.notes)
    monkeypatch.delenv("HARNESS_SANDBOX_CGROUP")
    r = run_sandboxed(["/bin/true"], isolation=iso)
    assert (r.protection == f"{iso}+cgroup-{r.cgroup}") if HAVE_CGROUP else r.cgroup is None


@pytest.mark.skipif(os.geteuid() != 0 or _state.uid_range() is None, reason="fresh uids need root")
def test_a_dead_harness_leaves_nothing_after_the_next_start():
    """A lease nobody holds: its uid's processes, files, cgroup and run directory go at the next start."""
    uid = _state.UID_BASE + 7  # a key as a dead harness would have left it
    key = str(uid)
    base = _state.state_dir()
    (base / "leases" / key).write_text("")
    run_dir = base / "runs" / key
    (run_dir / "work").mkdir(parents=True)
    left = Path("/tmp") / f"harness-stale-{uid}"
    left.write_text("x")
    os.chown(left, uid, uid)
    cg = _cgroup.RunCgroup.create(key, Limits()) if HAVE_CGROUP else None
    setpriv = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]
    daemon = subprocess.Popen([*setpriv, "sleep", "60"], start_new_session=True)
    try:
        time.sleep(0.2)
        assert _state.uid_processes(uid)
        subprocess.run(
            [sys.executable, "-c", "from harness.toolkit.sandbox import _cgroup, _state; _state.reap_stale()"],
            check=True,
            timeout=30,
        )
        daemon.wait(timeout=5)
        assert not _state.uid_processes(uid)
        assert not left.exists() and not run_dir.exists() and not (base / "leases" / key).exists()
        if cg is not None:
            assert not any(d.exists() for d in cg.dirs.values())
    finally:
        if daemon.poll() is None:
            daemon.kill()
        left.unlink(missing_ok=True)


def test_python_for_is_runnable_in_each_mode():
    for iso in AVAILABLE:
        assert run_sandboxed([python_for(iso), "-S", "-c", "pass"], isolation=iso).ok
