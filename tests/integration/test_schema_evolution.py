"""Stored events are a contract: rows written by older code still load."""

from __future__ import annotations

import json
from datetime import date
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from projections import agreements as agreement_model
from registry.domain.agreement import Agreement

# An AgreementSigned row exactly as version 1 of the registry wrote it: no
# class_version key and no document_ref field.
V1_STATE = {
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


def write_v1_row(registry) -> UUID:
    agreement_id = Agreement.create_id("PKS/LBS/2022/10")
    registry.app.recorder.insert_events([StoredEvent(
        originator_id=agreement_id, originator_version=1, topic="AgreementSigned",
        state=json.dumps(V1_STATE, separators=(",", ":")).encode())])
    return agreement_id


def test_a_version_1_agreement_signed_row_loads_with_no_document_ref(registry):
    agreement_id = write_v1_row(registry)
    agreement = registry.app.get_agreement(agreement_id)
    assert agreement.document_ref is None
    assert agreement.agreement_number == "PKS/LBS/2022/10"
    assert agreement.terms[0].quota == 2000
    # The read models take it too.
    registry.projections.catch_up()
    with registry.store.transaction() as cur:
        docs, _ = agreement_model.list_agreements(cur, on=date(2022, 11, 1))
    assert [(d["agreement_number"], d["document_ref"]) for d in docs] == [
        ("PKS/LBS/2022/10", None)]


def test_a_version_1_row_can_still_be_renewed_and_new_rows_are_version_2(registry):
    from registry.domain.context import Context

    agreement_id = write_v1_row(registry)
    registry.app.renew_agreement(Context("tester"), agreement_id, ends_on=date(2023, 12, 31))
    assert len(registry.app.get_agreement(agreement_id).terms) == 2
    signed = registry.app.sign_agreement(
        Context("tester"), agreement_number="MOU/BJ/2025/11", kind="MOU",
        region_code="12.75", region_name="Kota Binjai", sponsor="Pemkot Binjai",
        bpjs_office="Binjai", signed_on=date(2025, 11, 10), funding_source="APBD",
        programs=["JKK", "JKM"], starts_on=date(2025, 11, 10), ends_on=date(2026, 12, 31),
        document_ref="arsip/MOU-BJ-2025-11.pdf")
    stored = list(registry.app.recorder.select_events(signed.agreement.id))
    assert json.loads(stored[0].state)["class_version"] == 2
    assert registry.app.get_agreement(signed.agreement.id).document_ref == (
        "arsip/MOU-BJ-2025-11.pdf")
