"""harness: a plugin-based benchmark harness for computational arbitrage in AI model markets.

This module is the public API that plugins import; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

from harness.bank import Bank, BankEntry, BankMatrix
from harness.errors import BankFormatError, ConfigError, HarnessError, NotAvailableError, PluginError
from harness.hookspecs import hookimpl
from harness.store.attempt import Attempt, AttemptKey, fingerprint
from harness.types import (
    BankFormat,
    Buy,
    Candidate,
    Completion,
    Domain,
    DomainSetup,
    FitContext,
    Message,
    ModelClient,
    Outcome,
    Provider,
    Solver,
    Stage,
    Strategy,
    Task,
    TaskHistory,
    TaskSource,
    Verdict,
    Verifier,
)

__all__ = [
    "Attempt",
    "AttemptKey",
    "Bank",
    "BankEntry",
    "BankFormat",
    "BankFormatError",
    "Buy",
    "BankMatrix",
    "Candidate",
    "Completion",
    "ConfigError",
    "Domain",
    "DomainSetup",
    "FitContext",
    "HarnessError",
    "Message",
    "ModelClient",
    "NotAvailableError",
    "Outcome",
    "PluginError",
    "Provider",
    "Solver",
    "Stage",
    "Strategy",
    "Task",
    "TaskHistory",
    "TaskSource",
    "Verdict",
    "Verifier",
    "__version__",
    "fingerprint",
    "hookimpl",
]
