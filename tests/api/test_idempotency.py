"""Retries with an Idempotency-Key write once and answer the same."""

from __future__ import annotations

import json

from api.idempotency import fingerprint
from tests.conftest import labusel_pks


def head(registry) -> int:
    return registry.app.head_position()


def test_a_retry_with_the_same_key_and_body_replays_the_first_answer_and_writes_nothing(
        admin, registry):
    key = {"Idempotency-Key": "sign-labusel-1"}
    first = admin.post("/api/v1/agreements", json=labusel_pks(), headers=key)
    assert first.status_code == 201
    written = head(registry)
    again = admin.post("/api/v1/agreements", json=labusel_pks(), headers=key)
    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert head(registry) == written


def test_the_same_key_with_another_body_is_refused(admin):
    key = {"Idempotency-Key": "k-1"}
    assert admin.post("/api/v1/agreements", json=labusel_pks(), headers=key).status_code == 201
    other = admin.post("/api/v1/agreements", json=labusel_pks(agreement_number="OTHER"),
                       headers=key)
    assert other.status_code == 422 and other.json["code"] == "idempotency_key_reused"


def test_a_refusal_is_replayed_too(admin, registry):
    assert admin.post("/api/v1/agreements", json=labusel_pks()).status_code == 201
    key = {"Idempotency-Key": "dup"}
    first = admin.post("/api/v1/agreements", json=labusel_pks(), headers=key)
    assert first.json["code"] == "duplicate_agreement_number"
    assert admin.post("/api/v1/agreements", json=labusel_pks(), headers=key).json == first.json


def test_a_retry_while_the_first_is_still_running_is_409(admin, registry):
    body = json.dumps(labusel_pks()).encode()
    before = head(registry)  # the token's issuance is in the log
    # The first request has claimed the key and not answered yet.
    registry.idempotency.claim(admin_name(admin, registry), "slow",
                               fingerprint("/api/v1/agreements", b"", body))
    response = admin.post("/api/v1/agreements", data=body,
                          headers={"Idempotency-Key": "slow", "Content-Type": "application/json"})
    assert response.status_code == 409 and response.json["code"] == "concurrent_update"
    assert head(registry) == before


def test_keys_belong_to_the_token_that_sent_them(as_role):
    key = {"Idempotency-Key": "shared"}
    one, two = as_role("admin"), as_role("admin")
    assert one.post("/api/v1/agreements", json=labusel_pks(), headers=key).status_code == 201
    second = two.post("/api/v1/agreements", json=labusel_pks(), headers=key)
    assert second.json["code"] == "duplicate_agreement_number"


def test_a_malformed_key_is_422(admin):
    response = admin.post("/api/v1/agreements", json=labusel_pks(),
                          headers={"Idempotency-Key": "has space"})
    assert response.status_code == 422 and "Idempotency-Key" in response.json["errors"]


def admin_name(admin, registry) -> str:
    token = admin.headers["Authorization"].split()[1]
    return registry.tokens.authenticate(token).name


def test_worker_writes_honour_if_match_with_the_workers_etag(admin):
    from datetime import date

    from registry import nik as niks

    agreement = admin.post("/api/v1/agreements", json=labusel_pks()).json["id"]
    nik = niks.make("12.22", 1, date(1980, 2, 2), "M", 1)
    admin.post(f"/api/v1/agreements/{agreement}/enrollments",
               json={"nik": nik, "name": "A", "occupation": "petani", "starts_on": "2022-10-01"})
    etag = admin.get(f"/api/v1/workers/{nik}").headers["ETag"]
    stale = admin.post(f"/api/v1/workers/{nik}/corrections", json={"reason": "r", "name": "B"},
                       headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and stale.json["code"] == "precondition_failed"
    fresh = admin.post(f"/api/v1/workers/{nik}/corrections", json={"reason": "r", "name": "B"},
                       headers={"If-Match": etag})
    assert fresh.status_code == 201 and fresh.headers["ETag"] != etag
    old = admin.post(f"/api/v1/agreements/{agreement}/enrollments/{nik}/void",
                     json={"reason": "x"}, headers={"If-Match": etag})
    assert old.status_code == 412


def test_a_target_put_honours_if_match(admin):
    first = admin.put("/api/v1/regions/12.75/targets/2025",
                      json={"workforce": 97_777, "target_percent": 37.1})
    assert first.status_code == 200 and first.headers["ETag"] == '"2"'
    stale = admin.put("/api/v1/regions/12.75/targets/2025", headers={"If-Match": '"1"'},
                      json={"workforce": 97_777, "target_percent": 40.0})
    assert stale.status_code == 412
    fresh = admin.put("/api/v1/regions/12.75/targets/2025", headers={"If-Match": '"2"'},
                      json={"workforce": 97_777, "target_percent": 40.0})
    assert fresh.status_code == 200 and fresh.headers["ETag"] == '"3"'
