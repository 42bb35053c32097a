"""Errors the command line turns into one clear line and an exit code."""

from __future__ import annotations


class HarnessError(Exception):
    """Bad input or configuration: the message says what is wrong and how to fix it (exit code 2)."""

    exit_code = 2


class PluginError(HarnessError):
    """A plugin failed to load or registered something invalid; the message names the plugin."""


class ConfigError(HarnessError):
    """harness.toml (or another configuration file) is malformed; the message names file and key."""


class BankFormatError(HarnessError):
    """A bank file is malformed; the message names the file and line."""


class NotAvailableError(HarnessError):
    """A capability that this installation does not provide (yet); the message names what is missing."""
