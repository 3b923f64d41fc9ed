"""Never a 500: whatever a client sends, the answer is problem+json with a stable code."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.builders import AGREEMENTS, labusel_pks, post_labusel_pks
from tests.callers import assert_problem

WRITES: dict[str, tuple[str, dict[str, Any]]] = {
    "sign": ("", labusel_pks(agreement_number="PKS-BAD-INPUT")),
    "amend": ("/{id}/amendments", {"effective_on": "2022-11-01", "reason": "APBD-P",
                                   "quota": 2500}),
    "renew": ("/{id}/renewals", {"ends_on": "2023-12-31"}),
    "terminate": ("/{id}/termination", {"ends_on": "2022-11-30", "reason": "budget"}),
}
ENDPOINTS = list(WRITES)
TEXT_FIELDS = [("sign", "agreement_number"), ("sign", "title"), ("sign", "region_name"),
               ("sign", "sponsor"), ("sign", "bpjs_office"), ("amend", "reason"),
               ("amend", "title"), ("amend", "sponsor"), ("renew", "reason"),
               ("terminate", "reason")]
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def assert_invalid(response: Any, field: str) -> dict[str, Any]:
    body = assert_problem(response, 422, "validation_failed")
    assert any(k == field or k.startswith(field + ".") for k in body["errors"]), body["errors"]
    return body


def url(endpoint: str, agreement_id: str) -> str:
    return AGREEMENTS + WRITES[endpoint][0].format(id=agreement_id)


def body_with(endpoint: str, **changes: Any) -> dict[str, Any]:
    return {**WRITES[endpoint][1], **changes}


def body_without(endpoint: str, field: str) -> dict[str, Any]:
    return {k: v for k, v in WRITES[endpoint][1].items() if k != field}


@pytest.fixture
def agreement_id(admin: Any) -> str:
    return post_labusel_pks(admin)


@pytest.fixture
def send(admin: Any, agreement_id: str) -> Any:
    """send("amend", {...}) posts to that endpoint of the agreement as admin."""
    def post(endpoint: str, body: Any, **kwargs: Any) -> Any:
        return admin.post(url(endpoint, agreement_id), json=body, **kwargs)
    return post


@pytest.fixture
def send_raw(admin: Any, agreement_id: str) -> Any:
    def post(endpoint: str, data: bytes, content_type: str | None = "application/json") -> Any:
        headers = {"Content-Type": content_type} if content_type else {}
        return admin.client.post(url(endpoint, agreement_id), data=data,
                                 headers={**admin.headers, **headers})
    return post


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("data", [b"{", b'{"quota": }', b"{'kind': 'PKS'}", b'{"a": 1} x',
                                  b"\xff\xfe{}", b'{"reason": "\xff"}', b"[1, 2,]"])
def test_malformed_json_is_400(send_raw, endpoint, data):
    assert_problem(send_raw(endpoint, data), 400, "malformed_request")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_deeply_nested_json_is_refused(send_raw, endpoint):
    response = send_raw(endpoint, b"[" * 100_000 + b"]" * 100_000)
    assert_problem(response, 400, "malformed_request")


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("payload", [[], [labusel_pks()], "PKS", 42, 4.2, True, None])
def test_a_body_that_is_not_an_object_is_422(send_raw, endpoint, payload):
    response = send_raw(endpoint, json.dumps(payload).encode())
    assert_problem(response, 422, "validation_failed")


@pytest.mark.parametrize(("endpoint", "field", "value"), [
    ("sign", "quota", "2000"), ("sign", "quota", 2000.5), ("sign", "quota", 2000.0),
    ("sign", "quota", True), ("sign", "monthly_contribution_idr", "16800"),
    ("sign", "signed_on", 20221004), ("sign", "starts_on", 1664582400.0),
    ("sign", "ends_on", True), ("sign", "signed_on", "04-10-2022"),
    ("sign", "signed_on", "2022-02-30"), ("sign", "programs", "JKK"),
    ("sign", "programs", {"JKK": True}), ("sign", "programs", [None]), ("sign", "kind", 1),
    ("sign", "kind", "pks"), ("sign", "funding_source", "DANA_DESA"),
    ("sign", "region_code", 12.22), ("sign", "signatories", "Bupati"),
    ("sign", "signatories", [{"name": "Edimin"}]),
    ("sign", "signatories", [{"name": "Edimin", "role": "Bupati", "nip": "1"}]),
    ("sign", "signatories", [{"name": "x", "role": "y"}] * 51),
    ("sign", "parent_id", 123), ("sign", "parent_id", "not-a-uuid"), ("sign", "title", 5),
    ("sign", "agreement_number", None), ("sign", "sponsor", ["x"]),
    ("amend", "quota", "2500"), ("amend", "quota", 2500.5), ("amend", "effective_on", 20221101),
    ("amend", "reason", 5), ("amend", "reason", None), ("amend", "title", ["x"]),
    ("amend", "monthly_contribution_idr", 16800.0),
    ("renew", "carry_over", "true"),
    ("renew", "carry_over", 1),
    ("renew", "carry_over", 0), ("renew", "carry_over", None),
    ("renew", "ends_on", 20231231), ("renew", "starts_on", True), ("renew", "quota", "2000"),
    ("renew", "reason", {}),
    ("terminate", "ends_on", 1), ("terminate", "ends_on", "2022/11/30"),
    ("terminate", "reason", ["x"]),
])
def test_wrong_types_are_422(send, endpoint, field, value):
    assert_invalid(send(endpoint, body_with(endpoint, **{field: value})), field)


@pytest.mark.parametrize(("endpoint", "field"), [
    *[("sign", f) for f in ("agreement_number", "kind", "region_code", "region_name",
                            "sponsor", "bpjs_office", "signed_on", "funding_source",
                            "programs", "starts_on", "ends_on", "quota")],
    ("amend", "effective_on"), ("amend", "reason"), ("renew", "ends_on"),
    ("terminate", "ends_on"), ("terminate", "reason"),
])
def test_missing_required_fields_are_422(send, endpoint, field):
    assert_invalid(send(endpoint, body_without(endpoint, field)), field)


def test_an_amendment_that_changes_nothing_is_422(send):
    response = send("amend", body_without("amend", "quota"))
    body = assert_problem(response, 422, "validation_failed")
    assert "name at least one of" in body["errors"]["_schema"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("field", ["qouta", "status", "version"])
def test_unknown_fields_are_422(send, endpoint, field):
    assert_invalid(send(endpoint, body_with(endpoint, **{field: 1})), field)


@pytest.mark.parametrize(("endpoint", "period"), [
    ("sign", {"starts_on": "2022-12-31", "ends_on": "2022-10-01"}),
    ("renew", {"starts_on": "2023-12-31", "ends_on": "2023-01-01"}),
])
def test_reversed_periods_are_422_on_ends_on(send, endpoint, period):
    body = assert_invalid(send(endpoint, body_with(endpoint, **period)), "ends_on")
    assert body["errors"]["ends_on"] == "must not be before starts_on"


@pytest.mark.parametrize("programs", [["JP"], ["JKP"], ["JKK", "JP"], ["JKM", "JKP"],
                                      ["XYZ"], ["jkk"], [], [1]])
def test_unknown_and_wage_earner_programs_are_422(send, programs):
    assert_invalid(send("sign", body_with("sign", programs=programs)), "programs")




@pytest.mark.parametrize("code", [
    "1", "12.7", "abc", "", "123.45", "12.22.01", " 12.22", "12,22", 12, None,
    ("12.22\n"),
    ("\u0661\u0662.\u0662\u0662"),
])
def test_bad_region_codes_are_422(send, code):
    assert_invalid(send("sign", body_with("sign", region_code=code)), "region_code")




@pytest.mark.parametrize(("endpoint", "field"), TEXT_FIELDS)
@pytest.mark.parametrize("text", [
    "PKS\x00X", "\x00", "a\x1b[31mb", "a\x7fb", "a\x08b", "a\x0cb",
    ("a\x9bb"),
    ("a\ud800b"),
])
def test_control_characters_in_text_are_422(send, endpoint, field, text):
    assert_invalid(send(endpoint, body_with(endpoint, **{field: text})), field)


@pytest.mark.parametrize("text", ["Edimin\x00", "\x1b"])
def test_control_characters_in_signatories_are_422(send, text):
    signatories = [{"name": text, "role": "Bupati"}]
    body = assert_invalid(send("sign", body_with("sign", signatories=signatories)), "signatories")
    assert "signatories.0.name" in body["errors"]


@pytest.mark.parametrize(("endpoint", "field"), [
    *TEXT_FIELDS, ("sign", "kind"), ("sign", "funding_source"), ("sign", "region_code")])
@pytest.mark.parametrize("text", ["x" * 10_000, "   ", ""])
def test_very_long_or_blank_strings_are_422(send, endpoint, field, text):
    assert_invalid(send(endpoint, body_with(endpoint, **{field: text})), field)


@pytest.mark.parametrize(("endpoint", "field", "value"), [
    ("sign", "quota", 10**30), ("sign", "quota", 2**31), ("sign", "quota", 0),
    ("sign", "quota", -1), ("sign", "monthly_contribution_idr", 10**30),
    ("sign", "monthly_contribution_idr", -1), ("amend", "quota", 10**30),
    ("amend", "quota", 0), ("amend", "quota", -5),
    ("amend", "monthly_contribution_idr", 10**13), ("renew", "quota", 10**30),
    ("renew", "quota", -1), ("renew", "monthly_contribution_idr", -16800),
])
def test_numbers_out_of_range_are_422(send, endpoint, field, value):
    assert_invalid(send(endpoint, body_with(endpoint, **{field: value})), field)


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", UNKNOWN_ID,
                                    "c392dac9-374f-45b1-84f1-6bf9a9e15c3a",
                                    "00000000-0000-4000-8000-00000000000g"])
@pytest.mark.parametrize("endpoint", ["read", "amend", "renew", "terminate"])
def test_bad_and_unknown_ids_in_the_path_are_404(admin, bad_id, endpoint):
    if endpoint == "read":
        response = admin.get(f"{AGREEMENTS}/{bad_id}")
    else:
        response = admin.post(url(endpoint, bad_id), json=WRITES[endpoint][1])
    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(("query", "field"), [
    ("on=2022-13-45", "on"), ("on=2022-02-30", "on"), ("on=yesterday", "on"),
    ("version=0", "version"), ("version=abc", "version"), ("version=-1", "version"),
    ("version=1.5", "version"), ("version=" + "9" * 40, "version"),
    ("known_at=garbage", "known_at"), ("known_at=2022-13-01T00:00:00Z", "known_at"),
])
def test_bad_query_args_on_one_agreement_are_422(admin, agreement_id, query, field):
    assert_invalid(admin.get(f"{AGREEMENTS}/{agreement_id}?{query}"), field)


@pytest.mark.parametrize(("query", "field"), [
    ("limit=0", "limit"), ("limit=100000", "limit"), ("limit=abc", "limit"),
    ("after=-1", "after"), ("after=abc", "after"), ("after=" + "9" * 40, "after"),
    ("status=bogus", "status"), ("status=ACTIVE", "status"), ("kind=XYZ", "kind"),
    ("parent_id=abc", "parent_id"), ("region_code=1", "region_code"),
    ("region_code=abc", "region_code"), ("on=2022-13-45", "on"),
    ("region_code=12%0A", "region_code"),
])
def test_bad_query_args_on_the_list_are_422(admin, query, field):
    assert_invalid(admin.get(f"{AGREEMENTS}?{query}"), field)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "text/csv", "application/xml", None])
def test_bodies_that_are_not_json_are_415(send_raw, endpoint, content_type):
    data = json.dumps(WRITES[endpoint][1]).encode()
    assert_problem(send_raw(endpoint, data, content_type), 415, "unsupported_media_type")


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Bearer ", "Basic dXNlcjpw",
                                           "rgt_x", "revoked"])
@pytest.mark.parametrize("endpoint", ["list", "read", *ENDPOINTS])
def test_no_token_or_a_bad_token_is_401(client, registry, agreement_id, authorization,
                                        endpoint):
    if authorization == "revoked":
        token = registry.tokens.create("gone", "admin", [])
        registry.tokens.revoke("gone")
        authorization = f"Bearer {token}"
    headers = {"Authorization": authorization} if authorization else {}
    if endpoint == "list":
        response = client.get(AGREEMENTS, headers=headers)
    elif endpoint == "read":
        response = client.get(f"{AGREEMENTS}/{agreement_id}", headers=headers)
    else:
        response = client.post(url(endpoint, agreement_id), json=WRITES[endpoint][1],
                               headers=headers)
    assert_problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("regions", [(), ("12.22",), ("12",)])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_auditor_never_writes(as_role, agreement_id, regions, endpoint):
    auditor = as_role("auditor", *regions)
    response = auditor.post(url(endpoint, agreement_id), json=WRITES[endpoint][1])
    assert_problem(response, 403, "forbidden")
    assert auditor.get(f"{AGREEMENTS}/{agreement_id}").json["version"] == 1


@pytest.mark.parametrize("region_code", ["12.71", "12", "36.73"])
def test_a_registrar_may_not_sign_outside_its_region(as_role, region_code):
    registrar = as_role("registrar", "12.22")
    response = registrar.post(AGREEMENTS, json=body_with("sign", region_code=region_code))
    assert_problem(response, 403, "forbidden")


@pytest.mark.parametrize("endpoint", ["read", "amend", "renew", "terminate"])
def test_an_agreement_outside_a_registrars_region_does_not_exist_for_it(
        as_role, admin, agreement_id, endpoint):
    registrar = as_role("registrar", "12.71")
    if endpoint == "read":
        response = registrar.get(f"{AGREEMENTS}/{agreement_id}")
    else:
        response = registrar.post(url(endpoint, agreement_id), json=WRITES[endpoint][1])
    assert_problem(response, 404, "not_found")
    assert admin.get(f"{AGREEMENTS}/{agreement_id}").json["version"] == 1


@pytest.mark.parametrize("if_match", ['"abc"', '"1", "2"', "W/\"x\"", '"7"'])
@pytest.mark.parametrize("endpoint", ["amend", "renew", "terminate"])
def test_an_if_match_that_names_no_current_version_is_412(send, endpoint, if_match):
    response = send(endpoint, WRITES[endpoint][1], headers={"If-Match": if_match})
    assert_problem(response, 412, "precondition_failed")


def test_dates_beyond_the_year_2199_are_422(admin):
    far = admin.post(AGREEMENTS, json=labusel_pks(agreement_number="FAR", ends_on="9999-12-31"))
    assert_invalid(far, "ends_on")


def test_an_unknown_route_and_method_are_problems_too(admin, agreement_id):
    assert_problem(admin.get(f"{AGREEMENTS}/{agreement_id}/nothing"), 404, "not_found")
    response = admin.client.delete(f"{AGREEMENTS}/{agreement_id}", headers=admin.headers)
    assert_problem(response, 405, "method_not_allowed")
