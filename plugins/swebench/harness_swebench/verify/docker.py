"""The ``docker`` verifier (being built)."""

from __future__ import annotations

from dataclasses import dataclass

from harness import Candidate, NotAvailableError, Task, Verdict


@dataclass(frozen=True)
class DockerVerifier:
    name = "docker"

    def check(self) -> None:
        raise NotAvailableError('swebench: the docker verifier is not available yet; use verifier = "local"')

    def verify(self, task: Task, candidate: Candidate) -> Verdict:
        self.check()
        raise AssertionError("unreachable")
