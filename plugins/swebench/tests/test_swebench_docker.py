"""The docker verifier, up to the Docker daemon boundary (no daemon runs on the test machines).

Exercised: the one-line refusal before anything is paid (no swebench package, no daemon), also through
``harness collect``; the official test specification and prediction built for an instance; the verdict
read from what ``run_instance`` leaves behind; never a fallback to another verifier. Not exercised
here: pulling an image and running the tests in a container.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from harness_swebench.verify.docker import MODEL_NAME, DockerVerifier, docker_daemon_problem, outcome

from harness import Candidate, HarnessError, Task

ROW = {
    "repo": "psf/requests",
    "instance_id": "psf__requests-1234",
    "base_commit": "a" * 40,
    "patch": "",
    "test_patch": "diff --git a/test_requests.py b/test_requests.py\n--- a/test_requests.py\n"
    "+++ b/test_requests.py\n@@ -1 +1,2 @@\n import x\n+import y\n",
    "problem_statement": "a bug",
    "hints_text": "",
    "created_at": "2020-01-01T00:00:00Z",
    "version": "2.0",
    "FAIL_TO_PASS": json.dumps(["test_requests.py::test_a"]),
    "PASS_TO_PASS": json.dumps(["test_requests.py::test_b"]),
    "environment_setup_commit": "b" * 40,
}
TASK = Task(ROW["instance_id"], ROW)
NO_DAEMON = "unix:///nonexistent/harness-docker.sock"


@pytest.fixture
def no_daemon(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("docker")
    monkeypatch.setenv("DOCKER_HOST", NO_DAEMON)


def test_without_the_swebench_package_check_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "swebench", None)  # import swebench -> ImportError
    with pytest.raises(HarnessError) as info:
        DockerVerifier().check()
    msg = str(info.value)
    assert "pip install 'harness-swebench[docker]'" in msg and 'verifier = "local"' in msg and "\n" not in msg


def test_without_a_daemon_check_says_so_at_once(no_daemon: None) -> None:
    pytest.importorskip("swebench")
    start = time.monotonic()
    with pytest.raises(HarnessError) as info:
        DockerVerifier().check()
    assert time.monotonic() - start < 10
    msg = str(info.value)
    assert "needs a running Docker daemon" in msg and NO_DAEMON in msg and "\n" not in msg


def test_verify_without_a_daemon_is_an_error_never_another_verifier(no_daemon: None) -> None:
    pytest.importorskip("swebench")
    v = DockerVerifier().verify(TASK, Candidate(answer="diff --git a/x b/x\n"))
    assert v.status == "error" and v.error_kind == "docker_unavailable" and "Docker daemon" in v.detail["message"]


def test_collect_stops_before_any_call_without_a_daemon(tmp_path: Path) -> None:
    cfg = tmp_path / "harness.toml"
    cfg.write_text(
        '[store]\npath = "store.sqlite"\n\n[models.m]\nroute = "openai/m"\napi_base = "http://127.0.0.1:9/v1"\n'
        "input_cost_per_mtok = 1.0\noutput_cost_per_mtok = 1.0\n\n"
        '[domains.swebench]\nsource = "builtin"\nverifier = "docker"\n'
    )
    env = {**os.environ, "DOCKER_HOST": NO_DAEMON, "HARNESS_BLOCK_PLUGINS": "math,code_contests,inspect"}
    cmd = [sys.executable, "-m", "harness", "--config", str(cfg), "collect", "--domain", "swebench"]
    res = subprocess.run([*cmd, "--models", "m", "--limit", "1"], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip() and not line.startswith("progress:")]
    missing = "needs a running Docker daemon" if importlib.util.find_spec("swebench") else "needs the swebench package"
    assert len(lines) == 1 and missing in lines[0], res.stderr
    store = tmp_path / "store.sqlite"
    if store.exists():  # the store may be opened first, but nothing was attempted
        with sqlite3.connect(store) as db:
            assert db.execute("select count(*) from attempts").fetchone() == (0,)


def test_the_official_test_spec_and_prediction() -> None:
    pytest.importorskip("swebench.harness.test_spec.test_spec")
    spec = DockerVerifier().test_spec(TASK)
    assert spec.instance_id == ROW["instance_id"] and spec.is_remote_image
    assert spec.instance_image_key == "swebench/sweb.eval.x86_64.psf_1776_requests-1234:latest"
    script = spec.eval_script
    assert f"git checkout {ROW['base_commit']} test_requests.py" in script  # the test file reset, then patched
    assert "+import y" in script and "pytest -rA test_requests.py" in script
    assert DockerVerifier(namespace=None).test_spec(TASK).is_remote_image is False  # built locally instead
    pred = DockerVerifier.prediction(TASK, "PATCH")
    assert pred == {"instance_id": ROW["instance_id"], "model_name_or_path": MODEL_NAME, "model_patch": "PATCH"}


def test_built_in_instances_are_not_the_official_harnesses(monkeypatch: pytest.MonkeyPatch, builtin_tasks) -> None:
    pytest.importorskip("swebench.harness.test_spec.test_spec")
    monkeypatch.setattr(DockerVerifier, "check", lambda self: None)  # as if a daemon ran
    task = builtin_tasks["builtin__textkit-1"]
    v = DockerVerifier().verify(task, Candidate(answer=task.data["patch"]))
    assert v.status == "error" and v.error_kind == "unsupported_instance"
    assert DockerVerifier().verify(task, Candidate(answer="")).detail["outcome"] == "empty_patch"


def _logs(tmp_path: Path, log: str, report: dict | None = None) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir(parents=True)
    (folder / "run_instance.log").write_text(log)
    if report is not None:
        (folder / "report.json").write_text(json.dumps({ROW["instance_id"]: report}))
    return folder


def test_verdicts_from_what_run_instance_leaves(tmp_path: Path) -> None:
    pytest.importorskip("swebench.harness.constants")
    status = {
        "FAIL_TO_PASS": {"success": ["test_requests.py::test_a"], "failure": []},
        "PASS_TO_PASS": {"success": [], "failure": ["test_requests.py::test_b"]},
    }
    v = outcome(
        {"completed": True},
        _logs(tmp_path / "a", "ok", {"resolved": False, "tests_status": status}),
        ROW["instance_id"],
    )
    assert v.status == "failed" and v.detail["PASS_TO_PASS"]["failed"] == ["test_requests.py::test_b"]
    good = {"resolved": True, "tests_status": {**status, "PASS_TO_PASS": {"success": ["b"], "failure": []}}}
    v = outcome({"completed": True}, _logs(tmp_path / "b", "ok", good), ROW["instance_id"])
    assert v.status == "passed" and v.correct is True
    v = outcome(
        {"completed": False}, _logs(tmp_path / "c", ">>>>> Patch Apply Failed:\npatch: bad"), ROW["instance_id"]
    )
    assert v.detail["outcome"] == "patch_did_not_apply"
    v = outcome({"completed": False}, _logs(tmp_path / "d", "Test timed out after 1800 seconds."), ROW["instance_id"])
    assert v.detail["outcome"] == "tests_timed_out"
    v = outcome({"completed": False}, _logs(tmp_path / "e", "BuildImageError: pull access denied"), ROW["instance_id"])
    assert v.status == "error" and v.error_kind == "docker_run" and "pull access denied" in v.detail["message"]


def test_this_machine_has_no_daemon_or_the_tests_above_say_nothing_about_it() -> None:
    """Documents the boundary: where a daemon does answer, check() passes (and nothing here ran a container)."""
    pytest.importorskip("docker")
    if docker_daemon_problem() is None:
        DockerVerifier().check()
    else:
        assert "no Docker daemon answers" in docker_daemon_problem()
