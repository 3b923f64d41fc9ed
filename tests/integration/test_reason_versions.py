"""Events written before every write could say why (no `reason` field) still load, on
both engines: into the aggregates, the read models and the audit trail, with no reason."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from eventsourcing.persistence import StoredEvent

from registry.domain import nik as niks
from registry.domain.agreement import Agreement
from registry.domain.context import Context
from registry.domain.enrollment import Details
from registry.domain.region import Region
from registry.domain.worker import Worker
from registry.service.enrollments import EnrollmentRequest
from tests.builders import labusel_pks_fields, medan_mou_fields

OLD = Context("operator-lama", request_id="r-old")
# The version of each event class before it had a `reason`.
BEFORE_REASONS = {"AgreementSigned": 2, "ChildQuotaAllocated": 1, "QuotaSlotsTaken": 1,
                  "QuotaSlotsReleased": 1, "WorkerRegistered": 1, "WorkerEnrolled": 1,
                  "EnrollmentCarriedOver": 1, "RegionRegistered": 1, "CoverageTargetSet": 1}
NIK = niks.make("12.71", 5, date(1979, 8, 9), "F", 1)


def as_written_before(app: Any, aggregates: list[Any]) -> list[StoredEvent]:
    """The aggregates' new events as stored rows of the shape they had before `reason`."""
    rows = []
    for aggregate in aggregates:
        for event in aggregate.collect_events():
            stored = app.mapper.to_stored_event(event)
            state = json.loads(stored.state)
            version = BEFORE_REASONS.get(stored.topic)
            if version is not None:
                assert state.pop("reason") is None
                state.pop("class_version", None)
                if version > 1:
                    state["class_version"] = version
            rows.append(StoredEvent(stored.originator_id, stored.originator_version,
                                    stored.topic, json.dumps(state).encode()))
    return rows


def test_events_written_without_a_reason_load_everywhere_with_none(registry):
    # An MoU and a PKS under it, a worker enrolled, carried into a renewal, disenrolled;
    # a region's target: every kind of event that once had no reason, in its old shape.
    mou = Agreement.sign(OLD, **medan_mou_fields(quota=100))
    pks = Agreement.sign(OLD, parent=mou, **labusel_pks_fields(
        agreement_number="PKS-DISHUB", region_code="12.71", region_name="Kota Medan",
        signed_on=date(2025, 1, 20), starts_on=date(2025, 2, 1), ends_on=date(2025, 12, 31),
        quota=10))
    mou.allocate_to_child(OLD, pks, 10)
    details = Details("Siti Aminah", "penyapu jalan")
    worker = Worker.register(OLD, NIK, details, worker_id=registry.app.new_worker_id(NIK))
    enrollment_id = worker.enroll(OLD, pks.coverage_for(date(2025, 2, 1), None,
                                                        date(2025, 2, 1)), details)
    pks.take_slots(OLD, 1, 1)
    pks.renew(OLD, ends_on=date(2026, 12, 31))
    worker.carry_over(OLD, enrollment_id, 2, date(2026, 1, 1), date(2026, 12, 31))
    worker.end(OLD, enrollment_id, ends_on=date(2026, 3, 31), reason_code="MOVED_AWAY")
    pks.release_slots(OLD, 2)
    region = Region.register(OLD, "12.71")
    region.set_target(OLD, 2025, 1_200_000, 5.0)
    rows = as_written_before(registry.app, [mou, pks, worker, region])
    assert {r.topic for r in rows} >= set(BEFORE_REASONS)
    registry.app.recorder.insert_events(rows)

    # The aggregates load them.
    assert registry.app.get_agreement(mou.id).child_quotas == {str(pks.id): 10}
    loaded = registry.app.get_agreement(pks.id)
    assert [t.enrolled for t in loaded.terms] == [1, 0]
    assert registry.app.get_worker(NIK).enrollments[enrollment_id].status == "ended"
    assert registry.app.region_target("12.71", 2025)["target_percent"] == 5.0

    # The audit trail shows them, with no reason.
    registry.projections.catch_up()
    events, _ = _history(registry, pks.id)
    assert {e["type"]: e["reason"] for e in events if e["type"] in BEFORE_REASONS} == {
        t: None for t in ("AgreementSigned", "ChildQuotaAllocated", "QuotaSlotsTaken",
                          "QuotaSlotsReleased", "WorkerEnrolled", "EnrollmentCarriedOver")}

    # A write with a reason goes on top of them, in the new shape.
    registry.app.enroll_workers(Context("registrar", reason="SK terlambat"), pks.id, [
        EnrollmentRequest(nik=niks.make("12.71", 5, date(1980, 1, 1), "M", 2),
                          details=Details("Budi", "juru parkir"),
                          starts_on=date(2026, 2, 1), row=0)])
    events, _ = _history(registry, pks.id, after=events[-1]["position"])
    assert {e["type"]: e["reason"] for e in events} == {
        "WorkerEnrolled": "SK terlambat", "QuotaSlotsTaken": "SK terlambat"}


def _history(registry: Any, agreement_id: Any, after: int = 0) -> Any:
    from projections import views

    return views.agreement_history(registry.projections, agreement_id, after=after, limit=100)
