"""Hostile input answers 400/422 on both engines: validation happens before any write."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from registry.domain import nik as niks
from tests.builders import labusel_pks

NIK = niks.make("12.22", 1, date(1980, 1, 1), "M", 1)
WORKER = {"nik": NIK, "name": "A", "occupation": "petani", "starts_on": "2022-10-01"}

CASES = [
    ("sign", labusel_pks(title="a\x00b"), 422),
    ("sign", labusel_pks(sponsor="x" * 10_000), 422),
    ("sign", labusel_pks(quota=10**30), 422),
    ("sign", labusel_pks(quota="2000"), 422),
    ("sign", labusel_pks(programs="JKK"), 422),
    ("sign", labusel_pks(region_code="12.22\n"), 422),
    ("enroll", {**WORKER, "name": "\x00"}, 422),
    ("enroll", {**WORKER, "nik": "1" * 10_000}, 422),
    ("enroll", {**WORKER, "starts_on": 20221001}, 422),
    ("batch", {"workers": [{**WORKER, "address": "\ud800"}]}, 422),
    ("batch", {"workers": "all of them"}, 422),
    ("correct", {"reason": "r" * 10_000, "name": "B"}, 422),
]


@pytest.fixture
def agreement(admin: Any) -> str:
    agreement_id = admin.post("/api/v1/agreements", json=labusel_pks(
        agreement_number="PKS-HOSTILE")).json["id"]
    assert admin.post(f"/api/v1/agreements/{agreement_id}/enrollments",
                      json=WORKER).status_code == 201
    return agreement_id


def path(kind: str, agreement: str) -> str:
    return {"sign": "/api/v1/agreements",
            "enroll": f"/api/v1/agreements/{agreement}/enrollments",
            "batch": f"/api/v1/agreements/{agreement}/enrollments/batch",
            "correct": f"/api/v1/workers/{NIK}/corrections"}[kind]


@pytest.mark.parametrize("kind, body, status", CASES)
def test_hostile_bodies_are_refused_and_write_nothing(admin, registry, agreement, kind, body,
                                                       status):
    head = registry.app.head_position()
    response = admin.post(path(kind, agreement), json=body)
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    assert registry.app.head_position() == head


@pytest.mark.parametrize("kind", ["sign", "enroll", "batch", "correct"])
def test_deeply_nested_json_is_malformed(admin, agreement, kind):
    response = admin.post(path(kind, agreement), data=b"[" * 50_000 + b"]" * 50_000,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json["code"] == "malformed_request"


def test_a_csv_with_nul_bytes_and_odd_encodings_is_refused(admin, agreement):
    for data in (b"nik,name,occupation\n\x00\x00\x00,a,b\n",
                 "nik,name,occupation\n1,2,3\n".encode("utf-16")):
        response = admin.post(path("batch", agreement), data=data,
                              headers={"Content-Type": "text/csv"})
        assert response.status_code in (400, 422), response.json
        assert response.mimetype == "application/problem+json"
