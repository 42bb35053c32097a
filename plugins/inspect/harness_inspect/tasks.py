"""Which inspect task a domain runs (``[domains.inspect] options``), and loading it once per process.

Options (all under ``[domains.inspect] options``; relative paths are relative to harness.toml):

- ``task`` (required): an inspect registry name (``inspect_evals/gsm8k``) or a file and task
  (``tasks.py@addition``), as ``inspect eval`` takes them;
- ``task_args``: a table of the task's arguments (``inspect eval -T``), e.g. ``{ fewshot = 0 }``;
- ``dataset``: a local ``.jsonl``/``.json``/``.csv`` file (or a table ``split = file``) that the task's
  Hugging Face dataset loads read instead, with the task's own record-to-sample mapping, so a hub task
  runs offline on a local copy;
- ``scorer`` and ``pass``: which score is the verdict and which values pass (:mod:`harness_inspect.scoring`).

Every option but ``limit`` is part of the attempt fingerprint (the harness fingerprints the domain's
options), so another task, other arguments or another dataset are another experiment.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness import HarnessError

from harness_inspect import offline
from harness_inspect.scoring import PassRule

OPTIONS = ("task", "task_args", "dataset", "scorer", "pass")
#: Keys the harness itself puts in a domain's options.
_HARNESS_KEYS = ("source", "solver", "verifier", "split", "limit", "_root")
_WHERE = "[domains.inspect] options"


@dataclass(frozen=True)
class TaskSpec:
    """A resolved inspect task choice; plain data, so it travels inside each harness Task to workers."""

    task: str
    task_args: Mapping[str, Any] = field(default_factory=dict)
    dataset: Mapping[str, str] = field(default_factory=dict)  # split (or "*") -> absolute file
    scorer: str | None = None
    pass_rule: str = ""

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> TaskSpec:
        """Validate ``[domains.inspect] options`` (one line naming the key on a mistake)."""
        unknown = sorted(set(options) - set(OPTIONS) - set(_HARNESS_KEYS))
        if unknown:
            raise HarnessError(f"{_WHERE}: unknown key {unknown[0]!r} (known: {', '.join(OPTIONS)})")
        root = Path(str(options.get("_root") or "."))
        task = options.get("task")
        if not isinstance(task, str) or not task.strip():
            raise HarnessError(
                f'{_WHERE}: set task = an inspect task, e.g. "inspect_evals/gsm8k" or "tasks.py@my_task"'
            )
        args = options.get("task_args") or {}
        if not isinstance(args, Mapping):
            raise HarnessError(f"{_WHERE}: task_args must be a table of the task's arguments, got {args!r}")
        scorer = options.get("scorer")
        if scorer is not None and not isinstance(scorer, str):
            raise HarnessError(f'{_WHERE}: scorer must be a scorer name ("match", or "name:key"), got {scorer!r}')
        rule = options.get("pass") or ""
        if not isinstance(rule, str):
            raise HarnessError(f'{_WHERE}: pass must be a string like "C", "C,P" or ">=0.5", got {rule!r}')
        try:
            PassRule(rule)
        except HarnessError as exc:
            raise HarnessError(f"{_WHERE}: pass: {exc}") from None
        return cls(_resolve_task(task.strip(), root), dict(args), _datasets(options.get("dataset"), root), scorer, rule)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaskSpec:
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))

    @property
    def key(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True)


def _resolve_task(task: str, root: Path) -> str:
    """A file task (``path.py`` or ``path.py@name``) made absolute against harness.toml's folder."""
    file, at, name = task.partition("@")
    if not file.endswith(".py"):
        return task  # a registry name
    path = Path(file).expanduser()
    path = path if path.is_absolute() else root / path
    if not path.is_file():
        raise HarnessError(f"{_WHERE}: task file {str(path)!r} does not exist; check task = {task!r}")
    return f"{path.resolve()}{at}{name}"


def _datasets(value: Any, root: Path) -> dict[str, str]:
    if value is None:
        return {}
    table = {"*": value} if isinstance(value, str) else value
    if not isinstance(table, Mapping) or not all(isinstance(v, str) for v in table.values()):
        raise HarnessError(f"{_WHERE}: dataset must be a file or a table of split = file, got {value!r}")
    out = {}
    for split, file in table.items():
        path = Path(file).expanduser()
        path = path if path.is_absolute() else root / path
        if path.suffix not in (".jsonl", ".json", ".csv"):
            raise HarnessError(f"{_WHERE}: dataset {file!r} must be a .jsonl, .json or .csv file")
        if not path.is_file():
            raise HarnessError(f"{_WHERE}: dataset file {str(path)!r} does not exist; check dataset")
        out[str(split)] = str(path.resolve())
    return out


# ---- loading ---------------------------------------------------------------------------------------

_loaded: dict[str, Any] = {}


def load_task(spec: TaskSpec) -> Any:
    """The inspect ``Task`` of ``spec`` (created once per process: workers and the main process alike)."""
    if spec.key in _loaded:
        return _loaded[spec.key]
    offline.apply()
    from harness_inspect.inspect_compat import load_tasks

    try:
        with local_datasets(spec.dataset):
            _import_task_module(spec.task)
            tasks = load_tasks(spec.task, dict(spec.task_args))
    except HarnessError:
        raise
    except Exception as exc:
        raise HarnessError(
            f"inspect task {spec.task!r} could not be created: {type(exc).__name__}: {_first_line(exc)}; check "
            f"{_WHERE} task, task_args and dataset"
        ) from None
    if len(tasks) != 1:
        found = ", ".join(t.name for t in tasks) or "none"
        raise HarnessError(
            f"inspect task {spec.task!r} names {len(tasks)} tasks (found: {found}); name one as "
            '"file.py@task" or an installed registry name (inspect list tasks)'
        )
    task = tasks[0]
    if task.sandbox is not None:
        raise HarnessError(
            f"inspect task {task.name!r} needs a sandbox ({task.sandbox}); the inspect domain runs tasks whose "
            "solvers only generate text"
        )
    _loaded[spec.key] = task
    return task


def _import_task_module(name: str) -> None:
    """Import ``pkg.task`` for a registry name ``pkg/task`` when that module exists (inspect-evals' layout):
    the task registers itself, and inspect does not import every eval of the package (hundreds of
    modules, seconds in each verification worker) to find it. Anything else is left to inspect."""
    pkg, slash, task = name.partition("/")
    if not slash or "/" in task or name.endswith(".py") or not (pkg.isidentifier() and task.isidentifier()):
        return
    with contextlib.suppress(ImportError):
        if importlib.util.find_spec(pkg) is not None and importlib.util.find_spec(f"{pkg}.{task}") is not None:
            importlib.import_module(f"{pkg}.{task}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


@contextlib.contextmanager
def local_datasets(files: Mapping[str, str]) -> Iterator[None]:
    """While a task is created, its ``hf_dataset`` loads read the local ``files`` (split -> file) instead.

    inspect-evals' loaders call ``inspect_ai.dataset.hf_dataset`` by attribute, and task files bind it
    with ``from inspect_ai.dataset import hf_dataset``: both see the replacement, which keeps the task's
    ``sample_fields``, ``shuffle``, ``seed`` and ``limit`` and drops only the hub arguments.
    """
    if not files:
        yield
        return
    import inspect_ai.dataset as datasets

    original = datasets.hf_dataset

    def local(path: str, split: str, *args: Any, **kwargs: Any) -> Any:
        file = files.get(split) or files.get("*")
        if file is None:
            raise HarnessError(
                f"the inspect task loads split {split!r} of hub dataset {path!r}; add it to {_WHERE} dataset "
                f"(a table of split = file: {', '.join(files)} given)"
            )
        keep = ("sample_fields", "auto_id", "shuffle", "seed", "shuffle_choices", "limit")
        loader = datasets.csv_dataset if file.endswith(".csv") else datasets.json_dataset
        return loader(file, **{k: v for k, v in kwargs.items() if k in keep})

    _rebind(original, local)
    try:
        yield
    finally:
        _rebind(local, original)  # also in modules first imported meanwhile (they bound `local`)


def _rebind(old: Any, new: Any) -> None:
    for module in list(sys.modules.values()):
        names = getattr(module, "__dict__", None)  # not getattr: some modules compute attributes lazily
        if isinstance(names, dict) and names.get("hf_dataset") is old:
            names["hf_dataset"] = new
