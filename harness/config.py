"""harness.toml: read with tomllib, validated into typed objects at load time.

Lookup order: ``--config PATH``, then ``$HARNESS_CONFIG``, then ``./harness.toml``. Any unknown key,
wrong type or missing field is one line naming the file, the key and the expected form (exit code 2);
a file with several problems lists every one, a line each, so one edit fixes them all. Relative paths
in the file are relative to the file's folder.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from harness.errors import ConfigError
from harness.providers.pricing import check_prices

DEFAULT_FILE = "harness.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class ModelConfig(_Strict):
    """``[models.<name>]``: one purchasable model."""

    name: str = ""
    route: str = Field(description="the litellm model string, e.g. 'openrouter/qwen/qwen3-coder'")
    provider: str = "litellm"
    input_cost_per_mtok: float | None = Field(default=None, ge=0)
    output_cost_per_mtok: float | None = Field(default=None, ge=0)
    temperature: float | None = Field(default=None, ge=0)
    top_p: float | None = Field(default=None, gt=0, le=1)
    seed: int | None = None
    max_tokens: int = Field(default=1024, gt=0)
    timeout_s: float = Field(default=120.0, gt=0)
    concurrency: int = Field(default=8, gt=0)
    rpm: int | None = Field(default=None, gt=0)
    tpm: int | None = Field(default=None, gt=0)
    api_base: str | None = None
    api_key_env: str | None = Field(
        default=None, description="name of the environment variable holding the key (never the key)"
    )
    params: dict[str, Any] = Field(default_factory=dict)
    cost_from_response: bool = Field(
        default=False, description="the provider reports each call's cost (usage.cost): no price needed"
    )
    max_retries: int = Field(default=4, ge=0, description="retries of rate-limited, failed or timed-out calls")

    @model_validator(mode="after")
    def _prices_together(self) -> ModelConfig:
        if (self.input_cost_per_mtok is None) != (self.output_cost_per_mtok is None):
            raise ValueError("set both input_cost_per_mtok and output_cost_per_mtok, or neither")
        return self

    @property
    def sampling(self) -> dict[str, Any]:
        """The settings that change what the model returns (part of the attempt fingerprint, and recorded
        with each attempt): sampling settings, and ``api_base`` (without a trailing ``/``) when set, since
        another server may serve another model under the same route name."""
        keys = ("route", "provider", "temperature", "top_p", "seed", "max_tokens")
        out = {k: getattr(self, k) for k in keys if getattr(self, k) is not None}
        if self.api_base:
            out["api_base"] = self.api_base.rstrip("/")
        out.update(self.params)
        return out


class MarketConfig(_Strict):
    """``[market]``: which models sell directly, and how solutions are priced."""

    providers: list[str] = Field(default_factory=list)
    pricing: Literal["per_task", "per_solution"] = "per_task"
    cpu_usd_per_hour: float | None = Field(
        default=None, ge=0, description="price of a CPU hour of verification (analyses charge measured verify time)"
    )
    undercut: float = Field(default=0.05, ge=0, lt=1, description="fraction below the market price charged")
    refund_wrong: bool = Field(default=False, description="per_solution: a sold solution found wrong is refunded")


class StoreConfig(_Strict):
    """``[store]``: where attempts live."""

    path: str = ".harness/attempts.sqlite"
    blobs: bool = Field(default=True, description="keep prompts and responses (content-addressed)")


class DomainConfig(_Strict):
    """``[domains.<name>]``: which task source, solver and verifier the domain uses (by registered name;
    ``source`` may also be a local file or a hub dataset), and ``options`` for its plugins."""

    source: str | None = None
    solver: str | None = None
    verifier: str | None = None
    split: str | None = None
    limit: int | None = Field(default=None, gt=0)
    verify_cost_usd: float | None = Field(default=None, ge=0, description="USD per verification (analyses)")
    options: dict[str, Any] = Field(default_factory=dict)

    def as_options(self) -> dict[str, Any]:
        base = {
            "source": self.source,
            "solver": self.solver,
            "verifier": self.verifier,
            "split": self.split,
            "limit": self.limit,
        }
        return {**{k: v for k, v in base.items() if v is not None}, **self.options}


class RunConfig(_Strict):
    """``[run]``: defaults of ``harness run`` and ``harness collect``."""

    domain: str | None = None
    strategy: str = "robust"
    models: list[str] = Field(default_factory=list)
    attempts: int = Field(default=1, gt=0)
    budget_usd: float = Field(default=1.0, gt=0)
    max_spend_usd: float | None = Field(default=None, gt=0)
    fit_domains: list[str] = Field(default_factory=list)
    fit_budget_usd: float | None = Field(default=None, gt=0)
    seed: int = 0
    limit: int | None = Field(default=None, gt=0, description="tasks served by `harness run`")
    target_rate: float | None = Field(default=None, gt=0, le=1)
    stages: list[list[Any]] = Field(default_factory=list, description="cascade strategy: [[model, usd], ...]")
    concurrency: int = Field(default=1, gt=0, description="tasks served at once")
    collect_missing: bool = Field(default=True, description="collect a missing market or fit bank first")
    fit_tasks: int = Field(default=6, gt=0, description="tasks per bank collected for a run")
    fit_attempts: int = Field(default=2, gt=0, description="attempts per task and model in those banks")


class AnalysisConfig(_Strict):
    """``[analysis]``: grids of ``harness analyze``."""

    budget_min_usd: float = Field(default=1e-4, gt=0)
    budget_max_usd: float = Field(default=1.0, gt=0)
    budget_points: int = Field(default=250, ge=2)


class Config(_Strict):
    """The whole harness.toml."""

    models: dict[str, ModelConfig] = Field(default_factory=dict)
    market: MarketConfig = Field(default_factory=MarketConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    domains: dict[str, DomainConfig] = Field(default_factory=dict)
    run: RunConfig = Field(default_factory=RunConfig)
    analysis: AnalysisConfig = Field(default_factory=AnalysisConfig)
    path: str | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _cross_references(self) -> Config:
        problems = [
            f"{key} names {name!r}, which is not a [models.{name}] table"
            for key, names in (("market.providers", self.market.providers), ("run.models", self.run.models))
            for name in names
            if name not in self.models
        ]
        if problems:
            raise ValueError("\n".join(problems))  # one line each (see _lines)
        return self

    @property
    def root(self) -> Path:
        return Path(self.path).resolve().parent if self.path else Path.cwd()

    @property
    def store_path(self) -> Path:
        p = Path(os.path.expanduser(self.store.path))
        return p if p.is_absolute() else self.root / p

    def model(self, name: str) -> ModelConfig:
        if name not in self.models:
            known = ", ".join(sorted(self.models)) or "none"
            where = self.path or "harness.toml"
            raise ConfigError(f"unknown model {name!r} (configured in {where}: {known}); add [models.{name}]")
        return self.models[name]

    def domain(self, name: str) -> DomainConfig:
        return self.domains.get(name, DomainConfig())

    def domain_options(self, name: str) -> dict[str, Any]:
        """What a domain's TaskSource.tasks() receives: its table, plus ``_root`` (this file's folder)
        so plugins resolve relative paths against harness.toml, not the current directory."""
        return {**self.domain(name).as_options(), "_root": str(self.root)}


_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "an array",
    "dict_type": "a table",
    "model_type": "a table",
    "missing": "a value (it is required)",
    "literal_error": "one of the allowed values",
}


def _lines(exc: ValidationError, where: str) -> str:
    """Every problem pydantic found, one line each, naming the file, the key and the expected form."""
    return "\n".join(line for err in exc.errors(include_url=False) for line in _problem(err, where))


def _problem(err: Any, where: str) -> list[str]:
    loc = ".".join(str(p) for p in err["loc"])
    kind = err["type"]
    key = f"key '{loc}'" if loc else "configuration"
    if kind == "extra_forbidden":
        return [f"{where}: unknown key '{loc}' (remove it or check its spelling)"]
    if kind == "value_error":
        return [f"{where}: {key}: {m}" for m in err["msg"].removeprefix("Value error, ").splitlines()]
    if kind == "literal_error":
        expected = err["msg"].replace("Input should be ", "one of ")
    else:
        expected = _EXPECTED.get(kind, err["msg"].replace("Input should be ", ""))
    got = "" if kind == "missing" else f" (got {err.get('input')!r})"
    return [f"{where}: {key}: expected {expected}{got}"]


def parse_config(data: dict[str, Any], where: str = "harness.toml") -> Config:
    """Validate a parsed TOML document; raise ConfigError with one clear line per problem."""
    data = dict(data)
    if "path" in data:
        raise ConfigError(f"{where}: unknown key 'path' (remove it or check its spelling)")
    models = data.get("models")
    if isinstance(models, dict):
        data["models"] = {n: ({**m, "name": n} if isinstance(m, dict) else m) for n, m in models.items()}
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_lines(exc, where)) from None
    check_prices(config, where)  # an unpriced model is rejected now, not at its first call
    return config


def find_config(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The configuration file to use, or None when there is none (built-in defaults apply)."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("HARNESS_CONFIG")
    if env:
        return Path(env)
    local = Path.cwd() / DEFAULT_FILE
    return local if local.exists() else None


def load_config(explicit: str | os.PathLike[str] | None = None) -> Config:
    """Find, read and validate the configuration."""
    path = find_config(explicit)
    if path is None:
        return Config()
    if not path.is_file():
        raise ConfigError(f"{path}: configuration file not found; pass --config PATH or set HARNESS_CONFIG")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8 TOML") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration ({exc.strerror or exc})") from None
    return parse_config(data, str(path)).model_copy(update={"path": str(path)})
