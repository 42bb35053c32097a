"""The replay provider serves a bank's recorded attempts: exact pass rates and costs, seeded order."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from fractions import Fraction

import pytest

from harness import Bank, BankEntry, HarnessError, Message, NotAvailableError
from harness.arbitrage.replay import ReplayAttempt, ReplayExhausted, ReplayProvider
from harness.bank.formats import read_bank
from harness.registry import load_plugins


def _synthetic_bank(seed: int = 7) -> Bank:
    rng = random.Random(seed)
    entries: dict[str, dict[str, BankEntry]] = {}
    for m in ("cheap", "strong"):
        entries[m] = {
            f"task-{i}": BankEntry(
                round(rng.uniform(0.001, 0.5), 6),
                tuple(int(rng.random() < (0.3 if m == "cheap" else 0.7)) for _ in range(rng.randint(1, 8))),
            )
            for i in range(60)
        }
    return Bank(entries)


def _drain(replay: ReplayProvider, bank: Bank) -> dict[tuple[str, str], list[ReplayAttempt]]:
    out = {}
    for m in bank.models:
        for t in bank.tasks(m):
            out[(m, t)] = [replay.next_attempt(t, m) for _ in range(replay.remaining(t, m))]
    return out


def test_replaying_swebench_reproduces_pass_rates_and_costs_exactly(swebench_eval):
    bank = read_bank(swebench_eval)
    replay = ReplayProvider(bank, seed=3)
    for model in bank.models:
        tasks = bank.tasks(model)
        served = [replay.next_attempt(t, model) for t in tasks]
        recorded = [bank.entries[model][t] for t in tasks]
        assert [a.passed for a in served] == [bool(e.attempts[0]) for e in recorded]
        assert [a.cost_usd for a in served] == [e.mean_cost for e in recorded]
        passed = sum(a.passed for a in served)
        assert Fraction(passed, len(tasks)) == Fraction(sum(e.c for e in recorded), sum(e.n for e in recorded))
        assert sum(a.cost_usd for a in served) == sum(e.mean_cost for e in recorded)
        with pytest.raises(ReplayExhausted):
            replay.next_attempt(tasks[0], model)
    assert 0 < passed < len(tasks)  # a real bank, with both outcomes


def test_a_multi_attempt_bank_is_served_without_replacement():
    bank = _synthetic_bank()
    served = _drain(ReplayProvider(bank, seed=1), bank)
    for (m, t), attempts in served.items():
        entry = bank.entries[m][t]
        assert sorted(a.index for a in attempts) == list(range(entry.n))  # each recorded attempt once
        assert [a.passed for a in attempts] == [bool(entry.attempts[a.index]) for a in attempts]
        assert Counter(a.passed for a in attempts) == Counter(bool(x) for x in entry.attempts)
        assert all(a.cost_usd == entry.mean_cost for a in attempts)
    for m in bank.models:
        got = [a for (mm, _), atts in served.items() if mm == m for a in atts]
        assert sum(a.passed for a in got) == sum(e.c for e in bank.entries[m].values())
        assert len(got) == sum(e.n for e in bank.entries[m].values())


def test_running_out_of_recorded_attempts_is_a_clear_error():
    bank = Bank({"cheap": {"t1": BankEntry(0.25, (0, 1))}})
    replay = ReplayProvider(bank)
    replay.next_attempt("t1", "cheap")
    replay.next_attempt("t1", "cheap")
    assert replay.remaining("t1", "cheap") == 0
    with pytest.raises(ReplayExhausted) as err:
        replay.next_attempt("t1", "cheap")
    msg = str(err.value)
    assert "\n" not in msg and "only 2 recorded attempt(s) of model 'cheap' on task 't1'" in msg
    assert isinstance(err.value, HarnessError)


def test_the_order_depends_on_the_seed_only_not_on_the_call_order():
    bank = _synthetic_bank()
    a = _drain(ReplayProvider(bank, seed=5), bank)
    replay = ReplayProvider(bank, seed=5)
    keys = list(a)
    random.Random(0).shuffle(keys)
    b = {}
    while keys:  # interleave tasks and models differently
        for key in list(keys):
            m, t = key
            b.setdefault(key, []).append(replay.next_attempt(t, m))
            if not replay.remaining(t, m):
                keys.remove(key)
    assert b == a
    c = _drain(ReplayProvider(bank, seed=6), bank)
    assert c != a
    assert {k: sorted(v) for k, v in c.items()} == {k: sorted(v) for k, v in a.items()}


def test_reset_replays_the_same_sequence():
    bank = _synthetic_bank()
    replay = ReplayProvider(bank, seed=2)
    first = _drain(replay, bank)
    replay.reset()
    assert _drain(replay, bank) == first


def test_draws_are_uniform_over_the_recorded_attempts():
    bank = Bank({"m": {"t": BankEntry(0.1, (1, 0, 0, 0))}})
    first_passes = sum(ReplayProvider(bank, seed=s).next_attempt("t", "m").passed for s in range(800))
    assert 150 < first_passes < 250  # about 1 in 4


def test_unknown_models_tasks_and_a_missing_bank_are_clear_errors():
    replay = ReplayProvider(Bank({"cheap": {"t1": BankEntry(0.1, (1,))}}))
    with pytest.raises(HarnessError, match=r"model 'strong' is not in the replay bank \(it has: cheap\)"):
        replay.next_attempt("t1", "strong")
    with pytest.raises(HarnessError, match="task 't9' has no recorded attempts of model 'cheap'"):
        replay.next_attempt("t9", "cheap")
    with pytest.raises(HarnessError, match="no bank: pass one with --replay BANK"):
        ReplayProvider().next_attempt("t1", "cheap")


def test_model_objects_with_a_name_are_accepted_and_verdicts_are_given():
    class Model:
        name = "cheap"

    replay = ReplayProvider(Bank({"cheap": {"t1": BankEntry(0.1, (1,))}}))
    attempt = replay.next_attempt("t1", Model())
    assert attempt == ReplayAttempt(True, 0.1, 0) and attempt.verdict.passed


def test_a_bank_read_from_disk_replays_like_the_one_in_memory(tmp_path):
    bank = _synthetic_bank()
    bank.write_jsonl(tmp_path / "bank")
    loaded = ReplayProvider().with_bank(read_bank(tmp_path / "bank"), seed=4)
    assert _drain(loaded, bank) == _drain(ReplayProvider().with_bank(bank, seed=4), bank)


def test_replay_serves_no_text():
    with pytest.raises(NotAvailableError, match="not text"):
        asyncio.run(ReplayProvider().complete("cheap", [Message("user", "hi")]))


def test_local_and_replay_are_registered_builtin_providers(monkeypatch):
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "1")
    registry = load_plugins()
    assert isinstance(registry.provider("replay"), ReplayProvider)
    assert registry.provider("local").name == "local"
    assert registry.owner("providers", "local") == registry.owner("providers", "litellm") == "providers"
