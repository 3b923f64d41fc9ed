"""POST /api/v1/agreements/{id}/enrollments/batch: JSON and CSV, atomic or not,
and bad input that must never answer 500.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.builders import AGREEMENTS, enrollment_body, nik, post_labusel_pks
from tests.callers import assert_problem

HEADER = "nik,name,birth_date,sex,occupation,address,starts_on"
WORKER_0 = enrollment_body(0)


def batch_url(agreement_id: str) -> str:
    return f"{AGREEMENTS}/{agreement_id}/enrollments/batch"


def post_csv(caller: Any, agreement_id: str, text: str | bytes, query: str = "") -> Any:
    return caller.post(batch_url(agreement_id) + query, data=text,
                       headers={"Content-Type": "text/csv"})


def listed(caller: Any, agreement_id: str) -> list[str]:
    response = caller.get(f"{AGREEMENTS}/{agreement_id}/enrollments?limit=500&on=2022-11-01")
    assert response.status_code == 200
    return [item["nik"] for item in response.json["items"]]


@pytest.fixture
def agreement_id(admin: Any) -> str:
    return post_labusel_pks(admin, quota=3)


def test_a_json_batch_enrolls_every_row(admin, agreement_id):
    response = admin.post(batch_url(agreement_id),
                          json={"workers": [enrollment_body(0),
                                            enrollment_body(1, programs=["JKK"])]})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert {k: response.json[k] for k in ("enrolled", "rejected", "not_written")} == {
        "enrolled": 2, "rejected": 0, "not_written": 0}
    assert response.json["rows"] == [{"row": 0, "nik": nik(0), "status": "enrolled"},
                                     {"row": 1, "nik": nik(1), "status": "enrolled"}]
    assert response.json["position"] >= 3
    assert listed(admin, agreement_id) == [nik(0), nik(1)]


def test_an_atomic_batch_with_bad_rows_answers_422_and_writes_nothing(admin, agreement_id):
    # Row 1 has no name, row 4 does not fit in the quota of 3.
    workers = [WORKER_0, {k: v for k, v in enrollment_body(1).items() if k != "name"},
               enrollment_body(2), enrollment_body(3), enrollment_body(4)]
    response = admin.post(batch_url(agreement_id), json={"workers": workers, "atomic": True})
    body = assert_problem(response, 422, "validation_failed")
    assert set(body["errors"]) == {"rows.1", "rows.4"}
    assert body["errors"]["rows.4"].startswith("quota_exceeded")
    assert [(r["row"], r["status"]) for r in body["rows"]] == [
        (0, "not_written"), (1, "rejected"), (2, "not_written"), (3, "not_written"),
        (4, "rejected")]
    assert (body["rows"][1]["code"], body["rows"][4]["code"]) == (
        "validation_failed", "quota_exceeded")
    assert (body["enrolled"], body["rejected"], body["not_written"]) == (0, 2, 3)
    assert listed(admin, agreement_id) == []
    assert admin.get(f"{AGREEMENTS}/{agreement_id}?on=2022-11-01").json["enrolled"] == 0


def test_a_non_atomic_batch_answers_201_with_what_it_enrolled_and_rejected(admin, agreement_id):
    workers = [WORKER_0, {**enrollment_body(1), "nik": "123"}, enrollment_body(2), WORKER_0,
               enrollment_body(3), enrollment_body(4)]
    response = admin.post(batch_url(agreement_id), json={"workers": workers, "atomic": False})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert (response.json["enrolled"], response.json["rejected"],
            response.json["not_written"]) == (3, 3, 0)
    assert [(r["row"], r["status"], r.get("code")) for r in response.json["rows"]] == [
        (0, "enrolled", None), (1, "rejected", "validation_failed"), (2, "enrolled", None),
        (3, "rejected", "already_covered"), (4, "enrolled", None),
        (5, "rejected", "quota_exceeded")]
    assert listed(admin, agreement_id) == [nik(0), nik(2), nik(3)]


def test_a_csv_batch_reads_empty_cells_as_absent_fields_birth_and_sex_from_the_nik(
        admin, agreement_id):
    text = (f"{HEADER}\n"
            f"{nik(0)},Siti Aminah,1981-02-03,M,petani,\"Desa Sisumut, Kotapinang\",2022-10-01\n"
            f"{nik(1)},Budi,,,penarik becak,,2022-11-01\n")
    response = post_csv(admin, agreement_id, text)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert [(r["row"], r["status"]) for r in response.json["rows"]] == [
        (0, "enrolled"), (1, "enrolled")]
    first = admin.get(f"/api/v1/workers/{nik(0)}").json
    second = admin.get(f"/api/v1/workers/{nik(1)}").json
    assert (first["address"], first["birth_date"], first["sex"]) == (
        "Desa Sisumut, Kotapinang", "1981-02-03", "M")
    assert (second["address"], second["birth_date"], second["sex"]) == (None, "1981-02-03", "M")
    assert second["coverages"][0]["starts_on"] == "2022-11-01"


def test_a_csv_batch_numbers_data_rows_from_zero_and_honours_atomic_false(admin, agreement_id):
    text = (f"{HEADER}\n{nik(0)},A,,,petani,,2022-10-01\n"
            f"{nik(1)},B,,F,petani,,2022-10-01\n{nik(2)},C,,,petani,,2022-10-01\n")
    atomic = assert_problem(post_csv(admin, agreement_id, text), 422, "validation_failed")
    assert set(atomic["errors"]) == {"rows.1"}
    assert [r["status"] for r in atomic["rows"]] == ["not_written", "rejected", "not_written"]
    assert listed(admin, agreement_id) == []
    partial = post_csv(admin, agreement_id, text, "?atomic=false")
    assert partial.status_code == 201, partial.get_data(as_text=True)
    assert [r["status"] for r in partial.json["rows"]] == ["enrolled", "rejected", "enrolled"]
    assert listed(admin, agreement_id) == [nik(0), nik(2)]


def test_a_batch_of_5000_workers_is_accepted_in_one_request(admin):
    agreement_id = post_labusel_pks(admin, quota=5000)
    workers = [enrollment_body(i) for i in range(5000)]
    response = admin.post(batch_url(agreement_id), json={"workers": workers})
    assert response.status_code == 201, response.get_data(as_text=True)[:500]
    assert (response.json["enrolled"], len(response.json["rows"])) == (5000, 5000)
    assert response.json["rows"][4999] == {"row": 4999, "nik": nik(4999), "status": "enrolled"}
    agreement = admin.get(f"{AGREEMENTS}/{agreement_id}?on=2022-11-01")
    assert agreement.json["enrolled"] == 5000
    owed = admin.get(f"{AGREEMENTS}/{agreement_id}/contributions?from=2022-10&to=2022-10")
    assert owed.json["total_idr"] == 5000 * 16_800
    full = admin.post(batch_url(agreement_id), json={"workers": [enrollment_body(5000)]})
    assert assert_problem(full, 422, "validation_failed")["rows"][0]["code"] == "quota_exceeded"


# Bad input: a problem with a stable code, never a 500.

@pytest.mark.parametrize("text, field", [
    ("nik,name,occupation,nickname\n1222030302810001,A,petani,Ucok\n", "header"),
    ("nik,name\n1222030302810001,A\n", "header"),
    ("", "header"),
    (f"{HEADER}\n", "body"),
    (f"{HEADER}\n{nik(0)},A,,,petani,,2022-10-01,extra\n", "rows.0"),
], ids=["unknown-header", "missing-occupation", "empty", "no-rows", "too-many-cells"])
def test_a_csv_with_a_bad_shape_answers_422(admin, agreement_id, text, field):
    body = assert_problem(post_csv(admin, agreement_id, text), 422, "validation_failed")
    assert field in body["errors"], body


@pytest.mark.parametrize("data, field", [
    (f"{HEADER}\n{nik(0)},\"A,,,petani,,2022-10-01\n".encode(), "rows.0"),  # open quote
    (f"{HEADER}\n{nik(0)},Bu\x00di,,,petani,,2022-10-01\n".encode(), "rows.0"),  # NUL
    ("nik,name,occupation\n1222030302810001,Ba\xe7o,petani\n".encode("latin-1"), "body"),
    (b"\xff\xfe\x00n\x00i\x00k\x00", "body"),  # UTF-16
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "body"),
    (f"{HEADER}\n{nik(0)},A,1981-02-30,X,petani,,2022-10-99\n".encode(), "rows.0"),
], ids=["unterminated-quote", "nul", "latin-1", "utf-16", "binary", "bad-cells"])
def test_a_malformed_csv_answers_422_naming_the_body_or_the_row(admin, agreement_id, data,
                                                                field):
    body = assert_problem(post_csv(admin, agreement_id, data), 422, "validation_failed")
    assert set(body["errors"]) == {field}, body["errors"]
    assert listed(admin, agreement_id) == []


def test_a_csv_with_crlf_line_ends_a_bom_and_a_blank_line_is_read(admin, agreement_id):
    data = f"\ufeff{HEADER}\r\n{nik(0)},A,,,petani,,2022-10-01\r\n\r\n".encode()
    response = post_csv(admin, agreement_id, data)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["rows"] == [{"row": 0, "line": 2, "nik": nik(0), "status": "enrolled"}]


@pytest.mark.parametrize("workers", [
    [1], ["x"], [[]], [True], [{"nik": 1222030302810001, "name": "A"}],
    [{**WORKER_0, "name": "Bu\x00di"}], [{**WORKER_0, "occupation": "\x00"}],
    [{**WORKER_0, "nik": "１２２２０３０３０２８１０００１"}], [{**WORKER_0, "nik": nik(0) + "\n"}],
    [{**WORKER_0, "programs": "JKK"}], [{**WORKER_0, "programs": []}],
    [{**WORKER_0, "starts_on": "2022-02-30"}], [{**WORKER_0, "birth_date": 19810203}],
    [{**WORKER_0, "sex": "L"}], [{**WORKER_0, "unknown": 1}], [{**WORKER_0, "name": "x" * 5000}],
], ids=["int", "str", "list", "bool", "nik-number", "nul-name", "nul-occupation",
        "fullwidth-digits", "nik-newline", "programs-string", "programs-empty", "bad-date",
        "birth-date-number", "sex-L", "unknown-field", "long-name"])
def test_rows_that_are_not_valid_worker_objects_are_rejected_by_row(admin, agreement_id, workers):
    response = admin.post(batch_url(agreement_id), json={"workers": [enrollment_body(9), *workers]})
    body = assert_problem(response, 422, "validation_failed")
    assert set(body["errors"]) == {"rows.1"}, body["errors"]
    assert [r["status"] for r in body["rows"]] == ["not_written", "rejected"]
    assert listed(admin, agreement_id) == []


@pytest.mark.parametrize("payload", [
    [], {}, {"workers": []}, {"workers": {}}, {"workers": "a,b"}, {"workers": None},
    {"workers": [WORKER_0], "atomic": "false"}, {"workers": [WORKER_0], "atomic": 0},
    {"workers": [WORKER_0], "extra": True}, {"workers": [WORKER_0, None]}, "workers", None,
], ids=["list", "empty", "no-workers", "workers-object", "workers-string", "workers-null",
        "atomic-string", "atomic-zero", "extra-field", "null-row", "string", "null"])
def test_a_batch_body_of_the_wrong_shape_answers_4xx(admin, agreement_id, payload):
    response = admin.post(batch_url(agreement_id), data=json.dumps(payload),
                          headers={"Content-Type": "application/json"})
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert listed(admin, agreement_id) == []


def test_bodies_that_are_not_json_or_csv_answer_4xx(admin, agreement_id):
    assert_problem(admin.post(batch_url(agreement_id), data="{", headers={
        "Content-Type": "application/json"}), 400, "malformed_request")
    assert_problem(admin.post(batch_url(agreement_id), data=b"\xff\xfe", headers={
        "Content-Type": "application/json"}), 400, "malformed_request")
    assert_problem(admin.post(batch_url(agreement_id), data="x", headers={
        "Content-Type": "text/plain"}), 415, "unsupported_media_type")
    assert_problem(admin.post(f"{AGREEMENTS}/{agreement_id}/enrollments", data=f"{HEADER}\n",
                              headers={"Content-Type": "text/csv"}), 415,
                   "unsupported_media_type")
    assert_problem(admin.post(f"{AGREEMENTS}/{agreement_id}/enrollments",
                              json={**WORKER_0, "name": "Bu\x00di"}), 422, "validation_failed")
