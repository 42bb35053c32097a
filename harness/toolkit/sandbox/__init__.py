"""Run untrusted programs (generated code, agent commands, test suites) in a sandbox, and compare outputs.

Every run is bounded: wall-clock and CPU time, memory, file size, processes, open files, output (the
program is killed on overflow), and, where the harness may create one, a cgroup of its own that bounds
the run's *total* memory, processes and CPU share (``Limits.cpus``) and gives its CPU time. Programs
never run as root: as root each run gets a fresh unused uid, with no capabilities and ``no_new_privs``.
The environment is replaced (no API keys reach the program). The isolation modes, strongest first:

- ``bwrap``: bubblewrap. A private filesystem (system directories and the interpreter read-only, the
  harness's and its plugins' packages hidden), private tmpfs /tmp, /var/tmp, /dev/shm and run directory,
  own network, PID, IPC and UTS namespaces.
- ``rlimits+unshare``: no bubblewrap; the same private filesystem, built by the harness in a mount
  namespace (see ``_unshare``), with PID, network, IPC and UTS namespaces from util-linux ``unshare``.
- ``rlimits``: limits, the fresh uid and private network, IPC and UTS namespaces only (no private
  filesystem: files are protected by permissions; what the run's uid leaves in the shared temporary
  directories is swept after the run). Where no network namespace can be made it refuses to run.

A watchdog the program can neither signal nor ptrace ends every run: the harness itself (another uid,
outside the PID namespace) and, inside, a root-owned ``timeout``; the sandbox dies with the harness
(bwrap ``--die-with-parent``; ``unshare --kill-child`` with a parent-death signal; the PID namespace's
init takes every process along). Sandbox failures are detected by the sandbox (a nonce written just
before the program starts, see ``_runner``), never from what the program prints.

Verdicts stay outside the program's control: pass the program its inputs, read its answers back as plain
data (stdout, or ``channel=True``: a separate pipe, ``$HARNESS_CHANNEL_FD``, see :mod:`.data` for a typed
JSON encoding) and compare them in the harness. Expected values and reference solutions never enter the
sandbox; a run that exits early or writes nothing simply has no answer. Helpers for other verifiers:

- ``run_sandboxed(..., channel=True)``: results on their own pipe, apart from the program's prints. A
  test runner (e.g. a pytest plugin the harness injects with ``files=``) writes one JSON line per test;
  the harness decodes them as plain data and checks them for completeness against the test list it
  expects (a missing, duplicated or unknown test is a failure). The program under test shares the
  process, so the channel proves nothing by itself: completeness against the harness's own list does.
- ``run_sandboxed(..., talk=fn)``: a harness-side function exchanges lines with the program while the
  limits hold (for checks that must run outside the candidate, e.g. HumanEval's non-literal tests).
- ``read_workdir_file``: read a result file from a workdir without following links a run planted.

Isolation is probed once per process; ``$HARNESS_SANDBOX`` or ``isolation=`` demand one exactly (an error
where it does not work, never a silent downgrade). ``harness sandbox check`` prints what works here.
Call from one thread per process (the child's setup runs between fork and exec); verification pools of
processes are the intended use.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from harness.toolkit.sandbox import _runner, _state
from harness.toolkit.sandbox._base import ISOLATIONS, Limits, SandboxError, SandboxResult
from harness.toolkit.sandbox._compare import compare_tokens
from harness.toolkit.sandbox._fs import hide
from harness.toolkit.sandbox._io import Conversation
from harness.toolkit.sandbox._probe import (
    available_isolations,
    detect_isolation,
    downgrade_notes,
    python_for,
    world_python,
)
from harness.toolkit.sandbox._workdir import read_workdir_file

__all__ = [
    "ISOLATIONS",
    "Conversation",
    "Limits",
    "SandboxError",
    "SandboxResult",
    "available_isolations",
    "compare_tokens",
    "detect_isolation",
    "hide",
    "python_for",
    "read_workdir_file",
    "run_python",
    "run_sandboxed",
]


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


def _check_program(argv: Sequence[str], iso: str) -> None:
    if not argv:
        raise SandboxError("run_sandboxed needs a command (argv is empty)")
    if not shutil.which(argv[0]):
        raise SandboxError(f"sandbox could not start {argv[0]!r}: no such program (give a path or a name on PATH)")
    if iso == "rlimits" and _state.is_root() and os.path.isabs(argv[0]):
        from harness.toolkit.sandbox._probe import _others_can_run

        if not _others_can_run(argv[0]):
            raise SandboxError(
                f"sandbox (rlimits) would have to run {argv[0]} as root (an unprivileged uid cannot reach it): "
                f"use {world_python() or 'a system interpreter'}, or the bwrap / rlimits+unshare isolation"
            )


def run_sandboxed(
    argv: Sequence[str],
    *,
    files: Mapping[str, str | bytes] | None = None,
    stdin: str | bytes = b"",
    limits: Limits | None = None,
    isolation: str = "auto",
    env: Mapping[str, str] | None = None,
    ro_binds: Sequence[str] = (),
    tree: str | os.PathLike[str] | None = None,
    workdir: str | os.PathLike[str] | None = None,
    python: str | None = None,
    channel: bool = False,
    talk: Callable[[Conversation], None] | None = None,
) -> SandboxResult:
    """Run ``argv`` in the sandbox under ``limits``, feeding ``stdin``; the result says what happened.

    The current directory is, by default, a fresh private directory holding ``files`` (name -> content),
    gone after the run. ``tree``: a host directory copied into it first. ``workdir``: an existing host
    directory (e.g. a git checkout) the program gets read-write as its current directory, at the same
    path; its changes persist, so a later run (the next agent command, the test run, ``git diff``) sees
    them and the caller can read the files afterwards (with :func:`read_workdir_file`). ``files`` are
    written into it first. As root, its files belong to the run's fresh uid during the run and to the
    directory's owner again after it; fifos, sockets and device nodes a run leaves are deleted,
    setuid bits cleared and hard links replaced by copies (see ``_workdir``). ``/tmp`` stays private.

    ``env``: extra environment variables. ``python``: an interpreter to make available (its prefix,
    with site-packages, read-only; its directory first on ``PATH``); the harness's own always is, except
    under ``rlimits``. ``ro_binds``: more host paths to show read-only. ``channel``: a separate result
    pipe (``$HARNESS_CHANNEL_FD``, read into ``result.channel``). ``talk``: a function called in a
    thread with a :class:`Conversation` over the program's stdin/stdout (``stdin`` is then unused).
    ``isolation``: ``auto`` (``$HARNESS_SANDBOX`` or the strongest that works) or one exactly.

    Raises SandboxError when the sandbox itself cannot run; a failing program is a result, not an error.
    """
    iso = detect_isolation(isolation)
    _check_program(argv, iso)
    if tree is not None and not Path(tree).is_dir():
        raise SandboxError(f"sandbox tree {tree} is not a directory")
    if tree is not None and workdir is not None:
        raise SandboxError("run_sandboxed takes tree= (a copy) or workdir= (the directory itself), not both")
    if python is not None and not shutil.which(python):
        raise SandboxError(f"sandbox python {python!r} does not exist")
    req = _runner.Request(
        argv=list(argv),
        files={name: _as_bytes(c) for name, c in (files or {}).items()},
        stdin=_as_bytes(stdin),
        limits=limits or Limits(),
        isolation=iso,
        env=env,
        ro_binds=tuple(os.fspath(p) for p in ro_binds),
        workdir=os.fspath(workdir) if workdir is not None else None,
        tree=os.fspath(tree) if tree is not None else None,
        python=python,
        channel=channel,
        talk=talk,
        notes=downgrade_notes(iso) if isolation == "auto" else (),
    )
    return _runner.run(req)


def run_python(
    code: str,
    *,
    stdin: str | bytes = b"",
    limits: Limits | None = None,
    isolation: str = "auto",
    files: Mapping[str, str | bytes] | None = None,
    python: str | None = None,
    site_packages: bool = True,
    channel: bool = False,
    talk: Callable[[Conversation], None] | None = None,
) -> SandboxResult:
    """Run a Python 3 program (source text) in the sandbox as ``main.py``.

    ``python``: interpreter path (default: this one, or under ``rlimits`` as root one an unprivileged uid
    can run); ``site_packages=False`` runs ``python -S``: standard library only, and a much faster start.
    """
    iso = detect_isolation(isolation)
    interpreter = python or python_for(iso)
    argv = [interpreter, "main.py"] if site_packages else [interpreter, "-S", "main.py"]
    return run_sandboxed(
        argv,
        files={**(files or {}), "main.py": code},
        stdin=stdin,
        limits=limits,
        isolation=isolation,
        python=python if python and python != sys.executable else None,
        channel=channel,
        talk=talk,
    )
