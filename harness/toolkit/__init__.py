"""Public helpers for plugin authors: the sandbox for generated code, and task-record readers."""
