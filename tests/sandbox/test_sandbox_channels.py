"""Results as plain data: the typed JSON codec, the result channel, conversations, and record checks."""

from __future__ import annotations

import json
import math

import pytest

from harness.toolkit.sandbox import Limits, available_isolations, python_for, run_sandboxed
from harness.toolkit.sandbox.data import INSIDE_SOURCE, DataError, decode, encode, read_records

AVAILABLE = available_isolations()


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -(10**30),
        1.5,
        "é",
        b"\x00\xff",
        2j,
        [1, [2]],
        (1, (2,)),
        {1: "a", (2, 3): None},
        {1, 2},
        frozenset([3]),
    ],
)
def test_plain_values_round_trip_with_their_types(value):
    back = decode(encode(value))
    assert back == value and type(back) is type(value)


def test_special_floats_and_forged_objects():
    assert math.isnan(decode(encode(float("nan")))) and decode(encode(float("-inf"))) == float("-inf")
    ns: dict = {}
    exec(INSIDE_SOURCE, ns)

    class Always(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__

    class Weird:
        def __eq__(self, other):
            return True

    assert ns["_encode"](Always(7)) == 7 and type(ns["_encode"](Always(7))) is int  # the real value only
    assert ns["_encode"]([Weird()]) == [{"unencodable": "Weird"}]
    with pytest.raises(DataError):
        decode(json.dumps(ns["_encode"](Weird())))
    for bad in ['{"tuple": 1}', '{"a": 1, "b": 2}', "[", '{"set": [[1]]}', '{"dict": [[1]]}', '{"float": "1e999x"}']:
        with pytest.raises(DataError):
            decode(bad)


@pytest.mark.parametrize("iso", AVAILABLE)
def test_the_channel_is_apart_from_stdout(iso):
    code = (
        "import os\n"
        "print('noise on stdout')\n"
        "with os.fdopen(int(os.environ['HARNESS_CHANNEL_FD']), 'w') as ch:\n"
        '    ch.write(\'{"id": "t1", "outcome": "passed"}\\n\')\n'
    )
    r = run_sandboxed([python_for(iso), "-S", "-c", code], isolation=iso, channel=True)
    assert r.ok and r.stdout == "noise on stdout\n"
    records, problem = read_records(r.channel, ["t1"])
    assert problem is None and records["t1"]["outcome"] == "passed"
    capped = run_sandboxed(
        [python_for(iso), "-S", "-c", "import os\nos.write(int(os.environ['HARNESS_CHANNEL_FD']), b'x' * 100000)\n"],
        isolation=iso,
        channel=True,
        limits=Limits(channel_bytes=1000),
    )
    assert capped.channel_truncated and len(capped.channel) == 1000 and not capped.ok


def test_read_records_flags_every_irregularity():
    good = b'{"id": "a", "outcome": "passed"}\n{"id": "b", "outcome": "failed"}\n'
    assert read_records(good, ["a", "b"])[1] is None
    for channel, why in [
        (good + b'{"id": "a", "outcome": "passed"}\n', "two records"),
        (good + b'{"id": "c"}\n', "unknown"),
        (b'{"id": "a"}\n', "missing"),
        (b"not json\n", "not JSON"),
        (b'{"name": "a"}\n', "without"),
    ]:
        assert why in read_records(channel, ["a", "b"])[1]


@pytest.mark.parametrize("iso", AVAILABLE)
def test_a_conversation_under_the_limits(iso):
    code = "import sys\nfor line in sys.stdin:\n    print(int(line) * 2, flush=True)\n"
    answers = []

    def talk(conv):
        for n in (1, 2, 21):
            assert conv.send(f"{n}\n".encode())
            answers.append(conv.recv_line(timeout=10))

    r = run_sandboxed([python_for(iso), "-S", "-c", code], isolation=iso, talk=talk)
    assert r.ok and answers == [b"2", b"4", b"42"]
    hung: list = []
    r = run_sandboxed(
        [python_for(iso), "-S", "-c", "import time\ntime.sleep(60)\n"],
        isolation=iso,
        talk=lambda conv: hung.append(conv.recv_line()),
        limits=Limits(wall_s=1.0, cpu_s=1.0),
    )
    assert r.timed_out and hung == [None]  # the limits end the run, and the conversation with it
