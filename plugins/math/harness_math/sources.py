"""Where math tasks come from: GSM8K / MATH-500 / any hub dataset, a local file, or the generator.

``[domains.math] source`` picks a preset (``gsm8k``, ``math500``, ``hub``, ``local``, ``generator``);
``[domains.math.options]`` refines it. A preset plus ``path`` reads a local copy with the preset's
columns, so ``source = "gsm8k"`` with ``path = "gsm8k/test.jsonl"`` gives the same task ids as the hub.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harness import HarnessError, Task
from harness.toolkit.sources import load_hub_rows, read_rows

from harness_math.extract import boxed_contents
from harness_math.generator import generate, parse_levels
from harness_math.prompts import TEMPLATES, check_template
from harness_math.verifier import ANSWER_TYPES

GSM8K_REVISION = "740312add88f781978c0658806c59bc2815b9866"
MATH500_REVISION = "6e4ed1a2a79af7d8630a6b768ec859cb5af4d3be"
DEFAULT_GENERATED = 100
ANSWER_FORMATS = ("gsm8k", "boxed", "plain", "auto")
HUB_ALTERNATIVES = (
    'use a local file ([domains.math.options] path = "test.jsonl") '
    'or the offline generator ([domains.math] source = "generator")'
)


@dataclass(frozen=True)
class Preset:
    """The defaults of one kind of source: where it lives and which columns mean what."""

    dataset: str | None = None
    config: str | None = None
    split: str = "test"
    revision: str | None = None
    question_column: str = "question"
    answer_column: str = "answer"
    id_column: str | None = None
    solution_column: str | None = None
    answer_format: str = "auto"
    answer_type: str = "auto"
    style: str = "gsm8k"
    keep_columns: tuple[str, ...] = ()


PRESETS: dict[str, Preset] = {
    "gsm8k": Preset(
        dataset="openai/gsm8k",
        config="main",
        revision=GSM8K_REVISION,
        solution_column="answer",
        answer_format="gsm8k",
        answer_type="numeric",
    ),
    "math500": Preset(
        dataset="HuggingFaceH4/MATH-500",
        revision=MATH500_REVISION,
        question_column="problem",
        id_column="unique_id",
        solution_column="solution",
        answer_format="plain",
        answer_type="latex",
        style="math",
        keep_columns=("subject", "level"),
    ),
    "hub": Preset(),
    "local": Preset(),
    "generator": Preset(),
}
ALIASES = {"math-500": "math500", "math_500": "math500", "file": "local", "generated": "generator"}
OPTIONS = (
    "source",
    "split",
    "limit",
    "path",
    "format",
    "dataset",
    "config",
    "revision",
    "question_column",
    "answer_column",
    "id_column",
    "solution_column",
    "answer_format",
    "answer_type",
    "prompt_style",
    "prompt_template",
    "seed",
    "level",
    "hub_timeout_s",
    "verify_timeout_s",
)


def reference_answer(raw: Any, answer_format: str) -> str:
    """The final reference answer inside an answer field ('... #### 18' -> '18', '\\boxed{x}' -> 'x')."""
    text = "" if raw is None else str(raw).strip()
    if answer_format in ("gsm8k", "auto") and "####" in text:
        return text.rsplit("####", 1)[1].strip()
    if answer_format in ("boxed", "auto"):
        boxed = boxed_contents(text)
        if boxed:
            return boxed[-1].strip()
    return text


def _choice(options: Mapping[str, Any], key: str, allowed: Iterable[str], default: str) -> str:
    value = options.get(key, default)
    allowed = tuple(allowed)
    if value not in allowed:
        raise HarnessError(f"math: [domains.math.options] {key} must be one of {', '.join(allowed)} (got {value!r})")
    return str(value)


def _positive_int(options: Mapping[str, Any], key: str) -> int | None:
    value = options.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise HarnessError(f"math: [domains.math] {key} must be a positive integer (got {value!r})")
    return value


def _number(options: Mapping[str, Any], key: str, default: float) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise HarnessError(f"math: [domains.math.options] {key} must be a positive number (got {value!r})")
    return float(value)


def resolve_source(options: Mapping[str, Any]) -> str:
    """The preset name: explicit ``source``; else ``local`` when a path is given; else ``generator``."""
    source = options.get("source")
    if source is None:
        return "local" if options.get("path") else "generator"
    name = ALIASES.get(str(source).lower(), str(source).lower())
    if name not in PRESETS:
        if str(source).endswith((".jsonl", ".json", ".parquet", ".ndjson")):
            return "local"
        raise HarnessError(
            f"math: unknown source {source!r}; [domains.math] source must be one of "
            f"{', '.join(PRESETS)} (or set options.path to a JSONL/Parquet file)"
        )
    return name


@dataclass(frozen=True)
class _Rows:
    """How to turn one source's rows into tasks."""

    name: str
    preset: Preset
    where: str
    prefix: str
    split: str | None
    columns: Mapping[str, str | None]
    answer_format: str
    answer_type: str
    style: str


@dataclass(frozen=True)
class MathSource:
    """The math domain's TaskSource: options are checked (and the hub reached) at once, tasks yielded lazily.

    One instance is registered per preset (``generator``, ``gsm8k``, ``math500``, ``hub``, ``local``);
    ``name`` is the preset used when ``[domains.math] source`` does not say (a path or alias may).
    """

    name: str = "generator"

    def tasks(self, options: Mapping[str, Any]) -> Iterator[Task]:
        if options.get("source") is None and not (self.name == "generator" and options.get("path")):
            options = {**options, "source": self.name}
        unknown = sorted(k for k in options if k not in OPTIONS and not str(k).startswith("_"))
        if unknown:
            raise HarnessError(
                f"math: unknown option(s) {', '.join(unknown)} in [domains.math.options]; known: {', '.join(OPTIONS)}"
            )
        name = resolve_source(options)
        limit = _positive_int(options, "limit")
        extra: dict[str, Any] = {}
        template = options.get("prompt_template")
        if template is not None:
            if not isinstance(template, str):
                raise HarnessError("math: [domains.math.options] prompt_template must be a string")
            extra["prompt_template"] = check_template(template)
        if options.get("verify_timeout_s") is not None:
            extra["verify_timeout_s"] = _number(options, "verify_timeout_s", 5.0)
        if name == "generator":
            tasks = self._generated(options, limit)
        else:
            tasks = self._from_rows(name, options, limit)
        if not extra:
            return tasks
        return (replace(task, data={**task.data, **extra}) for task in tasks)

    @staticmethod
    def _generated(options: Mapping[str, Any], limit: int | None) -> Iterator[Task]:
        seed = options.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise HarnessError(f"math: [domains.math.options] seed must be an integer (got {seed!r})")
        levels = parse_levels(options.get("level"))
        return generate(seed, levels, limit or DEFAULT_GENERATED)

    def _from_rows(self, name: str, options: Mapping[str, Any], limit: int | None) -> Iterator[Task]:
        preset = PRESETS[name]
        split = str(options.get("split", preset.split))
        columns = {
            key: options.get(key, getattr(preset, key))
            for key in ("question_column", "answer_column", "id_column", "solution_column")
        }
        path = options.get("path")
        if path is None and str(options.get("source", "")).endswith((".jsonl", ".json", ".parquet")):
            path = options["source"]
        named = name in ("gsm8k", "math500")
        rows: Iterable[dict[str, Any]]
        if path is not None:
            file = Path(str(path)).expanduser()
            if not file.is_absolute() and options.get("_root"):
                file = Path(str(options["_root"])) / file  # the core's config folder, when it passes one
            if not file.is_file():
                raise HarnessError(f"math: task file {file} not found; fix [domains.math.options] path")
            rows = read_rows(file, options.get("format"), domain="math")
            where, prefix, split_label = str(file), name if named else file.stem, split if named else None
        elif name == "local":
            raise HarnessError("math: source 'local' needs a file: set [domains.math.options] path")
        else:
            dataset = options.get("dataset", preset.dataset)
            revision = options.get("revision", preset.revision)
            if not dataset:
                raise HarnessError("math: source 'hub' needs [domains.math.options] dataset = \"owner/name\"")
            if not revision:
                raise HarnessError(
                    f"math: pin the dataset version of {dataset}: set [domains.math.options] revision "
                    f'to a commit sha (or "main" to follow the latest)'
                )
            timeout = _number(options, "hub_timeout_s", 3.0)
            config = options.get("config", preset.config)
            rows = load_hub_rows(
                str(dataset),
                config,
                split,
                str(revision),
                domain="math",
                alternatives=HUB_ALTERNATIVES,
                timeout_s=timeout,
            )
            where = f"{dataset}@{str(revision)[:10]}"
            prefix, split_label = name if named else str(dataset).rsplit("/", 1)[-1], split
        spec = _Rows(
            name=name,
            preset=preset,
            where=where,
            prefix=prefix,
            split=split_label,
            columns=columns,
            answer_format=_choice(options, "answer_format", ANSWER_FORMATS, preset.answer_format),
            answer_type=_choice(options, "answer_type", ANSWER_TYPES, preset.answer_type),
            style=_choice(options, "prompt_style", TEMPLATES, preset.style),
        )
        return self._emit(itertools.islice(rows, limit) if limit else rows, spec)

    @staticmethod
    def _emit(rows: Iterable[dict[str, Any]], spec: _Rows) -> Iterator[Task]:
        cols = spec.columns
        for index, row in enumerate(rows):
            for key in ("question_column", "answer_column", "id_column"):
                if cols[key] and cols[key] not in row:
                    raise HarnessError(
                        f"math: {spec.where} row {index} has no column {cols[key]!r} "
                        f"(columns: {', '.join(map(str, row))}); set [domains.math.options] {key}"
                    )
            data: dict[str, Any] = {
                "question": str(row[cols["question_column"]]),
                "answer": reference_answer(row[cols["answer_column"]], spec.answer_format),
                "answer_type": spec.answer_type,
                "style": spec.style,
                "source": spec.name,
            }
            solution = row.get(cols["solution_column"]) if cols["solution_column"] else None
            if solution is not None:
                data["solution"] = str(solution)
            data.update({key: row[key] for key in spec.preset.keep_columns if key in row})
            id_col = cols["id_column"]
            task_id = str(row[id_col]) if id_col else f"{spec.prefix}-{spec.split or 'row'}-{index}"
            yield Task(id=task_id, data=data, split=spec.split)
