"""The attempt store: attempt records and the SQLite database that keeps them."""

from harness.store.attempt import Attempt, AttemptKey, fingerprint
from harness.store.sqlite import IMPORTED_FINGERPRINT, SCHEMA_VERSION, Store

__all__ = ["IMPORTED_FINGERPRINT", "SCHEMA_VERSION", "Attempt", "AttemptKey", "Store", "fingerprint"]
