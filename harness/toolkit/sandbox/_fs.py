"""What a run may see: the host paths bound read-only, and those hidden inside them.

Visible (read-only): the system directories, a few files of /etc, the harness's interpreter (its
prefix, with site-packages) and what a caller adds (``ro_binds``). Everything else of the host is absent:
the project, the store, caches, the user's home, /run and its sockets, other processes. Hidden even
inside the visible trees: the packages of the harness and of every ``harness`` plugin (reference
solutions, settings), the sandbox's own state, and whatever a plugin declares with :func:`hide` (e.g.
HumanEval's data file in site-packages).
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import sys

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/localtime",
    "/etc/python3",
    f"/etc/python{sys.version_info[0]}.{sys.version_info[1]}",
)
_HIDDEN: set[str] = set()


def hide(path: str | os.PathLike[str]) -> None:
    """Keep ``path`` (a file or directory) out of every later sandboxed run, even under a visible tree."""
    _HIDDEN.add(os.path.realpath(os.fspath(path)))


def under(path: str, roots: set[str] | list[str] | tuple[str, ...]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


@functools.cache
def _plugin_dirs() -> tuple[str, ...]:
    """Directories of the harness package and of every module named by a ``harness`` entry point."""
    names = {"harness"}
    try:
        names |= {ep.module.split(".")[0] for ep in importlib.metadata.entry_points(group="harness")}
    except Exception:  # a broken distribution must not stop the sandbox
        pass
    dirs = []
    for name in sorted(names):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        for loc in (spec.submodule_search_locations or []) if spec else []:
            dirs.append(os.path.realpath(loc))
        if spec and spec.origin and not spec.submodule_search_locations:
            dirs.append(os.path.realpath(spec.origin))
    return tuple(dirs)


def python_prefixes(python: str | None = None) -> list[str]:
    """The prefix trees an interpreter needs (this one's, and ``python``'s when given)."""
    out = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))}
    if python:
        out.add(os.path.dirname(os.path.dirname(os.path.realpath(python))))
    return sorted(p for p in out if p and os.path.isdir(p))


def ro_paths(python: str | None, extra: tuple[str, ...] | list[str]) -> list[str]:
    """Host paths bound read-only at the same place: system dirs (not links), /etc files, prefixes, extras."""
    paths = [d for d in SYSTEM_DIRS if os.path.isdir(d) and not os.path.islink(d)]
    paths += [f for f in ETC_FILES if os.path.exists(f)]
    for p in [*python_prefixes(python), *extra]:
        real = os.path.realpath(p)
        if os.path.exists(real) and not under(real, paths):
            paths.append(real)
    return sorted(set(paths), key=lambda p: (p.count("/"), p))


def symlinks() -> list[tuple[str, str]]:
    """(target, path) for the system directories that are links (``/bin -> usr/bin``)."""
    return [(os.readlink(d), d) for d in SYSTEM_DIRS if os.path.islink(d)]


def hidden_paths(visible: list[str], state: str) -> list[str]:
    """Existing paths to cover inside the visible trees, outermost first."""
    cands = {*_plugin_dirs(), *_HIDDEN, state}
    out = [p for p in cands if os.path.exists(p) and under(p, visible)]
    out = [p for p in out if not any(q != p and under(p, [q]) for q in out)]
    return sorted(out, key=lambda p: (p.count("/"), p))


def visible(python: str | None, extra: tuple[str, ...], state: str) -> tuple[list[str], list[str]]:
    """(read-only paths, hidden paths) of a run, cached while nothing new is hidden."""
    return _visible(python, tuple(extra), state, frozenset(_HIDDEN))


@functools.lru_cache(maxsize=64)
def _visible(python: str | None, extra: tuple[str, ...], state: str, _key: frozenset) -> tuple[list[str], list[str]]:
    ro = ro_paths(python, extra)
    return ro, hidden_paths(ro, state)


def parents_of(path: str) -> list[str]:
    """The parent directories of ``path`` from the top down (``/a``, ``/a/b`` for ``/a/b/c``)."""
    parts = path.strip("/").split("/")[:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]
