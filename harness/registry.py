"""The plugin manager: discovery through the ``harness`` entry-point group, validation, registries.

Environment switches:

- ``HARNESS_DISABLE_PLUGINS=1``: load no entry points (the core's built-ins still load); for tests.
- ``HARNESS_BLOCK_PLUGINS=a,b``: skip the named plugins (entry-point names).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from harness import hookspecs
from harness.errors import PluginError
from harness.types import DomainSetup, component_name

ENTRY_POINT_GROUP = "harness"
#: The core's own plugins (name -> module), registered through the same hooks as any other.
BUILTIN_PLUGINS = {
    "providers": "harness.providers.plugin",
    "strategies": "harness.arbitrage.strategies",
    "bank_formats": "harness.bank.formats",
}
#: Things registered by a name of their own (``register(obj)``).
NAMED_KINDS = ("domains", "providers", "strategies", "bank_formats")
#: Components of an existing domain (``register(domain_name, obj)``), in pipeline order.
COMPONENT_KINDS = ("task_sources", "solvers", "verifiers")
KINDS = ("domains", *COMPONENT_KINDS, "providers", "strategies", "bank_formats")
_SINGULAR = {
    "domains": "domain",
    "task_sources": "task source",
    "solvers": "solver",
    "verifiers": "verifier",
    "providers": "provider",
    "strategies": "strategy",
    "bank_formats": "bank format",
}
#: The ``[domains.<d>]`` key that picks each component, and the Domain field holding its default.
_COMPONENT_FIELD = {"task_sources": "source", "solvers": "solver", "verifiers": "verifier"}
#: ``source`` values that are not a registered name: a file goes to the domain's ``local`` source,
#: an ``owner/name`` dataset to its ``hub`` source.
_FILE_SUFFIXES = (".jsonl", ".json", ".parquet")


@dataclass
class PluginInfo:
    """What ``harness plugins`` shows about one plugin."""

    name: str
    version: str | None
    origin: str  # "core", "entry point (<dist>)" or "registered in process"
    hooks: list[str] = field(default_factory=list)
    registered: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})


class Registry:
    """Everything the loaded plugins registered, by kind and name.

    Components (task sources, solvers, verifiers) are kept per domain: ``components[kind][domain][name]``.
    A domain's own default objects are registered as components of that domain by the domain's plugin.
    """

    def __init__(self, pm: pluggy.PluginManager, infos: dict[str, PluginInfo]) -> None:
        self.pm = pm
        self.infos = infos
        self.domains: dict[str, Any] = {}
        self.providers: dict[str, Any] = {}
        self.strategies: dict[str, Any] = {}
        self.bank_formats: dict[str, Any] = {}
        self.components: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in COMPONENT_KINDS}
        self._owner: dict[tuple[str, str], str] = {}
        for kind in NAMED_KINDS:
            self._collect(kind)
        for kind in COMPONENT_KINDS:
            self._collect(kind)

    def _collect(self, kind: str) -> None:
        hook = getattr(self.pm.hook, f"register_{kind}")
        # Call each implementation on its own so every registration is attributed to its plugin.
        for impl in hook.get_hookimpls():  # registration order: the first plugin keeps a name
            plugin = impl.plugin_name
            if kind in COMPONENT_KINDS:

                def register(domain: Any, obj: Any, _plugin: str = plugin) -> None:
                    self._add_component(kind, domain, obj, _plugin)

            else:

                def register(obj: Any, _plugin: str = plugin) -> None:  # type: ignore[misc]
                    self._add_named(kind, obj, _plugin)

            try:
                impl.function(register=register)
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(f"plugin {plugin!r} failed in register_{kind}: {exc}") from exc

    def _add_named(self, kind: str, obj: Any, plugin: str) -> None:
        what = _SINGULAR[kind]
        name = getattr(obj, "name", None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"plugin {plugin!r} registered a {what} without a string 'name': {obj!r}")
        table: dict[str, Any] = getattr(self, kind)
        if name in table:
            first = self._owner[(kind, name)]
            raise PluginError(
                f"plugin {plugin!r} registers {what} {name!r}, already registered by "
                f"plugin {first!r}; rename one or block a plugin with HARNESS_BLOCK_PLUGINS"
            )
        table[name] = obj
        self._owner[(kind, name)] = plugin
        self.infos[plugin].registered[kind].append(name)
        if kind == "domains":
            for ckind, fld in _COMPONENT_FIELD.items():
                default = getattr(obj, fld, None)
                if default is not None and not isinstance(default, str):
                    self._add_component(ckind, name, default, plugin)

    def _add_component(self, kind: str, domain: Any, obj: Any, plugin: str) -> None:
        what = _SINGULAR[kind]
        if not isinstance(domain, str) or domain not in self.domains:
            known = ", ".join(f"{d} (plugin {self._owner[('domains', d)]!r})" for d in sorted(self.domains))
            raise PluginError(
                f"plugin {plugin!r} registers a {what} for domain {domain!r}, which no plugin defines "
                f"(domains: {known or 'none'}); install the plugin that defines it or fix the name"
            )
        name = component_name(obj)
        table = self.components[kind].setdefault(domain, {})
        key = f"{domain}/{name}"
        if name in table:
            first = self._owner[(kind, key)]
            raise PluginError(
                f"plugin {plugin!r} registers {what} {name!r} for domain {domain!r}, already registered by "
                f"plugin {first!r}; rename one or block a plugin with HARNESS_BLOCK_PLUGINS"
            )
        table[name] = obj
        self._owner[(kind, key)] = plugin
        self.infos[plugin].registered[kind].append(key)

    def owner(self, kind: str, name: str) -> str:
        """The plugin that registered ``name`` (components: ``"<domain>/<name>"``)."""
        return self._owner[(kind, name)]

    def domain(self, name: str) -> Any:
        return self._lookup("domains", name, "--domain")

    def provider(self, name: str) -> Any:
        return self._lookup("providers", name, "provider")

    def strategy(self, name: str) -> Any:
        return self._lookup("strategies", name, "--strategy")

    def _lookup(self, kind: str, name: str, option: str) -> Any:
        table = getattr(self, kind)
        if name not in table:
            known = ", ".join(sorted(table)) or "none"
            raise PluginError(
                f"unknown {_SINGULAR[kind]} {name!r} (known: {known}); check {option} or install the plugin "
                f"that provides it (see `harness plugins`)"
            )
        return table[name]

    def component_names(self, kind: str, domain: str) -> list[str]:
        """The names of the task sources, solvers or verifiers registered for ``domain``."""
        return list(self.components[kind].get(domain, {}))

    def setup(self, domain_name: str, options: Mapping[str, Any] | None = None) -> DomainSetup:
        """Assemble ``domain_name`` from its registered components, as ``options`` (its ``[domains.<d>]``
        table) picks them: ``source``, ``solver``, ``verifier``; the domain's defaults otherwise."""
        domain = self.domain(domain_name)
        opts = dict(options or {})
        chosen = {kind: self._choose(domain, kind, opts) for kind in COMPONENT_KINDS}
        return DomainSetup(
            domain=domain,
            source=chosen["task_sources"][1],
            solver=chosen["solvers"][1],
            verifier=chosen["verifiers"][1],
            source_name=chosen["task_sources"][0],
            solver_name=chosen["solvers"][0],
            verifier_name=chosen["verifiers"][0],
        )

    def _choose(self, domain: Any, kind: str, options: Mapping[str, Any]) -> tuple[str, Any]:
        fld = _COMPONENT_FIELD[kind]
        table = self.components[kind].get(domain.name, {})
        asked = options.get(fld)
        default = getattr(domain, fld, None)
        if asked is None:
            name = default if isinstance(default, str) else component_name(default) if default else None
            if name is None and len(table) == 1:
                name = next(iter(table))
            if name is None:
                raise PluginError(
                    f"domain {domain.name!r} declares no default {_SINGULAR[kind]}; set [domains.{domain.name}] "
                    f"{fld} = one of: {', '.join(table) or 'none registered'}"
                )
        else:
            name = str(asked)
            if fld == "source" and name not in table:
                name = _source_by_shape(name, table)
        if name not in table:
            known = ", ".join(table) or "none"
            raise PluginError(
                f"domain {domain.name!r} has no {_SINGULAR[kind]} {name!r} (known: {known}); check "
                f"[domains.{domain.name}] {fld} in harness.toml or install the plugin that provides it"
            )
        return name, table[name]

    def notify_attempt(self, attempt: Any) -> None:
        self.pm.hook.attempt_recorded(attempt=attempt)


def _source_by_shape(value: str, table: Mapping[str, Any]) -> str:
    """A ``source`` that names no registered source: a local file, else a hub dataset (``owner/name``)."""
    if value.endswith(_FILE_SUFFIXES) and "local" in table:
        return "local"
    if "/" in value and not value.endswith(_FILE_SUFFIXES) and "hub" in table:
        return "hub"
    return value


def _env_list(var: str) -> set[str]:
    return {p.strip() for p in os.environ.get(var, "").split(",") if p.strip()}


def _entry_points() -> list[metadata.EntryPoint]:
    return sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def _register(pm: pluggy.PluginManager, module: Any, name: str) -> None:
    try:
        pm.register(module, name=name)
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {name!r} is invalid: {exc}") from exc
    except ValueError as exc:  # registered twice under the same name
        raise PluginError(f"plugin {name!r} could not be registered: {exc}") from exc


def hook_names() -> list[str]:
    """Every hook the harness defines (the functions of :mod:`harness.hookspecs` carrying its marker)."""
    return sorted(n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), f"{hookspecs.PROJECT}_spec"))


def _check_unknown_hooks(pm: pluggy.PluginManager, module: Any, name: str) -> None:
    # pluggy only reports functions carrying the harness marker; catch misspelt hook names too.
    known = hook_names()
    for attr in dir(module):
        fn = getattr(module, attr)
        opts = getattr(fn, f"{hookspecs.PROJECT}_impl", None)
        if opts is not None and attr not in known:
            raise PluginError(
                f"plugin {name!r} implements unknown hook {attr!r}; known hooks: {', '.join(sorted(known))}"
            )


def load_plugins(extra: list[tuple[str, Any]] | None = None) -> Registry:
    """Load built-ins, then entry-point plugins (unless disabled), then ``extra`` (name, module) pairs."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    infos: dict[str, PluginInfo] = {}
    blocked = _env_list("HARNESS_BLOCK_PLUGINS")

    def add(name: str, module: Any, version: str | None, origin: str) -> None:
        if name in blocked:
            return
        if name in infos:
            raise PluginError(f"two plugins are named {name!r} ({infos[name].origin} and {origin})")
        _check_unknown_hooks(pm, module, name)
        _register(pm, module, name)
        hooks = sorted(impl for impl in dir(module) if hasattr(getattr(module, impl), "harness_impl"))
        infos[name] = PluginInfo(name, version, origin, hooks)

    from harness import __version__

    for name, mod_name in BUILTIN_PLUGINS.items():
        add(name, importlib.import_module(mod_name), __version__, "core")

    if os.environ.get("HARNESS_DISABLE_PLUGINS", "").strip().lower() not in ("1", "true", "yes"):
        for ep in _entry_points():
            if ep.name in blocked:
                continue
            dist = ep.dist
            try:
                module = ep.load()
            except Exception as exc:
                raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to import: {exc}") from exc
            if module.__name__ in BUILTIN_PLUGINS.values():
                continue  # the core lists its built-ins in the group too; they are already loaded
            origin = f"entry point ({dist.name})" if dist else "entry point"
            add(ep.name, module, dist.version if dist else None, origin)

    for name, module in extra or []:
        add(name, module, getattr(module, "__version__", None), "registered in process")
    return Registry(pm, infos)


_cache: dict[tuple[str, str], Registry] = {}


def get_registry(refresh: bool = False) -> Registry:
    """The process-wide registry, loaded once per setting of the environment switches (a process that
    changes ``HARNESS_DISABLE_PLUGINS`` or ``HARNESS_BLOCK_PLUGINS`` gets the plugins they now say)."""
    key = (os.environ.get("HARNESS_DISABLE_PLUGINS", ""), os.environ.get("HARNESS_BLOCK_PLUGINS", ""))
    if refresh or key not in _cache:
        _cache[key] = load_plugins()
    return _cache[key]
