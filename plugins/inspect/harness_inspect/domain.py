"""An inspect task as a harness domain: its dataset is the task source, its solver the solver, its
scorer the verifier.

Each harness :class:`~harness.Task` carries the resolved :class:`~harness_inspect.tasks.TaskSpec` and
the inspect sample as plain data, because the harness gives solvers and verifiers the task, not the
domain's options, and verifiers run in worker processes: each process creates the inspect task once.
The solver runs the task's solver chain on a fresh ``TaskState`` with a model ``harness/<m>`` of its own,
whose calls go to the attempt's metered client; the final state (messages and output) travels in the
candidate, and the verifier rebuilds it and runs the task's scorers. Scorers that call a model would
spend outside the metered client, so they are not given one: such a scorer's attempt is an ``error``.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from harness import Candidate, HarnessError, ModelClient, Task, Verdict

from harness_inspect import model_api
from harness_inspect.inspect_compat import scorer_name, set_active_model
from harness_inspect.scoring import PassRule, pick_score
from harness_inspect.state import dump_messages, dump_output, load_messages, load_output
from harness_inspect.tasks import TaskSpec, load_task

NAME = "inspect"


class InspectSource:
    """The inspect task's dataset: one harness task per sample (task id = the sample id)."""

    name = "inspect"

    def tasks(self, options: Mapping[str, Any]) -> Iterator[Task]:
        spec = TaskSpec.from_options(options)
        limit = options.get("limit")
        if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
            raise HarnessError(f"[domains.inspect] limit must be a positive number of tasks, got {limit!r}")
        task = load_task(spec)
        samples = itertools.islice(task.dataset, limit) if limit is not None else iter(task.dataset)
        for i, sample in enumerate(samples):
            if sample.sandbox is not None:
                raise HarnessError(f"inspect task {task.name!r}: sample {sample.id!r} needs a sandbox, not supported")
            sid = sample.id if sample.id is not None else i + 1  # inspect numbers samples without ids from 1
            data = {"spec": spec.as_dict(), "sample": sample.model_dump(mode="json", exclude_none=True)}
            data["sample"]["id"] = sid
            yield Task(id=str(sid), data=data)


class InspectSolver:
    """Runs the inspect task's solver chain, its model calls metered by the harness client."""

    name = "inspect"

    async def solve(self, task: Task, model: ModelClient) -> Candidate:
        from inspect_ai.model import GenerateConfig

        spec, sample = _unpack(task)
        itask = load_task(spec)
        inspect_model = model_api.get_harness_model(model)
        state = _initial_state(sample, str(inspect_model))
        base = itask.config if isinstance(itask.config, GenerateConfig) else GenerateConfig()

        async def generate(state: Any, tool_calls: str = "loop", **kwargs: Any) -> Any:
            state.output = await inspect_model.generate(
                input=state.messages, tools=state.tools, tool_choice=state.tool_choice, config=base.merge(kwargs)
            )
            state.messages.append(state.output.message)
            return state

        with _active(inspect_model, base):
            state = await itask.solver(state, generate)
        return _candidate(sample, state)


class InspectVerifier:
    """Runs the inspect task's scorers on the solver's final state; the chosen score under the pass rule
    is the verdict (the scorer is the ground truth, so ``correct`` is the same)."""

    name = "inspect"

    def verify(self, task: Task, candidate: Candidate) -> Verdict:
        spec, sample = _unpack(task)
        stored = candidate.detail.get("inspect") if isinstance(candidate.detail, Mapping) else None
        if not isinstance(stored, Mapping):
            return Verdict(
                "error", error_kind="no_inspect_state", detail={"error": "the candidate has no inspect state"}
            )
        itask = load_task(spec)
        scores = asyncio.run(_score(itask, sample, stored))
        picked = pick_score(scores, spec.scorer, next(iter(scores), None))
        if picked is None:
            return Verdict("error", error_kind="no_score", detail={"error": f"no score {spec.scorer!r}"})
        name, value = picked
        ok = PassRule(spec.pass_rule).passed(value)
        answers = {n: s.answer for n, s in scores.items()}
        detail = {"scorer": name, "value": value, "answer": answers.get(name), "scores": _values(scores)}
        return Verdict("passed" if ok else "failed", correct=ok, detail=detail)


# ---- helpers ---------------------------------------------------------------------------------------


def _unpack(task: Task) -> tuple[TaskSpec, Any]:
    from inspect_ai.dataset import Sample

    if not isinstance(task.data, Mapping) or "spec" not in task.data or "sample" not in task.data:
        raise HarnessError(f"task {task.id!r} is not an inspect task (it has no inspect spec and sample)")
    return TaskSpec.from_dict(task.data["spec"]), Sample.model_validate(task.data["sample"])


def _initial_state(sample: Any, model_name: str) -> Any:
    """The ``TaskState`` inspect builds for a sample before its solvers run."""
    from inspect_ai.model import ChatMessageUser
    from inspect_ai.scorer import Target
    from inspect_ai.solver import TaskState

    if isinstance(sample.input, str):
        messages = [ChatMessageUser(content=sample.input, source="input")]
    else:
        messages = [m.model_copy(update={"source": "input"}) for m in sample.input]
    return TaskState(
        model=model_name,
        sample_id=sample.id,
        epoch=1,
        input=sample.input,
        messages=messages,
        target=Target(sample.target),
        choices=sample.choices,
        metadata=dict(sample.metadata or {}),
    )


def _candidate(sample: Any, state: Any) -> Candidate:
    output = state.output
    completion = output.completion if output is not None else ""
    inputs = state.messages[:-1] if state.messages and state.messages[-1].role == "assistant" else state.messages
    stored = {
        "input": sample.input if isinstance(sample.input, str) else dump_messages(sample.input),
        "target": sample.target,
        "choices": [[c.value, c.correct, c.original_position] for c in state.choices] if state.choices else None,
        "messages": dump_messages(state.messages),
        "output": dump_output(output) if output is not None else None,
        "metadata": dict(state.metadata or {}),
    }
    return Candidate(answer=completion, prompt=_render(inputs), response=completion, detail={"inspect": stored})


def _render(messages: list[Any]) -> str:
    """The prompt as text: a lone user message as itself, else ``role: text`` blocks."""
    if len(messages) == 1 and messages[0].role == "user":
        return messages[0].text
    return "\n\n".join(f"{m.role}: {m.text}" for m in messages)


async def _score(itask: Any, sample: Any, stored: Mapping[str, Any]) -> dict[str, Any]:
    from inspect_ai.scorer import Target

    state = _initial_state(sample, "harness/verifier")
    state.messages = load_messages(stored.get("messages") or [])
    if stored.get("output"):
        state.output = load_output(stored["output"])
    state.metadata = dict(stored.get("metadata") or state.metadata)
    if stored.get("choices"):  # the multiple_choice solver marks the model's choices; choice() reads them
        from inspect_ai.solver import Choices
        from inspect_ai.solver._task_state import Choice

        state.choices = Choices([Choice(v, c, p) for v, c, p in stored["choices"]])
    scores: dict[str, Any] = {}
    for scorer in itask.scorer or []:
        score = await scorer(state, Target(sample.target))
        scores[_scorer_name(scorer, scores)] = score
    if not scores:
        raise HarnessError(f"inspect task {itask.name!r} has no scorer to verify with")
    return scores


def _scorer_name(scorer: Any, taken: Mapping[str, Any]) -> str:
    """The name inspect gives a scorer in logs (its registry name without the package), made unique."""
    base = scorer_name(scorer)
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}{n}"
    return name


def _values(scores: Mapping[str, Any]) -> dict[str, Any]:
    return {n: s.value for n, s in scores.items()}


class _active:
    """inspect's active model for solvers that call ``get_model()`` themselves (metered too)."""

    def __init__(self, model: Any, config: Any) -> None:
        self.model, self.config = model, config

    def __enter__(self) -> None:
        set_active_model(self.model, self.config)

    def __exit__(self, *exc: object) -> None:
        return None
