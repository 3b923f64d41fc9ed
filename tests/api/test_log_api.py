"""The log's endpoints and the certificate for tokens scoped to regions, and bad input."""

from __future__ import annotations

from datetime import date
from typing import Any

from registry.domain import dates
from registry.domain import nik as niks
from tests.builders import labusel_pks
from tests.callers import Caller

V1 = "/api/v1"


def sign(admin: Caller, **fields: Any) -> tuple[str, int]:
    answer = admin.post(V1 + "/agreements", json=labusel_pks(**fields))
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return str(answer.json["id"]), int(answer.json["position"])


def enroll(admin: Caller, agreement: str, nik: str, starts_on: str) -> None:
    answer = admin.post(f"{V1}/agreements/{agreement}/enrollments", json={
        "nik": nik, "name": "Siti Aminah", "occupation": "pedagang", "starts_on": starts_on})
    assert answer.status_code == 201, answer.get_data(as_text=True)


def test_a_scoped_token_gets_proofs_only_of_events_it_may_see(admin: Caller, as_role: Any) -> None:
    _, labusel = sign(admin)
    _, serang = sign(admin, agreement_number="PKS-SERANG-2024", region_code="36.73",
                     region_name="Kota Serang", signed_on="2024-01-05", starts_on="2024-01-01",
                     ends_on="2024-12-31")
    banten = as_role("registrar", "36.73")
    assert banten.get(f"{V1}/log/proof?position={serang}").status_code == 200
    hidden = banten.get(f"{V1}/log/proof?position={labusel}")
    assert hidden.status_code == 404 and hidden.json["code"] == "not_found"
    token_event = banten.get(f"{V1}/log/proof?position=1")  # the admin token's issue
    assert token_event.status_code == 404
    assert as_role("auditor").get(f"{V1}/log/proof?position={labusel}").status_code == 200
    # The checkpoint and consistency proofs hold no event: every token reads them.
    assert banten.get(f"{V1}/log/checkpoint").status_code == 200
    assert banten.get(f"{V1}/log/consistency?from=1&to={serang}").status_code == 200


def test_a_certificate_reaching_outside_a_tokens_regions_is_refused_to_it(
        admin: Caller, as_role: Any) -> None:
    labusel, _ = sign(admin)
    medan, _ = sign(admin, agreement_number="PKS-MEDAN-2022", region_code="12.71",
                    region_name="Kota Medan")
    nik = niks.make("12.22", 2, date(1985, 7, 8), "F", 3)
    enroll(admin, labusel, nik, "2022-10-01")
    path = f"{V1}/workers/{nik}/coverage/certificate?on=2022-10-15"
    assert as_role("registrar", "12.22").get(path).status_code == 200
    # Enrolled in Medan too (another program would overlap: JKK and JKM both taken).
    medan_jht, _ = sign(admin, agreement_number="PKS-MEDAN-JHT", region_code="12.71",
                        region_name="Kota Medan", programs=["JHT"])
    enroll(admin, medan_jht, nik, "2022-10-01")
    refused = as_role("registrar", "12.22").get(path)
    assert refused.status_code == 403 and refused.json["code"] == "forbidden"
    assert as_role("registrar", "12").get(path).status_code == 200
    assert as_role("registrar", "36.73").get(path).status_code == 404
    assert medan  # signed, never enrolled under: not in the certificate


def test_certificate_questions_that_cannot_be_answered(admin: Caller) -> None:
    unknown = niks.make("12.22", 2, date(1985, 7, 8), "F", 9)
    assert admin.get(f"{V1}/workers/{unknown}/coverage/certificate").status_code == 404
    bad = admin.get(f"{V1}/workers/12345/coverage/certificate")
    assert bad.status_code == 422 and "nik" in bad.json["errors"]
    labusel, _ = sign(admin)
    nik = niks.make("12.22", 2, date(1985, 7, 8), "F", 4)
    enroll(admin, labusel, nik, "2022-10-01")
    for query, field in (("on=2022-13-01", "on"), ("on=2022-10-01&known_at=x", "known_at")):
        answer = admin.get(f"{V1}/workers/{nik}/coverage/certificate?{query}")
        assert answer.status_code == 422 and field in answer.json["errors"], query
    today = admin.get(f"{V1}/workers/{nik}/coverage/certificate")
    assert today.status_code == 200 and today.json["question"]["on"] == dates.today().isoformat()
