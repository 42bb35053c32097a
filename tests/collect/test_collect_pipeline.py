"""The collection pipeline in-process: attempts, costs, resume, errors, the spend cap, plugins."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest
from collect_fixtures import SECRET, config_for, toy_domain

from harness import Completion, HarnessError, hookimpl
from harness.collect.collector import CollectOptions, Collector
from harness.registry import load_plugins
from harness.store import Store
from harness.store.attempt import fingerprint
from harness.testing.fakeserver import Behaviour, FakeServer

ONE = (20 * 1.0 + 8 * 2.0) / 1e6  # one fake call at the test prices


def observer_plugin(seen: list[Any]) -> types.ModuleType:
    mod = types.ModuleType("collect_observer")

    @hookimpl
    def attempt_recorded(attempt: Any) -> None:
        seen.append(attempt)

    mod.attempt_recorded = attempt_recorded  # type: ignore[attr-defined]
    return mod


def collect(
    server: FakeServer,
    tmp_path: Path,
    extra: list[tuple[str, Any]] | None = None,
    models: dict[str, dict[str, Any]] | None = None,
    toy: dict[str, Any] | None = None,
    **opts: Any,
) -> tuple[dict[str, Any], Store]:
    cfg = config_for(server, tmp_path / "store.sqlite", models, toy)
    registry = load_plugins(extra=[("toy", toy_domain), *(extra or [])])
    store = Store(cfg.store_path)
    options = CollectOptions(domain="toy", models=opts.pop("model_names", list(cfg.models)), **opts)
    return Collector(cfg, registry, store, options).run(), store


def test_collects_verifies_and_records_every_attempt(fake_server, tmp_path: Path) -> None:
    seen: list[Any] = []
    summary, store = collect(
        fake_server, tmp_path, extra=[("obs", observer_plugin(seen))], attempts=2, verify_workers=2
    )
    rows = store.attempts(domain="toy", with_text=True)
    assert len(rows) == 20 == summary["done"] == fake_server.count
    good = [a for a in rows if a.model == "good"]
    bad = [a for a in rows if a.model == "bad"]
    assert all(a.verdict == "passed" and a.correct for a in good)
    assert all(a.verdict == "failed" and a.correct is False for a in bad)
    assert {(a.task_id, a.index) for a in good} == {(f"t{i:03d}", j) for i in range(5) for j in range(2)}
    for a in rows:
        assert a.cost_usd == pytest.approx(ONE) and (a.input_tokens, a.output_tokens) == (20, 8)
        assert a.prompt and "Compute" in a.prompt and a.response and a.detail["calls"] == 1
    cfg = config_for(fake_server, tmp_path / "x")
    assert good[0].fingerprint == fingerprint(
        cfg.models["good"].sampling, "toy", toy_domain.TOY.version, {"count": 5}
    )  # the domain's options, without limit
    assert summary["models"]["good"]["pass_rate"] == 1.0 and summary["models"]["bad"]["pass_rate"] == 0.0
    assert summary["spend_usd"] == pytest.approx(20 * ONE) == pytest.approx(store.spend())
    assert sorted((a.task_id, a.model, a.index) for a in seen) == sorted((a.task_id, a.model, a.index) for a in rows)


def test_resume_requests_only_what_is_missing(fake_server, tmp_path: Path) -> None:
    collect(fake_server, tmp_path, attempts=1, limit=5, toy={"count": 6})
    assert fake_server.count == 10
    summary, store = collect(fake_server, tmp_path, attempts=1, limit=5, toy={"count": 6})
    assert fake_server.count == 10 and summary["done"] == 0 and summary["already_done"] == 10
    summary, store = collect(fake_server, tmp_path, attempts=3, toy={"count": 6})  # a higher limit resumes
    # 6 tasks x 2 models x 3 attempts = 36 planned, 10 stored: 26 new requests, none repeated.
    assert summary["planned"] == 36 and summary["already_done"] == 10 and summary["done"] == 26
    assert fake_server.count == 36 and store.count() == 36


def test_changed_sampling_settings_are_a_new_experiment(fake_server, tmp_path: Path) -> None:
    collect(fake_server, tmp_path, models={"good": {}})
    summary, store = collect(fake_server, tmp_path, models={"good": {"temperature": 0.3}})
    assert summary["done"] == 5 and fake_server.count == 10 and store.count() == 10


def test_infrastructure_errors_are_recorded_apart_and_retried_next_run(fake_server, tmp_path: Path) -> None:
    fake_server.push(*["500"] * 3, "429", "429", "429")  # two attempts exhaust their retries (max 2)
    summary, store = collect(fake_server, tmp_path, models={"good": {"concurrency": 1}}, concurrency=1)
    errors = [a for a in store.attempts() if a.verdict == "error"]
    assert sorted(a.error_kind for a in errors) == ["rate_limit", "server_error"]
    assert summary["models"]["good"]["errors"] == {"rate_limit": 1, "server_error": 1}
    assert summary["models"]["good"]["failed"] == 0 and summary["models"]["good"]["passed"] == 3
    assert all(a.cost_usd == 0 and "retries" in a.detail["error"] for a in errors)
    before = fake_server.count
    summary, store = collect(fake_server, tmp_path, models={"good": {}})
    assert summary["done"] == 2 and fake_server.count == before + 2  # only the two errors again
    assert all(a.verdict == "passed" for a in store.attempts())
    assert store.bank(domain="toy").entries["good"].keys() == {f"t{i:03d}" for i in range(5)}


def test_billed_calls_of_a_failed_attempt_are_kept(fake_server, tmp_path: Path) -> None:
    # Two calls per attempt; the second call of the first attempt times out after the first was billed.
    fake_server.push("ok", Behaviour("hang"), Behaviour("hang"), Behaviour("hang"))
    summary, store = collect(
        fake_server,
        tmp_path,
        models={"good": {"concurrency": 1, "timeout_s": 0.2}},
        toy={"count": 2, "calls": 2},
        concurrency=1,
    )
    err = [a for a in store.attempts() if a.verdict == "error"]
    assert len(err) == 1 and err[0].error_kind == "timeout"
    assert err[0].cost_usd == pytest.approx(ONE) and err[0].input_tokens == 20 and err[0].detail["calls"] == 2
    assert store.spend() == pytest.approx(ONE + 2 * ONE)  # the error's one call + the other attempt's two


def test_spend_cap_is_never_exceeded_and_reported(fake_server, tmp_path: Path) -> None:
    fake_server.latency = 0.01
    models = {"good": {"concurrency": 32, "max_tokens": 40}, "bad": {"concurrency": 32, "max_tokens": 40}}
    cap = 0.0003  # a few worst-case calls (~2.0e-5 to 8.7e-5 each); each real call costs 3.6e-5
    summary, store = collect(
        fake_server, tmp_path, models=models, toy={"count": 40}, attempts=2, max_spend=cap, concurrency=64
    )
    assert store.spend() <= cap and summary["spend_usd"] <= cap
    assert summary["stopped"] == "spend_cap" and summary["skipped_spend_cap"] > 0
    assert summary["done"] == store.count() == fake_server.count
    assert summary["done"] + summary["skipped_spend_cap"] == 160
    # The next run, with a new cap, completes what the cap stopped without repeating anything.
    summary2, store = collect(fake_server, tmp_path, models=models, toy={"count": 40}, attempts=2)
    assert store.count() == 160 == fake_server.count


def test_authentication_failure_stops_the_run_without_leaking_the_key(fake_server, tmp_path: Path) -> None:
    fake_server.default = Behaviour("401")
    with pytest.raises(HarnessError) as info:
        collect(fake_server, tmp_path, models={"good": {"concurrency": 2}}, toy={"count": 50}, concurrency=2)
    text = str(info.value)
    assert "authentication failed" in text and "HARNESS_TEST_FAKE_KEY" in text and SECRET not in text
    assert fake_server.count <= 2  # stopped at once, not 50 times
    assert Store(tmp_path / "store.sqlite").count() == 0


def test_error_messages_in_the_store_never_contain_the_key(fake_server, tmp_path: Path) -> None:
    fake_server.push(Behaviour("400"))
    fake_server.answer = lambda model, messages: f"leaked {SECRET}"  # only the response text may hold it
    summary, store = collect(fake_server, tmp_path, models={"good": {"concurrency": 1}}, concurrency=1)
    err = [a for a in store.attempts() if a.verdict == "error"]
    assert len(err) == 1 and err[0].error_kind == "bad_request" and SECRET not in str(err[0].detail)


def test_a_third_party_provider_is_used_by_collect(fake_server, tmp_path: Path) -> None:
    calls: list[str] = []

    class EchoProvider:
        name = "echo"

        async def complete(self, model: Any, messages: Any, **params: Any) -> Completion:
            calls.append(model.name)
            return Completion(text="ANSWER: -1", input_tokens=3, output_tokens=1, cost_usd=0.25, model=model.name)

    plugin = types.ModuleType("echo_provider")

    @hookimpl
    def register_providers(register: Any) -> None:
        register(EchoProvider())

    plugin.register_providers = register_providers  # type: ignore[attr-defined]
    summary, store = collect(
        fake_server,
        tmp_path,
        extra=[("echo", plugin)],
        models={"e": {"provider": "echo", "api_base": None, "api_key_env": None}},
    )
    assert len(calls) == 5 and fake_server.count == 0
    assert summary["models"]["e"]["failed"] == 5 and store.spend() == pytest.approx(1.25)


def test_verifier_crash_is_an_error_not_a_failure(fake_server, tmp_path: Path) -> None:
    summary, store = collect(fake_server, tmp_path, models={"good": {}}, toy={"count": 3, "verify_raise": True})
    assert {a.error_kind for a in store.attempts()} == {"verifier_exception"}
    assert summary["models"]["good"]["errors"] == {"verifier_exception": 3}


def test_bad_input_is_one_clear_line(fake_server, tmp_path: Path) -> None:
    cfg = config_for(fake_server, tmp_path / "s.sqlite")
    registry = load_plugins(extra=[("toy", toy_domain)])
    store = Store(cfg.store_path)
    with pytest.raises(HarnessError, match="unknown domain 'nope'"):
        Collector(cfg, registry, store, CollectOptions(domain="nope", models=["good"]))
    with pytest.raises(HarnessError, match="unknown model 'zz'"):
        Collector(cfg, registry, store, CollectOptions(domain="toy", models=["zz"]))
    with pytest.raises(HarnessError, match="attempts must be at least 1"):
        Collector(cfg, registry, store, CollectOptions(domain="toy", models=["good"], attempts=0))


def test_a_failing_observer_does_not_stop_the_collection(fake_server, tmp_path: Path) -> None:
    seen: list[str] = []

    @hookimpl
    def attempt_recorded(attempt: Any) -> None:
        seen.append(attempt.task_id)
        raise RuntimeError("observer bug")

    buggy = types.ModuleType("buggy_observer")
    buggy.attempt_recorded = attempt_recorded  # type: ignore[attr-defined]
    cfg = config_for(fake_server, tmp_path / "s.sqlite", {"good": {}})
    store = Store(cfg.store_path)
    registry = load_plugins(extra=[("toy", toy_domain), ("buggy", buggy)])
    summary = Collector(cfg, registry, store, CollectOptions(domain="toy", models=["good"])).run()
    assert summary["done"] == 5 == store.count() and summary["observer_errors"] == 5 and len(seen) == 5


def test_spend_cap_skips_without_waiting_on_rate_limits(fake_server, tmp_path: Path) -> None:
    import time

    t = time.monotonic()
    summary, store = collect(fake_server, tmp_path, models={"good": {"rpm": 60}}, toy={"count": 30}, max_spend=1e-9)
    assert summary["skipped_spend_cap"] == 30 and fake_server.count == 0 and store.count() == 0
    assert time.monotonic() - t < 10  # 30 calls at 60 rpm would take 30 s


def test_errors_a_solver_swallows_are_still_errors(fake_server, tmp_path: Path) -> None:
    fake_server.default = Behaviour("500")
    toy = {"count": 3, "swallow_errors": True}
    summary, store = collect(fake_server, tmp_path, models={"good": {"max_retries": 0}}, toy=toy)
    assert summary["models"]["good"]["errors"] == {"server_error": 3} and summary["models"]["good"]["failed"] == 0
    fake_server.default = Behaviour("401")
    with pytest.raises(HarnessError, match="authentication failed"):
        collect(fake_server, tmp_path, models={"good": {"max_retries": 0}}, toy=toy)
    fake_server.default = Behaviour("ok")
    summary, store = collect(fake_server, tmp_path, models={"good": {}}, toy=toy, max_spend=1e-9)
    assert summary["skipped_spend_cap"] == 3 and summary["done"] == 0


def test_unpicklable_verifier_is_a_clear_error(fake_server, tmp_path: Path) -> None:
    import dataclasses

    class Local:  # defined in a function: cannot be pickled by reference
        def verify(self, task: Any, candidate: Any) -> Any:
            raise AssertionError

    mod = types.ModuleType("local_toy")
    dom = dataclasses.replace(toy_domain.TOY, name="localtoy", verifier=Local())
    mod.register_domains = hookimpl(lambda register: register(dom))  # type: ignore[attr-defined]
    cfg = config_for(fake_server, tmp_path / "s.sqlite", {"good": {}})
    collector = Collector(
        cfg,
        load_plugins(extra=[("localtoy", mod)]),
        Store(cfg.store_path),
        CollectOptions(domain="localtoy", models=["good"]),
    )
    with pytest.raises(HarnessError, match="verifier cannot be sent to a worker process"):
        collector.run()
    assert fake_server.count == 0


def test_a_configuration_error_during_a_call_stops_the_run(fake_server, tmp_path: Path) -> None:
    class Broken:
        name = "broken"

        async def complete(self, model: Any, messages: Any, **params: Any) -> Completion:
            raise HarnessError("weights for this model are not installed; run the setup command")

    plugin = types.ModuleType("broken_provider")
    plugin.register_providers = hookimpl(lambda register: register(Broken()))  # type: ignore[attr-defined]
    with pytest.raises(HarnessError, match="model 'b': weights for this model are not installed"):
        collect(
            fake_server,
            tmp_path,
            extra=[("broken", plugin)],
            toy={"count": 20},
            models={"b": {"provider": "broken", "api_base": None, "api_key_env": None, "concurrency": 1}},
        )
    assert Store(tmp_path / "store.sqlite").count() == 0


def test_a_verifier_that_kills_its_worker_costs_one_attempt_not_the_run(fake_server, tmp_path: Path) -> None:
    summary, store = collect(
        fake_server, tmp_path, models={"good": {"concurrency": 1}}, concurrency=1, toy={"count": 6, "verify_exit": [1]}
    )
    verdicts = {a.task_id: (a.verdict, a.error_kind) for a in store.attempts()}
    assert verdicts.pop("t001") == ("error", "verifier_crashed")
    assert set(verdicts.values()) == {("passed", None)} and len(verdicts) == 5
