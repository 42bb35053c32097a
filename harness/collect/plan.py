"""Planning a collection: the experiment's fingerprints, the domain's tasks, the attempts still missing,
and a lock so two collections of one experiment never pay for the same attempts."""

from __future__ import annotations

import contextlib
import itertools
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # not POSIX: no cross-process lock
    fcntl = None  # type: ignore[assignment]

from harness.config import Config, ModelConfig
from harness.errors import HarnessError
from harness.store.attempt import fingerprint
from harness.types import DomainSetup, Task

#: ``[domains.<d>]`` keys that choose how many tasks, not what the model is asked: not in the fingerprint.
NOT_IN_FINGERPRINT = ("limit", "_root")
#: Keys that pick the domain's components: the task source never receives them.
COMPONENT_KEYS = ("solver", "verifier")


@dataclass(frozen=True)
class Work:
    """One planned attempt: the ``index``-th attempt of ``model`` on ``task``."""

    task: Task
    model: str
    index: int


def fingerprints(config: Config, setup: DomainSetup, models: Mapping[str, ModelConfig]) -> dict[str, str]:
    """Per model, the fingerprint of the experiment: what the model is asked and how its answer is judged.

    It covers the model's sampling settings, the domain's name and version, and its ``[domains.<d>]``
    table except ``limit`` (a larger limit resumes the same experiment; a changed prompt is a new one).
    ``sampling`` includes ``api_base`` when a model sets one: another server may serve another model
    under the same route name, so its answers are not the same experiment's, even though moving the
    same server to a new address then starts afresh (keep the address to resume). A model without
    ``api_base`` keeps the fingerprint it had before the server counted.
    """
    options = {k: v for k, v in config.domain_options(setup.name).items() if k not in NOT_IN_FINGERPRINT}
    identity = (setup.name, setup.domain.version, *((options,) if options else ()))
    return {m: fingerprint(c.sampling, *identity) for m, c in models.items()}


def list_tasks(config: Config, setup: DomainSetup, limit: int | None = None) -> list[Task]:
    """The domain's tasks from its chosen source (the first ``limit``); ids must be unique."""
    opts = config.domain_options(setup.name)
    if limit is not None:
        if limit < 1:
            raise HarnessError(f"--limit must be at least 1 (got {limit})")
        opts["limit"] = min(limit, opts.get("limit") or limit)
    source_opts = {k: v for k, v in opts.items() if k not in COMPONENT_KEYS}
    try:
        tasks = setup.source.tasks(source_opts)
        out = list(itertools.islice(tasks, limit) if limit is not None else tasks)
    except HarnessError:
        raise
    except Exception as exc:
        raise HarnessError(
            f"domain {setup.name!r} could not list its tasks: {type(exc).__name__}: {exc}; "
            f"check [domains.{setup.name}] in harness.toml"
        ) from exc
    dup = [i for i, n in Counter(t.id for t in out).items() if n > 1]
    if dup:
        raise HarnessError(f"domain {setup.name!r} yields task id {dup[0]!r} more than once")
    return out


def missing_work(
    tasks: Sequence[Task], models: Sequence[str], attempts: int, done: Mapping[str, set[tuple[str, int]]]
) -> tuple[list[Work], Counter[str], Counter[str]]:
    """Every attempt not yet stored, task-major so an interrupted run leaves whole tasks; with the planned
    and already-done counts per model."""
    work: list[Work] = []
    planned: Counter[str] = Counter()
    already: Counter[str] = Counter()
    for task in tasks:
        for m in models:
            for i in range(attempts):
                planned[m] += 1
                if (task.id, i) in done[m]:
                    already[m] += 1
                else:
                    work.append(Work(task, m, i))
    return work, planned, already


@contextlib.contextmanager
def experiment_lock(store_path: str | Path | None, domain: str, fps: Mapping[str, str]) -> Iterator[None]:
    """Hold a lock per (domain, model, fingerprint) on this store while collecting: a second collection
    of the same experiment would plan the same missing attempts and pay for each of them twice."""
    if store_path is None or fcntl is None:
        yield
        return
    path = Path(store_path)
    folder = path.parent / f".{path.name}.locks"
    with contextlib.ExitStack() as held:
        for m, fp in fps.items():
            try:
                folder.mkdir(exist_ok=True)
                fh = held.enter_context(open(folder / f"{fingerprint(domain, m, fp)}.lock", "a"))  # noqa: SIM115
            except OSError as exc:
                raise HarnessError(
                    f"{folder}: cannot create the collection locks ({exc.strerror or exc}); "
                    "check [store] path in harness.toml"
                ) from None
            try:
                fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a process lock: verify workers do not inherit it
            except OSError:
                raise HarnessError(
                    f"another `harness collect` is collecting model {m!r} on domain {domain!r} into "
                    f"{path}; wait for it to finish or stop it (two runs would pay for the same attempts twice)"
                ) from None
        yield


def check_domain_runs(setup: DomainSetup) -> Any:
    """Fail before any call when the verifier cannot reach a worker process, or says it cannot run here."""
    import pickle

    try:
        pickle.dumps(setup.verifier)
    except Exception as exc:
        raise HarnessError(
            f"domain {setup.name!r}: its verifier cannot be sent to a worker process ({exc}); "
            "verifiers must be picklable (module-level classes, no open handles)"
        ) from None
    for part in (setup.source, setup.solver, setup.verifier):
        check = getattr(part, "check", None)
        if callable(check):
            check()  # e.g. the docker verifier without a daemon: one line, before anything is paid
