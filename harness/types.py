"""The small typed interfaces that domains, providers and strategies implement.

A *domain* bundles a task source, a solver and a verifier. A solver turns a task into a candidate by
calling a model through a :class:`ModelClient` (which the harness meters: tokens, dollars, spend cap). A
verifier turns a candidate into a :class:`Verdict`. Nothing here does I/O; plugins implement these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

VerdictStatus = Literal["passed", "failed", "error"]
VERDICT_STATUSES: tuple[str, ...] = ("passed", "failed", "error")


@dataclass(frozen=True)
class Task:
    """One verifiable problem instance of a domain.

    ``data`` is the domain's own payload (question and reference answer, tests, repository ...);
    the core never looks inside it.
    """

    id: str
    data: Mapping[str, Any] = field(default_factory=dict)
    split: str | None = None


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant", "tool"]
    content: str


@dataclass(frozen=True)
class Completion:
    """One model call's result, with its exact accounting."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    model: str = ""
    finish_reason: str | None = None
    raw: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Candidate:
    """What a solver produced for a task: the transcript and the extracted answer (code, patch, number)."""

    answer: str | None
    prompt: str = ""
    response: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """A verifier's judgement of a candidate.

    ``status`` is what the arbitrageur can check before selling (``passed``/``failed``), or ``error``
    when verification itself could not run (``error_kind`` says why; an error is not a failed
    verification). ``correct`` is the hidden ground truth where the domain has one (private tests),
    else ``None``.
    """

    status: VerdictStatus
    correct: bool | None = None
    error_kind: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in VERDICT_STATUSES:
            raise ValueError(f"verdict status must be one of {VERDICT_STATUSES}, got {self.status!r}")

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@runtime_checkable
class ModelClient(Protocol):
    """What a solver calls: one metered model. Every call is priced, counted and capped by the harness."""

    name: str

    async def complete(self, messages: Sequence[Message], **params: Any) -> Completion: ...


@runtime_checkable
class TaskSource(Protocol):
    """Yields a domain's tasks. ``options`` come from ``[domains.<name>]`` in harness.toml.

    ``name`` is what ``[domains.<d>] source = "<name>"`` picks ("hub", "local", "builtin", ...).
    """

    name: str

    def tasks(self, options: Mapping[str, Any]) -> Iterable[Task]: ...


@runtime_checkable
class Solver(Protocol):
    """Turns a task into a candidate by calling the model (once, or in an agent loop).

    ``name`` is what ``[domains.<d>] solver = "<name>"`` picks ("oneshot", "agent", ...).
    """

    name: str

    async def solve(self, task: Task, model: ModelClient) -> Candidate: ...


@runtime_checkable
class Verifier(Protocol):
    """Judges a candidate. Must be safe to call in a worker process (picklable, no shared state).

    ``name`` is what ``[domains.<d>] verifier = "<name>"`` picks ("local", "docker", ...).
    """

    name: str

    def verify(self, task: Task, candidate: Candidate) -> Verdict: ...


#: What a domain names its component by when the component object has no ``name`` of its own.
DEFAULT_COMPONENT = "default"


def component_name(obj: Any) -> str:
    """The name a task source, solver or verifier is registered and picked by."""
    name = getattr(obj, "name", None)
    return name if isinstance(name, str) and name else DEFAULT_COMPONENT


@dataclass(frozen=True)
class Domain:
    """A family of verifiable tasks: where tasks come from, how a model solves one, how it is checked.

    ``source``, ``solver`` and ``verifier`` are the domain's defaults: either an object (registered for
    this domain under its ``name``, or ``"default"``) or the name of one that a plugin registers through
    ``register_task_sources`` / ``register_solvers`` / ``register_verifiers``. ``[domains.<name>]`` in
    harness.toml may pick others. ``task_group`` maps a task id to its group (SWE-bench: the repository),
    which ``--split group:NAME`` uses.
    """

    name: str
    source: TaskSource | str | None = None
    solver: Solver | str | None = None
    verifier: Verifier | str | None = None
    description: str = ""
    #: Bumped by the plugin when its prompt or extraction changes, so old attempts are not reused.
    version: str = "1"
    task_group: Callable[[str], str] | None = None


@dataclass(frozen=True)
class DomainSetup:
    """A domain assembled for one run: the chosen task source, solver and verifier, with their names."""

    domain: Domain
    source: TaskSource
    solver: Solver
    verifier: Verifier
    source_name: str
    solver_name: str
    verifier_name: str

    @property
    def name(self) -> str:
        return self.domain.name


@runtime_checkable
class BankFormat(Protocol):
    """A reader (and optionally a writer) of result files that are not the bank JSONL.

    ``detect(path)`` says whether ``path`` holds this format; ``read(path)`` returns a
    :class:`harness.Bank`. ``domain`` names the domain its tasks belong to (or None). A format that can
    also write has ``export(attempts, out_dir) -> list[Path]``.
    """

    name: str
    description: str

    def detect(self, path: Path) -> bool: ...

    def read(self, path: Path) -> Any: ...


@runtime_checkable
class Provider(Protocol):
    """A way of querying models. ``name`` is what ``[models.<m>] provider = ...`` refers to."""

    name: str

    async def complete(self, model: Any, messages: Sequence[Message], **params: Any) -> Completion: ...


@dataclass(frozen=True)
class Stage:
    """One step of a cascade: spend up to ``threshold_usd`` on ``model`` for a task (``inf``: the rest)."""

    model: str
    threshold_usd: float


@dataclass(frozen=True)
class Buy:
    """A strategy's next purchase for a task: one attempt of ``model``, costing at most ``limit_usd``.

    An attempt that would cost more than its limit is cut off there (an agent stops at its dollar limit):
    it is paid up to the limit and sells nothing. ``None``: no limit beyond the run's spend cap.
    """

    model: str
    limit_usd: float | None = None
    #: only a recorded attempt that was verified (the oracle, on recorded attempts only)
    verified_only: bool = False


@dataclass(frozen=True)
class Outcome:
    """What one bought attempt gave: its cost, whether it was verified (sellable), hidden correctness."""

    model: str
    cost_usd: float
    verified: bool
    correct: bool | None = None
    truncated: bool = False  # stopped at its dollar limit
    reused: bool = False  # taken from the store (paid for earlier), not bought again


@dataclass
class TaskHistory:
    """A task being served: what was bought for it so far, in order."""

    task: Task
    outcomes: list[Outcome] = field(default_factory=list)

    def spent(self, model: str | None = None) -> float:
        """Dollars spent on the task so far (on ``model`` only, if given)."""
        return sum(o.cost_usd for o in self.outcomes if model is None or o.model == model)

    def count(self, model: str) -> int:
        """Attempts of ``model`` bought for the task so far."""
        return sum(1 for o in self.outcomes if o.model == model)

    @property
    def verified(self) -> bool:
        return any(o.verified for o in self.outcomes)


@dataclass(frozen=True)
class FitContext:
    """What a strategy may learn from before a run.

    ``models`` are the models it may buy, cheapest first; ``providers`` those the market sells;
    ``budget_usd`` the most it may spend on one task; ``fit_banks`` banks of *other* domains (name ->
    :class:`harness.Bank`) with the same models; ``target_bank`` the target domain's own bank where one
    exists (in-sample: ``optimal`` uses it, ``robust`` must not); ``replay`` the recorded attempts the
    run replays (``oracle`` peeks at it); ``costs`` estimated USD per attempt per model; ``options`` the
    strategy's own settings (command line and ``[run]``); ``analysis`` the grids to fit on;
    ``market_bank`` the providers' attempts on the target domain (what the run's prices come from).
    """

    models: tuple[str, ...]
    providers: tuple[str, ...]
    budget_usd: float
    fit_banks: Mapping[str, Any] = field(default_factory=dict)
    target_bank: Any = None
    replay: Any = None
    costs: Mapping[str, float] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    analysis: Any = None
    fit_budget_usd: float | None = None
    seed: int = 0
    market_bank: Any = None


@runtime_checkable
class Strategy(Protocol):
    """How the arbitrageur spends on a task: asked for its next purchase given what was bought so far
    (``None`` stops), it observes every attempt's outcome. ``fit`` runs once before the run."""

    name: str
    description: str

    def fit(self, context: FitContext) -> None: ...

    def next_buy(self, history: TaskHistory) -> Buy | None: ...

    def observe(self, history: TaskHistory, outcome: Outcome) -> None: ...
