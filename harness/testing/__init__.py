"""harness.testing: the toolkit for people who write plugins (a pytest plugin, fixtures, a contract suite)."""
