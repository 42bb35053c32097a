"""The plugin manager: discovery through the ``harness`` entry-point group, validation, registries.

Environment switches:

- ``HARNESS_DISABLE_PLUGINS=1``: load no entry points (the core's built-ins still load); for tests.
- ``HARNESS_BLOCK_PLUGINS=a,b``: skip the named plugins (entry-point names).
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from harness import hookspecs
from harness.errors import PluginError

ENTRY_POINT_GROUP = "harness"
BUILTIN_MODULES = ("harness.builtin.providers", "harness.builtin.strategies")
KINDS = ("domains", "providers", "strategies")


@dataclass
class PluginInfo:
    """What ``harness plugins`` shows about one plugin."""

    name: str
    version: str | None
    origin: str  # "builtin" or "entry point <dist>"
    hooks: list[str] = field(default_factory=list)
    registered: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in KINDS})


class Registry:
    """Everything the loaded plugins registered, by kind and name."""

    def __init__(self, pm: pluggy.PluginManager, infos: dict[str, PluginInfo]) -> None:
        self.pm = pm
        self.infos = infos
        self.domains: dict[str, Any] = {}
        self.providers: dict[str, Any] = {}
        self.strategies: dict[str, Any] = {}
        self._owner: dict[tuple[str, str], str] = {}
        for kind in KINDS:
            self._collect(kind)

    def _collect(self, kind: str) -> None:
        table: dict[str, Any] = getattr(self, kind)
        hook = getattr(self.pm.hook, f"register_{kind}")
        # Call each implementation on its own so every registration is attributed to its plugin.
        for impl in hook.get_hookimpls():  # registration order: the first plugin keeps a name
            plugin = impl.plugin_name

            def register(obj: Any, _plugin: str = plugin) -> None:
                name = getattr(obj, "name", None)
                if not isinstance(name, str) or not name:
                    raise PluginError(
                        f"plugin {_plugin!r} registered a {kind[:-1]} without a string 'name': {obj!r}"
                    )
                if name in table:
                    first = self._owner[(kind, name)]
                    raise PluginError(
                        f"plugin {_plugin!r} registers {kind[:-1]} {name!r}, already registered by "
                        f"plugin {first!r}; rename one or block a plugin with HARNESS_BLOCK_PLUGINS"
                    )
                table[name] = obj
                self._owner[(kind, name)] = _plugin
                self.infos[_plugin].registered[kind].append(name)

            try:
                impl.function(register=register)
            except PluginError:
                raise
            except Exception as exc:
                raise PluginError(f"plugin {plugin!r} failed in register_{kind}: {exc}") from exc

    def owner(self, kind: str, name: str) -> str:
        return self._owner[(kind, name)]

    def domain(self, name: str) -> Any:
        return self._lookup("domains", name, "domain", "--domain")

    def provider(self, name: str) -> Any:
        return self._lookup("providers", name, "provider", "provider")

    def strategy(self, name: str) -> Any:
        return self._lookup("strategies", name, "strategy", "--strategy")

    def _lookup(self, kind: str, name: str, what: str, option: str) -> Any:
        table = getattr(self, kind)
        if name not in table:
            known = ", ".join(sorted(table)) or "none"
            raise PluginError(
                f"unknown {what} {name!r} (known: {known}); check {option} or install the plugin "
                f"that provides it (see `harness plugins`)"
            )
        return table[name]

    def notify_attempt(self, attempt: Any) -> None:
        self.pm.hook.attempt_recorded(attempt=attempt)


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


def _check_unknown_hooks(pm: pluggy.PluginManager, module: Any, name: str) -> None:
    # pluggy only reports functions carrying the harness marker; catch misspelt hook names too.
    known = {n for n in dir(hookspecs) if n.startswith(("register_", "attempt_"))}
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

    for mod_name in BUILTIN_MODULES:
        add(mod_name.rsplit(".", 1)[-1], importlib.import_module(mod_name), __version__, "builtin")

    if os.environ.get("HARNESS_DISABLE_PLUGINS", "").strip().lower() not in ("1", "true", "yes"):
        for ep in _entry_points():
            if ep.name in blocked:
                continue
            dist = ep.dist
            try:
                module = ep.load()
            except Exception as exc:
                raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to import: {exc}") from exc
            if module.__name__ in BUILTIN_MODULES:
                continue  # the core lists its built-ins in the group too; they are already loaded
            origin = f"entry point ({dist.name})" if dist else "entry point"
            add(ep.name, module, dist.version if dist else None, origin)

    for name, module in extra or []:
        add(name, module, getattr(module, "__version__", None), "registered in process")
    return Registry(pm, infos)


_cache: Registry | None = None


def get_registry(refresh: bool = False) -> Registry:
    """The process-wide registry, loaded once."""
    global _cache
    if _cache is None or refresh:
        _cache = load_plugins()
    return _cache
