"""Verifiers of SWE-bench candidates: ``local`` (git + pytest in the sandbox) and ``docker`` (the official
SWE-bench harness)."""

from __future__ import annotations

from harness_swebench.verify.docker import DockerVerifier
from harness_swebench.verify.local import LocalVerifier

__all__ = ["DockerVerifier", "LocalVerifier"]
