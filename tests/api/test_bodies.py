"""Bodies the API will not take: over the size limit however they are sent, integers
no field can hold, If-Match headers that name no version. Never a 500, never a
part of a body written.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Request
from werkzeug.test import EnvironBuilder

from registry.config import Settings
from tests.builders import AGREEMENTS, enrolled, enrollment_body, nik, post_labusel_pks
from tests.callers import assert_problem

LIMIT = 64 * 1024
HUGE = "9" * 4301  # one digit more than Python converts from text


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings.from_env({"REGISTRY_DATABASE_URL": database_url,
                              "REGISTRY_MAX_BODY_BYTES": str(LIMIT)})


def send(caller: Any, method: str, path: str, body: bytes, content_type: str = "application/json",
         chunked: bool = True, headers: dict[str, str] | None = None) -> Any:
    """The request as a server that ends the body itself (gunicorn, for chunked
    transfer) hands it over: `wsgi.input_terminated` and no Content-Length."""
    environ = EnvironBuilder(path=path, method=method, data=body, headers={
        **caller.headers, "Content-Type": content_type, **(headers or {})}).get_environ()
    if chunked:
        del environ["CONTENT_LENGTH"]
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    return caller.client.open(Request(environ))


def padded(body: Any, size: int) -> bytes:
    """The JSON document, then spaces (still valid JSON) up to `size` bytes."""
    return json.dumps(body).encode().ljust(size, b" ")


def csv_of(count: int, first: int = 0) -> str:
    rows = [f"{nik(i)},Pekerja {i:05d},petani,2022-10-01\n" for i in range(first, first + count)]
    return "nik,name,occupation,starts_on\n" + "".join(rows)


def head(registry: Any) -> int:
    return registry.app.head_position()


@pytest.fixture
def agreement_id(admin: Any) -> str:
    return post_labusel_pks(admin, quota=50_000)


@pytest.fixture
def worker_nik(admin: Any, agreement_id: str) -> str:
    return enrolled(admin, agreement_id, 1)["nik"]


def routes(agreement_id: str, worker_nik: str) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Every route that takes a body, with a body it would accept."""
    one = f"{AGREEMENTS}/{agreement_id}"
    return {
        "sign": ("POST", AGREEMENTS, {"agreement_number": "PKS-2", "kind": "PKS",
                                      "region_code": "12.22", "region_name": "Labusel",
                                      "sponsor": "Pemkab", "bpjs_office": "Rantauprapat",
                                      "signed_on": "2022-10-04", "funding_source": "APBD",
                                      "programs": ["JKK"], "starts_on": "2022-10-01",
                                      "ends_on": "2022-12-31", "quota": 10}),
        "amend": ("POST", f"{one}/amendments", {"effective_on": "2022-11-01",
                                                "reason": "APBD-P", "quota": 2500}),
        "renew": ("POST", f"{one}/renewals", {"ends_on": "2023-12-31"}),
        "terminate": ("POST", f"{one}/termination", {"ends_on": "2022-11-30",
                                                     "reason": "budget"}),
        "enroll": ("POST", f"{one}/enrollments", enrollment_body(2)),
        "batch": ("POST", f"{one}/enrollments/batch",
                  {"workers": [enrollment_body(3), enrollment_body(4)]}),
        "disenroll": ("POST", f"{one}/enrollments/{worker_nik}/disenrollment",
                      {"ends_on": "2022-11-30", "reason_code": "VOLUNTARY"}),
        "void": ("POST", f"{one}/enrollments/{worker_nik}/void", {"reason": "entered twice"}),
        "correct": ("POST", f"/api/v1/workers/{worker_nik}/corrections",
                    {"reason": "typo", "name": "Pekerja Satu"}),
        "target": ("PUT", "/api/v1/regions/12.22/targets/2023",
                   {"workforce": 1000, "target_percent": 50}),
    }


ROUTES = list(routes("x", "y"))


# Over the limit, with and without Content-Length.

@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
@pytest.mark.parametrize("route", ROUTES)
def test_a_body_one_byte_over_the_limit_is_413_and_writes_nothing(
        admin, registry, agreement_id, worker_nik, route, chunked):
    method, path, body = routes(agreement_id, worker_nik)[route]
    before = head(registry)
    response = send(admin, method, path, padded(body, LIMIT + 1), chunked=chunked)
    problem = assert_problem(response, 413, "payload_too_large")
    assert str(LIMIT) in problem["detail"]
    assert head(registry) == before


@pytest.mark.parametrize("route", ROUTES)
def test_a_chunked_body_exactly_at_the_limit_is_read_whole(
        admin, registry, agreement_id, worker_nik, route):
    method, path, body = routes(agreement_id, worker_nik)[route]
    before = head(registry)
    response = send(admin, method, path, padded(body, LIMIT))
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    assert head(registry) > before


@pytest.mark.parametrize("query", ["", "?atomic=false"])
def test_a_chunked_csv_over_the_limit_is_413_not_cut_short_and_written(
        admin, registry, agreement_id, query):
    # 1,800 good rows, 88 KB: its first 64 KiB is a CSV of 1,337 rows, the
    # last one cut mid-field.
    text = csv_of(1800).encode()
    assert len(text) > LIMIT + 10_000
    before = head(registry)
    response = send(admin, "POST", f"{AGREEMENTS}/{agreement_id}/enrollments/batch{query}",
                    text, content_type="text/csv")
    assert_problem(response, 413, "payload_too_large")
    assert head(registry) == before
    assert admin.get(f"{AGREEMENTS}/{agreement_id}").json["enrolled"] == 0


def test_a_chunked_csv_exactly_at_the_limit_is_enrolled_in_full(admin, agreement_id):
    text = csv_of(900)
    # Blank lines are no rows: pad the file with them to the limit.
    body = text.encode().ljust(LIMIT, b"\n")
    response = send(admin, "POST", f"{AGREEMENTS}/{agreement_id}/enrollments/batch", body,
                    content_type="text/csv")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["enrolled"] == 900


def test_a_chunked_body_over_the_limit_is_refused_before_its_idempotency_key_is_claimed(
        admin, registry, agreement_id, worker_nik):
    method, path, body = routes(agreement_id, worker_nik)["enroll"]
    key = {"Idempotency-Key": "big-once"}
    refused = send(admin, method, path, padded(body, LIMIT + 1), headers=key)
    assert_problem(refused, 413, "payload_too_large")
    # The key was never taken: the same key with a body that fits is a first request.
    accepted = send(admin, method, path, json.dumps(body).encode(), headers=key)
    assert accepted.status_code == 201, accepted.get_data(as_text=True)
    assert "Idempotent-Replayed" not in accepted.headers


# Integers no field can hold.

def with_number(body: dict[str, Any], field: str, digits: str) -> bytes:
    """The body as JSON with `field` set to the integer literal `digits` (json.dumps
    cannot write an integer of more than 4,300 digits)."""
    return json.dumps({**body, field: "@NUMBER@"}).replace('"@NUMBER@"', digits).encode()


NUMBERS = [HUGE, "-" + HUGE, str(2**63), str(2**64), str(-(2**63) - 1), "9" * 64, "9" * 65]


@pytest.mark.parametrize("digits", NUMBERS)
@pytest.mark.parametrize(("route", "field"), [
    ("sign", "quota"), ("sign", "monthly_contribution_idr"), ("amend", "quota"),
    ("amend", "monthly_contribution_idr"), ("renew", "quota"),
    ("renew", "monthly_contribution_idr"), ("target", "workforce"),
    ("target", "target_percent"),
    # Fields that take no integer at all, and one no route has.
    ("sign", "agreement_number"), ("enroll", "nik"), ("batch", "atomic"),
    ("terminate", "reason"), ("correct", "name"), ("void", "surplus"),
])
def test_an_integer_no_field_can_hold_is_422_naming_the_field(
        admin, registry, agreement_id, worker_nik, route, field, digits):
    method, path, body = routes(agreement_id, worker_nik)[route]
    before = head(registry)
    response = send(admin, method, path, with_number(body, field, digits), chunked=False)
    problem = assert_problem(response, 422, "validation_failed")
    assert field in problem["errors"], problem["errors"]
    assert head(registry) == before


@pytest.mark.parametrize("field", ["nik", "name", "starts_on"])
def test_a_huge_integer_in_a_batch_row_rejects_that_row(admin, registry, agreement_id, field):
    row = json.dumps({**enrollment_body(7), field: "@NUMBER@"}).replace('"@NUMBER@"', HUGE)
    body = f'{{"workers": [{json.dumps(enrollment_body(6))}, {row}]}}'.encode()
    before = head(registry)
    response = send(admin, "POST", f"{AGREEMENTS}/{agreement_id}/enrollments/batch", body,
                    chunked=False)
    problem = assert_problem(response, 422, "validation_failed")
    assert list(problem["errors"]) == ["rows.1"] and field in problem["errors"]["rows.1"]
    assert head(registry) == before


@pytest.mark.parametrize("digits", [HUGE, str(2**63), str(2**64)])
@pytest.mark.parametrize("query", ["limit", "after", "status"])
def test_a_huge_integer_in_a_query_is_422(admin, agreement_id, query, digits):
    response = admin.get(f"{AGREEMENTS}/{agreement_id}/enrollments?{query}={digits}")
    assert "errors" in assert_problem(response, 422, "validation_failed")


@pytest.mark.parametrize("path", [
    "/api/v1/agreements?after={n}", "/api/v1/agreements?limit={n}",
    "/api/v1/agreements/{id}?version={n}", "/api/v1/events?after={n}",
    "/api/v1/audit/backdated?min_days={n}", "/api/v1/agreements/{id}/history?after={n}",
])
@pytest.mark.parametrize("digits", [HUGE, str(2**63), "-" + str(2**63)])
def test_huge_integers_in_the_queries_of_reads_are_422(admin, agreement_id, path, digits):
    response = admin.get(path.format(n=digits, id=agreement_id))
    assert_problem(response, 422, "validation_failed")


@pytest.mark.parametrize("year", [str(2**63), str(2**64), "9" * 64])
def test_a_year_in_the_path_beyond_any_target_is_422(admin, registry, year):
    before = head(registry)
    response = admin.put(f"/api/v1/regions/12.22/targets/{year}",
                         json={"workforce": 1000, "target_percent": 50})
    assert_problem(response, 422, "validation_failed")
    assert head(registry) == before


def test_a_year_in_the_path_too_long_to_be_a_number_names_no_resource(admin):
    response = admin.put(f"/api/v1/regions/12.22/targets/{HUGE}",
                         json={"workforce": 1000, "target_percent": 50})
    assert_problem(response, 404, "not_found")


# If-Match that names no version.

@pytest.mark.parametrize("if_match", [
    '"\u00b2"',  # SUPERSCRIPT TWO: str.isdigit() says yes, int() says no
    '"\u0661"',  # ARABIC-INDIC DIGIT ONE: int() reads it as 1, but an ETag never has it
    '"' + "9" * 19 + '"', '"' + "9" * 5000 + '"', 'W/"\u00b2"', '"1", "\u00b2"',
    "garbage", '"', '""', '"-1"', '"+1"', '" 1"', '"1.0"', '"0x1"',
])
@pytest.mark.parametrize("route", ["amend", "enroll", "void", "correct", "target"])
def test_an_if_match_that_names_no_version_is_412_never_500(
        admin, registry, agreement_id, worker_nik, route, if_match):
    method, path, body = routes(agreement_id, worker_nik)[route]
    before = head(registry)
    response = send(admin, method, path, json.dumps(body).encode(), chunked=False,
                    headers={"If-Match": if_match})
    assert_problem(response, 412, "precondition_failed")
    assert head(registry) == before


def test_an_if_match_with_the_current_version_still_writes(admin, agreement_id):
    version = admin.get(f"{AGREEMENTS}/{agreement_id}").headers["ETag"]
    response = admin.post(f"{AGREEMENTS}/{agreement_id}/amendments", headers={
        "If-Match": version}, json={"effective_on": "2022-11-01", "reason": "APBD-P",
                                    "quota": 2500})
    assert response.status_code == 200, response.get_data(as_text=True)
