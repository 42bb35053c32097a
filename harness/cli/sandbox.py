"""``harness sandbox check``: which protections sandboxed runs get on this machine."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from harness.cli.common import console, emit_json

_ROWS = [
    ("unprivileged", "never root"),
    ("fresh_uid", "a fresh uid per run"),
    ("no_new_privs", "no_new_privs (setuid binaries do not elevate)"),
    ("no_capabilities", "no capabilities"),
    ("private_network", "private network (loopback only)"),
    ("pid_namespace", "PID namespace (host processes invisible)"),
    ("private_filesystem", "private filesystem (project, home, state invisible)"),
]


def _lines(rep: dict[str, Any]) -> list[str]:
    lines = [f"requested: {rep['requested']}   default: {rep['default'] or 'none works'}   root: {rep['root']}"]
    if rep.get("error"):
        lines.append(f"  {rep['error']}")
    lines.append("isolations:")
    for iso, m in rep["modes"].items():
        lines.append(f"  {iso:<16} {'works' if m['works'] else 'unavailable: ' + str(m['reason'])}")
    cg = rep["cgroup"]
    where = ", ".join(f"{k or 'unified'}={v}" for k, v in cg["parents"].items()) if cg else ""
    lines.append(f"per-run cgroup: {cg['version'] + ' (' + where + ')' if cg else 'unavailable (limits per process)'}")
    for iso, act in rep["active"].items():
        lines.append(f"{iso}:")
        for key, label in _ROWS:
            lines.append(f"  [{'x' if act[key] else ' '}] {label}")
        lines.append(
            f"  [{'x' if act['cgroup'] else ' '}] per-run cgroup{' ' + act['cgroup'] if act['cgroup'] else ''}"
        )
    return lines


def check(json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False) -> None:
    """Print which sandbox protections are active here: each isolation, cgroups, and what a live run sees."""
    from harness.toolkit.sandbox._report import report

    rep = report()
    if json_out:
        emit_json(rep)
        return
    for line in _lines(rep):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="The sandbox for generated code: what protects runs on this machine.", no_args_is_help=True
    )
    group.command("check")(check)
    app.add_typer(group, name="sandbox")
