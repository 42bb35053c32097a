"""The ``local`` verifier: git + pytest in the sandbox, graded by FAIL_TO_PASS and PASS_TO_PASS.

Per candidate: a fresh checkout at ``base_commit`` in a temporary directory; the candidate applied
(:mod:`.patching`: ``git apply``, ``--3way``, ``patch --fuzz``); the files that decide the tests put
back; the test patch applied; the test files run with pytest in the sandbox under a time limit; each
test's outcome read from signed records (:mod:`.bootstrap`, :mod:`.records`), never from pytest's
printed output; graded with the official rules (:mod:`.grading`).

A canary test that must fail runs last in the same session: a candidate that makes every test pass
(a hook, a monkeypatched pytest, replaced test functions) makes the canary pass too, and the verdict is
``failed`` with ``failure = "tampering"``.

Outcomes (``detail["outcome"]``): ``resolved``; ``unresolved``; ``empty_patch``;
``patch_did_not_apply``; ``tests_timed_out``; ``tests_did_not_finish`` (the run was killed or exited
before pytest's end, e.g. ``os._exit`` in the patched code); ``forged_report`` and ``tampering``. All of
these are ``failed`` except ``resolved`` (``passed``). ``error`` (with ``error_kind``) is kept for what
is not the candidate's doing: no checkout, a test patch that does not apply to the base, test ids that
are not pytest node ids, a sandbox or interpreter that cannot run pytest.

For hub and local instances it needs a clone (``repos_dir``) and an interpreter that has the
repository's dependencies and pytest installed (``[domains.swebench.options] python``; default: the
harness's own). The checkout is put first on ``sys.path``, so it is the code under test even when the
repository is installed in that environment.
"""

from __future__ import annotations

import inspect
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from harness import Candidate, HarnessError, Task, Verdict
from harness.toolkit import sandbox
from harness_swebench.instance import listed_tests, options_of
from harness_swebench.repos import checkout
from harness_swebench.verify.grading import FAILED, grade_report, resolution
from harness_swebench.verify.patching import (
    PatchRefused,
    apply_candidate,
    apply_tests,
    check_safe,
    patch_paths,
    restore,
)
from harness_swebench.verify.records import read_records, status_map

MiB = 1024 * 1024
BOOTSTRAP = (Path(__file__).with_name("bootstrap.py")).read_text(encoding="utf-8")
#: pytest arguments: no cache written, no plugin reordering tests (the canary must run last), short output.
#: A module that fails to import does not stop the session (its tests are missing, so failed; the rest run).
PYTEST_ARGS = (
    "--rootdir=.",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:randomly",
    "--continue-on-collection-errors",
    "-q",
    "--tb=short",
    "-rN",
)
_SHOWN = 20  # failing test names kept in a verdict
#: Repositories this verifier cannot test faithfully (use the docker verifier).
UNSUPPORTED_REPOS = {
    "pytest-dev/pytest": "its tests would run the harness's own pytest, not the patched one",
}


def _failed(outcome: str, **detail: Any) -> Verdict:
    return Verdict("failed", correct=False, detail={"outcome": outcome, "failure": outcome, **detail})


def _error(kind: str, message: str, **detail: Any) -> Verdict:
    return Verdict("error", error_kind=kind, detail={"outcome": "error", "message": message[:500], **detail})


def files_to_test(test_patch: str, tests: Sequence[str]) -> list[str] | None:
    """The files to run: those holding the listed tests and the test patch's Python test files, sorted;
    None when a test id is not a pytest node id (``path::name``)."""
    if any("::" not in t for t in tests):
        return None
    files = {t.split("::", 1)[0] for t in tests}
    for path in patch_paths(test_patch):
        name = PurePosixPath(path).name
        if name.endswith(".py") and name not in ("conftest.py", "__init__.py"):
            files.add(path)
    return sorted(files)


@dataclass(frozen=True)
class LocalVerifier:
    """Picklable settings only (it runs in the collector's worker processes); per-task settings come from
    ``[domains.swebench.options]`` through the task: ``timeout_s``, ``python``, ``isolation``."""

    name = "local"
    timeout_s: float = 120.0
    memory_mb: int = 4096
    isolation: str = "auto"

    @property
    def resources(self) -> dict[str, float]:
        """What one verification takes on a cluster node (harness.cluster.resources): a CPU for pytest, the
        sandbox's memory limit plus git's and the harness's own."""
        return {"cpus": 1, "memory_mb": self.memory_mb + 1024}

    def check(self) -> None:
        """Before anything is paid: the programs every verification needs (git, GNU patch)."""
        for program, package in (("git", "git"), ("patch", "patch")):
            if shutil.which(program) is None:
                raise HarnessError(f"swebench: the local verifier needs {program} (apt-get install {package})")

    def verify(self, task: Task, candidate: Candidate) -> Verdict:
        diff = candidate.answer or ""
        if not diff.strip():
            return _failed("empty_patch")
        data = task.data
        if data.get("repo") in UNSUPPORTED_REPOS:
            return _error("unsupported_instance", f"{data.get('repo')}: {UNSUPPORTED_REPOS[data['repo']]}")
        try:
            f2p, p2p = listed_tests(data, "FAIL_TO_PASS"), listed_tests(data, "PASS_TO_PASS")
        except HarnessError as exc:
            return _error("bad_instance", str(exc))
        files = files_to_test(str(data.get("test_patch") or ""), [*f2p, *p2p])
        if files is None:
            return _error("unsupported_tests", "test ids are not pytest node ids; use the docker verifier")
        try:
            check_safe(diff)
        except PatchRefused as exc:
            return _failed("patch_did_not_apply", reason=str(exc))
        with tempfile.TemporaryDirectory(prefix="harness-swe-") as tmp:
            os.chmod(tmp, 0o711)  # the run's uid must reach the checkout (isolation rlimits), not list the folder
            return self._verify_in(Path(tmp), task, diff, f2p, p2p, files)

    def _verify_in(self, tmp: Path, task: Task, diff: str, f2p: list[str], p2p: list[str], files: list[str]) -> Verdict:
        repo = tmp / "repo"
        try:
            checkout(task, repo)
        except HarnessError as exc:
            return _error("checkout", str(exc))
        (tmp / "candidate.diff").write_text(diff if diff.endswith("\n") else diff + "\n", encoding="utf-8")
        method = apply_candidate(repo, tmp / "candidate.diff")
        if method is None:
            return _failed("patch_did_not_apply")
        try:
            discarded = restore(repo, [*files, *patch_paths(str(task.data.get("test_patch") or ""))])
        except (HarnessError, OSError) as exc:  # the candidate left the tree in a state git cannot put back
            return _failed("patch_did_not_apply", reason=f"the test files could not be put back: {exc}"[:300])
        test_patch = str(task.data.get("test_patch") or "")
        (tmp / "tests.diff").write_text(test_patch, encoding="utf-8")
        if test_patch.strip() and not apply_tests(repo, tmp / "tests.diff"):
            return _error("test_patch", "the test patch does not apply to the base commit")
        (tmp / "candidate.diff").unlink()
        (tmp / "tests.diff").unlink()
        present = [f for f in files if (repo / f).is_file()]
        canary = _write_canary(repo, present[0] if present else "test_canary.py")
        detail: dict[str, Any] = {"applied_with": method}
        if discarded:
            detail["discarded"] = discarded[:_SHOWN]
        try:
            return self._run_and_grade(repo, task, [*present, canary.split("::")[0]], canary, f2p, p2p, detail)
        except sandbox.SandboxError as exc:
            return _error("sandbox", str(exc))

    def _run_and_grade(
        self,
        repo: Path,
        task: Task,
        files: list[str],
        canary: str,
        f2p: list[str],
        p2p: list[str],
        detail: dict[str, Any],
    ) -> Verdict:
        opts = options_of(task)
        key, marker = secrets.token_hex(32), "HV" + secrets.token_hex(8)
        res, channel = _run_pytest(repo, files, f"{key}\n{marker}\n", opts, self)
        records = read_records(channel, marker, key.encode())
        detail.update(isolation=res.isolation, test_wall_s=round(res.wall_s, 3))
        if not records.started:
            if res.timed_out:
                return _failed("tests_timed_out", **detail)
            why = res.stderr.strip()[-300:]
            if "No module named 'pytest'" in why:
                why = (
                    f"the interpreter the sandbox runs ({res.isolation}) has no pytest; set "
                    "[domains.swebench.options] python to one that has (and any user can run), or install bubblewrap"
                )
            return _error("test_runner", f"pytest did not start: {why}", **detail)
        if records.forged:
            return _failed("forged_report", forged_lines=records.forged, **detail)
        statuses = status_map(records)
        canary_status = statuses.pop(canary, None)
        if records.collect_errors:
            detail["collect_errors"] = records.collect_errors[:_SHOWN]
        if res.timed_out:
            return _failed("tests_timed_out", **detail)
        if not records.finished:
            return _failed("tests_did_not_finish", exit_code=res.exit_code, signal=res.signal, **detail)
        if canary_status != FAILED:
            return _failed("tampering", canary=canary_status, **detail)
        report = grade_report(statuses, f2p, p2p)
        status = resolution(report)
        detail.update(_summary(report), resolution=status, tests_run=len(statuses))
        resolved = status == "RESOLVED_FULL"
        detail["outcome"] = "resolved" if resolved else "unresolved"
        if not resolved:
            detail["failure"] = "unresolved"
        return Verdict("passed" if resolved else "failed", correct=resolved, detail=detail)


def _summary(report: Mapping[str, Mapping[str, list[str]]]) -> dict[str, Any]:
    return {
        key: {"passed": len(part["success"]), "failed": part["failure"][:_SHOWN], "failed_count": len(part["failure"])}
        for key, part in report.items()
    }


def _write_canary(repo: Path, next_to: str) -> str:
    """A test that must fail, named at random, beside the first test file; its node id."""
    folder = PurePosixPath(next_to).parent
    module, func = f"test_hv{secrets.token_hex(6)}.py", f"test_{secrets.token_hex(6)}"
    path = repo / folder / module
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"def {func}():\n    raise AssertionError({secrets.token_hex(8)!r})\n", encoding="utf-8")
    rel = str(folder / module) if str(folder) != "." else module
    return f"{rel}::{func}"


def _run_pytest(repo: Path, files: list[str], stdin: str, opts: Mapping[str, Any], v: LocalVerifier) -> tuple[Any, str]:
    """Run pytest on ``files`` in the sandbox; the result and the text of the records' channel."""
    iso = sandbox.detect_isolation(str(opts.get("isolation") or v.isolation))
    custom = opts.get("python")
    python = str(custom) if custom else sandbox.python_for(iso)
    binds = [str(Path(os.path.realpath(python)).parent.parent)] if custom else []
    timeout = float(opts.get("timeout_s") or v.timeout_s)
    limits = sandbox.Limits(
        wall_s=timeout,
        cpu_s=timeout,
        memory_bytes=v.memory_mb * MiB,
        file_size_bytes=256 * MiB,
        processes=256,
        open_files=1024,
        stdout_bytes=32 * MiB,
        stderr_bytes=1 * MiB,
        disk_bytes=1024 * MiB,
    )
    # -s: no user site directory (HOME is inside reach of the run: a usercustomize.py or .pth there would
    # run before the bootstrap and could read its key)
    argv = [python, "-s", "-c", BOOTSTRAP, *PYTEST_ARGS, *files]
    # installed pytest plugins are not loaded unless asked for (the harness's own cannot import here)
    env = {} if opts.get("autoload_plugins") else {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    kwargs: dict[str, Any] = {"tree": str(repo)}
    accepted = inspect.signature(sandbox.run_sandboxed).parameters
    if "workdir" in accepted:  # run in the checkout itself rather than a copy of it
        kwargs = {"workdir": str(repo)}
    if "channel" in accepted:  # records on their own pipe, apart from anything the tests print
        kwargs["channel"] = True
    if custom and "python" in accepted:
        kwargs["python"], binds = python, []
    res = sandbox.run_sandboxed(argv, stdin=stdin, limits=limits, isolation=iso, env=env, ro_binds=binds, **kwargs)
    return res, (res.channel.decode("utf-8", "replace") if kwargs.get("channel") else res.stdout)
