"""The swebench domain: SWE-bench issue resolution.

This release provides the task source (SWE-bench Verified/Lite instances from local JSONL/Parquet
files, or the hub through ``datasets`` at a pinned revision). Solving (a bash-only agent loop and a
one-shot patch solver) and verification (local git + pytest, or the official Docker harness) come with
the swebench domain issue; until then they raise a clear "not available yet" error instead of
pretending. Recorded SWE-bench results are analysed today through ``harness import``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

from harness import Candidate, Domain, ModelClient, NotAvailableError, Task, Verdict, hookimpl
from harness.toolkit.sources import load_hub_rows, read_rows
from harness_swebench.bank import ExperimentsFormat, repository

__version__ = "0.1.0"

#: Pinned dataset revisions: a result is only reproducible against the same instances.
HUB_REVISIONS = {
    "SWE-bench/SWE-bench_Verified": "main",
    "SWE-bench/SWE-bench_Lite": "main",
}
_MISSING = "the swebench solver and verifier arrive with the swebench domain issue"


_ALTERNATIVES = 'use a local copy ([domains.swebench] source = "path/to/instances.jsonl")'


class SWEbenchSource:
    """SWE-bench instances: ``source`` is a hub dataset name or a local .jsonl/.json/.parquet path."""

    def __init__(self, name: str = "hub") -> None:
        self.name = name

    def tasks(self, options: Mapping[str, Any]) -> Iterable[Task]:
        source = str(options.get("source", "SWE-bench/SWE-bench_Verified"))
        split = str(options.get("split", "test"))
        if source.endswith((".jsonl", ".json", ".parquet")):
            path = Path(source)
            records = read_rows(
                path if path.is_absolute() else Path(options.get("_root", ".")) / path, domain="swebench"
            )
        else:
            records = load_hub_rows(
                source, None, split, HUB_REVISIONS.get(source), domain="swebench", alternatives=_ALTERNATIVES
            )
        for rec in islice(records, options.get("limit")):
            if "instance_id" not in rec:
                raise NotAvailableError(f"{source}: records need an 'instance_id' column (SWE-bench schema)")
            yield Task(id=str(rec["instance_id"]), data=dict(rec), split=split)


class PatchSolver:
    name = "agent"

    async def solve(self, task: Task, model: ModelClient) -> Candidate:
        raise NotAvailableError(f"solving SWE-bench tasks is not available yet: {_MISSING}")


class TestVerifier:
    name = "local"

    def verify(self, task: Task, candidate: Candidate) -> Verdict:
        raise NotAvailableError(f"verifying SWE-bench patches is not available yet: {_MISSING}")


@hookimpl
def register_domains(register: Any) -> None:
    register(
        Domain(
            name="swebench",
            source=SWEbenchSource("hub"),
            solver=PatchSolver(),
            verifier=TestVerifier(),
            description="SWE-bench issue resolution (task source; solver and verifier not available yet)",
            task_group=repository,
        )
    )


@hookimpl
def register_task_sources(register: Any) -> None:
    register("swebench", SWEbenchSource("local"))


@hookimpl
def register_bank_formats(register: Any) -> None:
    register(ExperimentsFormat())
