"""Prompt templates, one per answer style; a task may carry its own template (``prompt_template``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness import HarnessError

PLACEHOLDER = "{question}"

GSM8K_TEMPLATE = (
    "Solve the following math word problem. Reason step by step, then write the final answer "
    "as a number on its own last line in the form '#### <number>'.\n\n"
    "Problem: {question}"
)

MATH_TEMPLATE = (
    "Solve the following math problem. Reason step by step, then give the final answer in "
    "simplest exact form inside \\boxed{}, for example \\boxed{\\frac{3}{4}}.\n\n"
    "Problem: {question}"
)

TEMPLATES = {"gsm8k": GSM8K_TEMPLATE, "math": MATH_TEMPLATE}


def check_template(template: str) -> str:
    """Reject a template that would not show the model the question."""
    if PLACEHOLDER not in template:
        raise HarnessError(
            f"math: prompt_template must contain {PLACEHOLDER} where the question goes; "
            f"fix [domains.math.options] prompt_template"
        )
    return template


def render_prompt(data: Mapping[str, Any]) -> str:
    """The prompt for one task: its own template, else the template of its style ('gsm8k' or 'math')."""
    template = data.get("prompt_template") or TEMPLATES.get(str(data.get("style", "gsm8k")), GSM8K_TEMPLATE)
    # str.replace, not str.format: templates hold LaTeX braces such as \boxed{}.
    return str(template).replace(PLACEHOLDER, str(data.get("question", "")))
