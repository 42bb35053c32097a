"""Verifiers of SWE-bench candidates (being built: local git + pytest, and the official Docker harness)."""

from __future__ import annotations

from harness import Candidate, NotAvailableError, Task, Verdict


class LocalVerifier:
    name = "local"

    def verify(self, task: Task, candidate: Candidate) -> Verdict:
        raise NotAvailableError("the swebench local verifier is not available yet")


class DockerVerifier:
    name = "docker"

    def verify(self, task: Task, candidate: Candidate) -> Verdict:
        raise NotAvailableError("the swebench docker verifier is not available yet")
