"""A seeded generator of grade-school word problems with exact answers, so the domain works offline.

Each problem is a chain of operations on one quantity (buy, give away, multiply, share out, buy packs,
sell at a price). The answer is computed alongside the text with integers, so it is right by
construction; every intermediate value is a positive integer no larger than the level's bound. Levels
differ in the number of steps and the size of the numbers. Problem ``i`` of a (seed, level) depends on
nothing else, so a larger ``limit`` extends the same list.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from harness import HarnessError, Task


@dataclass(frozen=True)
class Level:
    """How hard a generated problem is: operations in the chain, and the bound on every number."""

    steps: int
    max_value: int
    ops: tuple[str, ...]
    price: bool = False


LEVELS: dict[int, Level] = {
    1: Level(steps=2, max_value=20, ops=("add", "sub")),
    2: Level(steps=3, max_value=100, ops=("add", "sub", "mul")),
    3: Level(steps=5, max_value=1_000, ops=("add", "sub", "mul", "div", "packs"), price=True),
    4: Level(steps=7, max_value=10_000, ops=("add", "sub", "mul", "div", "packs"), price=True),
}

_PEOPLE = (
    ("Ava", "she", "her"),
    ("Ben", "he", "his"),
    ("Chloe", "she", "her"),
    ("Diego", "he", "his"),
    ("Emma", "she", "her"),
    ("Farid", "he", "his"),
    ("Grace", "she", "her"),
    ("Hiro", "he", "his"),
    ("Isla", "she", "her"),
    ("Jamal", "he", "his"),
    ("Kira", "she", "her"),
    ("Liam", "he", "his"),
    ("Maya", "she", "her"),
    ("Noah", "he", "his"),
    ("Olga", "she", "her"),
    ("Pedro", "he", "his"),
)
_FRIENDS = ("a classmate", "her cousin", "his neighbour", "a friend", "the teacher", "a younger sibling")
_ITEMS = (
    "apples",
    "marbles",
    "stickers",
    "pencils",
    "cookies",
    "seashells",
    "stamps",
    "books",
    "beads",
    "trading cards",
    "eggs",
    "balloons",
    "crayons",
    "oranges",
    "coins",
    "postcards",
)
_TIMES = {2: "twice", 3: "three times", 4: "four times", 5: "five times"}


@dataclass
class _Story:
    rng: random.Random
    name: str
    pronoun: str
    possessive: str
    item: str
    value: int
    expression: str
    sentences: list[str]
    lines: list[str]

    def apply(self, op: str, level: Level) -> bool:
        """Add one operation to the story if it keeps every number a positive integer within bounds."""
        rng, q, top = self.rng, self.value, level.max_value
        who = rng.choice((self.name, self.pronoun.capitalize()))
        if op == "add" and q < top:
            hi = max(1, min(top - q, top // 3))
            k = rng.randint(min(2, hi), hi)
            self.sentences.append(
                rng.choice(
                    [
                        f"{who} buys {k} more {self.item}.",
                        f"{who} finds {k} more {self.item}.",
                        f"{self.name}'s aunt gives {'her' if self.pronoun == 'she' else 'him'} {k} more {self.item}.",
                    ]
                )
            )
            self._record(f"{q} + {k}", q + k, f"({self.expression} + {k})")
        elif op == "sub" and q >= 2:
            k = rng.randint(min(2, q - 1), q - 1)
            friend = rng.choice(_FRIENDS)
            self.sentences.append(
                rng.choice(
                    [
                        f"{who} gives {k} {self.item} to {friend}.",
                        f"{who} loses {k} of the {self.item}.",
                        f"{who} uses {k} {self.item} for a school project.",
                    ]
                )
            )
            self._record(f"{q} - {k}", q - k, f"({self.expression} - {k})")
        elif op == "mul" and q * 2 <= top:
            k = rng.choice([m for m in _TIMES if q * m <= top])
            self.sentences.append(f"Then the number of {self.item} {self.name} has becomes {_TIMES[k]} as large.")
            self._record(f"{q} * {k}", q * k, f"({self.expression} * {k})")
        elif op == "div" and any(q % d == 0 and q > d for d in range(2, 10)):
            k = rng.choice([d for d in range(2, 10) if q % d == 0 and q > d])
            self.sentences.append(f"{who} shares the {self.item} equally among {k} boxes and keeps only one box.")
            self._record(f"{q} / {k}", q // k, f"({self.expression} / {k})")
        elif op == "packs" and top - q >= 4:
            packs = rng.randint(2, max(2, min(9, (top - q) // 2)))
            each = rng.randint(2, max(2, min(50, (top - q) // packs)))
            self.sentences.append(f"{who} buys {packs} packs with {each} {self.item} in each pack.")
            self._record(f"{q} + {packs} * {each}", q + packs * each, f"({self.expression} + {packs} * {each})")
        else:
            return False
        return True

    def _record(self, work: str, result: int, expression: str) -> None:
        self.lines.append(f"{work} = {result}")
        self.value, self.expression = result, expression


def generate_problem(seed: int, level: int, index: int) -> Task:
    """Problem ``index`` of the (seed, level) series: question, exact answer, worked solution."""
    if level not in LEVELS:
        raise HarnessError(f"math: generator level must be one of {sorted(LEVELS)} (got {level!r})")
    spec = LEVELS[level]
    rng = random.Random(f"harness-math:{seed}:{level}:{index}")
    name, pronoun, possessive = rng.choice(_PEOPLE)
    item = rng.choice(_ITEMS)
    start = rng.randint(2, max(3, spec.max_value // 4))
    opening = f"{name} has {start} {item}."
    story = _Story(rng, name, pronoun, possessive, item, start, str(start), [opening], [])
    for _ in range(spec.steps):
        for op in rng.sample(spec.ops, len(spec.ops)):
            if story.apply(op, spec):
                break
    if spec.price and rng.random() < 0.5:
        price = rng.randint(2, 9 if level < 4 else 25)
        answer = story.value * price
        story.lines.append(f"{story.value} * {price} = {answer}")
        question = (
            f"{' '.join(story.sentences)} Finally, {name} sells all of {possessive} {item} "
            f"for ${price} each. How many dollars does {pronoun} earn?"
        )
        expression = f"({story.expression} * {price})"
    else:
        answer = story.value
        question = f"{' '.join(story.sentences)} How many {item} does {name} have now?"
        expression = story.expression
    solution = "\n".join([*story.lines, f"#### {answer}"])
    return Task(
        id=f"gen-s{seed}-l{level}-{index}",
        data={
            "question": question,
            "answer": str(answer),
            "answer_type": "numeric",
            "style": "gsm8k",
            "source": "generator",
            "level": level,
            "steps": len(story.lines),
            "solution": solution,
            "expression": expression,
        },
        split=f"level{level}",
    )


def parse_levels(value: object) -> list[int]:
    """Levels from an option: 2, [1, 3], "1,2" or "all"."""
    if value is None or value == "all":
        return sorted(LEVELS)
    items = value if isinstance(value, list) else str(value).split(",")
    try:
        levels = [int(str(v).strip()) for v in items]
    except ValueError:
        levels = []
    if not levels or any(lv not in LEVELS for lv in levels):
        raise HarnessError(
            f"math: [domains.math.options] level must be one of {sorted(LEVELS)}, a list of them, "
            f'or "all" (got {value!r})'
        )
    return levels


def generate(seed: int = 0, levels: list[int] | None = None, count: int = 100) -> Iterator[Task]:
    """``count`` problems, cycling through ``levels`` so a mixed set has every level in turn."""
    levels = levels or sorted(LEVELS)
    for i in range(count):
        yield generate_problem(seed, levels[i % len(levels)], i // len(levels))
