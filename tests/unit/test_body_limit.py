"""The body limit: counted on what is read, and configured only as a plain number."""

from __future__ import annotations

import io

import pytest
from werkzeug.exceptions import RequestEntityTooLarge

from api.requests import BoundedBody
from registry.config import ConfigurationError, Settings


def read_all(data: bytes, limit: int, chunk: int | None = None) -> bytes:
    body = io.BufferedReader(BoundedBody(io.BytesIO(data), limit))
    if chunk is None:
        return body.read()
    out = b""
    while piece := body.read(chunk):
        out += piece
    return out


@pytest.mark.parametrize("chunk", [None, 1, 7, 4096, 100_000])
def test_a_body_up_to_the_limit_is_read_whole(chunk):
    for size in (0, 1, 999, 1000):
        assert read_all(b"x" * size, 1000, chunk) == b"x" * size


@pytest.mark.parametrize("chunk", [None, 1, 7, 4096, 100_000])
@pytest.mark.parametrize("size", [1001, 1002, 50_000])
def test_a_body_past_the_limit_is_refused_however_it_is_read(chunk, size):
    with pytest.raises(RequestEntityTooLarge, match="over the limit of 1000 bytes"):
        read_all(b"x" * size, 1000, chunk)


def test_never_more_than_one_byte_past_the_limit_is_taken_from_the_client():
    raw = io.BytesIO(b"x" * 50_000)
    with pytest.raises(RequestEntityTooLarge):
        io.BufferedReader(BoundedBody(raw, 1000)).read()
    assert raw.tell() == 1001


@pytest.mark.parametrize("raw", ["\u00b2" * 4, "\u0661\u0660\u0662\u0664", "1e6", "-2048",
                                 "2048 ", "0x800", "9" * 5000, "1023"])
def test_a_body_limit_that_is_not_plain_digits_of_at_least_1024_is_refused(raw):
    with pytest.raises(ConfigurationError, match="REGISTRY_MAX_BODY_BYTES"):
        Settings.from_env({"REGISTRY_MAX_BODY_BYTES": raw})


def test_a_body_limit_in_plain_digits_is_taken():
    assert Settings.from_env({"REGISTRY_MAX_BODY_BYTES": "1048576"}).max_body_bytes == 2**20
