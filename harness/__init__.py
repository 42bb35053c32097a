"""harness: a plugin-based benchmark harness for computational arbitrage in AI model markets.

This module is the public API that plugins import; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

from harness.attempt import Attempt, AttemptKey, fingerprint
from harness.bank import Bank, BankEntry, BankMatrix
from harness.errors import BankFormatError, ConfigError, HarnessError, NotAvailableError, PluginError
from harness.hookspecs import hookimpl
from harness.types import (
    Candidate,
    Completion,
    Domain,
    Message,
    ModelClient,
    Plan,
    Provider,
    Solver,
    Stage,
    Strategy,
    Task,
    TaskSource,
    Verdict,
    Verifier,
)

__all__ = [
    "Attempt",
    "AttemptKey",
    "Bank",
    "BankEntry",
    "BankFormatError",
    "BankMatrix",
    "Candidate",
    "Completion",
    "ConfigError",
    "Domain",
    "HarnessError",
    "Message",
    "ModelClient",
    "NotAvailableError",
    "Plan",
    "PluginError",
    "Provider",
    "Solver",
    "Stage",
    "Strategy",
    "Task",
    "TaskSource",
    "Verdict",
    "Verifier",
    "__version__",
    "fingerprint",
    "hookimpl",
]
