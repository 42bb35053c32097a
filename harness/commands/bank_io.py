"""``harness import`` and ``harness export``: banks in and out of the attempt store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from harness.bank import Bank
from harness.commands.common import console, emit_json, split_csv, store
from harness.errors import HarnessError


def import_bank(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="a folder of <model>.jsonl files, or SWE-bench evaluation files")],
    domain: Annotated[str, typer.Option(help="domain the attempts belong to")] = "imported",
    run_id: Annotated[Optional[str], typer.Option(help="run id to record (default: import:<folder>)")] = None,  # noqa: UP045
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Import a bank (DESIGN.md JSONL, or SWE-bench per_instance_details.json files) into the store."""
    bank = Bank.read(path)
    rid = run_id or f"import:{path.resolve().name}"
    with store(ctx) as st:
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
    out: Annotated[Path, typer.Option("--out", "-o", help="folder to write <model>.jsonl and attempts.parquet")],
    domain: Annotated[Optional[str], typer.Option(help="only this domain")] = None,  # noqa: UP045
    models: Annotated[Optional[str], typer.Option(help="comma-separated model names")] = None,  # noqa: UP045
    run_id: Annotated[Optional[str], typer.Option(help="only this run")] = None,  # noqa: UP045
    fingerprint: Annotated[Optional[str], typer.Option(help="only this configuration fingerprint")] = None,  # noqa: UP045
    parquet: Annotated[bool, typer.Option(help="also write every column as attempts.parquet")] = True,
    json_out: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Export the store's attempts as a bank: JSONL per model, and Parquet with every column."""
    names = split_csv(models)
    with store(ctx) as st:
        bank = st.bank(domain=domain, models=names or None, run_id=run_id, fingerprint=fingerprint)
        if not bank.models:
            raise HarnessError("no attempts match these filters; check --domain/--models/--run-id")
        try:
            files = [str(p) for p in bank.write_jsonl(out)]
            if parquet:
                frame = st.frame(domain=domain, models=names or None, run_id=run_id)
                if fingerprint:
                    frame = frame[frame["fingerprint"] == fingerprint]
                pq = out / "attempts.parquet"
                frame.to_parquet(pq, index=False)
                files.append(str(pq))
        except OSError as exc:
            raise HarnessError(f"{out}: cannot write the bank there ({exc.strerror or exc}); "
                               "choose another --out folder") from None
    if json_out:
        emit_json({"files": files})
        return
    for f in files:
        console.print(f"wrote {f}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_bank)
    app.command("export")(export_bank)
