"""An inspect model API for writing test logs with ``inspect_ai.eval`` (no network, deterministic).

``scripted/<name>`` answers "Compute: a+b" correctly on the first ``a % 4`` calls for that prompt and
off by one after, so with 3 epochs the per-sample pass counts are fixed whatever order inspect runs
epochs in. Usage: input tokens = words in the prompt, 5 output tokens per call.
"""

import re
from collections import Counter

from inspect_ai.model import GenerateConfig, ModelAPI, ModelOutput, ModelUsage, modelapi

calls: Counter = Counter()


class ScriptedAPI(ModelAPI):
    def __init__(self, model_name, base_url=None, api_key=None, config=GenerateConfig(), **kw):  # noqa: B008
        super().__init__(model_name, base_url, api_key, [], config)

    async def generate(self, input, tools, tool_choice, config):
        prompt = input[-1].text
        a, b = (int(x) for x in re.search(r"(\d+)\+(\d+)", prompt).groups())
        key = (self.model_name, prompt)
        calls[key] += 1
        good = calls[key] <= a % 4 if "bad" not in self.model_name else False
        total = a + b if good else a + b + 1
        out = ModelOutput.from_content(model=self.model_name, content=f"ANSWER: {total}")
        words = sum(len(m.text.split()) for m in input)
        out.usage = ModelUsage(input_tokens=words, output_tokens=5, total_tokens=words + 5)
        return out


@modelapi(name="scripted")
def scripted():
    return ScriptedAPI
