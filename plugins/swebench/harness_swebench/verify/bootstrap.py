"""Runs INSIDE the sandbox as ``python -s -c <this file's text> <pytest args>``: pytest with a reporter that
sends each test phase's outcome to the verifier on a channel the code under test cannot impersonate.

Before anything of the repository is imported, it reads a per-run secret key and record marker from
stdin (so the secret is never on disk or on a command line), keeps a private duplicate of the sandbox's
result pipe (or of the original stdout), and imports pytest while the working directory is not yet on
``sys.path`` (a ``pytest.py`` in the patched repository cannot stand in for it). Each record is one line
``<marker> <json> <hmac-sha256(key, json)>`` with a sequence number; the verifier rejects the run if a
line carries the marker with a wrong signature, a number is missing, or the closing record is absent.
Standard library and pytest only: nothing of the harness is importable here.
"""

import os
import sys

sys.path[:] = [p for p in sys.path if p not in ("", ".", os.getcwd())]  # nothing of the repository before pytest

import hashlib  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402


def _channel():
    """The signing closure over this run's secret (read from stdin, which is then closed)."""
    secret = sys.stdin.buffer.readline().strip()
    marker = sys.stdin.buffer.readline().strip().decode()
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    # the sandbox's result pipe when it has one, else the original stdout (before pytest captures fd 1);
    # a private duplicate either way, not inherited by the tests' children
    fd = os.environ.pop("HARNESS_CHANNEL_FD", None)
    out = os.dup(int(fd) if fd else 1)
    if fd:
        os.close(int(fd))
    seq = [0]

    def emit(kind, **payload):
        body = json.dumps({"seq": seq[0], "kind": kind, **payload}, sort_keys=True)
        mac = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
        os.write(out, f"\n{marker} {body} {mac}\n".encode())
        seq[0] += 1

    return emit


def _reporter(emit):
    class Reporter:
        """Sends every phase of every test, collection errors, and the session's end."""

        def pytest_collectreport(self, report):
            if report.failed:
                emit("collect_error", nodeid=report.nodeid)

        def pytest_runtest_logreport(self, report):
            emit(
                "phase",
                nodeid=report.nodeid,
                when=report.when,
                outcome=report.outcome,
                xfail=bool(getattr(report, "wasxfail", None) is not None),
            )

        def pytest_sessionfinish(self, session, exitstatus):
            emit("end", exitstatus=int(exitstatus))

    return Reporter()


def main():
    emit = _channel()
    import pytest  # found before the working directory joins sys.path

    emit("start", pytest=pytest.__version__)
    sys.path.insert(0, os.getcwd())  # the repository under test, as `python -m pytest` would see it
    if os.path.isdir("src"):  # a src/ layout: its packages too, ahead of an installed copy
        sys.path.insert(0, os.path.join(os.getcwd(), "src"))
    sys.exit(pytest.main(sys.argv[1:], plugins=[_reporter(emit)]))


if __name__ == "__main__":
    main()
