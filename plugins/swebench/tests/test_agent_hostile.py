"""Hostile commands from the model are contained: the host's files, processes, network and secrets stay safe,
and a working copy the model booby-trapped cannot make the harness run anything when the diff is taken."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from pathlib import Path

import pytest
from harness_swebench.solvers import AgentSolver

from harness import Candidate, Task

IID = "builtin__textkit-1"
SUBMIT = "```bash\necho COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git add -A && git diff --cached\n```"


def bash(command: str) -> str:
    return f"THOUGHT: trust me.\n\n```bash\n{command}\n```"


def episode(task: Task, model, **opts) -> Candidate:
    task = Task(task.id, {**task.data, "solver_options": {"command_timeout_s": 10, **opts}}, task.split)
    return asyncio.run(AgentSolver().solve(task, model))


def outputs(model) -> list[str]:
    return [msgs[-1].content for msgs, _ in model.calls[1:]]


def test_deleting_files_outside_the_working_copy(builtin_tasks, harness_scripted_model, tmp_path: Path) -> None:
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    model = harness_scripted_model(
        bash(f"rm -rf {precious} {tmp_path} ; ls {tmp_path} ; echo gone"),
        bash("rm -rf / --no-preserve-root 2>/dev/null; rm -rf ~ ..; echo tried"),
        bash("ls"),
        SUBMIT,
    )
    cand = episode(builtin_tasks[IID], model)
    assert precious.read_text() == "keep me"
    assert Path("/usr/bin/git").exists() and Path(os.path.expanduser("~")).is_dir()
    assert cand.detail["exit_status"] == "Submitted" and model.remaining == 0


def test_fork_bomb_is_contained(builtin_tasks, harness_scripted_model) -> None:
    model = harness_scripted_model(bash(":(){ :|:& };:"), bash("echo still-here"), SUBMIT)
    cand = episode(builtin_tasks[IID], model, command_timeout_s=5)
    assert "still-here" in outputs(model)[1]
    assert cand.detail["exit_status"] == "Submitted"


def test_network_calls_do_not_leave_the_sandbox(builtin_tasks, harness_scripted_model) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    seen: list[object] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                seen.append(server.accept())
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    code = f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); print('CONNECTED')"
    model = harness_scripted_model(
        bash(f'python3 -c "{code}"'), bash("curl -sS -m 3 http://example.com || echo no-net"), SUBMIT
    )
    try:
        episode(builtin_tasks[IID], model)
    finally:
        done.set()
        t.join(2)
        server.close()
    assert not seen and "CONNECTED" not in outputs(model)[0]


def test_secrets_the_store_and_the_home_are_out_of_reach(
    builtin_tasks, harness_scripted_model, tmp_path: Path, monkeypatch
) -> None:
    store = tmp_path / "store" / "attempts.sqlite"
    store.parent.mkdir()
    store.write_text("SECRET-STORE-CONTENT")
    monkeypatch.setenv("HARNESS_TEST_API_KEY", "sk-test-SECRET-ENV-VALUE")
    home = os.path.expanduser("~")
    model = harness_scripted_model(
        bash(f"cat {store}; ls {home}; cat {home}/.cache/harness/* 2>&1 | head -c 300; env; cat /proc/1/environ"),
        SUBMIT,
    )
    episode(builtin_tasks[IID], model)
    seen = outputs(model)[0]
    assert "SECRET-STORE-CONTENT" not in seen and "SECRET-ENV-VALUE" not in seen
    assert "HARNESS_TEST_API_KEY" not in seen


def test_killing_the_parent_and_everything(builtin_tasks, harness_scripted_model) -> None:
    model = harness_scripted_model(
        bash(f"kill -9 {os.getpid()} ; kill -9 $PPID ; kill -9 -1 ; echo done"), bash("echo alive"), SUBMIT
    )
    cand = episode(builtin_tasks[IID], model)
    assert "alive" in outputs(model)[1] and cand.detail["exit_status"] == "Submitted"


def test_booby_trapped_git_runs_nothing_when_the_diff_is_taken(
    builtin_tasks, harness_scripted_model, tmp_path: Path
) -> None:
    # the sandbox cannot write outside the working copy, so a trap would only fire on the harness's side
    marker = tmp_path / "PWNED"
    trap = f"touch {marker}"
    model = harness_scripted_model(
        bash(
            f"git config core.fsmonitor '{trap}' && git config core.pager '{trap}' && "
            f"git config diff.external '{trap}' && git config core.hooksPath .git/hooks && "
            f"printf '#!/bin/sh\\n{trap}\\n' > .git/hooks/post-index-change && chmod +x .git/hooks/* && "
            f"printf '*.py diff=evil filter=evil\\n' > .gitattributes && git config diff.evil.command '{trap}' && "
            f"git config filter.evil.clean '{trap}' && echo 'x = 1' >> textkit/core.py && "
            "ln -s / rootlink && git commit -qam moved --no-verify -c user.name=x 2>/dev/null; echo set"
        ),
        SUBMIT,
    )
    cand = episode(builtin_tasks[IID], model)
    assert not marker.exists()
    assert cand.answer and "+x = 1" in cand.answer and "rootlink" not in cand.answer
    assert "rootlink" in cand.detail["files_skipped"]


@pytest.mark.parametrize("trick", ["dd if=/dev/zero of=big bs=1M count=200", "mkfifo pipe && echo made"])
def test_oversized_and_special_files(builtin_tasks, harness_scripted_model, trick: str) -> None:
    model = harness_scripted_model(bash(trick), bash("echo 'y = 2' >> textkit/core.py"), SUBMIT)
    cand = episode(builtin_tasks[IID], model)
    assert cand.answer and "+y = 2" in cand.answer
    assert "pipe" not in cand.answer and "big" not in cand.detail["files_changed"]
