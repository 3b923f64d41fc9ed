"""Retries with an Idempotency-Key write once and answer the same."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from api import create_app
from api.idempotency import fingerprint
from registry.bootstrap import Registry
from registry.config import ConfigurationError, Settings
from registry.domain import nik as niks
from registry.domain.agreement import Agreement
from registry.domain.errors import ConcurrentUpdate
from registry.store import idempotency as store
from tests.builders import labusel_pks
from tests.callers import Caller


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

    from registry.domain import nik as niks

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


# Only final answers are kept: a retry after any other runs again.

def later(monkeypatch, by: timedelta) -> None:
    """Move the idempotency store's clock forward."""
    monkeypatch.setattr(store, "now", lambda: datetime.now(UTC) + by)


def amend(admin, agreement_id, key, **headers):
    return admin.post(f"/api/v1/agreements/{agreement_id}/amendments",
                      json={"effective_on": "2022-11-01", "reason": "more workers",
                            "quota": 2500},
                      headers={"Idempotency-Key": key, **headers})


def test_a_409_from_a_race_is_not_kept_and_the_retry_is_applied(admin, registry, monkeypatch):
    agreement = admin.post("/api/v1/agreements", json=labusel_pks()).json["id"]
    amend_for_real = registry.app.amend_agreement

    def lose_every_race(*args, **kwargs):
        monkeypatch.setattr(registry.app, "amend_agreement", amend_for_real)
        raise ConcurrentUpdate("the records kept changing under concurrent writes")

    monkeypatch.setattr(registry.app, "amend_agreement", lose_every_race)
    lost = amend(admin, agreement, "race")
    assert lost.status_code == 409 and lost.json["code"] == "concurrent_update"
    retry = amend(admin, agreement, "race")
    assert retry.status_code == 200 and "Idempotent-Replayed" not in retry.headers
    assert retry.headers["ETag"] == '"2"'


def test_a_412_is_not_kept_and_the_retry_with_the_right_version_is_applied(admin):
    agreement = admin.post("/api/v1/agreements", json=labusel_pks()).json["id"]
    stale = amend(admin, agreement, "k", **{"If-Match": '"7"'})
    assert stale.status_code == 412
    fresh = amend(admin, agreement, "k", **{"If-Match": '"1"'})
    assert fresh.status_code == 200 and fresh.headers["ETag"] == '"2"'


def test_a_404_for_an_agreement_signed_later_is_not_kept(admin):
    agreement = Agreement.create_id(labusel_pks()["agreement_number"])
    assert amend(admin, agreement, "early").status_code == 404
    assert admin.post("/api/v1/agreements", json=labusel_pks()).status_code == 201
    assert amend(admin, agreement, "early").status_code == 200


def test_a_full_quota_is_not_kept_and_the_retry_after_an_amendment_enrolls(admin):
    agreement = admin.post("/api/v1/agreements", json=labusel_pks(quota=1)).json["id"]

    def enroll(serial: int, key: str | None = None):
        nik = niks.make("12.22", 1, datetime(1980, 2, 2).date(), "M", serial)
        return admin.post(f"/api/v1/agreements/{agreement}/enrollments",
                          json={"nik": nik, "name": f"Worker {serial}", "occupation": "petani",
                                "starts_on": "2022-10-01"},
                          headers={"Idempotency-Key": key} if key else {})

    assert enroll(1).status_code == 201
    full = enroll(2, "second")
    assert full.status_code == 409 and full.json["code"] == "quota_exceeded"
    assert amend(admin, agreement, "raise", **{"If-Match": '"2"'}).status_code == 200
    assert enroll(2, "second").status_code == 201


def test_a_422_that_depends_on_the_stored_terms_is_not_kept(admin):
    agreement = admin.post("/api/v1/agreements", json=labusel_pks()).json["id"]
    ending = {"ends_on": "2023-06-30", "reason": "the regency stops paying"}
    key = {"Idempotency-Key": "end"}
    early = admin.post(f"/api/v1/agreements/{agreement}/termination", json=ending, headers=key)
    assert early.status_code == 422  # after the last term's end
    renewed = admin.post(f"/api/v1/agreements/{agreement}/renewals",
                         json={"ends_on": "2023-12-31", "reason": "2023"})
    assert renewed.status_code == 201
    after = admin.post(f"/api/v1/agreements/{agreement}/termination", json=ending, headers=key)
    assert after.status_code == 200 and "Idempotent-Replayed" not in after.headers


def test_a_malformed_body_is_final_and_replayed(admin):
    headers = {"Idempotency-Key": "bad-json", "Content-Type": "application/json"}
    first = admin.post("/api/v1/agreements", data=b"{not json", headers=headers)
    assert first.status_code == 400
    again = admin.post("/api/v1/agreements", data=b"{not json", headers=headers)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"


# Stored answers: sealed, and forgotten after the TTL.

def stored_rows(registry) -> list[tuple]:
    with registry.store.transaction() as cur:
        return cur.execute(f"SELECT * FROM {store.TABLE}").fetchall()  # noqa: S608


def test_a_stored_answer_holds_no_personal_data_nor_the_key_in_clear(admin, registry):
    agreement = admin.post("/api/v1/agreements", json=labusel_pks()).json["id"]
    nik = niks.make("12.22", 1, datetime(1980, 2, 2).date(), "M", 7)
    key = {"Idempotency-Key": "enroll-siti-" + uuid4().hex}
    body = {"nik": nik, "name": "Siti Aminah", "occupation": "pedagang", "address": "Jl. Kenanga",
            "starts_on": "2022-10-01"}
    first = admin.post(f"/api/v1/agreements/{agreement}/enrollments", json=body, headers=key)
    assert first.status_code == 201 and nik in first.headers["Location"]
    [row] = stored_rows(registry)
    for secret in (nik, nik[-6:], "Siti", "Kenanga", "pedagang", key["Idempotency-Key"]):
        assert secret not in str(row)
    again = admin.post(f"/api/v1/agreements/{agreement}/enrollments", json=body, headers=key)
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]


def test_an_answer_older_than_the_ttl_is_forgotten_and_the_key_is_new_again(
        admin, registry, monkeypatch):
    agreement = admin.post("/api/v1/agreements", json=labusel_pks()).json["id"]
    assert amend(admin, agreement, "k").status_code == 200
    later(monkeypatch, timedelta(hours=23))
    assert amend(admin, agreement, "k").headers["Idempotent-Replayed"] == "true"
    later(monkeypatch, timedelta(hours=25))
    again = amend(admin, agreement, "k")
    assert again.status_code == 200 and "Idempotent-Replayed" not in again.headers
    assert again.headers["ETag"] == '"3"'


def test_expired_records_are_deleted_as_keys_are_claimed(admin, registry, monkeypatch):
    for n in range(3):
        admin.post("/api/v1/agreements", json=labusel_pks(agreement_number=f"PKS-{n}"),
                   headers={"Idempotency-Key": f"sign-{n}"})
    assert len(stored_rows(registry)) == 3
    later(monkeypatch, timedelta(hours=25))
    admin.post("/api/v1/agreements", json=labusel_pks(), headers={"Idempotency-Key": "new"})
    assert len(stored_rows(registry)) == 1


def test_the_ttl_comes_from_registry_idempotency_ttl_hours(sqlite_url, monkeypatch):
    settings = Settings.from_env({"REGISTRY_DATABASE_URL": sqlite_url,
                                  "REGISTRY_IDEMPOTENCY_TTL_HOURS": "2"})
    assert settings.idempotency_ttl == timedelta(hours=2)
    opened = Registry.open(settings)
    try:
        admin = Caller(create_app(registry=opened).test_client(),
                       opened.tokens.create("ops", "admin", []))
        key = {"Idempotency-Key": "sign"}
        assert admin.post("/api/v1/agreements", json=labusel_pks(), headers=key).status_code == 201
        later(monkeypatch, timedelta(hours=3))
        again = admin.post("/api/v1/agreements", json=labusel_pks(), headers=key)
        assert again.json["code"] == "duplicate_agreement_number"  # run again, not replayed
    finally:
        opened.close()


@pytest.mark.parametrize("raw", ["0", "-1", "1.5", "a day", "\u0661", "9000"])
def test_a_ttl_that_is_not_a_whole_number_of_hours_is_refused(raw):
    with pytest.raises(ConfigurationError, match="REGISTRY_IDEMPOTENCY_TTL_HOURS"):
        Settings.from_env({"REGISTRY_IDEMPOTENCY_TTL_HOURS": raw})


def test_the_ttl_is_24_hours_by_default():
    assert Settings.from_env({}).idempotency_ttl == timedelta(hours=24)
