"""POST /api/v1/corrections/preview and /corrections/{preview_id}/apply: what a
corrections file would change, shown first, then written exactly as shown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.app import create_app
from registry.bootstrap import Registry
from registry.config import ConfigurationError, Settings
from registry.store import previews
from tests.builders import AGREEMENTS, enrollment_body, nik, post_labusel_pks
from tests.callers import Caller, assert_problem

CORRECTIONS = "/api/v1/corrections"
LABUSEL = "PKS-LABUSEL-2022"


def died(i: int, on: str = "2022-11-10") -> dict[str, Any]:
    return {"action": "disenroll", "agreement_number": LABUSEL, "nik": nik(i), "ends_on": on,
            "reason_code": "DECEASED"}


def preview(caller: Any, *rows: dict[str, Any], reason: str | None = "daftar kematian") -> Any:
    return caller.post(f"{CORRECTIONS}/preview", json={"reason": reason, "corrections": rows})


def apply(caller: Any, preview_id: str) -> Any:
    return caller.post(f"{CORRECTIONS}/{preview_id}/apply", json={})


def head(registry: Any) -> int:
    return int(registry.app.head_position())


@pytest.fixture
def labusel(admin: Any) -> str:
    """The Labuhanbatu Selatan PKS with workers 0 to 4, covered October to December 2022."""
    agreement_id = post_labusel_pks(admin, quota=6)
    response = admin.post(f"{AGREEMENTS}/{agreement_id}/enrollments/batch",
                          json={"workers": [enrollment_body(i) for i in range(5)]})
    assert response.status_code == 201, response.json
    return agreement_id


def test_a_preview_writes_nothing_and_says_what_each_row_would_do(registry, admin, labusel):
    before = head(registry)
    response = preview(admin, died(0), died(1))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["based_on_position"] == before == head(registry)
    assert (body["ok"], body["rejected"], body["expires_in_minutes"]) == (2, 0, 60)
    assert [(r["row"], r["status"]) for r in body["rows"]] == [(0, "ok"), (1, "ok")]
    assert body["changes"]["quota"] == [{"agreement_number": LABUSEL, "term_number": 1,
                                         "quota": 6, "before": 5, "after": 3}]
    enrollment = admin.get(f"{AGREEMENTS}/{labusel}/enrollments/{nik(0)}?on=2022-11-01").json
    assert (enrollment["status"], enrollment["covered_until"]) == ("active", "2022-12-31")


def test_applying_writes_every_row_in_one_transaction_with_one_request_id_and_the_reason(
        registry, admin, labusel):
    body = preview(admin, died(0), died(1), {"action": "correct", "nik": nik(2),
                                            "name": "Pekerja Dua", "reason": "salah eja"}).json
    response = apply(admin, body["preview_id"])
    assert response.status_code == 201, response.json
    assert response.json["applied"] == {"correct": 1, "disenroll": 2}
    assert response.json["position"] == head(registry)
    events = admin.get(f"/api/v1/events?after={body['based_on_position']}").json["events"]
    # The slots the deaths freed are released together, as a batch takes them.
    assert [e["type"] for e in events] == [
        "WorkerDisenrolled", "WorkerDisenrolled", "WorkerCorrected", "QuotaSlotsReleased",
        "CorrectionsApplied"]
    assert events[3]["data"]["count"] == 2
    assert len({e["request_id"] for e in events}) == 1
    reasons = [e["reason"] for e in events]
    assert reasons[:3] == ["daftar kematian", "daftar kematian", "salah eja"]
    assert reasons[-1] == "daftar kematian"


def test_a_write_to_a_worker_between_preview_and_apply_makes_the_preview_stale(
        registry, admin, labusel):
    body = preview(admin, died(0), died(1)).json
    correction = admin.post(f"/api/v1/workers/{nik(1)}/corrections",
                            json={"reason": "ejaan", "name": "Pekerja Satu"})
    assert correction.status_code == 201, correction.json
    written = head(registry)
    assert_problem(apply(admin, body["preview_id"]), 409, "stale_preview")
    assert head(registry) == written
    # Previewed again, the same file applies.
    again = preview(admin, died(0), died(1)).json
    assert apply(admin, again["preview_id"]).status_code == 201


def test_a_preview_is_applied_once(registry, admin, labusel):
    body = preview(admin, died(0)).json
    assert apply(admin, body["preview_id"]).status_code == 201
    written = head(registry)
    problem = assert_problem(apply(admin, body["preview_id"]), 409, "preview_already_applied")
    assert body["preview_id"] in problem["detail"]
    assert head(registry) == written


def test_a_file_with_rejected_rows_previews_every_error_and_cannot_be_applied(
        registry, admin, labusel):
    admin.post(f"{AGREEMENTS}/{labusel}/enrollments/{nik(4)}/disenrollment",
               json={"ends_on": "2022-10-20", "reason_code": "DECEASED"})
    rows = [
        died(0),
        {"action": "frobnicate", "agreement_number": LABUSEL, "nik": nik(1)},
        {**died(1), "agreement_number": "PKS/NOWHERE/1"},
        died(9),  # never enrolled
        {**died(2), "ends_on": None},
        {"action": "enroll", "agreement_number": LABUSEL, "nik": nik(4), "name": "Pekerja 4",
         "occupation": "petani", "starts_on": "2022-11-01"},  # died on 20 October
        {"action": "enroll", "agreement_number": LABUSEL, "nik": nik(3), "name": "Pekerja 3",
         "occupation": "petani", "starts_on": "2022-11-01"},  # covered there already
        *({"action": "enroll", "agreement_number": LABUSEL, "nik": nik(i), "name": f"Pekerja {i}",
           "occupation": "petani", "starts_on": "2022-12-01"}
          for i in (10, 11, 12)),  # quota 6: 4 held, 1 freed by row 0: 3 fit
        "not an object",
    ]
    body = preview(admin, *rows).json
    codes = {r["row"]: r.get("code") for r in body["rows"]}
    assert codes == {0: None, 1: "unknown_action", 2: "unknown_agreement", 3: "unknown_nik",
                     4: "validation_failed", 5: "worker_deceased", 6: "already_covered",
                     7: None, 8: None, 9: None, 10: "validation_failed"}
    assert body["rejected"] == 7
    response = apply(admin, body["preview_id"])
    assert_problem(response, 422, "preview_has_rejected_rows")
    assert "7 rows" in response.json["detail"]


def test_the_quota_counts_rows_in_the_order_of_the_file(admin, labusel):
    new = [{"action": "enroll", "agreement_number": LABUSEL, "nik": nik(i),
            "name": f"Pekerja {i}", "occupation": "petani", "starts_on": "2022-12-01"}
           for i in (10, 11)]
    # Quota 6, 5 held: the second new worker fits only after the death frees a slot.
    body = preview(admin, *new, died(0)).json
    assert [r.get("code") for r in body["rows"]] == [None, "quota_exceeded", None]
    body = preview(admin, died(0), *new).json
    assert body["rejected"] == 0


def test_a_file_over_50000_rows_answers_413_with_the_limit(admin, labusel):
    rows = "".join(f"void,{LABUSEL},{nik(1)}\n" for _ in range(50_001))
    response = admin.post(f"{CORRECTIONS}/preview?reason=x", data="action,agreement_number,nik\n"
                          + rows, headers={"Content-Type": "text/csv"})
    assert "50,000" in assert_problem(response, 413, "payload_too_large")["detail"]
    response = preview(admin, *([died(0)] * 50_001))
    assert "50,000" in assert_problem(response, 413, "payload_too_large")["detail"]


def test_a_csv_in_a_spreadsheet_dialect_takes_its_reason_from_the_query(registry, admin,
                                                                         labusel):
    text = ("\ufeffACTION;Agreement_Number;NIK;ends_on;reason_code;reason\r\n"
            f"disenroll;{LABUSEL};{nik(0)};2022-11-10;DECEASED;\r\n"
            f"void;{LABUSEL};{nik(1)};;;salah input\r\n\r\n")
    response = admin.post(f"{CORRECTIONS}/preview?reason=Dukcapil%202022-11",
                          data=text.encode(), headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.json
    assert [(r["row"], r["line"], r["status"]) for r in response.json["rows"]] == [
        (0, 2, "ok"), (1, 3, "ok")]
    assert apply(admin, response.json["preview_id"]).status_code == 201
    history = admin.get(f"/api/v1/workers/{nik(0)}/history").json["events"]
    assert history[-1]["reason"] == "Dukcapil 2022-11"
    history = admin.get(f"/api/v1/workers/{nik(1)}/history").json["events"]
    assert history[-1]["reason"] == "salah input"


def test_a_void_without_a_reason_in_the_row_or_the_file_is_rejected(admin, labusel):
    body = preview(admin, {"action": "void", "agreement_number": LABUSEL, "nik": nik(0)},
                   reason=None).json
    assert body["rows"][0]["code"] == "validation_failed"
    assert "reason" in body["rows"][0]["error"]


def test_an_unknown_or_expired_preview_or_another_tokens_answers_404(admin, as_role, labusel,
                                                                     monkeypatch):
    assert_problem(apply(admin, "0" * 32), 404, "not_found")
    body = preview(admin, died(0)).json
    assert_problem(apply(as_role("admin"), body["preview_id"]), 404, "not_found")
    later = previews.now() + timedelta(minutes=61)
    monkeypatch.setattr(previews, "now", lambda: later)
    assert_problem(apply(admin, body["preview_id"]), 404, "not_found")


def test_auditors_may_not_preview_and_rows_outside_a_registrars_regions_are_refused(
        as_role, labusel):
    auditor = as_role("auditor")
    assert_problem(preview(auditor, died(0)), 403, "forbidden")
    assert_problem(apply(auditor, "0" * 32), 403, "forbidden")
    medan = as_role("registrar", "12.71")
    assert preview(medan, died(0)).json["rows"][0]["code"] == "unknown_agreement"
    local = as_role("registrar", "12.22")
    body = preview(local, died(0)).json
    assert body["rejected"] == 0
    assert apply(local, body["preview_id"]).status_code == 201


@pytest.mark.parametrize("query, data, content_type, status, code", [
    ("?colour=red", b'{"corrections": [{"action": "void"}]}', "application/json", 422,
     "validation_failed"),
    ("", b"{", "application/json", 400, "malformed_request"),
    ("", b'{"corrections": []}', "application/json", 422, "validation_failed"),
    ("", b'{"reason": "x"}', "application/json", 422, "validation_failed"),
    ("", b"action,colour\nvoid,red\n", "text/csv", 422, "validation_failed"),
    ("", b"action,nik\n", "text/csv", 422, "validation_failed"),
    ("", b"\xff\xfe", "text/csv", 422, "validation_failed"),
    ("", b"<x/>", "application/xml", 415, "unsupported_media_type"),
])
def test_a_file_that_cannot_be_read_answers_4xx(admin, query, data, content_type, status, code):
    response = admin.post(f"{CORRECTIONS}/preview{query}", data=data,
                          headers={"Content-Type": content_type})
    assert_problem(response, status, code)


def test_the_openapi_document_describes_both_endpoints_and_their_problems(client):
    spec = client.get("/openapi.json").json
    for path, statuses in ((f"{CORRECTIONS}/preview", {"200", "403", "413", "415", "422"}),
                           (f"{CORRECTIONS}/{{preview_id}}/apply",
                            {"201", "403", "404", "409", "422"})):
        responses = spec["paths"][path]["post"]["responses"]
        assert statuses <= set(responses), (path, sorted(responses))


def test_a_preview_shows_the_domain_rule_for_a_worker_who_died(registry, admin, labusel):
    # Death on 10 November: November still billed (coverage overlaps it), December not.
    body = preview(admin, died(0)).json
    assert body["changes"]["workers"] == [{
        "nik": nik(0),
        "before": [{"agreement_number": LABUSEL, "programs": ["JKK", "JKM"],
                    "starts_on": "2022-10-01", "ends_on": "2022-12-31"}],
        "after": [{"agreement_number": LABUSEL, "programs": ["JKK", "JKM"],
                   "starts_on": "2022-10-01", "ends_on": "2022-11-10"}]}]
    assert body["changes"]["contributions"] == [{
        "agreement_number": LABUSEL, "month": "2022-12", "before_workers": 5,
        "after_workers": 4, "before_idr": 5 * 16_800, "after_idr": 4 * 16_800}]


def test_a_change_to_what_the_preview_counted_makes_it_stale_though_no_record_it_read_did(
        registry, admin, labusel):
    # Worker 4 moved away on 20 December: still billed in December.
    admin.post(f"{AGREEMENTS}/{labusel}/enrollments/{nik(4)}/disenrollment",
               json={"ends_on": "2022-12-20", "reason_code": "MOVED_AWAY"})
    body = preview(admin, died(0)).json
    assert body["changes"]["contributions"][0]["before_workers"] == 5
    # Voiding that ended enrollment changes December's count, and only worker 4's stream.
    voided = admin.post(f"{AGREEMENTS}/{labusel}/enrollments/{nik(4)}/void",
                        json={"reason": "salah input"})
    assert voided.status_code == 200, voided.json
    response = apply(admin, body["preview_id"])
    assert "preview the file again" in assert_problem(response, 409, "stale_preview")["detail"]


def test_a_kept_preview_holds_no_personal_data_in_clear(registry, admin, labusel):
    body = preview(admin, {"action": "correct", "nik": nik(0), "name": "Siti Aminah Lubis",
                           "reason": "ejaan"}).json
    with registry.store.transaction() as cur:
        rows = cur.execute("SELECT * FROM correction_previews").fetchall()
    stored = repr(rows)
    assert len(rows) == 1
    for secret in (nik(0), "Siti Aminah", body["preview_id"], "ejaan"):
        assert secret not in stored


def test_the_ttl_comes_from_registry_preview_ttl_minutes(sqlite_url):
    settings = Settings.from_env({"REGISTRY_DATABASE_URL": sqlite_url,
                                  "REGISTRY_PREVIEW_TTL_MINUTES": "5"})
    assert settings.preview_ttl == timedelta(minutes=5)
    assert Settings.from_env({}).preview_ttl == timedelta(minutes=60)
    opened = Registry.open(settings)
    try:
        admin = Caller(create_app(registry=opened).test_client(),
                       opened.tokens.create("ops", "admin", []))
        answer = admin.post(f"{CORRECTIONS}/preview", json={
            "reason": "x", "corrections": [died(0)]}).json
        assert answer["expires_in_minutes"] == 5
    finally:
        opened.close()


@pytest.mark.parametrize("raw", ["0", "-1", "1.5", "an hour", "\u0661", "10081"])
def test_a_preview_ttl_that_is_not_a_whole_number_of_minutes_is_refused(raw):
    with pytest.raises(ConfigurationError, match="REGISTRY_PREVIEW_TTL_MINUTES"):
        Settings.from_env({"REGISTRY_PREVIEW_TTL_MINUTES": raw})


def test_an_enrollment_starting_today_previewed_yesterday_is_stale(admin, monkeypatch):
    from registry.service import corrections

    post_labusel_pks(admin, agreement_number="PKS-LABUSEL-2026", starts_on="2026-01-01",
                     ends_on="2027-12-31")
    enroll = {"action": "enroll", "agreement_number": "PKS-LABUSEL-2026", "nik": nik(20),
              "name": "Pekerja 20", "occupation": "petani"}  # from today
    body = preview(admin, enroll).json
    assert body["rejected"] == 0, body["rows"]
    tomorrow = corrections.today() + timedelta(days=1)
    monkeypatch.setattr(corrections, "today", lambda: tomorrow)
    assert_problem(apply(admin, body["preview_id"]), 409, "stale_preview")
    # A file whose rows do not depend on the day applies on another day.
    labusel = post_labusel_pks(admin)
    admin.post(f"{AGREEMENTS}/{labusel}/enrollments", json=enrollment_body(0))
    body = preview(admin, died(0)).json
    monkeypatch.setattr(corrections, "today", lambda: tomorrow + timedelta(days=1))
    assert apply(admin, body["preview_id"]).status_code == 201


@pytest.mark.parametrize("action", [{}, [], 7, None, "VOID"])
def test_an_action_that_is_not_one_of_the_four_is_that_rows_error(admin, labusel, action):
    body = preview(admin, {**died(0), "action": action}).json
    assert body["rows"][0]["code"] == "unknown_action"
