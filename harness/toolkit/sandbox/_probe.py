"""Which isolation works on this machine (probed once per process, by running a real program in it).

An explicit request (argument or ``$HARNESS_SANDBOX``) gets exactly that isolation or a SandboxError
saying why it does not work here: it is never silently weakened. ``auto`` takes the strongest that
works and says in every result's notes which stronger one failed and why.
"""

from __future__ import annotations

import functools
import logging
import os
import stat
import sys

from harness.toolkit.sandbox import _bwrap, _state, _unshare
from harness.toolkit.sandbox._base import ISOLATIONS, Limits, SandboxError

log = logging.getLogger("harness.sandbox")


def _others_can_run(path: str) -> bool:
    """True when any uid can execute ``path`` and traverse to it (no 0700 home on the way)."""
    try:
        real = os.path.realpath(path)
        if not os.stat(real).st_mode & stat.S_IXOTH:
            return False
        return all(os.stat(p).st_mode & stat.S_IXOTH for p in _parents(real))
    except OSError:
        return False


def _parents(path: str) -> list[str]:
    out, p = [], os.path.dirname(path)
    while p and p != "/":
        out.append(p)
        p = os.path.dirname(p)
    return out


@functools.cache
def world_python() -> str | None:
    """A Python 3 interpreter that an unprivileged uid can run without a private filesystem."""
    if _others_can_run(sys.executable) and _others_can_run(sys.base_prefix + "/lib"):
        return sys.executable
    ver = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for cand in (f"/usr/bin/python{ver}", f"/usr/local/bin/python{ver}", "/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.exists(cand) and _others_can_run(cand):
            return cand
    return None


def python_for(isolation: str) -> str:
    """The interpreter that runs Python programs under ``isolation`` (the harness's own where it is visible)."""
    if isolation in ("bwrap", "rlimits+unshare") or not _state.is_root():
        return sys.executable
    return world_python() or sys.executable


def _requirements(iso: str) -> str | None:
    """Why ``iso`` cannot work here before trying it, or None."""
    if iso == "bwrap" and not _bwrap.bwrap_binary():
        return "bubblewrap is not installed (apt-get install bubblewrap)"
    if iso == "bwrap" and not _bwrap.sized_tmpfs():
        return "this bubblewrap is too old (needs --size, --perms and --file: 0.5 or later)"
    if iso == "rlimits+unshare" and not _unshare.unshare_binary():
        return "util-linux unshare is not installed"
    if iso == "rlimits" and _state.is_root() and world_python() is None:
        return "no Python interpreter that an unprivileged uid can reach"
    return None


@functools.cache
def probe(iso: str) -> str | None:
    """None when ``iso`` works here (a real program ran in it), else the reason it does not."""
    from harness.toolkit.sandbox import _runner

    reason = _requirements(iso)
    if reason:
        return reason
    req = _runner.Request(
        argv=[python_for(iso), "-S", "-c", "print('sandbox-ok')"],
        files={},
        stdin=b"",
        limits=Limits(wall_s=20, cpu_s=10),
        isolation=iso,
    )
    try:
        res = _runner.run(req)
    except (SandboxError, OSError) as exc:
        return str(exc)
    if res.exit_code != 0 or res.stdout.strip() != "sandbox-ok":
        return f"a probe program failed (exit {res.exit_code}, signal {res.signal}): {res.stderr.strip()[:200]}"
    return None


def available_isolations() -> list[str]:
    """The isolations that work here, strongest first."""
    return [iso for iso in ISOLATIONS if probe(iso) is None]


def detect_isolation(prefer: str = "auto") -> str:
    """The isolation runs will use: ``prefer`` exactly, or with ``auto`` (honouring ``$HARNESS_SANDBOX``) the strongest.

    Raises SandboxError for an unknown name, an explicit isolation that does not work here, or none working.
    """
    if prefer == "auto":
        prefer = os.environ.get("HARNESS_SANDBOX", "").strip() or "auto"
    return _detect(prefer)


@functools.cache
def _detect(prefer: str) -> str:
    if prefer not in ("auto", *ISOLATIONS):
        raise SandboxError(
            f"unknown sandbox isolation {prefer!r} (argument or $HARNESS_SANDBOX); use one of "
            f"auto, {', '.join(ISOLATIONS)}"
        )
    if prefer != "auto":
        reason = probe(prefer)
        if reason:
            raise SandboxError(f"sandbox isolation {prefer!r} does not work here: {reason}")
        return prefer
    for iso in ISOLATIONS:
        if probe(iso) is None:
            if iso != ISOLATIONS[0]:
                log.warning("sandbox: using %s (%s)", iso, "; ".join(downgrade_notes(iso)))
            return iso
    raise SandboxError(
        "no sandbox isolation works here ("
        + "; ".join(f"{i}: {probe(i)}" for i in ISOLATIONS)
        + "): install bubblewrap, or allow namespaces (the sandbox never runs programs with open network)"
    )


def downgrade_notes(iso: str) -> tuple[str, ...]:
    """Why each isolation stronger than ``iso`` was not used (for the notes of every result under auto)."""
    return tuple(f"{s} unavailable: {probe(s)}" for s in ISOLATIONS[: ISOLATIONS.index(iso)] if probe(s))
