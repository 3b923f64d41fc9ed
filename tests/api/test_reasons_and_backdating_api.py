"""Every write may say why, and the backdating report shows it, filtered by agreement,
region, actor and record day; a death's own record is not flagged as made after it."""

from __future__ import annotations

from registry.domain.dates import today
from tests.builders import (
    AGREEMENTS,
    enrollment_body,
    labusel_pks,
    medan_pks,
    nik,
    post_agreement,
)
from tests.callers import assert_problem

BACKDATED = "/api/v1/audit/backdated?min_days=7"


def test_reasons_ride_on_every_write_and_the_report_shows_them(admin, as_role):
    # Sign with a reason; enroll one worker late, saying why; a JSON batch and a CSV batch.
    pks = post_agreement(admin, labusel_pks(reason="SK Bupati 4 Oktober 2022"))["id"]
    registrar = as_role("registrar", "12.22")
    one = registrar.post(f"{AGREEMENTS}/{pks}/enrollments",
                         json=enrollment_body(1, reason="Daftar susulan dari desa"))
    assert one.status_code == 201, one.json
    batch = admin.post(f"{AGREEMENTS}/{pks}/enrollments/batch", json={
        "workers": [enrollment_body(2), enrollment_body(3)], "reason": "Data kecamatan"})
    assert batch.status_code == 201, batch.json
    csv = "nik,name,occupation,starts_on\n" + f"{nik(4)},Pekerja 4,petani,2022-10-01\n"
    sent = admin.post(f"{AGREEMENTS}/{pks}/enrollments/batch?reason=Lampiran%20SK",
                      data=csv, headers={"Content-Type": "text/csv"})
    assert sent.status_code == 201, sent.json
    target = admin.put("/api/v1/regions/12.22/targets/2022",
                       json={"workforce": 60_000, "target_percent": 40, "reason": "RPJMD"})
    assert target.status_code == 200, target.json

    # Each event carries its write's reason.
    events = admin.get("/api/v1/events?limit=100").json["events"]
    why = {(e["type"], e["data"].get("nik") or e["data"].get("region_code")): e["reason"]
           for e in events}
    assert why[("AgreementSigned", "12.22")] == "SK Bupati 4 Oktober 2022"
    reasons = [e["reason"] for e in events if e["type"] == "WorkerEnrolled"]
    assert reasons == ["Daftar susulan dari desa", "Data kecamatan", "Data kecamatan",
                       "Lampiran SK"]
    assert {e["reason"] for e in events if e["type"] in ("QuotaSlotsTaken",
                                                         "WorkerRegistered")} == {
        "Daftar susulan dari desa", "Data kecamatan", "Lampiran SK"}
    assert why[("CoverageTargetSet", None)] == "RPJMD"

    # The backdating report shows them.
    report = admin.get(BACKDATED).json["items"]
    assert [r["reason"] for r in report] == ["Lampiran SK", "Data kecamatan", "Data kecamatan",
                                             "Daftar susulan dari desa"]
    # A bad reason in the query is refused as in a body.
    long = "x" * 2001
    assert_problem(admin.post(f"{AGREEMENTS}/{pks}/enrollments/batch?reason={long}",
                              data=csv, headers={"Content-Type": "text/csv"}),
                   422, "validation_failed")


def test_the_backdating_report_filters_by_agreement_region_actor_and_record_day(
        admin, as_role):
    labusel = post_agreement(admin, labusel_pks())["id"]
    medan = post_agreement(admin, medan_pks())["id"]
    registrar = as_role("registrar", "12.22")
    assert registrar.post(f"{AGREEMENTS}/{labusel}/enrollments",
                          json=enrollment_body(1)).status_code == 201
    assert admin.post(f"{AGREEMENTS}/{medan}/enrollments", json={
        **enrollment_body(2), "nik": nik(2, region="12.71"),
        "starts_on": "2025-02-01"}).status_code == 201
    everything = admin.get(BACKDATED).json["items"]
    assert len(everything) == 2

    def numbers(query: str) -> list[str]:
        answer = admin.get(f"{BACKDATED}&{query}")
        assert answer.status_code == 200, answer.json
        return [r["agreement_number"] for r in answer.json["items"]]

    assert numbers(f"agreement_id={medan}") == ["PKS-MEDAN-2025"]
    assert numbers("region_code=12.22") == ["PKS-LABUSEL-2022"]
    assert numbers("region_code=12") == ["PKS-MEDAN-2025", "PKS-LABUSEL-2022"]
    assert numbers("region_code=36") == []
    actor = next(r["actor"] for r in everything if r["agreement_number"] == "PKS-LABUSEL-2022")
    assert actor.startswith("registrar")
    assert numbers(f"actor={actor}") == ["PKS-LABUSEL-2022"]
    day = today().isoformat()
    assert len(numbers(f"from={day}&to={day}")) == 2
    assert numbers("to=2026-01-01") == []
    assert_problem(admin.get(f"{BACKDATED}&from={day}&to=2026-01-01"), 422,
                   "validation_failed")
    # A registrar of 12.22 asking about 12.71 sees nothing of it.
    assert registrar.get(f"{BACKDATED}&region_code=12.71").json["items"] == []


def test_a_deceased_disenrollment_is_not_flagged_as_recorded_after_its_own_death(admin):
    pks = post_agreement(admin, labusel_pks())["id"]
    assert admin.post(f"{AGREEMENTS}/{pks}/enrollments",
                      json=enrollment_body(1)).status_code == 201
    died = admin.post(f"{AGREEMENTS}/{pks}/enrollments/{nik(1)}/disenrollment",
                      json={"ends_on": "2022-11-10", "reason_code": "DECEASED",
                            "reason": "Akta kematian"})
    assert died.status_code == 200, died.json
    report = {r["type"]: r for r in admin.get(BACKDATED).json["items"]}
    death = report["WorkerDisenrolled"]
    assert (death["died_on"], death["reason"]) == ("2022-11-10", "Akta kematian")
    assert death["recorded_after_death"] is False
    assert death["recorded_within_30_days_before_death"] is False
    # The enrollment, recorded years after the death, still is.
    assert report["WorkerEnrolled"]["recorded_after_death"] is True
