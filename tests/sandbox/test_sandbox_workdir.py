"""``run_sandboxed(workdir=...)``: a persistent read-write directory shared by the runs of an episode.

Changes persist and belong to the directory's owner again after each run; a run cannot use the directory
to reach the host (links, setuid files, hard links, fifos, leftover processes), in every isolation mode.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile

import pytest

from harness.toolkit.sandbox import (
    Limits,
    SandboxError,
    available_isolations,
    python_for,
    read_workdir_file,
    run_sandboxed,
)

AVAILABLE = available_isolations()
SHORT = Limits(wall_s=10, cpu_s=5)


def sh(script: str, wd, iso: str, **kw):
    return run_sandboxed(["/bin/sh", "-c", script], workdir=wd, isolation=iso, limits=SHORT, **kw)


@pytest.fixture
def wd():
    """A fresh directory any uid can traverse to (rlimits has no private filesystem to bind it into)."""
    parent = tempfile.mkdtemp(prefix="harness-wd-test-")
    os.chmod(parent, 0o755)
    path = os.path.join(parent, "work")
    os.mkdir(path)
    try:
        yield path
    finally:
        shutil.rmtree(parent, ignore_errors=True)


@pytest.fixture
def secret(wd):
    """A root-only file beside the workdir, the target of escape attempts."""
    path = os.path.join(os.path.dirname(wd), f"secret-{os.path.basename(wd)}")
    with open(path, "w") as f:
        f.write("TOPSECRET")
    os.chmod(path, 0o600)
    yield path
    os.unlink(path)


def _owners(root: str) -> set[int]:
    out = {os.lstat(root).st_uid}
    for base, dirs, files in os.walk(root):
        for n in (*dirs, *files):
            out.add(os.lstat(os.path.join(base, n)).st_uid)
    return out


@pytest.mark.parametrize("iso", AVAILABLE)
def test_changes_persist_across_runs_and_belong_to_the_owner(iso, wd):
    with open(os.path.join(wd, "a.txt"), "w") as f:
        f.write("one\n")
    r1 = sh("echo two >> a.txt && mkdir -p sub && echo new > sub/b.txt && pwd", wd, iso)
    assert r1.ok, r1.stderr
    assert r1.stdout.strip() == wd  # the same path inside as outside
    r2 = sh("cat a.txt sub/b.txt", wd, iso)
    assert r2.ok and r2.stdout == "one\ntwo\nnew\n"
    assert open(os.path.join(wd, "sub", "b.txt")).read() == "new\n"
    assert _owners(wd) == {os.geteuid()}  # the caller's tree again, not the run's uid
    if os.geteuid() == 0:
        assert r1.uid != r2.uid and r1.uid >= 1_000_000_000  # each run its own unprivileged uid


@pytest.mark.parametrize("iso", AVAILABLE)
def test_git_episode(iso, wd):
    """A later run sees the changes of an earlier one: ``git diff`` after an edit."""
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q", wd], check=True)
    with open(os.path.join(wd, "m.py"), "w") as f:
        f.write("x = 1\n")
    subprocess.run([*git, "-C", wd, "add", "m.py"], check=True)
    subprocess.run([*git, "-C", wd, "commit", "-qm", "init"], check=True)
    assert sh("sed -i 's/1/2/' m.py", wd, iso).ok
    diff = run_sandboxed(["git", "diff"], workdir=wd, isolation=iso, limits=SHORT)
    assert diff.ok, diff.stderr
    assert "-x = 1" in diff.stdout and "+x = 2" in diff.stdout
    host = subprocess.run(["git", "-C", wd, "diff", "--stat"], capture_output=True, text=True, check=True)
    assert "m.py" in host.stdout  # the caller's git accepts the tree (owned by the caller again)


@pytest.mark.parametrize("iso", [i for i in AVAILABLE if i != "rlimits"])
def test_harness_python_with_site_packages_and_env(iso, wd):
    code = "import os, pytest, sys; print(sys.executable, os.environ['EXTRA'], pytest.__name__)"
    r = run_sandboxed(
        [python_for(iso), "-c", code], workdir=wd, isolation=iso, env={"EXTRA": "yes"}, python=sys.executable
    )
    assert r.ok, r.stderr
    assert r.stdout.split() == [sys.executable, "yes", "pytest"]
    if os.geteuid() == 0:
        assert r.uid != 0  # the harness's own interpreter, yet not root


@pytest.mark.parametrize("iso", AVAILABLE)
def test_planted_links_reach_nothing(iso, wd, secret):
    """Links a run plants are never followed by the harness, and reach nothing in a later run."""
    r = sh(f"ln -s {secret} link && ln -s / root && ln -s {os.path.dirname(secret)} up", wd, iso)
    assert r.ok, r.stderr
    assert os.stat(secret).st_uid == os.geteuid() and stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    again = sh("cat link; cat up/$(basename link) 2>&1; echo x > up/pwned", wd, iso)
    assert "TOPSECRET" not in again.stdout
    assert not os.path.exists(os.path.join(os.path.dirname(secret), "pwned"))
    assert open(secret).read() == "TOPSECRET" and os.stat(secret).st_uid == os.geteuid()
    with pytest.raises(SandboxError, match="cannot be read safely"):
        read_workdir_file(wd, "link")
    with pytest.raises(SandboxError):
        read_workdir_file(wd, "up/" + os.path.basename(secret))
    with pytest.raises(SandboxError, match="inside the run directory"):  # files= through a planted link
        run_sandboxed(["/bin/true"], workdir=wd, isolation=iso, files={"up/planted.txt": "x"})
    assert not os.path.exists(os.path.join(os.path.dirname(secret), "planted.txt"))


@pytest.mark.parametrize("iso", AVAILABLE)
def test_setuid_files_are_defused(iso, wd):
    r = sh("cp /bin/sh ./shell && chmod 6755 ./shell && ls -l shell", wd, iso)
    assert r.ok, r.stderr
    st = os.lstat(os.path.join(wd, "shell"))
    assert not st.st_mode & (stat.S_ISUID | stat.S_ISGID) and st.st_uid == os.geteuid()


@pytest.mark.parametrize("iso", AVAILABLE)
def test_hard_links_to_host_files_are_not_written_through(iso, wd, secret):
    outside = secret + ".shared"
    with open(outside, "w") as f:
        f.write("host content")
    try:
        os.link(outside, os.path.join(wd, "shared.txt"))  # e.g. objects of ``git clone --local``
        r = sh(f"echo changed > shared.txt; ln {secret} mine 2>&1; echo done", wd, iso)
        assert r.ok and "done" in r.stdout
        assert open(outside).read() == "host content"
        assert open(os.path.join(wd, "shared.txt")).read() == "changed\n"
        assert not os.path.exists(os.path.join(wd, "mine"))  # no hard link to a root-only file either
        assert os.stat(outside).st_uid == os.geteuid()
    finally:
        os.unlink(outside)


@pytest.mark.parametrize("iso", AVAILABLE)
def test_fifos_and_sockets_are_removed(iso, wd):
    code = "import os, socket\nos.mkfifo('fifo')\ns = socket.socket(socket.AF_UNIX)\ns.bind('sock')\nprint('made')\n"
    r = run_sandboxed([python_for(iso), "-S", "-c", code], workdir=wd, isolation=iso, limits=SHORT)
    assert r.ok and r.stdout.strip() == "made", r.stderr
    assert sorted(os.listdir(wd)) == []  # reading the directory afterwards cannot block on a fifo


@pytest.mark.parametrize("iso", AVAILABLE)
def test_no_process_outlives_the_run(iso, wd):
    r = sh("(setsid sleep 60 > /dev/null 2>&1 &) ; (nohup sleep 61 > /dev/null 2>&1 &); echo started", wd, iso)
    assert r.ok and "started" in r.stdout
    from harness.toolkit.sandbox._state import uid_processes

    if r.uid is not None:
        assert uid_processes(r.uid) == []
    assert r.wall_s < 5


@pytest.mark.parametrize("iso", AVAILABLE)
def test_the_workdir_itself_cannot_be_moved(iso, wd):
    r = sh(f"mv {wd} {wd}-moved 2>&1; cd .. && touch beside 2>&1; echo end", wd, iso)
    assert r.ok and "end" in r.stdout
    assert os.path.isdir(wd) and not os.path.exists(wd + "-moved")
    assert not os.path.exists(os.path.join(os.path.dirname(wd), "beside"))


def test_rlimits_refuses_a_workdir_in_a_shared_directory():
    if "rlimits" not in AVAILABLE or os.geteuid() != 0:
        pytest.skip("needs the rlimits isolation as root")
    shared = tempfile.mkdtemp(prefix="harness-wd-shared-")  # directly in /tmp: its owner could move it away
    try:
        with pytest.raises(SandboxError, match="writable by others"):
            run_sandboxed(["/bin/true"], workdir=shared, isolation="rlimits")
    finally:
        shutil.rmtree(shared)


def test_bad_workdirs_are_refused(wd):
    with pytest.raises(SandboxError, match="give an existing directory"):
        run_sandboxed(["/bin/true"], workdir=os.path.join(wd, "missing"))
    open(os.path.join(wd, "file"), "w").close()
    with pytest.raises(SandboxError, match="not a directory"):
        run_sandboxed(["/bin/true"], workdir=os.path.join(wd, "file"))
    os.symlink(wd, wd + "-link")
    try:
        with pytest.raises(SandboxError, match="symbolic link"):
            run_sandboxed(["/bin/true"], workdir=wd + "-link")
    finally:
        os.unlink(wd + "-link")
    with pytest.raises(SandboxError, match="system directory"):
        run_sandboxed(["/bin/true"], workdir="/usr")
    with pytest.raises(SandboxError, match="not both"):
        run_sandboxed(["/bin/true"], workdir=wd, tree=wd)
