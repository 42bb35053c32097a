"""The contract suite every domain plugin runs: subclass :class:`DomainContract` in the plugin's tests.

It checks what the harness relies on and cannot check for itself until a collection goes wrong:
task ids unique and stable (in this process and in a fresh interpreter with another hash seed, since a
collection resumes by task id), ``limit`` honoured, tasks picklable, the verifier picklable and
deterministic, a known-good candidate passing and a known-bad one failing, a verifier crash ending as
an ``error`` verdict (never ``failed``: an error is retried, a failure is evidence about the model),
bad source options refused with one clear :class:`harness.HarnessError` line, and (when
``good_reply`` is given) the solver turning a model's reply into a passing candidate through the real
metered client. Verdicts are taken exactly as the collection pipeline takes them (its worker wrapper).
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import os
import pickle
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from harness.collect.verify import verify_in_worker
from harness.errors import HarnessError
from harness.registry import Registry
from harness.testing.fixtures import isolated_registry, plugin_pair
from harness.testing.scripted import ScriptedModel
from harness.types import Candidate, DomainSetup, Task, Verdict

#: Keys of ``[domains.<d>]`` that pick components; the pipeline does not pass them to the task source.
_COMPONENT_KEYS = ("solver", "verifier")


def verify_as_pipeline(verifier: Any, task: Task, candidate: Candidate) -> Verdict:
    """The verdict the collection pipeline records: its worker wrapper turns a crash into ``error``."""
    return verify_in_worker(verifier, task, candidate).verdict


def source_options(options: Mapping[str, Any], root: Path, limit: int | None = None) -> dict[str, Any]:
    """What the pipeline passes to ``TaskSource.tasks``: the domain's table without component picks,
    plus ``_root`` (harness.toml's folder) and ``limit`` when one is set."""
    opts = {k: v for k, v in options.items() if k not in _COMPONENT_KEYS}
    opts["_root"] = str(root)
    if limit is not None:
        opts["limit"] = limit
    return opts


class _BrokenData(Mapping[str, Any]):
    """Task data that raises on every read: whatever the verifier looks up, it crashes."""

    def _crash(self, *args: Any) -> Any:
        raise RuntimeError("harness contract: this task's data is broken on purpose")

    __getitem__ = __iter__ = __len__ = __contains__ = _crash


class DomainContract:
    """Subclass as ``class TestMyDomainContract(DomainContract)`` and set:

    - ``plugin``: the plugin under test (module, importable module name, or ``(name, module)``), or a
      list of them (a plugin that adds a verifier to a domain lists the domain's plugin too);
    - ``domain``: the domain name;
    - ``options``: the ``[domains.<domain>]`` table to test with (``source``/``solver``/``verifier``
      names and the source's options), relative paths against the test file's folder;
    - ``good`` / ``bad``: a candidate that must pass / fail, or a function of the task returning one
      (``None`` skips those checks, with the reason in ``skip_reason``);
    - ``bad_options``: options merged onto ``options`` that the source must refuse with a
      HarnessError naming one of their keys (default ``{"limit": -1}``; ``None`` skips);
    - ``good_reply`` (optional): a model reply (or a function of the task) that the solver must turn
      into a passing candidate;
    - ``task_id`` (optional): which task ``good``/``bad`` are for (default: the first).

    Override the ``contract_options`` fixture when the options need a temporary file, and
    ``crash_case`` when the default crash (task data that raises on every read) does not reach the
    verifier's code.
    """

    plugin: ClassVar[Any] = None
    domain: ClassVar[str] = ""
    options: ClassVar[Mapping[str, Any]] = {}
    good: ClassVar[Any] = None
    bad: ClassVar[Any] = None
    bad_options: ClassVar[Mapping[str, Any] | None] = {"limit": -1}
    good_reply: ClassVar[Any] = None
    task_id: ClassVar[str | None] = None
    #: How many tasks the checks list (a source may hold far more).
    sample: ClassVar[int] = 10
    #: Why ``good``/``bad`` are not given (shown when those checks are skipped).
    skip_reason: ClassVar[str] = "the contract gives no known-good/known-bad candidate"

    # ---- fixtures (override to customise) ------------------------------------------------------

    @pytest.fixture
    def contract_plugins(self) -> list[Any]:
        """The plugins the isolated registry loads."""
        if self.plugin is None or not self.domain:
            pytest.fail(f"{type(self).__name__}: set `plugin` (the plugin under test) and `domain`")
        return self.plugin_specs()

    @pytest.fixture
    def contract_registry(self, monkeypatch: pytest.MonkeyPatch, contract_plugins: list[Any]) -> Registry:
        return isolated_registry(monkeypatch, *contract_plugins)

    @pytest.fixture
    def contract_options(self) -> dict[str, Any]:
        """The ``[domains.<domain>]`` table under test (override for options that need a temp file)."""
        return dict(self.options)

    @pytest.fixture
    def contract_root(self, request: pytest.FixtureRequest) -> Path:
        """The folder relative paths in the options are read against (``_root``): the test file's."""
        return Path(request.path).parent

    @pytest.fixture
    def contract_setup(self, contract_registry: Registry, contract_options: dict[str, Any]) -> DomainSetup:
        return contract_registry.setup(self.domain, contract_options)

    @pytest.fixture
    def contract_tasks(
        self, contract_setup: DomainSetup, contract_options: dict[str, Any], contract_root: Path
    ) -> list[Task]:
        tasks = self.list_tasks(contract_setup, contract_options, contract_root)
        assert tasks, f"domain {self.domain!r} yields no task with options {contract_options}"
        return tasks

    @pytest.fixture
    def contract_task(self, contract_tasks: list[Task]) -> Task:
        """The task ``good`` and ``bad`` are for."""
        if self.task_id is None:
            return contract_tasks[0]
        found = [t for t in contract_tasks if t.id == self.task_id]
        assert found, f"task {self.task_id!r} is not among the first {self.sample} tasks"
        return found[0]

    # ---- helpers -------------------------------------------------------------------------------

    def list_tasks(
        self, setup: DomainSetup, options: Mapping[str, Any], root: Path, limit: int | None = None
    ) -> list[Task]:
        """The first ``sample`` tasks, listed as the pipeline lists them."""
        asked = self.sample if limit is None else limit
        return list(itertools.islice(setup.source.tasks(source_options(options, root, asked)), self.sample + 1))

    def candidate(self, which: str, task: Task) -> Candidate:
        value = inspect.getattr_static(type(self), which)
        value = value.__func__ if isinstance(value, staticmethod) else value
        if value is None:
            pytest.skip(self.skip_reason)
        out = value(task) if callable(value) and not isinstance(value, Candidate) else value
        assert isinstance(out, Candidate), f"`{which}` must be a harness.Candidate (or a function returning one)"
        return out

    def crash_case(self, task: Task, candidate: Candidate) -> tuple[Task, Candidate]:
        """A (task, candidate) pair on which the verifier's code crashes: by default, the task's data
        raises on every read."""
        return Task(id=task.id, data=_BrokenData(), split=task.split), candidate

    # ---- the contract ----------------------------------------------------------------------------

    def test_task_ids_are_unique_and_stable(
        self, contract_plugins, contract_setup, contract_options, contract_root, contract_tasks
    ):
        ids = [t.id for t in contract_tasks]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        assert not dup, f"task ids repeat: {dup}"
        assert all(isinstance(i, str) and i for i in ids), "task ids must be non-empty strings"
        again = [t.id for t in self.list_tasks(contract_setup, contract_options, contract_root)]
        assert again == ids, "listing the tasks twice gives other ids (or another order)"
        fresh = _ids_in_fresh_interpreter(contract_plugins, self.domain, contract_options, contract_root, self.sample)
        if fresh is not None:
            assert fresh == ids, (
                "a fresh interpreter (another hash seed) lists other task ids: a collection cannot resume"
            )

    def test_limit_is_honoured(self, contract_setup, contract_options, contract_root):
        many = self.list_tasks(contract_setup, contract_options, contract_root)
        assert len(many) <= self.sample, f"limit={self.sample} yielded more tasks than that"
        for n in (1, 2):
            got = [t.id for t in self.list_tasks(contract_setup, contract_options, contract_root, limit=n)]
            assert got == [t.id for t in many[:n]], f"limit={n} should yield the first {n} task(s), got {got}"

    def test_tasks_are_picklable(self, contract_tasks):
        for task in contract_tasks:
            back = pickle.loads(pickle.dumps(task))
            assert back.id == task.id and back.data == task.data, f"task {task.id!r} changes when pickled"

    def test_verifier_is_picklable_and_deterministic(self, contract_setup, contract_task):
        verifier = contract_setup.verifier
        try:
            copy = pickle.loads(pickle.dumps(verifier))
        except Exception as exc:
            pytest.fail(f"the verifier cannot be sent to a worker process: {exc}")
        for which in ("good", "bad"):
            if inspect.getattr_static(type(self), which) is None:
                continue
            cand = self.candidate(which, contract_task)
            seen = {_judgement(verify_as_pipeline(v, contract_task, cand)) for v in (verifier, copy)}
            assert len(seen) == 1, f"the {which} candidate gets different verdicts: {sorted(seen, key=str)}"

    def test_good_candidate_passes(self, contract_setup, contract_task):
        verdict = verify_as_pipeline(contract_setup.verifier, contract_task, self.candidate("good", contract_task))
        assert verdict.status == "passed", f"the good candidate was judged {verdict}"
        assert verdict.correct is not False, f"the good candidate passed but is marked incorrect: {verdict}"

    def test_bad_candidate_fails(self, contract_setup, contract_task):
        verdict = verify_as_pipeline(contract_setup.verifier, contract_task, self.candidate("bad", contract_task))
        assert verdict.status == "failed", f"the bad candidate was judged {verdict} (an error is not a failure)"
        assert verdict.correct is not True, f"the bad candidate failed but is marked correct: {verdict}"

    def test_verifier_crash_is_an_error_not_a_failure(self, contract_setup, contract_task):
        good = inspect.getattr_static(type(self), "good")
        cand = self.candidate("good", contract_task) if good is not None else Candidate(answer="x", response="x")
        task, cand = self.crash_case(contract_task, cand)
        verdict = verify_as_pipeline(contract_setup.verifier, task, cand)
        assert verdict.status == "error", f"a verifier crash must be an 'error' verdict, got {verdict}"

    def test_bad_source_options_raise_a_clear_error(self, contract_setup, contract_options, contract_root):
        if self.bad_options is None:
            pytest.skip("the contract names no bad source options")
        opts = source_options({**contract_options, **self.bad_options}, contract_root)
        try:
            list(itertools.islice(contract_setup.source.tasks(opts), self.sample))
        except HarnessError as exc:
            message = str(exc)
        except Exception as exc:
            pytest.fail(
                f"bad options {dict(self.bad_options)} raised {type(exc).__name__}: {exc}; raise "
                "harness.HarnessError with one line saying what is wrong and how to fix it"
            )
        else:
            pytest.fail(f"the task source accepted bad options {dict(self.bad_options)}")
        assert message.strip() and "\n" not in message, f"the error must be one line: {message!r}"
        assert any(str(k).lower() in message.lower() for k in self.bad_options), (
            f"the error should name the bad option ({', '.join(map(str, self.bad_options))}): {message!r}"
        )

    def test_solver_turns_a_good_reply_into_a_passing_candidate(self, contract_setup, contract_task):
        if self.good_reply is None:
            pytest.skip("the contract gives no good_reply for the solver")
        reply = inspect.getattr_static(type(self), "good_reply")
        reply = reply.__func__ if isinstance(reply, staticmethod) else reply
        text = reply(contract_task) if callable(reply) else reply
        model = ScriptedModel(itertools.repeat(text, 50), name="contract")
        candidate = asyncio.run(contract_setup.solver.solve(contract_task, model))
        assert isinstance(candidate, Candidate), f"the solver returned {type(candidate).__name__}, not a Candidate"
        assert model.totals.calls >= 1, "the solver did not call the model"
        verdict = verify_as_pipeline(contract_setup.verifier, contract_task, candidate)
        assert verdict.status == "passed", f"the solver's candidate for the good reply was judged {verdict}"

    def plugin_specs(self) -> list[Any]:
        """``plugin`` as a list of plugin specs."""
        if isinstance(self.plugin, list | tuple) and not _is_pair(self.plugin):
            return list(self.plugin)
        return [self.plugin]


def _is_pair(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str) and not isinstance(value[1], str)


def _judgement(v: Verdict) -> tuple[str, bool | None, str | None]:
    return v.status, v.correct, v.error_kind


_FRESH = """
import json, sys
from harness.testing.contract import fresh_ids
print(json.dumps(fresh_ids(**json.loads(sys.stdin.read()))))
"""


def fresh_ids(
    modules: list[str], names: list[str], domain: str, options: dict[str, Any], root: str, n: int
) -> list[str]:
    """Task ids as a fresh interpreter lists them (run by :func:`_ids_in_fresh_interpreter`)."""
    import importlib

    from harness.registry import load_plugins

    os.environ["HARNESS_DISABLE_PLUGINS"] = "1"
    reg = load_plugins(extra=[(name, importlib.import_module(mod)) for mod, name in zip(modules, names, strict=True)])
    setup = reg.setup(domain, options)
    return [t.id for t in itertools.islice(setup.source.tasks(source_options(options, Path(root), n)), n + 1)]


def _ids_in_fresh_interpreter(
    specs: list[Any], domain: str, options: Mapping[str, Any], root: Path, n: int
) -> list[str] | None:
    """The ids a new Python process (another hash seed) lists, or None when the plugin cannot be imported
    by name there (a module built inside the test) or the options are not JSON."""
    pairs = [plugin_pair(s) for s in specs]
    modules = [getattr(m, "__name__", None) for _, m in pairs]
    if any(m is None or m not in sys.modules or getattr(sys.modules[m], "__file__", None) is None for m in modules):
        return None
    try:
        payload = json.dumps(
            {
                "modules": modules,
                "names": [n for n, _ in pairs],
                "domain": domain,
                "options": dict(options),
                "root": str(root),
                "n": n,
            }
        )
    except TypeError:
        return None
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"  # not this process's seed
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    out = subprocess.run(
        [sys.executable, "-c", _FRESH], input=payload, capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, f"listing the tasks in a fresh interpreter failed:\n{out.stderr[-2000:]}"
    return json.loads(out.stdout.strip().splitlines()[-1])


__all__ = ["DomainContract", "source_options", "verify_as_pipeline"]
