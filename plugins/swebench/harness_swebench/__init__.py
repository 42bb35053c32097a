"""The swebench domain: SWE-bench issue resolution.

This release provides the task source (SWE-bench Verified/Lite instances from local JSONL/Parquet
files, or the hub through ``datasets`` at a pinned revision). Solving (a bash-only agent loop and a
one-shot patch solver) and verification (local git + pytest, or the official Docker harness) come with
the swebench domain issue; until then they raise a clear "not available yet" error instead of
pretending. Recorded SWE-bench results are analysed today through ``harness import``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness import Candidate, Domain, ModelClient, NotAvailableError, Task, Verdict, hookimpl
from harness.sources import load_records

__version__ = "0.1.0"

#: Pinned dataset revisions: a result is only reproducible against the same instances.
HUB_REVISIONS = {
    "SWE-bench/SWE-bench_Verified": "main",
    "SWE-bench/SWE-bench_Lite": "main",
}
_MISSING = "the swebench solver and verifier arrive with the swebench domain issue"


class SWEbenchSource:
    """SWE-bench instances: ``source`` is a hub dataset name or a local .jsonl/.parquet path."""

    def tasks(self, options: Mapping[str, Any]) -> Iterable[Task]:
        source = options.get("source", "SWE-bench/SWE-bench_Verified")
        split = options.get("split", "test")
        records = load_records(source, split=split, revision=HUB_REVISIONS.get(source), limit=options.get("limit"))
        for rec in records:
            if "instance_id" not in rec:
                raise NotAvailableError(f"{source}: records need an 'instance_id' column (SWE-bench schema)")
            yield Task(id=str(rec["instance_id"]), data=dict(rec), split=split)


class PatchSolver:
    async def solve(self, task: Task, model: ModelClient) -> Candidate:
        raise NotAvailableError(f"solving SWE-bench tasks is not available yet: {_MISSING}")


class TestVerifier:
    def verify(self, task: Task, candidate: Candidate) -> Verdict:
        raise NotAvailableError(f"verifying SWE-bench patches is not available yet: {_MISSING}")


@hookimpl
def register_domains(register: Any) -> None:
    register(
        Domain(
            name="swebench",
            source=SWEbenchSource(),
            solver=PatchSolver(),
            verifier=TestVerifier(),
            description="SWE-bench issue resolution (task source; solver and verifier not available yet)",
        )
    )
