"""The ``docker`` verifier: the official SWE-bench harness (``swebench.harness.run_evaluation.run_instance``)
in the instance's Docker image, for results comparable with the SWE-bench leaderboard.

Needs the optional extra ``pip install 'harness-swebench[docker]'`` (``swebench==4.1.0``: the last
release whose harness builds an instance's test spec from the dataset's own columns, which is what the
pinned Verified/Lite revisions hold; 5.x expects per-instance ``image``/``eval_script`` columns) and a
reachable Docker daemon. :meth:`DockerVerifier.check` says which is missing in one line before
anything is paid for (the collector calls it first); ``verify`` returns an ``error`` verdict for the
same reasons rather than ever falling back to another verifier.

Images come from Docker Hub (``swebench/sweb.eval.x86_64.<instance>``, ``namespace = "swebench"``) or
are built locally (``namespace = None``, slow and large). The official harness only knows SWE-bench's
own repositories: built-in instances are an ``error`` (``unsupported_instance``); use ``local``.
Grading and log parsing are the official harness's (including its reading of printed test output).
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import Candidate, HarnessError, Task, Verdict
from harness_swebench.instance import FIELDS

EXTRA = "pip install 'harness-swebench[docker]'"
MODEL_NAME = "harness"


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except (ImportError, ValueError):  # a module set to None in sys.modules, or a broken one
        return True


def docker_daemon_problem() -> str | None:
    """Why no Docker daemon can be reached (None when one answers a ping)."""
    try:
        import docker
    except ImportError:
        return f"the 'docker' package is missing ({EXTRA})"
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=5)
        client.ping()
        client.close()
    except Exception as exc:  # docker raises DockerException, requests errors, FileNotFoundError ...
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"no Docker daemon answers at {where} ({reason[:160]})"
    return None


def _failed(outcome: str, **detail: Any) -> Verdict:
    return Verdict("failed", correct=False, detail={"outcome": outcome, "failure": outcome, **detail})


@dataclass(frozen=True)
class DockerVerifier:
    """Picklable settings: ``namespace`` of prebuilt images (None: build them), ``timeout_s`` of the tests."""

    name = "docker"
    namespace: str | None = "swebench"
    timeout_s: int = 1800
    #: What one verification takes on a cluster node (harness.cluster.resources): an instance's container
    #: (the official harness builds or pulls its image, then runs the tests in it).
    resources = {"cpus": 2, "memory_mb": 8192}

    def check(self) -> None:
        """One line naming what is missing (the swebench package, a Docker daemon), before anything is paid."""
        if _missing("swebench"):  # found, not imported: importing it takes seconds
            raise HarnessError(
                f'swebench: the docker verifier needs the swebench package: {EXTRA}; or use verifier = "local"'
            )
        problem = docker_daemon_problem()
        if problem:
            raise HarnessError(
                f"swebench: the docker verifier needs a running Docker daemon: {problem}; start one (dockerd) "
                'or use verifier = "local"'
            )

    def verify(self, task: Task, candidate: Candidate) -> Verdict:
        try:
            self.check()
        except HarnessError as exc:
            return Verdict("error", error_kind="docker_unavailable", detail={"message": str(exc)})
        if not (candidate.answer or "").strip():
            return _failed("empty_patch")
        try:
            spec = self.test_spec(task)
        except Exception as exc:  # an instance the official harness has no specification for
            return Verdict(
                "error", error_kind="unsupported_instance", detail={"message": f"{type(exc).__name__}: {exc}"[:300]}
            )
        with tempfile.TemporaryDirectory(prefix="harness-swe-docker-") as logs:
            return self._run(spec, task, candidate.answer or "", Path(logs))

    def test_spec(self, task: Task) -> Any:
        """The official harness's test specification of the task (image names, eval script)."""
        from swebench.harness.test_spec.test_spec import make_test_spec

        instance = {k: task.data[k] for k in FIELDS if k in task.data}
        return make_test_spec(instance, namespace=self.namespace)

    @staticmethod
    def prediction(task: Task, patch: str) -> dict[str, str]:
        return {"instance_id": task.id, "model_name_or_path": MODEL_NAME, "model_patch": patch}

    def _run(self, spec: Any, task: Task, patch: str, logs: Path) -> Verdict:
        import docker
        from swebench.harness import run_evaluation

        run_id = f"harness-{secrets.token_hex(6)}"  # run_instance reuses a report under the same run id
        run_evaluation.RUN_EVALUATION_LOG_DIR = logs  # its logs go to our temporary folder, not ./logs
        client = docker.from_env(timeout=600)
        try:
            result = run_evaluation.run_instance(
                spec, self.prediction(task, patch), False, False, client, run_id, self.timeout_s
            )
        finally:
            client.close()
        return outcome(result, logs / run_id / MODEL_NAME / task.id, task.id)


def outcome(result: dict[str, Any], log_dir: Path, instance_id: str) -> Verdict:
    """The verdict from ``run_instance``'s result and the files it left in ``log_dir``."""
    report_file = log_dir / "report.json"
    log_file = log_dir / "run_instance.log"
    log = log_file.read_text(errors="replace") if log_file.exists() else ""
    if result.get("completed") and report_file.exists():
        report = json.loads(report_file.read_text()).get(instance_id, {})
        status = report.get("tests_status", {})
        detail: dict[str, Any] = {}
        for key in ("FAIL_TO_PASS", "PASS_TO_PASS"):
            part = status.get(key, {})
            detail[key] = {"passed": len(part.get("success", [])), "failed": part.get("failure", [])[:20]}
        resolved = bool(report.get("resolved"))
        detail["outcome"] = "resolved" if resolved else "unresolved"
        if not resolved:
            detail["failure"] = "unresolved"
        return Verdict("passed" if resolved else "failed", correct=resolved, detail=detail)
    from swebench.harness.constants import APPLY_PATCH_FAIL

    if APPLY_PATCH_FAIL in log:
        return _failed("patch_did_not_apply")
    if "Test timed out after" in log:  # run_instance's EvaluationError on its timeout
        return _failed("tests_timed_out")
    tail = log.strip().splitlines()[-3:] if log.strip() else ["no log"]
    return Verdict("error", error_kind="docker_run", detail={"message": " | ".join(tail)[:500]})
