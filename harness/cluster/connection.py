"""Connecting the driver (the ``harness`` process) to Ray: once per process, or one line saying why not.

``--ray-address`` omitted: ``$RAY_ADDRESS`` if set, else a private Ray instance on this machine, started
for the command and stopped with it (bound to 127.0.0.1, one CPU per core, no dashboard). ``auto``: the
cluster already running on this machine (``ray start --head``). ``HOST:PORT``: the head node's GCS
address; the driver must run on a node of that cluster (Ray's rule for drivers). Without Ray installed,
or when the address cannot be reached, it is a :class:`~harness.errors.HarnessError` (exit 2).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Iterator
from typing import Any

from harness.errors import HarnessError

INSTALL = "pip install 'harness-core[ray]' (in a checkout: pip install -e '.[ray]')"
#: Seconds ``ray.init`` may take before the address is reported as failing (a driver off the cluster waits).
CONNECT_TIMEOUT_S = float(os.environ.get("HARNESS_RAY_CONNECT_TIMEOUT_S", "120"))
#: Environment the workers get from the driver (never a key: the driver makes every model call).
PASSED_ENV = ("PYTHONPATH", "LITELLM_LOCAL_MODEL_COST_MAP", "HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")

_connected: dict[str, str] = {}


def choose(executor: str, ray_address: str | None) -> tuple[str, str | None]:
    """The command line's ``--executor`` and ``--ray-address``, checked (one line when they do not fit)."""
    executor = (executor or "local").strip().lower()
    if executor not in ("local", "ray"):
        raise HarnessError(f"--executor must be local or ray (got {executor!r})")
    if ray_address is not None and executor != "ray":
        raise HarnessError("--ray-address is only used with --executor ray; add --executor ray or drop it")
    return executor, ray_address


def import_ray() -> Any:
    """The ``ray`` module, or one line saying what to install."""
    try:
        import ray
    except ImportError:
        raise HarnessError(f"--executor ray needs Ray, which is not installed: {INSTALL}") from None
    return ray


def describe(address: str | None) -> str:
    """How messages name the cluster ``address`` means."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    return "a private Ray instance on this machine" if address in (None, "local") else address


def connect(address: str | None) -> str:
    """Connect this process to the cluster ``address`` names (once); returns how messages name it."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    where = describe(address)
    if _connected:
        if _connected["where"] != where:
            raise HarnessError(f"this process is already connected to {_connected['where']}, not {where}")
        return where
    if address not in (None, "local", "auto"):
        _check_reachable(address)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # no usage reports leave the machine
    if address in (None, "local"):
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # read at import: bind 127.0.0.1 only
    ray = import_ray()
    kwargs: dict[str, Any] = {
        "runtime_env": {"env_vars": worker_env()},
        "log_to_driver": False,
        "logging_level": "error",
    }
    if address in (None, "local"):
        from harness.collect.verify import available_cores

        kwargs |= {"address": "local", "num_cpus": available_cores(), "include_dashboard": False}
    else:
        kwargs["address"] = address
    try:
        with _deadline(CONNECT_TIMEOUT_S):
            ray.init(**kwargs)
    except HarnessError:
        raise
    except Exception as exc:
        raise HarnessError(_failure(where, exc)) from None
    _connected["where"] = where
    _messages_to_stderr()
    return where


def _messages_to_stderr() -> None:
    """Ray prints the cluster's messages to the driver ("a worker died ...") on stdout, where ``--json``
    output goes: send them to stderr (the attempts they concern are recorded either way)."""
    try:
        from ray._private import worker as ray_worker

        printer = ray_worker.print_to_stdstream
    except (ImportError, AttributeError):  # another Ray layout: leave it be
        return

    def to_stderr(data: dict[str, Any], ignore_prefix: bool) -> None:
        printer({**data, "is_err": True}, ignore_prefix)

    ray_worker.print_to_stdstream = to_stderr


def worker_env() -> dict[str, str]:
    """The driver's environment the workers need to judge alike: sandbox and plugin switches, paths."""
    from harness.collect.metering import env_secrets

    secret = set(env_secrets())
    names = [n for n in os.environ if n in PASSED_ENV or n.startswith("HARNESS_")]
    keyish = ("_KEY", "_TOKEN", "_SECRET")
    return {n: os.environ[n] for n in names if os.environ[n] not in secret and not n.endswith(keyish)}


def _check_reachable(address: str) -> None:
    if address.startswith("ray://"):
        raise HarnessError(
            f"--ray-address {address}: Ray Client (ray://) addresses are not supported; run harness on a node of "
            "the cluster and give the head node's HOST:PORT (or auto)"
        )
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise HarnessError(f"--ray-address must be auto or HOST:PORT of a Ray head node (got {address!r})")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise HarnessError(
            f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); start it (ray start --head "
            "--port PORT) or check --ray-address"
        ) from None


def _failure(where: str, exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "auth" in type(exc).__name__.lower() or "token" in text.lower():
        return (
            f"the Ray cluster at {where} rejected this driver (authentication token); set RAY_AUTH_MODE=token and "
            "RAY_AUTH_TOKEN or RAY_AUTH_TOKEN_PATH to the cluster's token"
        )
    return (
        f"cannot connect to the Ray cluster at {where} ({text[:200]}); start it (ray start --head) or check "
        "--ray-address"
    )


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise HarnessError if the block takes longer than ``seconds`` (main thread only: SIGALRM)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise HarnessError(
            f"connecting to the Ray cluster did not finish in {seconds:.0f} s: is this machine a node of that "
            "cluster (ray start --address HEAD:PORT)? check --ray-address"
        )

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
