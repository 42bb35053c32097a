"""Harness attempts written as inspect-ai logs that inspect's reader and ``inspect view`` open.

One ``.eval`` log per (domain, model, configuration fingerprint), as inspect logs hold one model: one
sample per task, one epoch per attempt (epoch = attempt index + 1), the score ``harness`` = the verdict
(``C`` passed, ``I`` failed; its metadata keeps ``correct`` where the domain has hidden tests), and each
sample's model usage with the attempt's tokens and billed cost (``total_cost``); attempts of the inspect
domain also keep their task's own scores (``match``, ...) beside ``harness``. The transcript is the
attempt's inspect messages where it came from an inspect task, else its stored prompt and response.
``metadata.harness`` (log and samples) keeps each attempt's identity and cost so the log reads back as
the same attempts. The log's accuracy is inspect's: the mean over samples of each sample's mean score.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness import Attempt, __version__, fingerprint

from harness_inspect import offline
from harness_inspect.logread import META
from harness_inspect.prices import HARNESS_PREFIX

SCORER = "harness"
#: Samples written between two flushes of the log being written (see :func:`write_log`).
FLUSH_EVERY = 200
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def write_logs(attempts: Sequence[Attempt], out_dir: Path) -> list[Path]:
    """Write one log per (domain, model, fingerprint) into ``out_dir``; returns the paths written."""
    offline.apply()
    groups: dict[tuple[str, str, str], list[Attempt]] = {}
    for a in attempts:
        groups.setdefault((a.domain, a.model, a.fingerprint), []).append(a)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for (domain, model, fp), rows in sorted(groups.items()):
        log = build_log(domain, model, fp, rows)
        # inspect's own naming, <time>_<task>_<id>.eval (the viewer lists logs by it): task = the domain
        path = out_dir / f"{_iso(min(a.started_at for a in rows), True)}_{_safe(domain)}_{_safe(model)}-{fp}.eval"
        write_log(log, path)
        written.append(path)
    return written


def write_log(log: Any, path: Path) -> None:
    """Write an ``EvalLog`` as ``.eval``, flushing every :data:`FLUSH_EVERY` samples.

    This is what ``inspect_ai.log.write_eval_log`` does (its own recorder, so the archive is exactly
    inspect's), except that it flushes as it goes: inspect's writer keeps every sample buffered until
    the end and de-duplicates the buffer on each one, quadratic in the samples (10,000 attempts took
    minutes). Falls back to ``write_eval_log`` if a later inspect moves the recorder.
    """
    from inspect_ai.log import condense_sample, write_eval_log

    from harness_inspect.inspect_compat import eval_recorder, run_async

    recorder_class = eval_recorder()
    if recorder_class is None:
        write_eval_log(log, str(path), format="eval")
        return

    async def write() -> None:
        recorder = recorder_class(str(path.parent))
        await recorder.log_init(log.eval, str(path), clean=True)
        await recorder.log_start(log.eval, log.plan)
        for i, sample in enumerate(log.samples or [], 1):
            await recorder.log_sample(log.eval, condense_sample(sample))
            if i % FLUSH_EVERY == 0:
                await recorder.flush(log.eval)
        await recorder.log_finish(
            log.eval, log.status, log.stats, log.results, log.reductions, log.error, invalidated=log.invalidated
        )

    run_async(write())


def build_log(domain: str, model: str, fp: str, attempts: Sequence[Attempt]) -> Any:
    """The ``EvalLog`` of one model's attempts on one domain."""
    from inspect_ai.log import EvalConfig, EvalDataset, EvalLog, EvalPlan, EvalPlanStep, EvalSpec, EvalStats

    rows = sorted(attempts, key=lambda a: (a.task_id, a.index))
    inspect_model = f"{HARNESS_PREFIX}{model}"
    tasks = list(dict.fromkeys(a.task_id for a in rows))
    samples = [_sample(a, inspect_model) for a in rows]
    started, finished = min(a.started_at for a in rows), max(a.finished_at for a in rows)
    spec = EvalSpec(
        created=_iso(started),
        task=domain,
        task_id=fp,
        run_id=fp,
        eval_id=fp,
        dataset=EvalDataset(name=domain, samples=len(tasks), sample_ids=tasks),
        model=inspect_model,
        config=EvalConfig(epochs=max(a.index for a in rows) + 1),
        metadata={META: {"domain": domain, "model": model, "fingerprint": fp, "harness": __version__}},
        packages={"harness": __version__},
    )
    log = EvalLog(
        version=2,
        status="success",
        eval=spec,
        plan=EvalPlan(name="harness", steps=[EvalPlanStep(solver=f"{domain} solver")]),
        results=_results(rows, len(samples)),
        stats=EvalStats(
            started_at=_iso(started), completed_at=_iso(finished), model_usage={inspect_model: _usage(rows)}
        ),
        samples=samples,
    )
    log.reductions = [_reductions(rows)]  # not a constructor argument: EvalLog's validator expects dicts there
    return log


def _sample(a: Attempt, inspect_model: str) -> Any:
    from inspect_ai.log import EvalSample
    from inspect_ai.scorer import Score

    transcript = _transcript(a, inspect_model)
    score = Score(
        value="C" if a.passed else "I",
        answer=_answer(a),
        explanation=f"harness verdict: {a.verdict}",
        metadata={"verdict": a.verdict, "correct": a.correct},
    )
    return EvalSample(
        id=a.task_id,
        epoch=a.index + 1,
        input=transcript["input"],
        target=transcript["target"],
        messages=transcript["messages"],
        output=transcript["output"],
        scores={SCORER: score, **_inspect_scores(a)},
        model_usage={inspect_model: _usage([a])},
        metadata={META: _identity(a)},
        uuid=fingerprint("attempt", a.domain, a.model, a.fingerprint, a.task_id, a.index),  # stable: dedupes copies
        started_at=_iso(a.started_at),
        completed_at=_iso(a.finished_at),
        total_time=max(a.finished_at - a.started_at, 0.0),
        working_time=a.latency_s,
    )


def _inspect_scores(a: Attempt) -> dict[str, Any]:
    """An inspect-domain attempt's own inspect scores (beside ``harness``), so they can be chosen on import."""
    from inspect_ai.scorer import Score

    verdict = a.detail.get("verdict") if isinstance(a.detail, dict) else None
    values = verdict.get("scores") if isinstance(verdict, dict) else None
    if not isinstance(values, dict):
        return {}
    chosen = verdict.get("scorer")
    return {
        name: Score(value=value, answer=verdict.get("answer") if name == chosen else None)
        for name, value in values.items()
        if name != SCORER
    }


def _identity(a: Attempt) -> dict[str, Any]:
    return {
        "domain": a.domain,
        "model": a.model,
        "fingerprint": a.fingerprint,
        "index": a.index,
        "run_id": a.run_id,
        "verdict": a.verdict,
        "correct": a.correct,
        "cost_usd": a.cost_usd,
        "input_tokens": a.input_tokens,
        "output_tokens": a.output_tokens,
        "latency_s": a.latency_s,
    }


def _transcript(a: Attempt, inspect_model: str) -> dict[str, Any]:
    """input, target, messages and output: the inspect state of an inspect-task attempt, else prompt/response."""
    from inspect_ai.model import ChatMessageAssistant, ChatMessageUser, ModelOutput

    from harness_inspect.state import load_messages, load_output

    state = (a.detail.get("candidate") or {}).get("inspect") if isinstance(a.detail, dict) else None
    if isinstance(state, dict) and state.get("messages"):
        messages = load_messages(state["messages"])
        output = load_output(state["output"]) if state.get("output") else ModelOutput(model=inspect_model)
        return {
            "input": state.get("input") or "",
            "target": state.get("target") or "",
            "messages": messages,
            "output": output,
        }
    prompt, response = a.prompt or "", a.response or ""
    messages = []
    if prompt:
        messages.append(ChatMessageUser(content=prompt, source="input"))
    if response:
        messages.append(ChatMessageAssistant(content=response, model=inspect_model, source="generate"))
    output = (
        ModelOutput.from_content(model=inspect_model, content=response)
        if response
        else ModelOutput(model=inspect_model)
    )
    return {"input": prompt or a.task_id, "target": "", "messages": messages, "output": output}


def _answer(a: Attempt) -> str | None:
    answer = a.detail.get("answer") if isinstance(a.detail, dict) else None
    return None if answer is None else str(answer)


def _usage(rows: Iterable[Attempt]) -> Any:
    from inspect_ai.model import ModelUsage

    rows = list(rows)
    tokens_in = sum(a.input_tokens or 0 for a in rows)
    tokens_out = sum(a.output_tokens or 0 for a in rows)
    return ModelUsage(
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        total_tokens=tokens_in + tokens_out,
        total_cost=math.fsum(a.cost_usd for a in rows),
    )


def _results(rows: Sequence[Attempt], total: int) -> Any:
    from inspect_ai.log import EvalMetric, EvalResults, EvalScore

    means = _task_means(rows)
    accuracy = sum(means.values()) / len(means) if means else 0.0
    score = EvalScore(
        name=SCORER,
        scorer=SCORER,
        scored_samples=len(means),
        unscored_samples=0,
        metrics={"accuracy": EvalMetric(name="accuracy", value=accuracy)},
    )
    return EvalResults(total_samples=total, completed_samples=total, scores=[score])


def _reductions(rows: Sequence[Attempt]) -> Any:
    from inspect_ai.log import EvalSampleReductions, EvalSampleScore

    means = _task_means(rows)
    return EvalSampleReductions(
        scorer=SCORER, samples=[EvalSampleScore(value=v, sample_id=task) for task, v in means.items()]
    )


def _task_means(rows: Sequence[Attempt]) -> dict[str, float]:
    outcomes: dict[str, list[int]] = {}
    for a in rows:
        outcomes.setdefault(a.task_id, []).append(int(a.passed))
    return {task: sum(v) / len(v) for task, v in outcomes.items()}


def _iso(stamp: float, filename: bool = False) -> str:
    when = datetime.fromtimestamp(max(stamp, 0.0), UTC)
    return when.strftime("%Y-%m-%dT%H-%M-%S+00-00") if filename else when.isoformat()


def _safe(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-") or "x"
