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

from harness_math.extract import boxed_contents
from harness_math.generator import generate, parse_levels
from harness_math.hub import load_hub_rows
from harness_math.local import read_rows
from harness_math.prompts import TEMPLATES, check_template
from harness_math.verifier import ANSWER_TYPES

GSM8K_REVISION = "740312add88f781978c0658806c59bc2815b9866"
MATH500_REVISION = "6e4ed1a2a79af7d8630a6b768ec859cb5af4d3be"
DEFAULT_GENERATED = 100
ANSWER_FORMATS = ("gsm8k", "boxed", "plain", "auto")


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
        dataset="openai/gsm8k", config="main", revision=GSM8K_REVISION, solution_column="answer",
        answer_format="gsm8k", answer_type="numeric",
    ),
    "math500": Preset(
        dataset="HuggingFaceH4/MATH-500", revision=MATH500_REVISION, question_column="problem",
        id_column="unique_id", solution_column="solution", answer_format="plain", answer_type="latex",
        style="math", keep_columns=("subject", "level"),
    ),
    "hub": Preset(),
    "local": Preset(),
    "generator": Preset(),
}
ALIASES = {"math-500": "math500", "math_500": "math500", "file": "local", "generated": "generator"}
OPTIONS = (
    "source", "split", "limit", "path", "format", "dataset", "config", "revision", "question_column",
    "answer_column", "id_column", "solution_column", "answer_format", "answer_type", "prompt_style",
    "prompt_template", "seed", "level", "hub_timeout_s", "verify_timeout_s",
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
        raise HarnessError(
            f"math: [domains.math.options] {key} must be one of {', '.join(allowed)} (got {value!r})"
        )
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
class MathSource:
    """The math domain's TaskSource: reads ``[domains.math]`` options and yields tasks lazily."""

    def tasks(self, options: Mapping[str, Any]) -> Iterator[Task]:
        unknown = sorted(k for k in options if k not in OPTIONS and not str(k).startswith("_"))
        if unknown:
            raise HarnessError(
                f"math: unknown option(s) {', '.join(unknown)} in [domains.math.options]; "
                f"known: {', '.join(OPTIONS)}"
            )
        name = resolve_source(options)
        limit = _positive_int(options, "limit")
        if name == "generator":
            return self._generated(options, limit)
        return self._from_rows(name, options, limit)

    def _generated(self, options: Mapping[str, Any], limit: int | None) -> Iterator[Task]:
        seed = options.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise HarnessError(f"math: [domains.math.options] seed must be an integer (got {seed!r})")
        levels = parse_levels(options.get("level"))
        template = self._template(options)
        for task in generate(seed, levels, limit or DEFAULT_GENERATED):
            yield self._with_template(task, template) if template else task

    def _template(self, options: Mapping[str, Any]) -> str | None:
        template = options.get("prompt_template")
        if template is None:
            return None
        if not isinstance(template, str):
            raise HarnessError("math: [domains.math.options] prompt_template must be a string")
        return check_template(template)

    @staticmethod
    def _with_template(task: Task, template: str) -> Task:
        return replace(task, data={**task.data, "prompt_template": template})

    def _from_rows(self, name: str, options: Mapping[str, Any], limit: int | None) -> Iterator[Task]:
        """Set up eagerly (bad options and an unreachable hub fail at once), then yield lazily."""
        preset = PRESETS[name]
        answer_format = _choice(options, "answer_format", ANSWER_FORMATS, preset.answer_format)
        answer_type = _choice(options, "answer_type", ANSWER_TYPES, preset.answer_type)
        style = _choice(options, "prompt_style", TEMPLATES, preset.style)
        template = self._template(options)
        columns = {
            key: options.get(key, getattr(preset, key))
            for key in ("question_column", "answer_column", "id_column", "solution_column")
        }
        split = str(options.get("split", preset.split))
        verify_timeout = options.get("verify_timeout_s")
        if verify_timeout is not None:
            verify_timeout = _number(options, "verify_timeout_s", 5.0)

        extra = {
            "answer_format": answer_format, "answer_type": answer_type, "style": style,
            "template": template, "verify_timeout": verify_timeout,
        }
        path = options.get("path")
        if path is None and str(options.get("source", "")).endswith((".jsonl", ".json", ".parquet")):
            path = options["source"]
        if path is not None:
            file = Path(str(path)).expanduser()
            if not file.is_file():
                raise HarnessError(f"math: task file {file} not found; fix [domains.math.options] path")
            rows: Iterable[dict[str, Any]] = read_rows(file, options.get("format"))
            where = str(file)
            prefix = name if name in ("gsm8k", "math500") else file.stem
            split_label = split if name in ("gsm8k", "math500") else None
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
                    f"to a commit sha (or \"main\" to follow the latest)"
                )
            timeout = _number(options, "hub_timeout_s", 3.0)
            config = options.get("config", preset.config)
            rows = load_hub_rows(str(dataset), config, split, str(revision), timeout)
            where = f"{dataset}@{str(revision)[:10]}"
            prefix = name if name in ("gsm8k", "math500") else str(dataset).rsplit("/", 1)[-1]
            split_label = split

        if limit:
            rows = itertools.islice(rows, limit)
        return self._emit(rows, name, preset, where, prefix, split_label, columns, extra)

    def _emit(
        self,
        rows: Iterable[dict[str, Any]],
        name: str,
        preset: Preset,
        where: str,
        prefix: str,
        split_label: str | None,
        columns: Mapping[str, Any],
        extra: Mapping[str, Any],
    ) -> Iterator[Task]:
        answer_format, answer_type, style = extra["answer_format"], extra["answer_type"], extra["style"]
        template, verify_timeout = extra["template"], extra["verify_timeout"]
        for index, row in enumerate(rows):
            if index == 0:
                self._check_columns(row, columns, where)
            data: dict[str, Any] = {
                "question": str(row[columns["question_column"]]),
                "answer": reference_answer(row[columns["answer_column"]], answer_format),
                "answer_type": answer_type,
                "style": style,
                "source": name,
            }
            solution_col = columns["solution_column"]
            if solution_col and solution_col in row and row[solution_col] is not None:
                data["solution"] = str(row[solution_col])
            for key in preset.keep_columns:
                if key in row:
                    data[key] = row[key]
            if template:
                data["prompt_template"] = template
            if verify_timeout is not None:
                data["verify_timeout_s"] = verify_timeout
            id_col = columns["id_column"]
            task_id = str(row[id_col]) if id_col else f"{prefix}-{split_label or 'row'}-{index}"
            yield Task(id=task_id, data=data, split=split_label)

    @staticmethod
    def _check_columns(row: Mapping[str, Any], columns: Mapping[str, Any], where: str) -> None:
        for key in ("question_column", "answer_column", "id_column"):
            col = columns[key]
            if col and col not in row:
                raise HarnessError(
                    f"math: {where} has no column {col!r} (columns: {', '.join(map(str, row))}); "
                    f"set [domains.math.options] {key}"
                )
