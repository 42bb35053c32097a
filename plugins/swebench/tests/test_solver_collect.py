"""``harness collect --domain swebench`` records verified attempts made by the solvers.

The fast tests run the real command line with the default ``[domains.swebench]`` table and the two
default model names, answered by the fake OpenAI-compatible server (one model fixes the issue, the
other does not), once per solver. The slow test runs the default harness.toml itself, offline, with
both local models, on one instance, with a short reply so it stays near a minute on two cores.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from harness_swebench.builtin import INSTANCES

ROOT = Path(__file__).resolve().parents[3]
DEFAULT = tomllib.loads((ROOT / "harness.toml").read_text())
CHEAP, STRONG = DEFAULT["market"]["providers"]
IID = "builtin__textkit-1"
SUBMIT = "```bash\necho COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && git add -A && git diff --cached\n```"


def _toml_value(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + "}"
    return json.dumps(v)


def domain_table(solver_options: dict | None = None, **extra) -> str:
    """The default configuration's [domains.swebench] table, on the one instance ``IID`` (and ``extra`` keys)."""
    table = {**DEFAULT["domains"]["swebench"], **extra}
    options = {**table.pop("options", {}), "instances": [IID]}
    if solver_options:
        options["solver_options"] = {**options.get("solver_options", {}), **solver_options}
    table["options"] = options
    return "[domains.swebench]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in table.items())


def models_tables(tables: dict[str, dict]) -> str:
    return "".join(
        f'[models."{name}"]\n' + "".join(f"{k} = {_toml_value(v)}\n" for k, v in t.items())
        for name, t in tables.items()
    )


def write_config(tmp_path: Path, models: dict[str, dict], **domain) -> tuple[Path, Path]:
    store = tmp_path / "attempts.sqlite"
    config = tmp_path / "harness.toml"
    market = {**DEFAULT["market"], "providers": [CHEAP, STRONG]}
    config.write_text(
        f'[store]\npath = "{store}"\n[market]\n'
        + "".join(f"{k} = {_toml_value(v)}\n" for k, v in market.items())
        + models_tables(models)
        + domain_table(**domain)
    )
    return config, store


def answer(model: str, messages: list[dict]) -> str:
    """The strong model fixes the issue (a diff one-shot; the gold patch applied, then submit, as an agent)."""
    text = "\n".join(str(m.get("content")) for m in messages)
    inst = next((i for i in INSTANCES.values() if i.problem_statement.strip()[:80] in text), None)
    if model.endswith(CHEAP) or inst is None:
        return "I am not sure what to change."
    patch = inst.row()["patch"]
    if "<pr_description>" not in text:
        return f"```diff\n{patch}```"
    steps = sum(1 for m in messages if m.get("role") == "assistant")
    return f"```bash\ngit apply <<'PATCH'\n{patch}PATCH\n```" if steps == 0 else SUBMIT


def collect(config: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "harness", "--config", str(config), "collect", "--domain", "swebench", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env={**os.environ})


def attempts(store: Path) -> list[dict]:
    db = sqlite3.connect(store)
    db.row_factory = sqlite3.Row
    rows = [dict(r) for r in db.execute("SELECT * FROM attempts ORDER BY model, task_id, idx")]
    db.close()
    return rows


@pytest.mark.parametrize("solver", ["oneshot", "agent"])
def test_collect_records_verified_attempts_of_both_models(harness_fake_server, tmp_path: Path, solver: str) -> None:
    harness_fake_server.answer = answer
    models = {m: harness_fake_server.model_table(m, max_tokens=4096) for m in (CHEAP, STRONG)}
    config, store = write_config(tmp_path, models, solver=solver, solver_options={"step_limit": 4})
    res = collect(config, "--attempts", "2")
    assert res.returncode == 0, res.stderr[-2000:]
    rows = attempts(store)
    by_model = {m: [r for r in rows if r["model"] == m] for m in (CHEAP, STRONG)}
    assert [len(v) for v in by_model.values()] == [2, 2]
    assert {r["verdict"] for r in by_model[STRONG]} == {"passed"}
    assert {r["verdict"] for r in by_model[CHEAP]} == {"failed"}
    for r in rows:
        detail = json.loads(r["detail"])
        assert r["cost_usd"] > 0 and r["input_tokens"] > 0
        if solver == "agent":
            steps = detail["candidate"]["per_step"]
            assert sum(s["cost_usd"] for s in steps) == pytest.approx(r["cost_usd"])
            assert len(steps) == (2 if r["model"] == STRONG else detail["candidate"]["steps"])


@pytest.mark.slow
def test_default_configuration_collects_with_both_local_models(tmp_path: Path) -> None:
    """The default models, market and [domains.swebench] table, offline, one instance, one attempt per local
    model, with short replies (``max_tokens``/``step_limit``) so it stays near a minute."""
    # a generous timeout_s: on a machine other jobs load, the 1.5B took over the default 300 s for a reply
    models = {name: {**table, "timeout_s": 900} for name, table in DEFAULT["models"].items()}
    config, store = write_config(tmp_path, models, solver_options={"max_tokens": 64, "step_limit": 1})
    res = collect(config, "--attempts", "1", timeout=900)
    assert res.returncode == 0, res.stderr[-2000:]
    rows = attempts(store)
    assert sorted(r["model"] for r in rows) == sorted([CHEAP, STRONG])
    for r in rows:
        assert r["verdict"] in ("passed", "failed"), r["detail"][:500]
        assert r["cost_usd"] > 0 and r["output_tokens"] > 0
