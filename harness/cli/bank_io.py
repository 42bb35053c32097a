"""``harness import`` and ``harness export``: banks in and out of the attempt store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from harness.cli.common import (
    bank_from_path,
    check_domain_name,
    console,
    describe,
    emit_json,
    held,
    registry,
    split_csv,
    store,
)
from harness.errors import HarnessError


def import_bank(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="a bank in any registered format (see `harness plugins`)")],
    domain: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="domain the attempts belong to (default: the format's domain, else 'imported')"),
    ] = None,
    new_domain: Annotated[
        bool,
        typer.Option(
            "--new-domain", help="allow a --domain that no installed plugin registers and the store does not hold"
        ),
    ] = False,
    run_id: Annotated[Optional[str], typer.Option(help="run id to record (default: import:<folder>)")] = None,  # noqa: UP045
    fmt: Annotated[
        Optional[str], typer.Option("--format", help="bank format (default: detected; see `harness plugins`)")  # noqa: UP045
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Import a bank (DESIGN.md JSONL, or any format a plugin registers) into the store."""
    bank, fmt_domain = bank_from_path(path, fmt)
    named = domain
    domain = domain or fmt_domain or "imported"  # the format's domain, or the documented default: no flag
    rid = run_id or f"import:{path.resolve().name}"
    with store(ctx) as st:
        if named is not None:
            check_domain_name(st, named, new_domain)
        added = st.import_bank(bank, domain=domain, run_id=rid)
    summary = {
        "models": {m: len(bank.tasks(m)) for m in bank.models},
        "attempts_added": added,
        "domain": domain,
        "run_id": rid,
    }
    if json_out:
        emit_json(summary)
        return
    for m, n in summary["models"].items():
        console.print(f"{m}: {n} tasks")
    console.print(f"imported {added} new attempts into domain {domain!r} (run {rid})")


def export_bank(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="folder to write the exported files into")],
    domain: Annotated[Optional[str], typer.Option(help="only this domain")] = None,  # noqa: UP045
    models: Annotated[Optional[str], typer.Option(help="comma-separated model names")] = None,  # noqa: UP045
    run_id: Annotated[Optional[str], typer.Option(help="only this run")] = None,  # noqa: UP045
    fingerprint: Annotated[Optional[str], typer.Option(help="only this configuration fingerprint")] = None,  # noqa: UP045
    fmt: Annotated[
        str, typer.Option("--format", help="jsonl (<model>.jsonl + attempts.parquet) or a plugin's bank format")
    ] = "jsonl",
    parquet: Annotated[bool, typer.Option(help="jsonl: also write every column as attempts.parquet")] = True,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Export the store's attempts: a bank (JSONL per model, Parquet with every column) or a plugin's format."""
    names = split_csv(models)
    formats = registry().bank_formats
    if fmt != "jsonl" and not callable(getattr(formats.get(fmt), "export", None)):
        writable = ["jsonl", *(n for n, f in formats.items() if n != "jsonl" and callable(getattr(f, "export", None)))]
        raise HarnessError(f"--format {fmt!r} cannot be exported; choose one of: {', '.join(writable)}")
    with store(ctx) as st:
        bank = st.bank(domain=domain, models=names or None, run_id=run_id, fingerprint=fingerprint)
        if not bank.models:
            raise HarnessError(
                f"no attempts match these filters in the store {st.path} (it holds {describe(held(st))}); "
                "check --domain/--models/--run-id/--fingerprint"
            )
        try:
            if fmt == "jsonl":
                files = [str(p) for p in bank.write_jsonl(out)]
                if parquet:
                    frame = st.frame(domain=domain, models=names or None, run_id=run_id)
                    if fingerprint:
                        frame = frame[frame["fingerprint"] == fingerprint]
                    pq = out / "attempts.parquet"
                    frame.to_parquet(pq, index=False)
                    files.append(str(pq))
            else:
                attempts = st.attempts(
                    domain=domain, models=names or None, run_id=run_id, fingerprint=fingerprint, with_text=True
                )
                files = [str(p) for p in formats[fmt].export([a for a in attempts if a.verdict != "error"], out)]
        except OSError as exc:
            raise HarnessError(
                f"{out}: cannot write the export there ({exc.strerror or exc}); choose another --out folder"
            ) from None
    if json_out:
        emit_json({"files": files})
        return
    for f in files:
        console.print(f"wrote {f}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_bank)
    app.command("export")(export_bank)
