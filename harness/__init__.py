"""harness: a plugin-based benchmark harness for computational arbitrage in AI model markets.

This module is the public API that plugins import; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

from harness.bank import Bank, BankEntry, BankMatrix, exact_mean
from harness.config import Config, ModelConfig, load_config
from harness.errors import BankFormatError, ConfigError, HarnessError, NotAvailableError, PluginError
from harness.hookspecs import hookimpl
from harness.providers.pricing import Price, map_price, resolve_price
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
    "Config",
    "Completion",
    "ConfigError",
    "Domain",
    "DomainSetup",
    "FitContext",
    "HarnessError",
    "Message",
    "ModelConfig",
    "ModelClient",
    "NotAvailableError",
    "Outcome",
    "PluginError",
    "Price",
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
    "exact_mean",
    "fingerprint",
    "hookimpl",
    "load_config",
    "map_price",
    "resolve_price",
]
