"""Every write may say why: the events without a reason of their own carry the request's."""

from __future__ import annotations

from datetime import date

from registry.domain import nik as niks
from registry.domain.context import Context
from registry.domain.enrollment import Details
from registry.domain.region import Region
from registry.domain.worker import Worker
from tests.unit.given import labusel, medan_mou, medan_pks

WHY = Context("registrar", request_id="r-1", reason="SK Bupati terlambat diterima")


def reasons(aggregate) -> dict[str, str | None]:
    return {type(e).TOPIC: e.reason for e in aggregate.collect_events()}


def test_signing_allocating_and_quota_events_carry_the_requests_reason():
    mou = medan_mou()
    mou.collect_events()
    pks = medan_pks(mou, "PKS-DISHUB", 10)
    mou.allocate_to_child(WHY, pks, 10)
    pks.take_slots(WHY, 1, 2)
    pks.release_slots(WHY, 1)
    assert reasons(mou) == {"ChildQuotaAllocated": "SK Bupati terlambat diterima"}
    assert reasons(pks) == {"AgreementSigned": None, "QuotaSlotsTaken": WHY.reason,
                            "QuotaSlotsReleased": WHY.reason}


def test_enrolling_and_carrying_over_carry_it_and_a_renewals_own_reason_wins():
    pks = labusel()
    nik = niks.make("12.22", 1, date(1980, 1, 1), "M", 1)
    details = Details("Budi", "petani")
    worker = Worker.register(WHY, nik, details)
    enrollment_id = worker.enroll(WHY, pks.coverage_for(date(2022, 10, 1), None,
                                                       date(2022, 10, 1)), details)
    worker.carry_over(WHY, enrollment_id, 2, date(2023, 1, 1), date(2023, 12, 31))
    worker.end(WHY, enrollment_id, ends_on=date(2023, 5, 1), reason_code="MOVED_AWAY")
    assert set(reasons(worker).values()) == {WHY.reason}
    pks.renew(WHY, ends_on=date(2023, 12, 31), reason="Janji Pemkab")
    pks.renew(WHY, ends_on=date(2024, 12, 31))
    assert [e.reason for e in pks.collect_events()][1:] == ["Janji Pemkab", WHY.reason]


def test_a_regions_target_carries_it():
    region = Region.register(WHY, "12.75")
    region.set_target(WHY, 2025, 97_777, 37.1)
    assert set(reasons(region).values()) == {WHY.reason}
