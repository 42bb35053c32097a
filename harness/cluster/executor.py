"""The Ray executor (driver side): solves and verifications on a cluster, money and the store on the driver.

- **Solves** run as tasks of :class:`~harness.cluster.worker.SolveHost` actors (two per node, spread;
  restarted when they die). The solver's model calls come back to this process: each is taken from
  the host's outbox by a long poll, made through the attempt's :class:`MeteredClient` (per-model
  concurrency and rate limits, the spend cap's reserve and settle, prices) and answered. The spend cap
  and the limits therefore hold exactly across the cluster, API keys never leave the driver, and the
  driver knows every call an attempt made even if its worker dies.
- **A lost worker** (its process or node died): the driver first waits for the calls it was making for
  the attempt. No call made: the solve is run again on another host (nothing was paid). Calls made: the
  attempt is recorded as an ``error`` of kind ``worker_lost`` with their exact tokens and dollars, and
  the next run retries it like any error (its cost stays in the accounts; nothing is paid twice).
- **Verifications** are Ray tasks with the verifier's declared ``resources`` (see
  :mod:`harness.cluster.resources`); Ray re-runs one whose worker died (``VERIFY_RETRIES`` times).

The driver stays the only writer of the store: every result comes back here and goes to the
pipeline's single writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from typing import Any

from harness.cluster.connection import connect, import_ray
from harness.cluster.resources import check_feasible, declared, ray_options
from harness.cluster.wire import unpack
from harness.cluster.worker import SolveHost, refusal, verify_task
from harness.collect.metering import CallFailure, CallsStopped, MeteredClient
from harness.collect.verify import Checked
from harness.errors import HarnessError
from harness.types import Candidate, DomainSetup, Task, Verdict

HOSTS_PER_NODE = 2
#: Times a solve whose worker died before it made any call is started again on another host.
SOLVE_RETRIES = 5
#: Seconds before the first re-run of a lost solve, doubled at each further one (Ray restarts dead hosts).
RESTART_WAIT_S = 0.5
#: Times Ray re-runs a verification whose worker died.
VERIFY_RETRIES = 3
POLL_WAIT_S = 1.0
READY_TIMEOUT_S = 180.0


class WorkerLost(Exception):
    """The Ray worker (or node) running a solve died."""


class RemoteSolver:
    """Stands in for the domain's solver in the pipeline: the solve runs on the cluster."""

    def __init__(self, executor: RayExecutor, solver: Any) -> None:
        self.executor = executor
        self.inner = solver
        self.name = getattr(solver, "name", type(solver).__name__)

    async def solve(self, task: Task, model: Any) -> Candidate:
        return await self.executor.solve(task, model)


class RayExecutor:
    """Where a session's solves and verifications run when ``--executor ray``; the pipeline's Verification."""

    def __init__(self, address: str | None, setup: DomainSetup) -> None:
        self.address = address
        self.original = setup
        self.setup = dataclasses.replace(setup, solver=RemoteSolver(self, setup.solver))
        self.where = ""
        self.hosts: list[Any] = []
        self.load: dict[int, int] = {}  # solves running per host
        self.clients: dict[str, MeteredClient] = {}  # attempt key -> the driver-side client of its calls
        self.serving: dict[str, set[asyncio.Task[None]]] = {}  # attempt key -> its calls being made
        self.verifying: set[Any] = set()
        self.retried = 0  # solves started again after their worker died before any call
        self.lost = 0  # solves recorded as worker_lost (calls had been made)
        self._pollers: list[asyncio.Task[None]] = []
        self._answers: set[asyncio.Task[None]] = set()  # refusals on their way (kept from the collector)
        self._refs: dict[str, Any] = {}
        self._verify: Any = None

    # ---- lifecycle ------------------------------------------------------------------------------

    def connect(self) -> None:
        """Connect (or fail in one line) and check that some node can run one verification."""
        self.where = connect(self.address)
        ray = import_ray()
        what = f"domain {self.original.name!r}'s verifier {self.original.verifier_name!r}"
        needs = declared(self.original.verifier, what)
        nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
        check_feasible(needs, nodes, what, self.where)
        self._options = ray_options(needs)

    def start(self) -> None:
        """Connect, ship the solver and verifier once, start the solve hosts and wait until they can load both."""
        if not self.where:
            self.connect()
        ray = import_ray()
        for part in ("solver", "verifier"):
            try:
                self._refs[part] = ray.put(getattr(self.original, part))
            except Exception as exc:
                raise HarnessError(
                    f"domain {self.original.name!r}: its {part} cannot be sent to Ray workers ({exc}); "
                    "it must pickle (module-level classes, no open handles)"
                ) from None
        nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
        actor = ray.remote(SolveHost).options(
            num_cpus=0, max_restarts=-1, max_task_retries=0, max_concurrency=4096, scheduling_strategy="SPREAD"
        )
        self.hosts = [actor.remote() for _ in range(max(1, nodes) * HOSTS_PER_NODE)]
        self.load = dict.fromkeys(range(len(self.hosts)), 0)
        self._verify = ray.remote(max_retries=VERIFY_RETRIES, retry_exceptions=False)(verify_task)
        try:
            parts = (self._refs["solver"], self._refs["verifier"])
            ray.get([h.ready.remote(*parts) for h in self.hosts], timeout=READY_TIMEOUT_S)
        except Exception as exc:
            self.shutdown(force=True)
            raise HarnessError(_unloadable(self.original.name, self.where, exc)) from None

    def shutdown(self, force: bool) -> None:
        """Stop the hosts (their process ends); on an interruption also cancel the verifications running."""
        ray = import_ray()
        for t in self._pollers:
            t.cancel()
        if force:
            for ref in list(self.verifying):
                with contextlib.suppress(Exception):
                    ray.cancel(ref, force=True)
        for h in self.hosts:
            with contextlib.suppress(Exception):
                ray.kill(h, no_restart=True)
        self.hosts = []

    # ---- solves ---------------------------------------------------------------------------------

    async def solve(self, task: Task, client: MeteredClient) -> Candidate:
        """Run the solver on a host; its calls are made here through ``client``."""
        ray = import_ray()
        self._serve_hosts()
        for round_ in range(SOLVE_RETRIES + 1):
            key = uuid.uuid4().hex
            self.clients[key] = client
            i = min(self.load, key=self.load.__getitem__)  # the least busy host
            self.load[i] += 1
            ref = self.hosts[i].solve.remote(key, self._refs["solver"], task, client.name)
            try:
                status, value = await ref
            except asyncio.CancelledError:
                with contextlib.suppress(Exception):
                    ray.cancel(ref)
                self.clients.pop(key, None)
                raise
            except _lost_errors() as exc:
                await self._settle(key)
                if client.totals.calls == 0 and client.outcome() is None and round_ < SOLVE_RETRIES:
                    self.retried += 1  # no call was made for it: nothing was paid, run it again
                    await asyncio.sleep(RESTART_WAIT_S * 2**round_)  # a host Ray restarts takes a moment
                    continue
                self.lost += 1
                error = WorkerLost(f"the Ray worker running this solve died ({type(exc).__name__})")
                client.fail(CallFailure("worker_lost", error, billed=client.totals.calls > 0))
                raise error from None
            finally:
                self.load[i] -= 1
            await self._settle(key)
            if status == "ok":
                return value
            raise unpack(value)
        raise AssertionError("unreachable")

    async def _settle(self, key: str) -> None:
        """Stop taking calls for ``key`` and wait for those being made (so the attempt's totals are final)."""
        self.clients.pop(key, None)
        calls = self.serving.pop(key, set())
        if calls:
            await asyncio.gather(*calls, return_exceptions=True)

    def _serve_hosts(self) -> None:
        if not self._pollers:
            self._pollers = [asyncio.create_task(self._poll(h)) for h in self.hosts]

    async def _poll(self, host: Any) -> None:
        """Take the calls a host's solves are waiting on, for as long as the session runs."""
        while True:
            try:
                requests = await host.take.remote(POLL_WAIT_S)
            except Exception:  # dead or restarting: its solves are reported lost to their attempts
                await asyncio.sleep(0.2)
                continue
            for rid, key, messages, params in requests:
                client = self.clients.get(key)
                if client is None:  # its attempt is over (or its worker was given up on): never make it
                    ended = refusal(CallsStopped("the attempt has ended: this call is not made"))
                    answer = asyncio.create_task(self._answer(host, rid, ended))
                    self._answers.add(answer)
                    answer.add_done_callback(self._answers.discard)
                    continue
                call = asyncio.create_task(self._call(host, rid, client, messages, params))
                self.serving.setdefault(key, set()).add(call)
                call.add_done_callback(lambda t, k=key: self.serving.get(k, set()).discard(t))

    async def _call(self, host: Any, rid: int, client: MeteredClient, messages: Any, params: dict[str, Any]) -> None:
        try:
            reply: tuple[str, Any] = ("ok", await client.complete(messages, **params))
        except Exception as exc:
            reply = refusal(exc)
        await self._answer(host, rid, reply)

    async def _answer(self, host: Any, rid: int, reply: tuple[str, Any]) -> None:
        with contextlib.suppress(Exception):  # the host died: the driver has what the call cost
            await host.answer.remote([(rid, reply)])

    # ---- verifications --------------------------------------------------------------------------

    async def verify(self, verifier: Any, task: Task, candidate: Candidate) -> Checked:
        """One verification as a Ray task with the verifier's resources; a crash is an ``error`` verdict."""
        ray = import_ray()
        if verifier is self.original.verifier:
            vref, options = self._refs["verifier"], self._options
        else:
            vref, options = verifier, ray_options(declared(verifier, "the verifier"))
        ref = self._verify.options(**options).remote(vref, task, candidate)
        self.verifying.add(ref)
        try:
            return await ref
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)
            raise
        except Exception as exc:  # the worker kept dying (VERIFY_RETRIES), or the verifier's result cannot travel
            text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
            detail = {"error": f"{type(exc).__name__}: {text}"}
            return Checked(Verdict("error", error_kind="verifier_crashed", detail=detail))
        finally:
            self.verifying.discard(ref)


def _lost_errors() -> tuple[type[BaseException], ...]:
    """Ray's errors that mean a worker, its node or an object it held is gone."""
    e = import_ray().exceptions
    return (e.RayActorError, e.WorkerCrashedError, e.NodeDiedError, e.ObjectLostError, e.LocalRayletDiedError)


def _unloadable(domain: str, where: str, exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    why = next((line.strip() for line in reversed(text) if line.strip()), type(exc).__name__)[:300]
    if "Timeout" in type(exc).__name__:
        return f"the Ray cluster at {where} did not start the solve workers within {READY_TIMEOUT_S:.0f} s"
    return (
        f"the Ray workers at {where} cannot load domain {domain!r}'s solver or verifier ({why}); install harness "
        "and the domain's plugin (same versions) on every node"
    )
