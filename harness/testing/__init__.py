"""harness.testing: what a plugin's test suite gets by installing harness.

It is a pytest plugin (entry point ``harness`` in the ``pytest11`` group), so its fixtures are there in
every test run without a conftest.py; ``-p no:harness`` switches it off. At start-up it sets, unless
already set, ``LITELLM_LOCAL_MODEL_COST_MAP=True``, ``HF_DATASETS_OFFLINE=1``, ``HF_HUB_OFFLINE=1`` and
``HF_HUB_DISABLE_TELEMETRY=1``: tests read prices and datasets offline.

Fixtures (all named ``harness_*``, so they do not shadow a suite's own):

- ``harness_registry``: a function ``harness_registry(*plugins) -> harness.registry.Registry`` loading
  the core's built-ins (providers, strategies, bank formats) and exactly ``plugins`` (modules,
  importable module names, or ``(name, module)`` pairs): no installed plugin is loaded
  (``HARNESS_DISABLE_PLUGINS=1`` for the test), so a test sees only the plugin under test.
- ``harness_store``: an empty attempt store (``harness.store.Store``) in the test's temporary folder.
- ``harness_scripted_model``: a function ``harness_scripted_model(*replies, cap=None, limit_usd=None,
  input_cost_per_mtok=1.0, output_cost_per_mtok=2.0, max_tokens=256, name="scripted", ledger=None)
  -> ScriptedModel``: a model client for one attempt whose calls go through the harness's real metered
  client (spend cap, the attempt's own dollar limit, reservations, stop signal, attempt totals) to a
  provider answering with the
  queued replies. A reply is a text (billed at the prices: input tokens = prompt words, output tokens =
  reply words up to ``max_tokens``), a ``harness.Completion`` (returned as given), an exception to
  raise, or a function of the messages returning one of these. ``model.calls`` lists what was sent,
  ``model.totals`` / ``model.spent`` what it cost, ``model.stop()`` stops the run as a first Ctrl-C
  does; a call over ``cap`` raises ``SpendCapReached``, one past ``limit_usd`` ``AttemptLimitReached``
  (below it, ``max_tokens`` is lowered to fit), a call after ``stop()`` ``CallsStopped``, a call past
  the last reply ``ScriptExhausted`` (all importable from ``harness.testing``).
- ``harness_fake_server``: a running fake OpenAI-compatible chat server on 127.0.0.1
  (:class:`harness.testing.fakeserver.FakeServer`): ``server.api_base``; ``server.model_toml(name)``
  is a ``[models.<name>]`` table routed to it for a test's harness.toml (the key variable it names is
  set for the test); ``server.push("429", "500", "hang", ...)`` scripts failures; ``server.requests``
  records every request; ``server.answer`` decides the replies ("Compute: a+b" is answered with the
  sum by default, off by one for a model whose name contains "bad").

The contract suite: :class:`DomainContract` (see :mod:`harness.testing.contract`). A domain plugin
adopts it in a few lines::

    from harness import Candidate
    from harness.testing import DomainContract

    import harness_mydomain


    class TestMyDomainContract(DomainContract):
        plugin = harness_mydomain
        domain = "mydomain"
        options = {"count": 5}
        good = staticmethod(lambda task: Candidate(answer=task.data["answer"]))
        bad = Candidate(answer="certainly wrong")
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite("harness.testing.contract")

from harness.collect.metering import (  # noqa: E402
    AttemptLimitReached,
    CallsStopped,
    ProviderError,
    SpendCapReached,
)
from harness.testing.contract import DomainContract, source_options, verify_as_pipeline  # noqa: E402
from harness.testing.fixtures import (  # noqa: E402
    harness_fake_server,
    harness_registry,
    harness_scripted_model,
    harness_store,
    isolated_registry,
    pytest_configure,
)
from harness.testing.scripted import ScriptedModel, ScriptedProvider, ScriptExhausted  # noqa: E402

__all__ = [
    "AttemptLimitReached",
    "CallsStopped",
    "DomainContract",
    "ProviderError",
    "ScriptExhausted",
    "ScriptedModel",
    "ScriptedProvider",
    "SpendCapReached",
    "harness_fake_server",
    "harness_registry",
    "harness_scripted_model",
    "harness_store",
    "isolated_registry",
    "pytest_configure",
    "source_options",
    "verify_as_pipeline",
]
