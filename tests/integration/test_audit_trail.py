"""What auditors buy the registry for: two clocks, histories, corrections, backdating.

Runs through the HTTP API on both engines.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from registry.domain import nik as niks
from registry.domain.dates import today
from tests.builders import labusel_pks

TODAY = today()


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def instant() -> str:
    moment = datetime.now(UTC).isoformat()
    time.sleep(0.002)  # the next event is strictly later
    return moment


@pytest.fixture
def agreement(admin: Any) -> str:
    # Sign a PKS that has run for 90 days and runs 90 more.
    created = admin.post("/api/v1/agreements", json=labusel_pks(
        signed_on=days_ago(90), starts_on=days_ago(90), ends_on=days_ago(-90), quota=10))
    assert created.status_code == 201, created.json
    return created.json["id"]


def enroll(admin: Any, agreement: str, serial: int, starts_on: str, **headers: str) -> Any:
    nik = niks.make("12.22", 4, date(1979, 8, 17), "M", serial)
    response = admin.post(f"/api/v1/agreements/{agreement}/enrollments", headers=headers,
                          json={"nik": nik, "name": f"Pekerja {serial}",
                                "occupation": "penggali kubur", "starts_on": starts_on})
    assert response.status_code == 201, response.json
    return nik


def covered(admin: Any, nik: str, on: str, **known: str) -> bool:
    response = admin.get(f"/api/v1/workers/{nik}/coverage",
                         query_string={"on": on, **known})
    assert response.status_code in (200, 404), response.json
    return response.status_code == 200 and response.json["covered"]


def test_a_backdated_enrollment_is_covered_now_but_was_not_known_before_it_was_recorded(
        admin, agreement):
    before = instant()
    # Enroll today (day R) a worker whose coverage starts 60 days ago.
    nik = enroll(admin, agreement, 1, days_ago(60))
    month = days_ago(10)[:7]
    # Asked now: covered ten days ago. Asked as the registry knew it before R: not.
    assert covered(admin, nik, days_ago(10))
    assert not covered(admin, nik, days_ago(10), known_at=before)
    # The same holds for what the regency owes...
    owed = admin.get(f"/api/v1/agreements/{agreement}/contributions",
                     query_string={"from": month, "to": month})
    owed_then = admin.get(f"/api/v1/agreements/{agreement}/contributions",
                          query_string={"from": month, "to": month, "known_at": before})
    assert owed.json["total_idr"] == 16_800
    assert owed_then.json["total_idr"] == 0 and owed_then.json["known_at"] is not None
    # ...for the region's coverage...
    region = admin.get("/api/v1/regions/12/coverage", query_string={"on": days_ago(10)})
    region_then = admin.get("/api/v1/regions/12/coverage",
                            query_string={"on": days_ago(10), "known_at": before})
    assert region.json["covered_workers"] == 1 and region_then.json["covered_workers"] == 0
    # ...and for the agreement and its enrollments.
    listed = admin.get(f"/api/v1/agreements/{agreement}/enrollments",
                       query_string={"on": days_ago(10), "known_at": before})
    assert listed.json["items"] == []
    assert admin.get(f"/api/v1/agreements/{agreement}",
                     query_string={"known_at": before}).json["enrolled"] == 0
    # The backdating report names it, with who recorded it.
    report = admin.get("/api/v1/audit/backdated", query_string={"min_days": 7}).json["items"]
    enrolled = [i for i in report if i["type"] == "WorkerEnrolled"]
    assert [(i["nik"], i["days_backdated"], i["effective_on"]) for i in enrolled] == [
        (nik, 60, days_ago(60))]
    assert enrolled[0]["actor"].startswith("admin-")
    assert enrolled[0]["agreement_number"] == "PKS-LABUSEL-2022"


def test_an_agreement_read_before_it_was_signed_is_not_found(admin):
    before = instant()
    created = admin.post("/api/v1/agreements", json=labusel_pks())
    response = admin.get(f"/api/v1/agreements/{created.json['id']}",
                         query_string={"known_at": before})
    assert response.status_code == 404 and response.json["code"] == "not_found"


def test_a_voided_enrollment_vanishes_from_coverage_quota_and_contributions_but_not_history(
        admin, agreement):
    kept = enroll(admin, agreement, 1, days_ago(30))
    wrong = enroll(admin, agreement, 2, days_ago(30))
    before_void = instant()
    voided = admin.post(f"/api/v1/agreements/{agreement}/enrollments/{wrong}/void",
                        json={"reason": "NIK entered for the wrong person"})
    assert voided.status_code == 200 and voided.json["status"] == "voided"
    # Gone from coverage, quota and contributions...
    assert not covered(admin, wrong, days_ago(10))
    assert covered(admin, wrong, days_ago(10), known_at=before_void)
    assert covered(admin, kept, days_ago(10))
    assert admin.get(f"/api/v1/agreements/{agreement}").json["enrolled"] == 1
    month = days_ago(10)[:7]
    owed = admin.get(f"/api/v1/agreements/{agreement}/contributions",
                     query_string={"from": month, "to": month}).json
    assert owed["months"][0]["workers"] == 1
    # ...but in both histories, with who and why.
    for path in (f"/api/v1/agreements/{agreement}/history", f"/api/v1/workers/{wrong}/history"):
        events = admin.get(path, query_string={"limit": 500}).json["events"]
        voids = [e for e in events if e["type"] == "EnrollmentVoided"]
        assert len(voids) == 1, path
        assert voids[0]["reason"] == "NIK entered for the wrong person"
        assert voids[0]["actor"].startswith("admin-")


def test_every_event_in_every_history_has_an_actor_a_record_time_and_a_request_id(
        admin, agreement):
    nik = enroll(admin, agreement, 1, days_ago(5), **{"X-Request-ID": "audit-42"})
    admin.post(f"/api/v1/agreements/{agreement}/amendments",
               json={"effective_on": days_ago(1), "reason": "APBD-P", "quota": 20})
    histories = [admin.get(f"/api/v1/agreements/{agreement}/history").json["events"],
                 admin.get(f"/api/v1/workers/{nik}/history").json["events"],
                 admin.get("/api/v1/events").json["events"]]
    for events in histories:
        assert events
        positions = [e["position"] for e in events]
        assert positions == sorted(positions)
        for e in events:
            assert e["actor"] and e["request_id"]
            assert e["recorded_at"].endswith("Z")
            datetime.fromisoformat(e["recorded_at"])
    enrolled = [e for e in histories[1] if e["type"] == "WorkerEnrolled"]
    assert enrolled[0]["request_id"] == "audit-42"
    assert enrolled[0]["data"]["starts_on"] == days_ago(5)
    amended = [e for e in histories[0] if e["type"] == "AgreementAmended"]
    assert amended[0]["reason"] == "APBD-P" and amended[0]["data"]["quota"] == 20


def test_a_generated_request_id_is_returned_and_recorded(admin, agreement):
    response = admin.post(f"/api/v1/agreements/{agreement}/amendments",
                          json={"effective_on": days_ago(1), "reason": "typo", "title": "T"})
    request_id = response.headers["X-Request-ID"]
    events = admin.get(f"/api/v1/agreements/{agreement}/history").json["events"]
    assert events[-1]["type"] == "AgreementAmended"
    assert events[-1]["request_id"] == request_id


def test_a_correction_is_an_event_in_both_histories_and_never_an_edit(admin, agreement):
    nik = enroll(admin, agreement, 1, days_ago(5))
    corrected = admin.post(f"/api/v1/workers/{nik}/corrections",
                           json={"reason": "KTP shows Siti Aminah", "name": "Siti Aminah"})
    assert corrected.status_code == 201, corrected.json
    assert corrected.json["name"] == "Siti Aminah"
    for path in (f"/api/v1/agreements/{agreement}/history", f"/api/v1/workers/{nik}/history"):
        events = admin.get(path).json["events"]
        correction = [e for e in events if e["type"] == "WorkerCorrected"]
        assert correction[0]["reason"] == "KTP shows Siti Aminah"
        assert correction[0]["data"]["name"] == "Siti Aminah"
        # The enrollment as first recorded is still there, unchanged.
        assert [e["data"]["name"] for e in events if e["type"] == "WorkerEnrolled"] == [
            "Pekerja 1"]


@pytest.mark.parametrize("body, field", [
    ({"name": "X"}, "reason"),
    ({"reason": "nothing"}, "_schema"),
    ({"reason": "r", "sex": "F"}, "sex"),
    ({"reason": "r", "nik": "1222040000000001"}, "nik"),
])
def test_a_correction_needs_a_reason_a_change_and_agreement_with_the_nik(
        admin, agreement, body, field):
    nik = enroll(admin, agreement, 1, days_ago(5))
    response = admin.post(f"/api/v1/workers/{nik}/corrections", json=body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_an_auditor_cannot_correct_and_a_registrar_elsewhere_cannot_see(
        admin, agreement, as_role):
    nik = enroll(admin, agreement, 1, days_ago(5))
    body = {"reason": "r", "name": "Y"}
    assert as_role("auditor").post(f"/api/v1/workers/{nik}/corrections",
                                   json=body).status_code == 403
    elsewhere = as_role("registrar", "36.73")
    assert elsewhere.post(f"/api/v1/workers/{nik}/corrections", json=body).status_code == 404
    assert elsewhere.get(f"/api/v1/workers/{nik}/history").status_code == 404
    assert elsewhere.get(f"/api/v1/agreements/{agreement}/history").status_code == 404
    assert elsewhere.get("/api/v1/events").json["events"] == []
    assert elsewhere.get("/api/v1/audit/backdated").json["items"] == []


def test_the_backdating_report_flags_what_was_recorded_after_a_death(admin, agreement):
    nik = enroll(admin, agreement, 1, days_ago(60))
    died = admin.post(f"/api/v1/agreements/{agreement}/enrollments/{nik}/disenrollment",
                      json={"ends_on": days_ago(40), "reason_code": "DECEASED"})
    assert died.status_code == 200, died.json
    report = admin.get("/api/v1/audit/backdated", query_string={"min_days": 30}).json["items"]
    # Newest first: the death (recorded 40 days late), then the enrollment (60 days).
    assert [(i["type"], i["days_backdated"]) for i in report] == [
        ("WorkerDisenrolled", 40), ("WorkerEnrolled", 60)]
    assert all(i["died_on"] == days_ago(40) for i in report)
    # The enrollment was recorded after the death; the death's own record is no finding.
    assert [i["recorded_after_death"] for i in report] == [False, True]
    assert admin.get("/api/v1/audit/backdated",
                     query_string={"min_days": 60}).json["items"] == []


def test_the_global_log_pages_by_position(admin, agreement):
    for serial in range(3):
        enroll(admin, agreement, serial, days_ago(1))
    first = admin.get("/api/v1/events", query_string={"limit": 4}).json
    rest = admin.get("/api/v1/events", query_string={"after": first["next_after"],
                                                     "limit": 500}).json
    positions = [e["position"] for e in first["events"] + rest["events"]]
    assert positions == sorted(set(positions)) and len(positions) > 4
    assert rest["next_after"] is None


def test_a_worker_read_as_known_at_an_earlier_time_shows_the_details_then(admin, agreement):
    before = instant()
    nik = enroll(admin, agreement, 1, days_ago(5))
    enrolled = instant()
    admin.post(f"/api/v1/workers/{nik}/corrections", json={"reason": "KTP", "name": "Nama Baru"})
    assert admin.get(f"/api/v1/workers/{nik}", query_string={"known_at": before}
                     ).status_code == 404
    then = admin.get(f"/api/v1/workers/{nik}", query_string={"known_at": enrolled}).json
    assert then["name"] == "Pekerja 1"
    assert admin.get(f"/api/v1/workers/{nik}").json["name"] == "Nama Baru"
