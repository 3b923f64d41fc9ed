"""The read models' JSON parser gives what the standard one gives, for what the library writes."""

from __future__ import annotations

import json
import math

import pytest

from projections.reader import _decode


@pytest.mark.parametrize("stored", [
    b'{"a":1,"b":[1,2.5,"x",null,true],"c":{"_type_":"date","_data_":"2026-01-01"}}',
    b'{"n":123456789012345678901234567890,"f":-0.0,"e":1.5e300}',
    b'{"s":"\\u00e9\\ud83d\\ude00 \\"q\\""}',
    b'{"a":1,"a":2}',
    b'{"raw":"\xc3\xa9"}',
])
def test_the_reader_parses_stored_json_as_json_loads_does(stored: bytes) -> None:
    assert _decode(stored) == json.loads(stored)


def test_nan_and_infinity_which_json_dumps_writes_are_read_too() -> None:
    parsed = _decode(json.dumps({"a": float("nan"), "b": float("inf")}).encode())
    assert math.isnan(parsed["a"]) and parsed["b"] == float("inf")
