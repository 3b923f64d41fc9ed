"""/api/v1/agreements/{id}/enrollments, /workers and /regions through the Flask test client."""

from __future__ import annotations

from tests.builders import (
    AGREEMENTS,
    enrolled,
    enrollment_body,
    labusel_pks,
    nik,
    post_enrollment,
    post_labusel_pks,
)
from tests.callers import assert_problem

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


# One worker.

def test_enrolling_one_worker_answers_201_with_location_and_position(admin):
    # Sign.
    signed = admin.post(AGREEMENTS, json=labusel_pks())
    agreement_id = signed.json["id"]
    # Enroll.
    response = post_enrollment(admin, agreement_id, 1, address="Desa Kotapinang", sex="M",
                               birth_date="1981-02-03")
    assert response.status_code == 201
    body = response.json
    assert response.headers["Location"].endswith(
        f"{AGREEMENTS}/{agreement_id}/enrollments/{nik(1)}")
    assert body["position"] > signed.json["position"]
    assert {k: body[k] for k in ("agreement_id", "nik", "programs", "starts_on", "ends_on",
                                 "term_number", "status")} == {
        "agreement_id": agreement_id, "nik": nik(1), "programs": ["JKK", "JKM"],
        "starts_on": "2022-10-01", "ends_on": "2022-12-31", "term_number": 1,
        "status": "active"}
    # Read it back at its Location, and on the agreement.
    fetched = admin.get(response.headers["Location"] + "?on=2022-11-01")
    assert fetched.status_code == 200
    assert (fetched.json["enrollment_id"], fetched.json["status"]) == (
        body["enrollment_id"], "active")
    assert fetched.json["actor"].startswith("admin-")
    agreement = admin.get(f"{AGREEMENTS}/{agreement_id}?on=2022-11-01")
    assert agreement.json["enrolled"] == 1


def test_programs_default_to_the_agreements_and_others_are_refused(admin):
    agreement_id = post_labusel_pks(admin)
    assert enrolled(admin, agreement_id, 1, programs=["JKM"])["programs"] == ["JKM"]
    body = assert_problem(post_enrollment(admin, agreement_id, 2, programs=["JHT"]), 422,
                          "validation_failed")
    assert "programs" in body["errors"]
    wage = assert_problem(post_enrollment(admin, agreement_id, 2, programs=["JP"]), 422,
                          "validation_failed")
    assert any(k.startswith("programs") for k in wage["errors"])


# The rules' error codes.

def test_a_full_agreement_answers_409_quota_exceeded(admin):
    agreement_id = post_labusel_pks(admin, quota=1)
    enrolled(admin, agreement_id, 1)
    assert_problem(post_enrollment(admin, agreement_id, 2), 409, "quota_exceeded")


def test_a_second_overlapping_coverage_answers_409_already_covered(admin):
    first = post_labusel_pks(admin)
    second = post_labusel_pks(admin, agreement_number="PKS-LABUSEL-DESA-2022",
                              funding_source="APBDES")
    enrolled(admin, first, 1)
    assert_problem(post_enrollment(admin, second, 1, starts_on="2022-12-31"), 409,
                   "already_covered")
    assert_problem(post_enrollment(admin, first, 1), 409, "already_covered")


def test_a_terminated_agreement_answers_409_agreement_not_active(admin):
    agreement_id = post_labusel_pks(admin)
    ended = admin.post(f"{AGREEMENTS}/{agreement_id}/termination",
                       json={"ends_on": "2022-11-15", "reason": "APBD dipotong"})
    assert ended.status_code in (200, 201), ended.get_data(as_text=True)
    assert_problem(post_enrollment(admin, agreement_id, 1), 409, "agreement_not_active")
    # Outside every term, or without starts_on long after the term: the same code.
    other = post_labusel_pks(admin, agreement_number="PKS-LABUSEL-DESA-2022")
    assert_problem(post_enrollment(admin, other, 1, starts_on="2023-01-01"), 409,
                   "agreement_not_active")
    no_start = {k: v for k, v in enrollment_body(1).items() if k != "starts_on"}
    assert_problem(admin.post(f"{AGREEMENTS}/{other}/enrollments", json=no_start), 409,
                   "agreement_not_active")


def test_the_dead_answer_409_worker_deceased(admin):
    agreement_id = post_labusel_pks(admin)
    enrolled(admin, agreement_id, 1)
    died = admin.post(f"{AGREEMENTS}/{agreement_id}/enrollments/{nik(1)}/disenrollment",
                      json={"ends_on": "2022-11-10", "reason_code": "DECEASED"})
    assert died.status_code == 200, died.get_data(as_text=True)
    assert (died.json["status"], died.json["reason_code"]) == ("ended", "DECEASED")
    assert_problem(post_enrollment(admin, agreement_id, 1, starts_on="2022-12-01"), 409,
                   "worker_deceased")
    shown = admin.get(f"/api/v1/workers/{nik(1)}")
    assert shown.json["deceased_on"] == "2022-11-10"


def test_a_nik_that_disagrees_with_its_rules_answers_422(admin):
    agreement_id = post_labusel_pks(admin)
    cases = {
        "nik": [{"nik": nik(1)[:15]}, {"nik": nik(1)[:12] + "0000"},
                {"nik": nik(1)[:6] + "310281" + "0001"}, {"nik": nik(1)[:6] + "320181" + "0001"}],
        "sex": [{"nik": nik(1, "F"), "sex": "M"}],
        "birth_date": [{"nik": nik(1), "birth_date": "1981-02-04"}],
    }
    for field, bodies in cases.items():
        for extra in bodies:
            body = assert_problem(post_enrollment(admin, agreement_id, 1, **extra), 422,
                                  "validation_failed")
            assert field in body["errors"], (extra, body)
    accepted = enrolled(admin, agreement_id, 1, nik=nik(1, "F"), sex="F",
                        birth_date="1981-02-03")
    assert accepted["nik"][6:8] == "43"


def test_unknown_agreements_and_niks_answer_404(admin):
    agreement_id = post_labusel_pks(admin)
    assert_problem(admin.post(f"{AGREEMENTS}/{UNKNOWN_ID}/enrollments",
                              json=enrollment_body(1)), 404, "not_found")
    assert_problem(admin.post(f"{AGREEMENTS}/{UNKNOWN_ID}/enrollments/batch",
                              json={"workers": [enrollment_body(1)]}), 404, "not_found")
    assert_problem(admin.get(f"{AGREEMENTS}/{UNKNOWN_ID}/enrollments"), 404, "not_found")
    assert_problem(admin.get(f"{AGREEMENTS}/{agreement_id}/enrollments/{nik(9)}"), 404,
                   "not_found")
    assert_problem(admin.post(f"{AGREEMENTS}/{agreement_id}/enrollments/{nik(9)}/disenrollment",
                              json={"ends_on": "2022-11-01", "reason_code": "OTHER"}), 404,
                   "not_found")
    assert_problem(admin.post(f"{AGREEMENTS}/{agreement_id}/enrollments/{nik(9)}/void",
                              json={"reason": "typo"}), 404, "not_found")
    assert_problem(admin.get(f"/api/v1/workers/{nik(9)}"), 404, "not_found")


# Disenrollment and void.

def test_disenrollment_ends_coverage_and_void_erases_it_from_reads(admin):
    agreement_id = post_labusel_pks(admin, quota=2)
    base = f"{AGREEMENTS}/{agreement_id}/enrollments"
    enrolled(admin, agreement_id, 1)
    enrolled(admin, agreement_id, 2)
    # Disenroll worker 1 on 15 November.
    ended = admin.post(f"{base}/{nik(1)}/disenrollment",
                       json={"ends_on": "2022-11-15", "reason_code": "MOVED_AWAY",
                             "reason": "pindah ke Medan"})
    assert ended.status_code == 200
    assert (ended.json["status"], ended.json["ends_on"]) == ("ended", "2022-11-15")
    assert ended.json["position"] >= 1
    assert admin.get(f"{base}/{nik(1)}?on=2022-11-15").json["status"] == "active"
    assert admin.get(f"{base}/{nik(1)}?on=2022-11-16").json["status"] == "ended"
    again = admin.post(f"{base}/{nik(1)}/disenrollment",
                       json={"ends_on": "2022-11-15", "reason_code": "MOVED_AWAY"})
    assert_problem(again, 409, "invalid_transition")
    # Void worker 2: recorded in error.
    voided = admin.post(f"{base}/{nik(2)}/void", json={"reason": "NIK salah ketik"})
    assert voided.status_code == 200
    assert voided.json["status"] == "voided"
    assert admin.get(f"{base}/{nik(2)}").json["status"] == "voided"
    coverage = admin.get(f"/api/v1/workers/{nik(2)}/coverage?on=2022-11-01")
    assert (coverage.json["covered"], coverage.json["coverages"]) == (False, [])
    # Both slots are free again.
    assert admin.get(f"{AGREEMENTS}/{agreement_id}?on=2022-11-01").json["enrolled"] == 0
    enrolled(admin, agreement_id, 3)
    enrolled(admin, agreement_id, 4)
    assert_problem(post_enrollment(admin, agreement_id, 5), 409, "quota_exceeded")


def test_disenrollment_and_void_bodies_are_checked(admin):
    agreement_id = post_labusel_pks(admin)
    enrolled(admin, agreement_id, 1)
    base = f"{AGREEMENTS}/{agreement_id}/enrollments/{nik(1)}"
    for body in ({"ends_on": "2022-11-15", "reason_code": "FIRED"},
                 {"ends_on": "2023-01-15", "reason_code": "OTHER"},
                 {"ends_on": "2022-11-15"}, {"reason_code": "OTHER"},
                 {"ends_on": "2022-11-15", "reason_code": "OTHER", "extra": 1}):
        assert_problem(admin.post(f"{base}/disenrollment", json=body), 422, "validation_failed")
    for body in ({}, {"reason": "  "}, {"reason": "ok\x00"}):
        assert_problem(admin.post(f"{base}/void", json=body), 422, "validation_failed")


# Reads.

def test_enrollments_are_listed_by_status_on_a_day_with_a_cursor(admin):
    agreement_id = post_labusel_pks(admin)
    base = f"{AGREEMENTS}/{agreement_id}/enrollments"
    for i in range(5):
        enrolled(admin, agreement_id, i)
    admin.post(f"{base}/{nik(3)}/disenrollment",
               json={"ends_on": "2022-10-31", "reason_code": "VOLUNTARY"})
    admin.post(f"{base}/{nik(4)}/void", json={"reason": "salah input"})

    def niks_of(query: str) -> list[str]:
        response = admin.get(f"{base}?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [item["nik"] for item in response.json["items"]]

    assert niks_of("on=2022-11-15&status=active") == [nik(0), nik(1), nik(2)]
    assert niks_of("on=2022-11-15&status=ended") == [nik(3)]
    assert niks_of("on=2022-10-15&status=active") == [nik(0), nik(1), nik(2), nik(3)]
    assert niks_of("on=2022-11-15&status=voided") == [nik(4)]
    assert niks_of("on=2023-01-01&status=active") == []
    # Page through all five, two at a time.
    seen, after, pages = [], 0, 0
    while after is not None:
        page = admin.get(f"{base}?limit=2&after={after}&on=2022-11-15")
        assert page.status_code == 200
        seen += [item["nik"] for item in page.json["items"]]
        after, pages = page.json["next_after"], pages + 1
    assert seen == [nik(i) for i in range(5)]
    assert pages == 3
    for query in ("status=lost", "limit=0", "limit=501", "after=-1", "on=2022-13-01"):
        assert_problem(admin.get(f"{base}?{query}"), 422, "validation_failed")


def test_a_worker_and_their_coverage_on_a_day(admin):
    agreement_id = post_labusel_pks(admin)
    enrolled(admin, agreement_id, 1, sex="M", birth_date="1981-02-03", address="Kotapinang")
    shown = admin.get(f"/api/v1/workers/{nik(1)}?on=2022-11-01")
    assert shown.status_code == 200
    assert {k: shown.json[k] for k in ("nik", "name", "birth_date", "sex", "occupation",
                                       "address", "deceased_on")} == {
        "nik": nik(1), "name": "Pekerja 1", "birth_date": "1981-02-03", "sex": "M",
        "occupation": "petani", "address": "Kotapinang", "deceased_on": None}
    [coverage] = shown.json["coverages"]
    assert (coverage["agreement_id"], coverage["agreement_number"], coverage["status"]) == (
        agreement_id, "PKS-LABUSEL-2022", "active")
    inside = admin.get(f"/api/v1/workers/{nik(1)}/coverage?on=2022-11-01").json
    assert (inside["nik"], inside["on"], inside["covered"], inside["programs"]) == (
        nik(1), "2022-11-01", True, ["JKK", "JKM"])
    after = admin.get(f"/api/v1/workers/{nik(1)}/coverage?on=2023-01-01").json
    assert (after["covered"], after["programs"], after["coverages"]) == (False, [], [])
    assert_problem(admin.get(f"/api/v1/workers/{nik(1)}/coverage?on=tomorrow"), 422,
                   "validation_failed")


def test_contributions_per_month_and_their_bad_months(admin):
    agreement_id = post_labusel_pks(admin)
    for i in range(3):
        enrolled(admin, agreement_id, i)
    admin.post(f"{AGREEMENTS}/{agreement_id}/enrollments/{nik(2)}/disenrollment",
               json={"ends_on": "2022-11-15", "reason_code": "MOVED_AWAY"})
    url = f"{AGREEMENTS}/{agreement_id}/contributions"
    owed = admin.get(f"{url}?from=2022-10&to=2022-12")
    assert owed.status_code == 200, owed.get_data(as_text=True)
    assert [(m["month"], m["workers"], m["amount_idr"]) for m in owed.json["months"]] == [
        ("2022-10", 3, 50_400), ("2022-11", 3, 50_400), ("2022-12", 2, 33_600)]
    assert owed.json["total_idr"] == 134_400
    for query, field in (("from=2022-13&to=2022-12", "from"), ("from=2022-1&to=2022-12", "from"),
                         ("from=2022-10&to=2022-12-01", "to"), ("from=2022-10", "to"),
                         ("to=2022-12", "from"), ("from=2022-12&to=2022-10", "to")):
        body = assert_problem(admin.get(f"{url}?{query}"), 422, "validation_failed")
        assert field in body["errors"], (query, body)
    assert_problem(admin.get(f"{AGREEMENTS}/{UNKNOWN_ID}/contributions?from=2022-10&to=2022-12"),
                   404, "not_found")


def test_contributions_for_year_zero_answer_422_not_500(admin):
    agreement_id = post_labusel_pks(admin)
    response = admin.get(f"{AGREEMENTS}/{agreement_id}/contributions?from=0000-01&to=0000-02")
    assert "from" in assert_problem(response, 422, "validation_failed")["errors"]


def test_contribution_months_are_always_labelled_yyyy_mm(admin):
    agreement_id = post_labusel_pks(admin)
    response = admin.get(f"{AGREEMENTS}/{agreement_id}/contributions?from=0001-01&to=0001-01")
    if response.status_code == 200:
        assert [m["month"] for m in response.json["months"]] == ["0001-01"]
    else:
        assert_problem(response, 422, "validation_failed")


def test_regional_coverage_of_a_province_includes_its_regencies_against_a_target(admin):
    # Enroll two workers in 2022 and carry them into 2023.
    agreement_id = post_labusel_pks(admin)
    enrolled(admin, agreement_id, 1)
    enrolled(admin, agreement_id, 2, programs=["JKK"])
    renewed = admin.post(f"{AGREEMENTS}/{agreement_id}/renewals", json={"ends_on": "2023-12-31"})
    assert renewed.status_code == 201, renewed.get_data(as_text=True)
    # Set Labuhanbatu Selatan's 2023 target.
    target = admin.put("/api/v1/regions/12.22/targets/2023",
                       json={"workforce": 1000, "target_percent": 12.5})
    assert target.status_code == 200, target.get_data(as_text=True)
    assert {k: target.json[k] for k in ("region_code", "year", "workforce", "target_percent",
                                        "target_workers")} == {
        "region_code": "12.22", "year": 2023, "workforce": 1000, "target_percent": 12.5,
        "target_workers": 125}
    assert target.json["position"] > renewed.json["position"]
    regency = admin.get("/api/v1/regions/12.22/coverage?on=2023-03-01").json
    assert (regency["covered_workers"], regency["by_program"]) == (
        2, {"JKK": 2, "JKM": 1, "JHT": 0})
    assert regency["target"]["realised_percent"] == 0.2
    assert regency["target"]["target_workers"] == 125
    province = admin.get("/api/v1/regions/12/coverage?on=2023-03-01").json
    assert (province["region_code"], province["on"], province["covered_workers"]) == (
        "12", "2023-03-01", 2)
    assert [a["agreement_id"] for a in province["agreements"]] == [agreement_id]
    assert province["target"] is None
    assert admin.get("/api/v1/regions/36/coverage?on=2023-03-01").json["covered_workers"] == 0
    # Bad codes and targets.
    assert_problem(admin.get("/api/v1/regions/12.2/coverage"), 404, "not_found")
    for body in ({"workforce": 0, "target_percent": 10}, {"workforce": 10, "target_percent": 0},
                 {"workforce": 10, "target_percent": 101}, {"workforce": "10",
                                                            "target_percent": 10}):
        assert_problem(admin.put("/api/v1/regions/12.22/targets/2023", json=body), 422,
                       "validation_failed")


# Who may enroll.

def test_roles_decide_who_may_enroll(admin, as_role):
    agreement_id = post_labusel_pks(admin)
    auditor = as_role("auditor")
    assert_problem(post_enrollment(auditor, agreement_id, 1), 403, "forbidden")
    assert_problem(auditor.post(f"{AGREEMENTS}/{agreement_id}/enrollments/batch",
                                json={"workers": [enrollment_body(1)]}), 403, "forbidden")
    # A registrar for Kota Serang cannot see a Labuhanbatu Selatan agreement at all.
    serang = as_role("registrar", "36.73")
    assert_problem(post_enrollment(serang, agreement_id, 1), 404, "not_found")
    assert_problem(serang.get(f"{AGREEMENTS}/{agreement_id}/enrollments"), 404, "not_found")
    # A registrar for the province can.
    north_sumatra = as_role("registrar", "12")
    assert enrolled(north_sumatra, agreement_id, 1)["nik"] == nik(1)
    assert auditor.get(f"/api/v1/workers/{nik(1)}").status_code == 200
    assert_problem(serang.get(f"/api/v1/workers/{nik(1)}"), 404, "not_found")
    assert_problem(auditor.post(f"{AGREEMENTS}/{agreement_id}/enrollments/{nik(1)}/void",
                                json={"reason": "x"}), 403, "forbidden")
    assert_problem(serang.put("/api/v1/regions/12.22/targets/2023",
                              json={"workforce": 10, "target_percent": 10}), 404, "not_found")
    assert admin.get(f"{AGREEMENTS}/{agreement_id}?on=2022-11-01").json["enrolled"] == 1
