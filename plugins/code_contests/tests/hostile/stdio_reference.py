# Forgery (stdio): import the built-in problems' reference solutions and print the expected answer.
import importlib.util
import sys

data = sys.stdin.read()
try:
    from harness_code_contests import builtin
except ImportError:  # not importable: load the file from where the harness keeps it
    spec = importlib.util.spec_from_file_location("builtin", "BUILTIN_PATH")
    builtin = importlib.util.module_from_spec(spec)
    sys.modules["builtin"] = builtin
    spec.loader.exec_module(builtin)
for problem in builtin.PROBLEMS:
    if problem.slug == "SLUG":
        sys.stdout.write(problem.answer(data) + "\n")
