"""The plugin system: discovery, validation, blocking, and the documentation of every hook."""

from __future__ import annotations

import json
import sqlite3
import types
from pathlib import Path

import pytest

from harness import Domain, PluginError, hookimpl, hookspecs
from harness.registry import hook_names, load_plugins

REPO = Path(__file__).resolve().parents[1]

BROKEN_TWICE = """
from harness import hookimpl

class P:
    name = "dup"
    async def complete(self, model, messages, **params): ...

@hookimpl
def register_providers(register):
    register(P())
    register(P())
"""


def _module(name: str, **attrs: object) -> types.ModuleType:
    mod = types.ModuleType(name)
    for k, v in attrs.items():
        setattr(mod, k, v)
    return mod


class _Src:
    def tasks(self, options):
        return []


class _Solver:
    async def solve(self, task, model): ...


class _Verifier:
    def verify(self, task, candidate): ...


def _domain_plugin(name: str, domain: str) -> types.ModuleType:
    @hookimpl
    def register_domains(register):
        register(Domain(domain, _Src(), _Solver(), _Verifier()))

    return _module(name, register_domains=register_domains)


def test_builtins_load_without_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "1")
    reg = load_plugins()
    assert "litellm" in reg.providers
    assert {"single", "cascade"} <= set(reg.strategies)
    assert reg.domains == {}
    assert reg.infos["providers"].origin == "core"


def test_the_three_domain_plugins_are_discovered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("HARNESS_BLOCK_PLUGINS", raising=False)
    reg = load_plugins()
    for name in ("swebench", "math", "code_contests"):
        assert name in reg.infos, f"plugin {name} not discovered"
        assert reg.infos[name].origin.startswith("entry point")
        assert name in reg.domains
        assert reg.owner("domains", name) == name


def test_block_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_DISABLE_PLUGINS", raising=False)
    monkeypatch.setenv("HARNESS_BLOCK_PLUGINS", "swebench, strategies")
    reg = load_plugins()
    assert "swebench" not in reg.infos and "swebench" not in reg.domains
    assert "single" not in reg.strategies  # built-ins can be blocked too
    assert "litellm" in reg.providers


def test_extra_plugin_is_registered_and_owned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "1")
    reg = load_plugins(extra=[("toy", _domain_plugin("toy", "toy-domain"))])
    assert reg.domain("toy-domain").name == "toy-domain"
    assert reg.owner("domains", "toy-domain") == "toy"
    assert reg.infos["toy"].registered["domains"] == ["toy-domain"]


def test_same_name_from_two_plugins_names_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "1")
    with pytest.raises(PluginError, match=r"plugin 'second'.*'clash'.*plugin 'first'"):
        load_plugins(extra=[("first", _domain_plugin("first", "clash")), ("second", _domain_plugin("second", "clash"))])


def test_registering_twice_in_one_plugin_fails(monkeypatch: pytest.MonkeyPatch, entry_point_plugin) -> None:
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "1")
    mod = types.ModuleType("twice")
    exec(BROKEN_TWICE, mod.__dict__)
    with pytest.raises(PluginError, match="plugin 'twice' registers provider 'dup'"):
        load_plugins(extra=[("twice", mod)])


def test_unknown_hook_names_the_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "1")

    @hookimpl
    def register_domain(register):  # misspelt: the hook is register_domains
        pass

    with pytest.raises(PluginError, match="plugin 'typo' implements unknown hook 'register_domain'"):
        load_plugins(extra=[("typo", _module("typo", register_domain=register_domain))])


def test_wrong_hook_arguments_name_the_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "1")

    @hookimpl
    def register_domains(register, extra_argument):
        pass

    with pytest.raises(PluginError, match="plugin 'badargs'"):
        load_plugins(extra=[("badargs", _module("badargs", register_domains=register_domains))])


def test_registration_without_name_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "1")

    @hookimpl
    def register_providers(register):
        register(object())

    with pytest.raises(PluginError, match="plugin 'anon' registered a provider without a string 'name'"):
        load_plugins(extra=[("anon", _module("anon", register_providers=register_providers))])


def test_unknown_domain_lists_known(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "1")
    reg = load_plugins(extra=[("toy", _domain_plugin("toy", "toy-domain"))])
    with pytest.raises(PluginError, match=r"unknown domain 'nope' \(known: toy-domain\)"):
        reg.domain("nope")


def test_entry_point_plugin_is_discovered_by_the_cli(entry_point_plugin, harness_cli) -> None:
    site = entry_point_plugin(
        "thirdparty_toy",
        """
        from harness import Domain, hookimpl

        class Src:
            def tasks(self, options):
                return []

        class Solver:
            async def solve(self, task, model): ...

        class Verifier:
            def verify(self, task, candidate): ...

        @hookimpl
        def register_domains(register):
            register(Domain("third-party-domain", Src(), Solver(), Verifier()))
    """,
    )
    out = harness_cli("plugins", "--json", pythonpath=site)
    assert out.returncode == 0, out.stderr
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["thirdparty_toy"]["domains"] == ["third-party-domain"]
    assert rows["thirdparty_toy"]["version"] == "0.1.0"
    assert rows["thirdparty_toy"]["origin"] == "entry point (thirdparty_toy)"


def test_broken_entry_point_plugin_exits_2_naming_it(entry_point_plugin, harness_cli) -> None:
    site = entry_point_plugin("broken_toy", "import nonexistent_module_xyz\n")
    out = harness_cli("plugins", pythonpath=site)
    assert out.returncode == 2
    assert "broken_toy" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_every_hook_is_documented() -> None:
    readme = (REPO / "README.md").read_text()
    hooks = hook_names()
    assert {"register_task_sources", "register_solvers", "register_verifiers", "register_bank_formats"} <= set(hooks)
    for name in hooks:
        fn = getattr(hookspecs, name)
        assert fn.__doc__ and len(fn.__doc__.strip()) > 20, f"hook {name} has no docstring"
        assert f"`{name}(" in readme, f"hook {name} is not documented in README.md"


def test_observers_see_every_committed_attempt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from harness import Attempt
    from harness.store import Store
    from harness.store.writer import StoreWriter

    monkeypatch.setenv("HARNESS_DISABLE_PLUGINS", "1")
    seen: list[Attempt] = []

    @hookimpl
    def attempt_recorded(attempt):
        seen.append(attempt)

    reg = load_plugins(extra=[("watcher", _module("watcher", attempt_recorded=attempt_recorded))])
    with Store(tmp_path / "s.sqlite") as st:
        writer = StoreWriter(st, reg.notify_attempt)
        batch = [Attempt("d", f"t{i}", "m", "fp", 0, "passed", 0.1) for i in range(3)]
        for a in batch:
            writer.add(a)
        writer.flush()
        writer.add(batch[0])  # already stored: not recorded again, not observed again
        writer.flush()
        assert seen == batch
        writer.add(Attempt("d", "t9", "m", "fp", 0, "passed", -1.0))
        with pytest.raises(sqlite3.IntegrityError):
            writer.flush()  # rolled back: not observed
    assert seen == batch
