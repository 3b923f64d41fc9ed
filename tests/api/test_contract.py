"""The API's contract, held on every operation the document lists (api/contract.py):
undeclared query parameters and methods, malformed NIKs in paths, `known` on coverage,
the agreement number filter, and problem details in Bahasa Indonesia."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.builders import AGREEMENTS, enrolled, medan_mou, nik, post_agreement, post_labusel_pks
from tests.callers import assert_problem

METHODS = ("get", "put", "post", "delete", "patch")
SOME_UUID = "00000000-0000-0000-0000-000000000001"
SAMPLE = {"agreement_id": SOME_UUID, "nik": nik(1), "code": "12.22", "year": "2024",
          "preview_id": "0" * 32, "reference": "SP2D-1"}
INDONESIAN = {"Accept-Language": "id"}


def operations(admin: Any) -> list[tuple[str, str, str]]:
    """(method, path with sample values, the document's path) for every operation."""
    document = admin.get("/openapi.json").json
    found = []
    for path, item in document["paths"].items():
        concrete = re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], path)
        found += [(method, concrete, path) for method in item if method in METHODS]
    return found


def test_an_undeclared_query_parameter_is_refused_by_name_on_every_operation(admin):
    checked = 0
    for method, path, _ in operations(admin):
        answer = getattr(admin.client, method)(
            f"{path}?regon_code=12.22", headers=admin.headers, json={})
        body = assert_problem(answer, 422, "validation_failed")
        assert body["errors"] == {"regon_code": "Unknown query parameter."}, (method, path)
        checked += 1
    assert checked > 25
    assert_problem(admin.get("/health?verbose=1"), 422, "validation_failed")


def test_a_misspelt_agreement_filter_is_a_422_not_every_agreement(admin):
    body = assert_problem(admin.get(f"{AGREEMENTS}?regon_code=12.22"), 422, "validation_failed")
    assert "regon_code" in body["detail"] and "region_code" in body["detail"]


def test_declared_parameters_are_still_taken(admin):
    assert admin.get(f"{AGREEMENTS}?region_code=12.22&limit=5").status_code == 200
    assert admin.client.head(f"{AGREEMENTS}?limit=5", headers=admin.headers).status_code == 200
    assert admin.get(f"/api/v1/workers/{nik(1)}/coverage?on=2024-01-01").status_code == 200


def test_agreements_are_found_by_their_exact_number(admin):
    post_labusel_pks(admin)
    post_agreement(admin, medan_mou())
    found = admin.get(AGREEMENTS, query_string={"agreement_number": "PKS-LABUSEL-2022"}).json
    assert [a["agreement_number"] for a in found["items"]] == ["PKS-LABUSEL-2022"]
    for near in ("PKS-LABUSEL", "pks-labusel-2022", "PKS-LABUSEL-2022 "[:-1] + "%"):
        assert admin.get(AGREEMENTS, query_string={"agreement_number": near}).json["items"] == []


def test_an_undeclared_method_is_405_with_the_methods_the_route_takes(admin):
    paths = admin.get("/openapi.json").json["paths"]
    for method, path, document_path in operations(admin):
        others = [m for m in METHODS if m not in paths[document_path]]
        for other in others[:1]:
            answer = getattr(admin.client, other)(path, headers=admin.headers,
                                                  data="x", content_type="text/plain")
            assert_problem(answer, 405, "method_not_allowed")
            allowed = {m.strip().lower() for m in answer.headers["Allow"].split(",")}
            assert method in allowed and other not in allowed, (other, path)


def test_the_batch_route_is_never_read_as_the_enrollment_of_a_nik_named_batch(admin):
    agreement_id = post_labusel_pks(admin)
    answer = admin.get(f"{AGREEMENTS}/{agreement_id}/enrollments/batch")
    assert_problem(answer, 405, "method_not_allowed")
    assert answer.headers["Allow"] == "OPTIONS, POST"


@pytest.mark.parametrize("path", [
    "/api/v1/workers/12345/coverage", "/api/v1/workers/12345", "/api/v1/workers/12345/history",
    f"{AGREEMENTS}/{SOME_UUID}/enrollments/1222014506850000",
])
def test_a_malformed_nik_in_a_path_is_a_422_naming_the_nik(admin, path):
    body = assert_problem(admin.get(path), 422, "validation_failed")
    assert set(body["errors"]) == {"nik"}


def test_coverage_says_whether_the_worker_is_known_and_never_more(admin, as_role):
    agreement_id = post_labusel_pks(admin)
    enrolled(admin, agreement_id, 1)
    mine = admin.get(f"/api/v1/workers/{nik(1)}/coverage?on=2022-11-01").json
    assert (mine["known"], mine["covered"]) == (True, True)
    unknown = admin.get(f"/api/v1/workers/{nik(2)}/coverage?on=2022-11-01").json
    assert (unknown["known"], unknown["covered"], unknown["coverages"]) == (False, False, [])
    elsewhere = as_role("auditor", "31").get(f"/api/v1/workers/{nik(1)}/coverage").json
    assert {k: v for k, v in elsewhere.items() if k not in ("on", "known_at")} == {
        "nik": nik(1), "known": False, "covered": False, "programs": [], "coverages": []}
    # An unknown NIK on a read that names one worker is still a 404.
    assert_problem(admin.get(f"/api/v1/workers/{nik(2)}"), 404, "not_found")


def test_problems_speak_bahasa_indonesia_when_asked_with_the_same_code(admin):
    english = admin.get(f"{AGREEMENTS}/{SOME_UUID}")
    indonesian = admin.get(f"{AGREEMENTS}/{SOME_UUID}", headers=INDONESIAN)
    assert english.json["code"] == indonesian.json["code"] == "not_found"
    assert (english.json["title"], indonesian.json["title"]) == ("Not found", "Tidak ditemukan")
    assert indonesian.json["detail"] == f"tidak ada perjanjian {SOME_UUID}"
    assert indonesian.headers["Content-Language"] == "id"
    assert "Accept-Language" in indonesian.headers["Vary"]


def test_field_errors_are_translated_message_by_message(admin):
    answer = admin.get(f"{AGREEMENTS}?on=2024-02-30&kind=X", headers=INDONESIAN)
    body = assert_problem(answer, 422, "validation_failed")
    assert body["title"] == "Validasi gagal"
    assert body["errors"]["on"] == "Bukan tanggal yang sah; gunakan format YYYY-MM-DD."
    assert body["errors"]["kind"].startswith("Harus salah satu dari: ")
    assert "on: Bukan tanggal yang sah; gunakan format YYYY-MM-DD." in body["detail"]


def test_date_errors_state_the_expected_format(admin):
    body = assert_problem(admin.get(f"{AGREEMENTS}?on=31/12/2024"), 422, "validation_failed")
    assert body["errors"]["on"] == "Not a valid date; expected YYYY-MM-DD."
    body = assert_problem(admin.get(f"{AGREEMENTS}/{SOME_UUID}?known_at=yesterday"),
                          422, "validation_failed")
    assert "expected ISO 8601" in body["errors"]["known_at"]


def test_english_stays_the_default_and_a_preference_for_english_wins(admin):
    for language in (None, "en", "en-GB,id;q=0.5", "fr"):
        headers = {"Accept-Language": language} if language else {}
        answer = admin.get(f"{AGREEMENTS}/{SOME_UUID}", headers=headers)
        assert answer.json["title"] == "Not found", language
    assert admin.get(f"{AGREEMENTS}/{SOME_UUID}",
                     headers={"Accept-Language": "id-ID,en;q=0.8"}).json["title"] == (
        "Tidak ditemukan")


def test_a_record_time_beyond_the_registry_s_years_reads_as_the_nearest(admin):
    # Nothing was recorded before 1900, and nothing after 2199 can have been: a valid
    # date-time outside them asks what the nearest one asks.
    agreement_id = post_labusel_pks(admin)
    later = admin.get(f"{AGREEMENTS}/{agreement_id}",
                      query_string={"known_at": "9999-12-31T23:59:59-01:00"})
    assert later.status_code == 200 and later.json["known_at"] == "2199-12-31T23:59:59.999999Z"
    earlier = admin.get(f"{AGREEMENTS}/{agreement_id}",
                        query_string={"known_at": "0001-01-01T00:00:00+01:00"})
    assert_problem(earlier, 404, "not_found")
