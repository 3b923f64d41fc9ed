"""Logs are JSON lines with request id, actor, route, status and duration; never a full NIK."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import date

import pytest

from registry.domain import nik as niks
from registry.entrypoints.logs import JsonFormatter, mask_niks
from tests.builders import labusel_pks

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
    requests_logged = [line for line in lines if line["logger"] == "registry.store.access"]
    assert len(requests_logged) == 4
    enrolled = requests_logged[1]
    assert enrolled["request_id"] == "log-1" and enrolled["status"] == 201
    assert enrolled["actor"].startswith("admin-")
    assert enrolled["route"] == "/api/v1/agreements/<uuid:agreement_id>/enrollments"
    assert enrolled["duration_ms"] >= 0
    # The request ids are the clients' own (or generated), and left as they are.
    text = json.dumps([{k: v for k, v in line.items() if k != "request_id"} for line in lines])
    assert not re.search(r"(?<![0-9])[0-9]{16}(?![0-9])", text)


def test_a_nik_anywhere_in_a_message_is_masked():
    assert mask_niks(f"worker {NIK} died") == f"worker {NIK[:6]}********{NIK[-2:]} died"
    assert mask_niks("position 12345678901234567") == "position 12345678901234567"
    record = logging.LogRecord("registry", logging.ERROR, __file__, 1, "nik=%s", (NIK,), None)
    assert NIK not in JsonFormatter().format(record)


def test_the_request_id_is_never_masked_and_a_nik_elsewhere_always_is():
    fields = {"request_id": f"upload-{NIK}-1", "detail": f"worker {NIK}",
              "nested": {"niks": [NIK, int(NIK)], NIK: "key"}, "count": 12}
    record = logging.LogRecord("registry.store.access", logging.INFO, __file__, 1, "for %s", (NIK,),
                               None)
    record.fields = fields
    line = json.loads(JsonFormatter().format(record))
    masked = f"{NIK[:6]}********{NIK[-2:]}"
    assert line["request_id"] == f"upload-{NIK}-1"
    assert line["message"] == f"for {masked}"
    assert line["detail"] == f"worker {masked}"
    assert line["nested"] == {"niks": [masked, masked], masked: "key"}
    assert line["count"] == 12
    del line["request_id"]
    assert NIK not in json.dumps(line)


def test_the_access_log_names_the_request_id_the_client_got_even_with_sixteen_digits(
        admin, log_lines):
    request_id = f"batch-{NIK}.2"
    response = admin.get(f"/api/v1/workers/{NIK}", headers={"X-Request-ID": request_id})
    assert response.headers["X-Request-ID"] == request_id
    access = [line for line in log_lines() if line["logger"] == "registry.store.access"]
    assert [line["request_id"] for line in access] == [request_id]


@pytest.mark.parametrize("given", ["a", "A-z_0.9", "x" * 64, NIK, "0", "..", "-"])
def test_a_request_id_of_1_to_64_letters_digits_dots_underscores_or_hyphens_is_kept(
        admin, given):
    assert admin.get("/api/v1/regions/12.22/coverage",
                     headers={"X-Request-ID": given}).headers["X-Request-ID"] == given


@pytest.mark.parametrize("given", ["x" * 65, "", "a b", "a/b", "a:b", "a@b", "a+b", "a=b",
                                   "<script>", "caf\u00e9", "\u0661\u0662", "a\tb", "a,b",
                                   '"quoted"', "a%0Ab"])
def test_any_other_request_id_is_replaced_by_a_generated_one(admin, registry, log_lines,
                                                            given):
    before = registry.app.head_position()
    response = admin.put("/api/v1/regions/12.22/targets/2023",
                         json={"workforce": 1000, "target_percent": 50},
                         headers={"X-Request-ID": given})
    assert response.status_code == 200, response.get_data(as_text=True)
    generated = response.headers["X-Request-ID"]
    assert generated != given and re.fullmatch(r"[0-9a-f]{32}", generated)
    access = [line for line in log_lines() if line["logger"] == "registry.store.access"]
    assert [line["request_id"] for line in access] == [generated]
    # The events it wrote carry the id the client got back, too.
    written = admin.get(f"/api/v1/events?after={before}").json["events"]
    assert written and {e["request_id"] for e in written} == {generated}
