"""Logs are JSON lines with request id, actor, route, status and duration; never a full NIK."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import date

import pytest

from registry import nik as niks
from registry.logs import JsonFormatter, mask_niks
from tests.conftest import labusel_pks

NIK = niks.make("12.22", 7, date(1985, 6, 1), "F", 42)


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("registry")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_every_request_is_one_json_line_without_the_nik(admin, log_lines):
    agreement = admin.post("/api/v1/agreements", json=labusel_pks()).json["id"]
    admin.post(f"/api/v1/agreements/{agreement}/enrollments", headers={"X-Request-ID": "log-1"},
               json={"nik": NIK, "name": "Sri", "occupation": "pedagang",
                     "starts_on": "2022-10-01"})
    admin.get(f"/api/v1/workers/{NIK}/coverage?on=2022-11-01")
    admin.get("/api/v1/workers/1222070000000000")  # not found, NIK-like in the path
    lines = log_lines()
    requests_logged = [line for line in lines if line["logger"] == "registry.access"]
    assert len(requests_logged) == 4
    enrolled = requests_logged[1]
    assert enrolled["request_id"] == "log-1" and enrolled["status"] == 201
    assert enrolled["actor"].startswith("admin-")
    assert enrolled["route"] == "/api/v1/agreements/<uuid:agreement_id>/enrollments"
    assert enrolled["duration_ms"] >= 0
    text = json.dumps(lines)
    assert not re.search(r"(?<![0-9])[0-9]{16}(?![0-9])", text)


def test_a_nik_anywhere_in_a_message_is_masked():
    assert mask_niks(f"worker {NIK} died") == f"worker {NIK[:6]}********{NIK[-2:]} died"
    assert mask_niks("position 12345678901234567") == "position 12345678901234567"
    record = logging.LogRecord("registry", logging.ERROR, __file__, 1, "nik=%s", (NIK,), None)
    assert NIK not in JsonFormatter().format(record)
