"""inspect-ai logs (``.eval`` archives, ``.json`` logs, or a folder of them) as harness attempts and banks.

Each sample epoch of a log is one attempt of the log's model on the sample (task id = the sample id):
its verdict is the chosen score under the pass rule (:mod:`harness_inspect.scoring`), its cost the
sample's usage of the log's model priced by :mod:`harness_inspect.prices`. Samples that ended in an
error, or that the chosen scorer did not score, are not attempts of the model and are left out, as the
store leaves error attempts out of banks. Logs that this plugin exported carry each attempt's recorded
identity and billed cost (``metadata.harness``), which win over re-pricing their tokens, so an export
reads back as the same attempts.

Several logs merge by sample id: one model per log, and logs of the same model on the same task add
their epochs (in the order the logs were created); a sample epoch found twice (same ``uuid``: a copied
log, or ``inspect eval-retry`` beside its original) counts once. Logs of different inspect tasks are refused in one
import (their sample ids may collide); import each task separately.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from harness import Attempt, Bank, BankEntry, BankFormatError, HarnessError, fingerprint

from harness_inspect import offline
from harness_inspect._core import config_or_none, exact_mean
from harness_inspect.prices import ModelPricing, pricing_for, usage_tokens
from harness_inspect.scoring import PassRule, pick_score

SCORER_ENV = "HARNESS_INSPECT_SCORER"
PASS_ENV = "HARNESS_INSPECT_PASS"
#: The key of this plugin's own metadata in exported logs (log-level and per sample).
META = "harness"
_JSON_HEAD = re.compile(rb'^\s*\{\s*"version"\s*:\s*\d+\s*,\s*"status"\s*:')


@dataclass(frozen=True)
class ImportOptions:
    """How a log's scores become verdicts: the scorer (None: the log's headline scorer) and the pass rule."""

    scorer: str | None = None
    rule: PassRule = PassRule()

    @classmethod
    def from_env(cls) -> ImportOptions:
        """``HARNESS_INSPECT_SCORER`` and ``HARNESS_INSPECT_PASS`` (``harness import`` has no plugin options)."""
        try:
            rule = PassRule(os.environ.get(PASS_ENV, ""))
        except HarnessError as exc:
            raise HarnessError(f"{PASS_ENV}: {exc}") from None
        return cls(os.environ.get(SCORER_ENV) or None, rule)


def is_json_log(path: Path) -> bool:
    """An inspect ``.json`` log: inspect writes ``version`` then ``status`` first (read from the head only)."""
    if path.suffix != ".json" or not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            return bool(_JSON_HEAD.match(fh.read(256)))
    except OSError:
        return False


def log_files(path: Path) -> list[Path]:
    """The logs at ``path``: the file itself, or a folder's ``.eval`` and inspect ``.json`` files."""
    if path.is_file():
        return [path] if path.suffix == ".eval" or is_json_log(path) else []
    if path.is_dir():
        return sorted(p for p in path.iterdir() if (p.suffix == ".eval" and p.is_file()) or is_json_log(p))
    return []


def read_attempts(
    path: str | Path, options: ImportOptions | None = None, config: Any = None, domain: str = "inspect"
) -> list[Attempt]:
    """Every attempt in the log(s) at ``path``, merged by sample id (see the module docstring)."""
    root = Path(path)
    files = log_files(root)
    if not files:
        raise BankFormatError(f"{root}: no inspect logs (.eval, or .json written by inspect) here")
    opts = options or ImportOptions.from_env()
    cfg = config if config is not None else config_or_none()
    logs = sorted((_read_log(f, opts, cfg, domain) for f in files), key=lambda log: (log.created, str(log.path)))
    tasks = {log.task for log in logs}
    if len(tasks) > 1:
        raise BankFormatError(
            f"{root}: logs of {len(tasks)} different inspect tasks ({', '.join(sorted(tasks))}); their sample ids "
            "may collide, so import each task's logs separately (a folder or file per task, each with --domain)"
        )
    out = _merge(logs)
    if not out:
        skipped = sum(log.skipped for log in logs)
        raise BankFormatError(
            f"{root}: no scored sample in the log(s) ({skipped} left out: errors or no score from the scorer); "
            f"check {SCORER_ENV} (scorers: {', '.join(sorted({s for log in logs for s in log.scorers})) or 'none'})"
        )
    return out


def to_bank(attempts: Iterable[Attempt]) -> Bank:
    """Model -> task -> outcomes in attempt order and the exact mean cost, as the store's banks are built."""
    grouped: dict[str, dict[str, list[Attempt]]] = {}
    for a in attempts:
        grouped.setdefault(a.model, {}).setdefault(a.task_id, []).append(a)
    entries: dict[str, dict[str, BankEntry]] = {}
    for model, tasks in grouped.items():
        fps = {a.fingerprint for rows in tasks.values() for a in rows}
        if len(fps) > 1:
            raise BankFormatError(
                f"model {model!r} appears under {len(fps)} configuration fingerprints in these logs; import "
                "the logs of one configuration at a time"
            )
        entries[model] = {}
        for task, rows in tasks.items():
            rows = sorted(rows, key=lambda a: a.index)
            entries[model][task] = BankEntry(exact_mean(a.cost_usd for a in rows), tuple(int(a.passed) for a in rows))
    return Bank(entries)


# ---- one log ---------------------------------------------------------------------------------------


@dataclass
class _Log:
    path: Path
    created: str
    task: str
    model: str
    attempts: list[tuple[int | None, str | None, Attempt]]  # (recorded index or None, sample uuid, attempt)
    skipped: int
    scorers: set[str]


def _load(path: Path) -> tuple[Any, list[Any]]:
    """The log's header and sample summaries (no transcripts), or one line saying what is wrong."""
    offline.apply()
    from inspect_ai.log import read_eval_log, read_eval_log_sample_summaries

    try:
        header = read_eval_log(str(path), header_only=True)
        summaries = read_eval_log_sample_summaries(str(path))
    except Exception as exc:
        raise BankFormatError(f"{path}: {_what_is_wrong(path, exc)}") from None
    return header, summaries


def _what_is_wrong(path: Path, exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if path.suffix == ".eval" and ("EOCD" in text or "zip" in text.lower()):
        return (
            "truncated or not an inspect .eval log (its zip directory is missing or damaged); copy the whole "
            "file again or re-run `inspect eval`"
        )
    if type(exc).__name__ == "ValidationError":
        return f"not an inspect log this inspect-ai version reads ({text[:200]}); check the file"
    return f"not a readable inspect log ({type(exc).__name__}: {text[:200]}); check the file"


def _read_log(path: Path, opts: ImportOptions, config: Any, domain: str) -> _Log:
    header, summaries = _load(path)
    spec = header.eval
    ours = (spec.metadata or {}).get(META) if isinstance(spec.metadata, dict) else None
    pricing = pricing_for(spec.model, config)
    scores = header.results.scores if header.results else []
    default = scores[0].name if scores else None
    fp = ours.get("fingerprint") if isinstance(ours, dict) and ours.get("fingerprint") else None
    fp = fp or fingerprint(
        "inspect-log", spec.task, spec.task_version, spec.task_args, spec.model, _generate_config(spec)
    )
    run_id = f"inspect:{spec.run_id or spec.eval_id}"
    log = _Log(path, str(spec.created), spec.task, pricing.name, [], 0, set())
    for s in sorted(summaries, key=lambda s: s.epoch):  # epochs in order; samples in log order within one
        log.scorers.update(s.scores or {})
        if s.error:
            log.skipped += 1
            continue
        try:
            picked = pick_score(s.scores, opts.scorer, default)
        except HarnessError as exc:
            raise BankFormatError(f"{path}: sample {s.id!r}: {exc}; set {SCORER_ENV}") from None
        if picked is None:
            log.skipped += 1
            continue
        meta = s.metadata.get(META) if isinstance(s.metadata, dict) and ours else None
        attempt = _attempt(path, s, picked, opts, pricing, spec.model, meta, fp, run_id, domain)
        log.attempts.append((meta.get("index") if isinstance(meta, dict) else None, s.uuid, attempt))
    return log


def _generate_config(spec: Any) -> dict[str, Any]:
    cfg = getattr(spec, "model_generate_config", None)
    return cfg.model_dump(exclude_none=True) if cfg is not None else {}


def _attempt(
    path: Path,
    s: Any,
    picked: tuple[str, Any],
    opts: ImportOptions,
    pricing: ModelPricing,
    inspect_model: str,
    meta: dict[str, Any] | None,
    fp: str,
    run_id: str,
    domain: str,
) -> Attempt:
    scorer, value = picked
    usage = (s.model_usage or {}).get(inspect_model)
    tokens_in, tokens_out = usage_tokens(usage)
    cost = _cost(path, s, pricing, usage, tokens_in, tokens_out, meta)
    passed = opts.rule.passed(value)
    return Attempt(
        domain=domain,
        task_id=str(s.id),
        model=pricing.name,
        fingerprint=fp,
        index=0,  # set when the logs are merged
        verdict="passed" if passed else "failed",
        cost_usd=cost,
        run_id=str(meta.get("run_id") or run_id) if meta else run_id,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        latency_s=s.working_time,
        correct=meta.get("correct") if meta else None,  # a foreign log has no hidden tests beside its scorer
        detail={"source": "inspect log", "log": path.name, "epoch": s.epoch, "scorer": scorer, "value": value},
        started_at=_stamp(s.started_at),
        finished_at=_stamp(s.completed_at),
    )


def _cost(
    path: Path,
    s: Any,
    pricing: ModelPricing,
    usage: Any,
    tokens_in: int,
    tokens_out: int,
    meta: dict[str, Any] | None,
) -> float:
    """The attempt's dollars: recorded (our own exports), else priced tokens, else the log's own cost."""
    if meta and isinstance(meta.get("cost_usd"), (int, float)):
        return float(meta["cost_usd"])
    if usage is None:
        return 0.0  # the model was never called for this sample
    if pricing.price is not None:
        return pricing.price.cost(tokens_in, tokens_out)
    if usage.total_cost is not None:
        return float(usage.total_cost)
    raise BankFormatError(
        f"{path}: model {pricing.name!r} has no price (not in harness.toml, not in litellm's price map, and the "
        f"log records no cost); add [models.<name>] with route = {pricing.name!r}, input_cost_per_mtok and "
        "output_cost_per_mtok to harness.toml"
    )


def _stamp(when: Any) -> float:
    if not when:
        return 0.0
    try:
        return datetime.fromisoformat(str(when)).timestamp()
    except ValueError:
        return 0.0


def _merge(logs: list[_Log]) -> list[Attempt]:
    """Index the attempts per (model, task): recorded indices are kept, others follow in log order.
    A sample epoch met twice (the same log copied, or a retried log beside its original) counts once."""
    out: list[Attempt] = []
    taken: dict[tuple[str, str], set[int]] = {}
    seen: set[str] = set()
    for log in logs:
        for recorded, uuid, a in log.attempts:
            if uuid is not None and uuid in seen:
                continue
            if uuid is not None:
                seen.add(uuid)
            used = taken.setdefault((a.model, a.task_id), set())
            index = recorded if isinstance(recorded, int) else (max(used) + 1 if used else 0)
            if index in used:
                raise BankFormatError(
                    f"{log.path}: model {a.model!r} task {a.task_id!r} attempt {index} is also in another log; "
                    "import the logs of one collection at a time"
                )
            used.add(index)
            out.append(replace(a, index=index))
    return out
