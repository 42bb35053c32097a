"""`harness collect --domain swebench` end to end against the fake OpenAI-compatible server: the default
source and verifier, the solver's reply turned into a patch, verified in the collector's process pool,
the verdicts stored with their detail."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from harness_swebench.builtin import INSTANCES

from harness.testing.fakeserver import FAKE_KEY_ENV, FakeServer

IDS = ["builtin__textkit-1", "builtin__numkit-1", "builtin__shop-1", "builtin__inventory-1"]


def answer(model: str, messages: list[dict]) -> str:
    """The gold patch of the instance the prompt is about for model 'good'; for 'bad', a patch that applies
    to nothing."""
    prompt = " ".join(str(m.get("content", "")) for m in messages)
    for iid in IDS:
        inst = INSTANCES[iid]
        if inst.problem_statement.strip().splitlines()[0] in prompt:
            if "bad" in model:
                return "```diff\n--- a/nothing.py\n+++ b/nothing.py\n@@ -1 +1 @@\n-x\n+y\n```\n"
            return "```diff\n" + inst.row()["patch"] + "```\n"
    return "I do not know."


def test_collect_verifies_in_parallel_and_stores_verdicts(tmp_path: Path, swebench_cache: Path) -> None:
    with FakeServer(answer=answer, completion_tokens=50) as server:
        cfg = tmp_path / "harness.toml"
        cfg.write_text(
            '[store]\npath = "store.sqlite"\n\n'
            + server.model_toml("good", max_tokens=2048)
            + server.model_toml("bad", max_tokens=2048)
            + f'\n[domains.swebench]\nsource = "builtin"\n\n[domains.swebench.options]\ninstances = {json.dumps(IDS)}\n'
        )
        env = {
            **os.environ,
            FAKE_KEY_ENV: "x",
            "HARNESS_CACHE": str(swebench_cache),
            "HARNESS_BLOCK_PLUGINS": "math,code_contests,inspect",
        }
        cmd = [sys.executable, "-m", "harness", "--config", str(cfg), "collect", "--domain", "swebench"]
        res = subprocess.run(
            [*cmd, "--models", "good,bad", "--verify-workers", "2"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert res.returncode == 0, res.stderr
    with sqlite3.connect(tmp_path / "store.sqlite") as db:
        rows = db.execute("select model, task_id, verdict, detail from attempts").fetchall()
    by = {(m, t): (s, json.loads(d)) for m, t, s, d in rows}
    assert len(by) == 2 * len(IDS)
    for iid in IDS:
        status, detail = by[("good", iid)]
        assert status == "passed" and detail["verdict"]["outcome"] == "resolved", detail
        status, detail = by[("bad", iid)]
        assert status == "failed" and detail["verdict"]["outcome"] in ("patch_did_not_apply", "empty_patch"), detail
