"""The seed agreements and their workers, built the same way by every test.

Each seed comes in two shapes: `..._fields()` with Python dates, for the domain
and the application service, and the JSON body the HTTP API takes. Workers are
numbered: worker `i` of a region always has the same NIK.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from registry.domain import nik as niks
from registry.domain.agreement import Agreement
from registry.domain.context import Context
from registry.domain.enrollment import Details
from registry.service.enrollments import EnrollmentRequest

CTX = Context("tester")
OCT1, NOV15, DEC31 = date(2022, 10, 1), date(2022, 11, 15), date(2022, 12, 31)
AGREEMENTS = "/api/v1/agreements"


def as_json(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields as an HTTP body: dates in ISO form."""
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in fields.items()}


# The agreements.

def labusel_pks_fields(**overrides: Any) -> dict[str, Any]:
    """The Labuhanbatu Selatan PKS of 4 October 2022 (seed 003): 2,000 workers,
    JKK + JKM, October to December 2022."""
    fields: dict[str, Any] = {
        "agreement_number": "PKS-LABUSEL-2022",
        "kind": "PKS",
        "title": "Perlindungan pekerja rentan Labuhanbatu Selatan",
        "region_code": "12.22",
        "region_name": "Kabupaten Labuhanbatu Selatan",
        "sponsor": "Pemerintah Kabupaten Labuhanbatu Selatan",
        "bpjs_office": "BPJS Ketenagakerjaan Cabang Rantauprapat",
        "signed_on": date(2022, 10, 4),
        "funding_source": "APBD",
        "programs": ["JKK", "JKM"],
        "starts_on": OCT1,
        "ends_on": DEC31,
        "quota": 2000,
    }
    return {**fields, **overrides}


def labusel_pks(**overrides: Any) -> dict[str, Any]:
    """The Labuhanbatu Selatan PKS as the JSON body of POST /api/v1/agreements."""
    return {**as_json(labusel_pks_fields()), **overrides}


def medan_mou_fields(**overrides: Any) -> dict[str, Any]:
    """The Kota Medan city MOU of 2025 (seed 001): OPD PKS are signed under it."""
    fields: dict[str, Any] = {
        "agreement_number": "MOU-MEDAN-2025",
        "kind": "MOU",
        "region_code": "12.71",
        "region_name": "Kota Medan",
        "sponsor": "Pemerintah Kota Medan",
        "bpjs_office": "BPJS Ketenagakerjaan Cabang Medan Kota",
        "signed_on": date(2025, 1, 15),
        "funding_source": "APBD",
        "programs": ["JKK", "JKM"],
        "starts_on": date(2025, 2, 1),
        "ends_on": date(2025, 12, 31),
        "quota": 10000,
    }
    return {**fields, **overrides}


def medan_mou(**overrides: Any) -> dict[str, Any]:
    """The Kota Medan MOU as the JSON body of POST /api/v1/agreements."""
    return {**as_json(medan_mou_fields()), **overrides}


def medan_pks(**overrides: Any) -> dict[str, Any]:
    """A Kota Medan PKS for February to December 2025, standing alone (no MOU above it),
    as a JSON body: the Labuhanbatu Selatan PKS moved to 12.71."""
    return labusel_pks(**{
        "agreement_number": "PKS-MEDAN-2025", "region_code": "12.71",
        "region_name": "Kota Medan", "signed_on": "2025-01-15", "starts_on": "2025-02-01",
        "ends_on": "2025-12-31", **overrides})


def sign_labusel_pks(registry: Any, **overrides: Any) -> UUID:
    """Sign the Labuhanbatu Selatan PKS through the application service; its id."""
    return registry.app.sign_agreement(CTX, **labusel_pks_fields(**overrides)).agreement.id


def post_agreement(caller: Any, body: dict[str, Any]) -> dict[str, Any]:
    """POST the agreement as the caller, which must succeed; the answer's body."""
    response = caller.post(AGREEMENTS, json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def post_labusel_pks(caller: Any, **overrides: Any) -> str:
    """Sign the Labuhanbatu Selatan PKS over HTTP as the caller; its id."""
    return post_agreement(caller, labusel_pks(**overrides))["id"]


# The workers.

def nik(i: int, sex: str = "M", region: str = "12.22") -> str:
    """Worker i's NIK: born 3 February 1981 in district 3 of the region (Labuhanbatu
    Selatan unless told)."""
    return niks.make(region, 3, date(1981, 2, 3), sex, i)


def medan_nik(i: int) -> str:
    """Kota Medan worker i's NIK: a woman born 9 August 1979 in district 5."""
    return niks.make("12.71", 5, date(1979, 8, 9), "F", i)


def enrollment_request(i: int, *, row: int = 0, starts_on: date | None = OCT1,
                       programs: list[str] | None = None, **details: Any) -> EnrollmentRequest:
    """Worker i, a farmer, as the application service takes an enrollment; a `nik`
    among `details` replaces worker i's own."""
    number = details.pop("nik", None) or nik(i)
    return EnrollmentRequest(nik=number, details=Details(**{
        "name": f"Pekerja {i}", "occupation": "petani", **details}),
        programs=programs, starts_on=starts_on, row=row)


def enrollment_body(i: int, **extra: Any) -> dict[str, Any]:
    """Worker i, a farmer covered from 1 October 2022, as the JSON body of an enrollment."""
    return {"nik": nik(i), "name": f"Pekerja {i}", "occupation": "petani",
            "starts_on": "2022-10-01", **extra}


def enroll_worker(registry: Any, agreement_id: UUID, i: int, **kwargs: Any) -> str:
    """Enroll worker i through the application service; the NIK."""
    request = enrollment_request(i, **kwargs)
    registry.app.enroll_worker(CTX, agreement_id, request)
    return request.nik


def post_enrollment(caller: Any, agreement_id: str, i: int, **extra: Any) -> Any:
    """POST worker i's enrollment as the caller; the answer, whatever it is."""
    return caller.post(f"{AGREEMENTS}/{agreement_id}/enrollments",
                       json=enrollment_body(i, **extra))


def enrolled(caller: Any, agreement_id: str, i: int, **extra: Any) -> dict[str, Any]:
    """Enroll worker i over HTTP as the caller, which must succeed; the enrollment."""
    response = post_enrollment(caller, agreement_id, i, **extra)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


# Worlds.

def sign_and_enroll_three(registry: Any) -> Any:
    """A signing and a batch of three workers (8 events); the agreement."""
    agreement = registry.app.sign_agreement(CTX, **labusel_pks_fields()).agreement
    registry.app.enroll_workers(CTX, agreement.id, [
        EnrollmentRequest(nik=niks.make("12.22", 1, date(1970, 1, 1), "M", i),
                          details=Details(name=f"W{i}", occupation="petani"),
                          starts_on=OCT1, row=i) for i in range(3)])
    return agreement


def person(i: int, region: str = "12.22", starts_on: str = "2022-10-01") -> dict[str, Any]:
    """Worker i of a mixed crowd (both sexes, many birthdays), as a JSON enrollment body."""
    return {"nik": niks.make(region, 1 + i % 9, date(1970, 1, 1 + i % 28), "MF"[i % 2], 10 + i),
            "name": f"Pekerja {i}", "occupation": "petani", "address": f"Jl. {i}",
            "starts_on": starts_on}


def write_every_kind_of_event(admin: Any) -> None:
    """Signings, batches and singles, deaths, voids, corrections of workers under two
    agreements, a renewal carrying enrollments of earlier batches over, an amendment,
    a termination cutting coverage, targets: interleaved, as a registry sees them."""

    def post(path: str, body: dict[str, Any]) -> Any:
        response = admin.post("/api/v1" + path, json=body)
        assert response.status_code in (200, 201), (path, response.json)
        return response.json

    mou = post("/agreements", medan_mou())["id"]
    opd = post("/agreements", medan_mou(agreement_number="PKS-OPD-1", kind="PKS",
                                        parent_id=mou, quota=50))["id"]
    pks = post("/agreements", labusel_pks())["id"]
    jht = post("/agreements", labusel_pks(agreement_number="PKS-JHT", programs=["JHT"]))["id"]
    workers = [person(i) for i in range(24)]
    post(f"/agreements/{pks}/enrollments/batch", {"workers": workers[:12]})
    post(f"/agreements/{jht}/enrollments/batch", {"workers": workers[:6]})
    for i in range(4):
        post(f"/agreements/{opd}/enrollments", person(100 + i, "12.71", "2025-03-01"))
    post(f"/agreements/{pks}/enrollments/{workers[0]['nik']}/disenrollment",
         {"ends_on": "2022-11-20", "reason_code": "DECEASED"})
    post(f"/agreements/{pks}/enrollments/{workers[1]['nik']}/void", {"reason": "duplicate"})
    post(f"/workers/{workers[2]['nik']}/corrections",
         {"reason": "KTP", "name": "Nama Benar", "occupation": "nelayan"})
    post(f"/agreements/{pks}/enrollments/batch", {"workers": workers[12:]})
    post(f"/agreements/{pks}/enrollments/{workers[3]['nik']}/disenrollment",
         {"ends_on": "2022-12-01", "reason_code": "MOVED_AWAY", "reason": "pindah"})
    post(f"/agreements/{pks}/renewals", {"ends_on": "2023-12-31"})
    post(f"/workers/{workers[4]['nik']}/corrections", {"reason": "KTP", "address": "Jl. Baru"})
    post(f"/agreements/{pks}/enrollments/{workers[5]['nik']}/void", {"reason": "salah"})
    post(f"/agreements/{pks}/amendments",
         {"effective_on": "2023-02-01", "reason": "APBD-P", "quota": 2500})
    post(f"/agreements/{opd}/termination", {"ends_on": "2025-06-30", "reason": "OPD merged"})
    post(f"/agreements/{jht}/renewals", {"ends_on": "2023-12-31"})
    # Contributions: invoices (one an adjustment), a payment with credit, a reversal.
    for month in ("2022-10", "2022-11"):
        post(f"/agreements/{pks}/invoices", {"month": month})
    post(f"/agreements/{pks}/payments", {"amount_idr": 500_000, "paid_on": "2022-11-10",
                                         "reference": "SP2D/1/2022"})
    post(f"/agreements/{pks}/payments", {"amount_idr": 1000, "paid_on": "2022-11-11",
                                         "reference": "SP2D/2/2022", "months": ["2022-11"]})
    post(f"/agreements/{pks}/payments/SP2D%2F2%2F2022/reversal", {"reason": "salah rekening"})
    assert admin.put("/api/v1/regions/12.22/targets/2023", json={
        "workforce": 9000, "target_percent": 25.0}).status_code in (200, 201)


# An AgreementSigned row exactly as version 1 of the registry wrote it: no
# class_version key and no document_ref field.
V1_AGREEMENT_SIGNED_STATE = {
    "timestamp": {"_type_": "datetime_iso", "_data_": "2022-10-04T03:15:00.000000+00:00"},
    "actor": "operator-labusel", "request_id": "r-v1", "originator_topic": "Agreement",
    "agreement_number": "PKS/LBS/2022/10", "kind": "PKS", "parent_id": None, "title": None,
    "region_code": "12.22", "region_name": "Kabupaten Labuhanbatu Selatan",
    "sponsor": "Pemerintah Kabupaten Labuhanbatu Selatan",
    "bpjs_office": "BPJS Ketenagakerjaan Cabang Kisaran",
    "signed_on": {"_type_": "date", "_data_": "2022-10-04"}, "signatories": [],
    "funding_source": "APBD", "programs": ["JKK", "JKM"],
    "starts_on": {"_type_": "date", "_data_": "2022-10-01"},
    "ends_on": {"_type_": "date", "_data_": "2022-12-31"},
    "quota": 2000, "monthly_contribution_idr": 16800,
}


def write_v1_agreement_signed(registry: Any) -> UUID:
    """Store the version-1 AgreementSigned row of PKS/LBS/2022/10 as is; the agreement's id."""
    agreement_id = Agreement.create_id("PKS/LBS/2022/10")
    registry.app.recorder.insert_events([StoredEvent(
        originator_id=agreement_id, originator_version=1, topic="AgreementSigned",
        state=json.dumps(V1_AGREEMENT_SIGNED_STATE, separators=(",", ":")).encode())])
    return agreement_id
