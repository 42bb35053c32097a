"""`--executor ray` without a cluster: the one-line errors (no Ray, a wrong address, a misused option), the
``resources`` a verifier declares, and exceptions crossing between driver and worker unchanged."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from collect_fixtures import env_for, toml_for

from harness.cluster.connection import choose, connect
from harness.cluster.resources import check_feasible, declared, ray_options
from harness.cluster.wire import pack, unpack
from harness.collect.metering import AttemptLimitReached, CallsStopped, ProviderError, SpendCapReached
from harness.errors import HarnessError
from harness.testing.fakeserver import FakeServer


def collect(tmp_path: Path, *args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    with FakeServer() as server:
        cfg = tmp_path / "harness.toml"
        cfg.write_text(toml_for(server, tmp_path / "store.sqlite", {"good": {}}, {"count": 2}))
        env = {**env_for(tmp_path), **(env_extra or {})}
        cmd = [sys.executable, "-m", "harness", "--config", str(cfg), "collect", "--domain", "toy", "--models", "good"]
        out = subprocess.run([*cmd, *args], env=env, capture_output=True, text=True, timeout=120)
        assert server.count == 0  # nothing was asked of the model
    return out


def one_line(out: subprocess.CompletedProcess[str]) -> str:
    assert out.returncode == 2, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip() and not line.startswith("progress:")]
    assert len(lines) == 1 and "Traceback" not in out.stderr, out.stderr
    return lines[0]


def test_without_ray_installed_it_says_what_to_install(tmp_path: Path) -> None:
    shim = tmp_path / "noray"
    shim.mkdir()
    (shim / "ray.py").write_text("raise ImportError(\"No module named 'ray'\")\n")
    env = env_for(tmp_path)
    out = collect(tmp_path, "--executor", "ray", env_extra={"PYTHONPATH": f"{shim}:{env['PYTHONPATH']}"})
    assert "pip install 'harness-core[ray]'" in one_line(out)


def test_an_unreachable_address_is_named(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    line = one_line(collect(tmp_path, "--executor", "ray", "--ray-address", f"127.0.0.1:{port}"))
    assert f"127.0.0.1:{port}" in line and "ray start --head" in line


@pytest.mark.parametrize(
    ("executor", "address", "words"),
    [
        ("spark", None, "--executor must be local or ray"),
        ("local", "auto", "only used with --executor ray"),
        ("ray", "nowhere", "HOST:PORT"),
        ("ray", "ray://10.0.0.1:10001", "Ray Client"),
    ],
)
def test_misused_options_are_one_line(executor: str, address: str | None, words: str) -> None:
    with pytest.raises(HarnessError, match=words):
        executor, address = choose(executor, address)
        connect(address)  # the address is checked before Ray is imported


def test_declared_resources_and_their_ray_options() -> None:
    class Plain:
        pass

    class Heavy:
        resources = {"cpus": 2, "memory_mb": 4096, "docker": 1}

    assert declared(Plain(), "v") == {"cpus": 1.0}
    heavy = declared(Heavy(), "v")
    assert ray_options(heavy) == {"num_cpus": 2.0, "memory": 4096 * 2**20, "resources": {"docker": 1.0}}
    for bad in ({"cpus": -1}, {"memory_mb": "lots"}, {"cpus": True}, ["cpus"]):
        Heavy.resources = bad
        with pytest.raises(HarnessError, match="resources"):
            declared(Heavy(), "verifier 'x'")


def test_a_verification_no_node_can_run_is_refused_before_anything_is_paid() -> None:
    nodes = [{"CPU": 2.0, "memory": 8 * 2**30}, {"CPU": 8.0, "memory": 2 * 2**30}]
    check_feasible({"cpus": 2, "memory_mb": 4096}, nodes, "v", "here")  # the first node fits
    check_feasible({"cpus": 8}, nodes, "v", "here")
    with pytest.raises(HarnessError, match=r"asks for cpus=8, memory_mb=4096 .*largest: 8 CPUs"):
        check_feasible({"cpus": 8, "memory_mb": 4096}, nodes, "v", "here")
    with pytest.raises(HarnessError, match="docker"):
        check_feasible({"cpus": 1, "docker": 1}, nodes, "v", "here")


def test_the_swebench_verifiers_declare_more_than_the_math_one() -> None:
    math = pytest.importorskip("harness_math.verifier")
    local = pytest.importorskip("harness_swebench.verify.local")
    docker = pytest.importorskip("harness_swebench.verify.docker")
    m = declared(math.MathVerifier(), "math")
    for v in (local.LocalVerifier(), docker.DockerVerifier()):
        s = declared(v, "swebench")
        assert s["cpus"] >= m["cpus"] and s["memory_mb"] > m.get("memory_mb", 0)


class Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(f"{a} and {b}")


@pytest.mark.parametrize(
    "exc",
    [
        ProviderError("rate_limit", "slow down", retryable=True, input_tokens=3, output_tokens=2, billed_cost=None),
        SpendCapReached("over the cap"),
        CallsStopped("stopping"),
        AttemptLimitReached("limit"),
        HarnessError("model 'x': weights missing"),
        ValueError("boom"),
        Unpicklable(1, 2),
    ],
)
def test_exceptions_cross_unchanged(exc: Exception) -> None:
    back = unpack(pack(exc))
    assert type(back).__name__ == type(exc).__name__ and str(back) == str(exc)
    if isinstance(exc, ProviderError):
        assert isinstance(back, ProviderError)
        assert (back.kind, back.retryable, back.input_tokens, back.output_tokens, back.billed_cost) == (
            "rate_limit", True, 3, 2, None,
        )  # fmt: skip
    elif not isinstance(exc, Unpicklable):
        assert type(back) is type(exc)
