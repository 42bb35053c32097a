"""Small local inspect tasks for the plugin's tests: addition problems the fake server can answer.

The fake OpenAI-compatible server answers "Compute: a+b" with "ANSWER: <a+b>" (off by one for models
whose name contains "bad"), so ``addition`` passes for good models and fails for bad ones.
"""

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import pattern
from inspect_ai.solver import generate, prompt_template, system_message

PROBLEMS = [(2, 3), (10, 7), (4, 4), (21, 1), (5, 9), (8, 13)]


@task
def addition(count: int = len(PROBLEMS)) -> Task:
    samples = [Sample(id=f"add-{a}-{b}", input=f"Compute: {a}+{b}", target=str(a + b)) for a, b in PROBLEMS[:count]]
    return Task(
        dataset=MemoryDataset(samples),
        solver=[system_message("You add numbers."), prompt_template("{prompt}\nReply as ANSWER: <n>"), generate()],
        scorer=pattern(r"ANSWER:\s*(-?\d+)"),
    )
