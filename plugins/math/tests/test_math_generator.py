"""The offline generator: reproducible, exact answers by construction, levels that really differ."""

import ast
import operator
import re
from fractions import Fraction
from statistics import mean

import pytest
from harness import Candidate, HarnessError

from harness_math.generator import LEVELS, generate, generate_problem
from harness_math.sources import MathSource
from harness_math.verifier import MathVerifier

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _evaluate(node: ast.AST) -> Fraction:
    """An independent evaluator of the recorded expression, in exact arithmetic."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return Fraction(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    raise AssertionError(f"unexpected node {ast.dump(node)}")


def test_same_seed_same_problems_and_prefix_stable() -> None:
    first = [t.data for t in generate(seed=7, count=40)]
    again = [t.data for t in generate(seed=7, count=40)]
    longer = [t.data for t in generate(seed=7, count=80)]
    assert first == again
    assert longer[:40] == first
    other = [t.data["question"] for t in generate(seed=8, count=40)]
    assert other != [d["question"] for d in first]


def test_answers_are_correct_by_construction() -> None:
    verifier = MathVerifier()
    for task in generate(seed=3, count=200):
        data = task.data
        value = _evaluate(ast.parse(data["expression"], mode="eval"))
        assert value.denominator == 1 and value > 0, data
        assert str(value.numerator) == data["answer"]
        # Every number in the worked solution's steps checks out.
        for line in data["solution"].splitlines()[:-1]:
            left, right = line.split(" = ")
            assert _evaluate(ast.parse(left, mode="eval")) == int(right), line
        # Every operand of the expression is stated in the question.
        question = data["question"]
        for word, digit in (("twice", "2"), ("three times", "3"), ("four times", "4"), ("five times", "5")):
            question = question.replace(word, digit)
        question_numbers = set(re.findall(r"\d+", question))
        assert set(re.findall(r"\d+", data["expression"])) <= question_numbers, data
        # The worked solution passes the verifier; a neighbouring number does not.
        assert verifier.verify(task, Candidate(answer=None, response=data["solution"])).passed
        assert not verifier.verify(task, Candidate(answer=str(value + 1))).passed


def test_every_intermediate_value_stays_within_the_level_bound() -> None:
    for level, spec in LEVELS.items():
        for i in range(50):
            data = generate_problem(1, level, i).data
            steps = data["solution"].splitlines()[:-1]
            results = [int(line.split(" = ")[1]) for line in steps]
            bound = spec.max_value * (25 if spec.price else 1)  # a final sale multiplies by the price
            assert all(0 < r <= bound for r in results), (level, data)


def test_levels_differ_in_steps_and_number_size() -> None:
    stats = {}
    for level in LEVELS:
        tasks = [generate_problem(0, level, i) for i in range(60)]
        stats[level] = (
            mean(t.data["steps"] for t in tasks),
            mean(max(int(n) for n in re.findall(r"\d+", t.data["question"])) for t in tasks),
        )
    for low, high in zip(sorted(LEVELS), sorted(LEVELS)[1:], strict=False):
        assert stats[low][0] < stats[high][0], stats
        assert stats[low][1] < stats[high][1], stats


def test_source_generator_options() -> None:
    tasks = list(MathSource().tasks({"source": "generator", "limit": 12, "seed": 5, "level": [1, 3]}))
    assert len(tasks) == 12
    assert {t.data["level"] for t in tasks} == {1, 3}
    assert len({t.id for t in tasks}) == 12
    default = list(MathSource().tasks({}))
    assert len(default) == 100 and default[0].data["source"] == "generator"


@pytest.mark.parametrize("level", [0, 9, "hard", [1, 7]])
def test_bad_level_is_one_clear_line(level: object) -> None:
    with pytest.raises(HarnessError, match="level must be one of") as info:
        MathSource().tasks({"source": "generator", "level": level})  # fails at once, not when iterated
    assert "\n" not in str(info.value)
