"""Stored events are a contract: rows written by older code still load."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from projections import agreements as agreement_model
from registry.audit import integrity
from registry.domain import nik as niks
from registry.domain.agreement import Agreement
from registry.domain.context import Context
from registry.domain.enrollment import Details, Enrollment
from registry.domain.worker import Worker
from registry.service.enrollments import EnrollmentRequest
from tests.builders import labusel_pks, write_v1_agreement_signed


def test_a_version_1_agreement_signed_row_loads_with_no_document_ref(registry):
    agreement_id = write_v1_agreement_signed(registry)
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
    agreement_id = write_v1_agreement_signed(registry)
    registry.app.renew_agreement(Context("tester"), agreement_id, ends_on=date(2023, 12, 31))
    assert len(registry.app.get_agreement(agreement_id).terms) == 2
    signed = registry.app.sign_agreement(
        Context("tester"), agreement_number="MOU/BJ/2025/11", kind="MOU",
        region_code="12.75", region_name="Kota Binjai", sponsor="Pemkot Binjai",
        bpjs_office="Binjai", signed_on=date(2025, 11, 10), funding_source="APBD",
        programs=["JKK", "JKM"], starts_on=date(2025, 11, 10), ends_on=date(2026, 12, 31),
        document_ref="arsip/MOU-BJ-2025-11.pdf")
    stored = list(registry.app.recorder.select_events(signed.agreement.id))
    assert json.loads(stored[0].state)["class_version"] == 3
    assert registry.app.get_agreement(signed.agreement.id).document_ref == (
        "arsip/MOU-BJ-2025-11.pdf")


# A Worker snapshot as version 1 of the Worker aggregate took it: each enrollment a
# plain dict, the agreement's id a string, no class_version key.
CTX = Context("tester")
WORKER_NIK = niks.make("12.22", 1, date(1970, 1, 1), "M", 7)


def _date(day: date | None) -> dict[str, str] | None:
    return None if day is None else {"_type_": "date", "_data_": day.isoformat()}


def _moment(moment: datetime) -> dict[str, str]:
    return {"_type_": "datetime_iso", "_data_": moment.isoformat()}


def v1_worker_snapshot(worker: Worker) -> StoredEvent:
    enrollments = {}
    for e in worker.enrollments.values():
        old: dict[str, Any] = {
            "enrollment_id": e.enrollment_id, "agreement_id": str(e.agreement_id),
            "agreement_number": e.agreement_number, "region_code": e.region_code,
            "term_number": e.term_number, "programs": list(e.programs),
            "starts_on": _date(e.starts_on), "ends_on": _date(e.ends_on), "status": e.status}
        if e.reason_code is not None:
            old["reason_code"] = e.reason_code
        enrollments[e.enrollment_id] = old
    state = {
        "_created_on": _moment(worker.created_on), "_modified_on": _moment(worker.modified_on),
        "enrollments": enrollments, "deceased_on": _date(worker.deceased_on),
        "nik": worker.nik, "name": worker.name, "occupation": worker.occupation,
        "birth_date": _date(worker.birth_date), "sex": worker.sex, "address": worker.address,
    }
    body = {"timestamp": _moment(worker.modified_on), "topic": "Worker", "state": state}
    return StoredEvent(originator_id=worker.id, originator_version=worker.version,
                       topic="eventsourcing.domain:Snapshot",
                       state=json.dumps(body, separators=(",", ":")).encode())


@pytest.fixture
def v1_snapshotted_worker(registry) -> Worker:
    """A worker enrolled twice (once ended), with a version 1 snapshot of its latest version."""
    fields = {k: date.fromisoformat(v) if k in ("signed_on", "starts_on", "ends_on") else v
              for k, v in labusel_pks().items()}
    first = registry.app.sign_agreement(CTX, **fields).agreement
    second = registry.app.sign_agreement(
        CTX, **{**fields, "agreement_number": "PKS-LABUSEL-2022-JKM", "programs": ["JKM"],
                "starts_on": date(2022, 11, 1)}).agreement
    details = Details(name="Siti Aminah", occupation="petani")
    registry.app.enroll_worker(CTX, first.id, EnrollmentRequest(
        WORKER_NIK, details, programs=["JKK"], starts_on=date(2022, 10, 1)))
    registry.app.disenroll_worker(CTX, first.id, WORKER_NIK, ends_on=date(2022, 10, 31),
                                  reason_code="MOVED_AWAY")
    registry.app.enroll_worker(CTX, second.id, EnrollmentRequest(
        WORKER_NIK, details, starts_on=date(2022, 11, 1)))
    worker = registry.app.get_worker(WORKER_NIK)
    registry.app.snapshots.recorder.insert_events([v1_worker_snapshot(worker)])
    return worker


def test_a_version_1_worker_snapshot_loads_into_typed_enrollments(registry,
                                                                  v1_snapshotted_worker):
    replayed = v1_snapshotted_worker
    (snapshot,) = registry.app.snapshots.get(replayed.id)
    loaded = snapshot.mutate(None)
    assert all(isinstance(e, Enrollment) for e in loaded.enrollments.values())
    assert loaded.enrollments == replayed.enrollments
    assert [(e.status, e.reason_code, e.programs) for e in loaded.enrollments.values()] == [
        ("ended", "MOVED_AWAY", ("JKK",)), ("active", None, ("JKM",))]
    assert isinstance(next(iter(loaded.enrollments.values())).agreement_id, UUID)
    # The repository starts from that snapshot, and commands go on from there.
    assert registry.app.repository.get(replayed.id).enrollments == replayed.enrollments
    second = Agreement.create_id("PKS-LABUSEL-2022-JKM")
    registry.app.void_enrollment(CTX, second, WORKER_NIK, "entered under the wrong PKS")
    assert [e.status for e in registry.app.repository.get(replayed.id).enrollments.values()] == [
        "ended", "voided"]


def test_a_version_1_worker_snapshot_still_verifies_and_a_changed_one_does_not(
        registry, v1_snapshotted_worker):
    assert integrity.check(registry.app, registry.store).ok
    table = registry.app.snapshots.recorder.events_table_name
    with registry.store.transaction(write=True) as cur:
        state = bytes(cur.execute(f"SELECT state FROM {table}").fetchone()[0])
        changed = state.replace(b'"MOVED_AWAY"', b'"VOLUNTARY"')
        assert changed != state
        cur.execute(f"UPDATE {table} SET state = ?", (changed,))
    result = integrity.check(registry.app, registry.store)
    assert not result.ok and "does not match its events" in result.problem


def test_worker_snapshots_now_hold_version_2_enrollments(registry, v1_snapshotted_worker):
    worker_id = v1_snapshotted_worker.id
    registry.app.void_enrollment(CTX, Agreement.create_id("PKS-LABUSEL-2022-JKM"), WORKER_NIK,
                                 "entered under the wrong PKS")
    registry.app.take_snapshot(worker_id)
    newest = list(registry.app.snapshots.recorder.select_events(worker_id))[-1]
    state = json.loads(newest.state)["state"]
    assert state["class_version"] == 2
    assert {e["_type_"] for e in state["enrollments"].values()} == {"enrollment"}
    (_, snapshot) = registry.app.snapshots.get(worker_id)
    assert snapshot.mutate(None).enrollments == registry.app.get_worker(WORKER_NIK).enrollments
    assert integrity.check(registry.app, registry.store).ok
