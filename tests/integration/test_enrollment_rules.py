"""Enrollment rules through the application service, on SQLite and PostgreSQL.

Quota, disenrollment and void, no double coverage, NIK validation and programs:
each story drives `registry.app` and reads back from the coverage model.
"""

from __future__ import annotations

from datetime import date

import pytest

from projections import coverage_queries
from registry.domain import nik as niks
from registry.domain.errors import (
    AlreadyCovered,
    InvalidTransition,
    NotFound,
    QuotaExceeded,
    ValidationFailed,
)
from tests.builders import (
    CTX,
    DEC31,
    NOV15,
    OCT1,
    enroll_worker,
    enrollment_request,
    nik,
    sign_labusel_pks,
)
from tests.integration.reads import billable, coverages, event_types, held, statuses

# Quota.

def test_a_single_enrollment_beyond_the_quota_is_refused(registry):
    # Sign a PKS for two workers; enroll two.
    pks = sign_labusel_pks(registry, quota=2)
    enroll_worker(registry, pks, 1)
    enroll_worker(registry, pks, 2)
    # Fail to exceed quota.
    with pytest.raises(QuotaExceeded):
        enroll_worker(registry, pks, 3)
    assert held(registry, pks) == 2
    with pytest.raises(NotFound):
        registry.app.get_worker(nik(3))


def test_an_atomic_batch_with_one_bad_row_writes_nothing_and_names_the_row(registry):
    pks = sign_labusel_pks(registry, quota=10)
    # Row 2 carries a NIK with serial 0000.
    bad = nik(3)[:12] + "0000"
    batch = [enrollment_request(0, row=0), enrollment_request(1, row=1),
             enrollment_request(2, row=2, nik=bad), enrollment_request(3, row=3)]
    outcome = registry.app.enroll_workers(CTX, pks, batch, atomic=True)
    assert outcome.written is False and outcome.position is None
    assert [r.status for r in outcome.results] == [
        "not_written", "not_written", "rejected", "not_written"]
    rejected = outcome.results[2]
    assert (rejected.row, rejected.nik) == (2, bad)
    assert isinstance(rejected.error, ValidationFailed)
    assert rejected.error.errors == {"nik": "the serial (last 4 digits) must not be 0000"}
    # Nothing was written: no slot held, no worker, no enrollment row.
    assert held(registry, pks) == 0
    with pytest.raises(NotFound):
        registry.app.get_worker(nik(0))
    registry.projections.catch_up()
    with registry.store.transaction() as cur:
        items, _ = coverage_queries.agreement_enrollments(
            cur, str(pks), on=NOV15, status=None, after=0, limit=50)
    assert items == []


def test_an_atomic_batch_over_the_quota_rejects_the_rows_beyond_it(registry):
    pks = sign_labusel_pks(registry, quota=3)
    enroll_worker(registry, pks, 100)
    outcome = registry.app.enroll_workers(
        CTX, pks, [enrollment_request(i, row=i) for i in range(4)], atomic=True)
    assert [r.status for r in outcome.results] == [
        "not_written", "not_written", "rejected", "rejected"]
    assert all(isinstance(r.error, QuotaExceeded) for r in outcome.results[2:])
    assert held(registry, pks) == 1


def test_a_non_atomic_batch_writes_the_good_rows_and_rejects_the_rest(registry):
    pks = sign_labusel_pks(registry, quota=3)
    batch = [enrollment_request(0, row=0), enrollment_request(1, row=1, nik="12345"),
             enrollment_request(2, row=2), enrollment_request(3, row=3),
             enrollment_request(4, row=4)]
    outcome = registry.app.enroll_workers(CTX, pks, batch, atomic=False)
    assert outcome.written is True and outcome.position is not None
    assert [r.status for r in outcome.results] == [
        "enrolled", "rejected", "enrolled", "enrolled", "rejected"]
    assert isinstance(outcome.results[1].error, ValidationFailed)
    assert isinstance(outcome.results[4].error, QuotaExceeded)
    assert (outcome.count("enrolled"), outcome.count("rejected")) == (3, 2)
    assert held(registry, pks) == 3
    assert statuses(registry, nik(3), NOV15) == ["active"]


def test_the_same_nik_twice_in_one_batch_is_rejected_on_the_second_row(registry):
    pks = sign_labusel_pks(registry)
    batch = [enrollment_request(0, row=0), enrollment_request(1, row=1),
             enrollment_request(0, row=2)]
    atomic = registry.app.enroll_workers(CTX, pks, batch, atomic=True)
    assert [r.status for r in atomic.results] == ["not_written", "not_written", "rejected"]
    assert isinstance(atomic.results[2].error, AlreadyCovered)
    # Without atomic the first row is written, once.
    partial = registry.app.enroll_workers(CTX, pks, batch, atomic=False)
    assert [r.status for r in partial.results] == ["enrolled", "enrolled", "rejected"]
    assert held(registry, pks) == 2
    assert statuses(registry, nik(0), NOV15) == ["active"]


def test_a_disenrollment_frees_the_slot(registry):
    # Sign a PKS for one worker; enroll one.
    pks = sign_labusel_pks(registry, quota=1)
    first = enroll_worker(registry, pks, 1)
    with pytest.raises(QuotaExceeded):
        enroll_worker(registry, pks, 2)
    # Disenroll: the slot is free again.
    registry.app.disenroll_worker(CTX, pks, first, ends_on=NOV15, reason_code="MOVED_AWAY")
    assert held(registry, pks) == 0
    enroll_worker(registry, pks, 2)
    assert held(registry, pks) == 1
    # The first worker is covered until the 15th and not after.
    assert statuses(registry, first, NOV15) == ["active"]
    assert statuses(registry, first, date(2022, 11, 16)) == ["ended"]


def test_a_void_frees_the_slot_but_voiding_an_ended_enrollment_frees_nothing(registry):
    pks = sign_labusel_pks(registry, quota=1)
    first = enroll_worker(registry, pks, 1)
    registry.app.void_enrollment(CTX, pks, first, "NIK salah ketik")
    assert held(registry, pks) == 0
    second = enroll_worker(registry, pks, 2)
    # Disenroll the second, enroll a third, then void the already-ended second.
    registry.app.disenroll_worker(CTX, pks, second, ends_on=OCT1, reason_code="VOLUNTARY")
    enroll_worker(registry, pks, 3)
    registry.app.void_enrollment(CTX, pks, second, "recorded in error")
    assert held(registry, pks) == 1
    with pytest.raises(QuotaExceeded):
        enroll_worker(registry, pks, 4)


def test_a_voided_enrollment_vanishes_from_coverage_quota_and_contributions(registry):
    pks = sign_labusel_pks(registry)
    kept, voided = enroll_worker(registry, pks, 1), enroll_worker(registry, pks, 2)
    registry.app.void_enrollment(CTX, pks, voided, "NIK salah ketik")
    assert held(registry, pks) == 1
    assert statuses(registry, voided, NOV15) == ["voided"]
    assert statuses(registry, kept, NOV15) == ["active"]
    assert billable(registry, pks, date(2022, 11, 1), date(2022, 11, 30)) == 1
    with registry.store.transaction() as cur:
        region = coverage_queries.region_coverage(cur, "12.22", NOV15)
        active, _ = coverage_queries.agreement_enrollments(
            cur, str(pks), on=NOV15, status="active", after=0, limit=50)
    assert region["covered_workers"] == 1
    # The read model knows workers by pseudonym, never by NIK.
    assert [e["nik"] for e in active] == [str(registry.app.worker_id(kept))]
    # The history keeps it.
    assert event_types(registry, voided) == [
        "WorkerRegistered", "WorkerEnrolled", "EnrollmentVoided"]
    # It cannot be disenrolled any more, and the NIK can be enrolled again.
    with pytest.raises(NotFound):
        registry.app.disenroll_worker(CTX, pks, voided, ends_on=NOV15, reason_code="OTHER")
    enroll_worker(registry, pks, 2)
    assert statuses(registry, voided, NOV15) == ["voided", "active"]


def test_disenrollment_checks_its_day_reason_code_and_state(registry):
    pks = sign_labusel_pks(registry)
    number = enroll_worker(registry, pks, 1, starts_on=date(2022, 11, 1))
    with pytest.raises(ValidationFailed) as outside:
        registry.app.disenroll_worker(CTX, pks, number, ends_on=date(2022, 10, 31),
                                      reason_code="OTHER")
    assert set(outside.value.errors or {}) == {"ends_on"}
    with pytest.raises(ValidationFailed):
        registry.app.disenroll_worker(CTX, pks, number, ends_on=NOV15, reason_code="FIRED")
    with pytest.raises(ValidationFailed):
        registry.app.void_enrollment(CTX, pks, number, "   ")
    with pytest.raises(NotFound):
        registry.app.disenroll_worker(CTX, pks, nik(2), ends_on=NOV15, reason_code="OTHER")
    registry.app.disenroll_worker(CTX, pks, number, ends_on=NOV15, reason_code="OTHER")
    with pytest.raises(InvalidTransition):
        registry.app.disenroll_worker(CTX, pks, number, ends_on=NOV15, reason_code="OTHER")


# No double coverage.

def test_no_double_coverage_for_a_program_across_agreements_with_overlapping_periods(registry):
    first = sign_labusel_pks(registry)
    second = sign_labusel_pks(registry, agreement_number="PKS-LABUSEL-DESA-2022",
                              starts_on=date(2022, 11, 1), ends_on=date(2023, 3, 31))
    number = enroll_worker(registry, first, 1)
    # Fail to cover the same programs twice in November.
    with pytest.raises(AlreadyCovered):
        enroll_worker(registry, second, 1, starts_on=date(2022, 11, 1))
    with pytest.raises(AlreadyCovered):
        enroll_worker(registry, second, 1, starts_on=DEC31, programs=["JKM"])
    # A different program overlapping is fine.
    jht = sign_labusel_pks(registry, agreement_number="PKS-JHT-2022", programs=["JHT"], quota=5)
    enroll_worker(registry, jht, 1)
    # A period after the first coverage ends is fine.
    enroll_worker(registry, second, 1, starts_on=date(2023, 1, 1))
    assert sorted(c["agreement_id"] for c in coverages(registry, number, NOV15)) == sorted(
        [str(first), str(jht), str(second)])
    assert held(registry, second) == 1


def test_a_disenrolled_or_voided_coverage_no_longer_blocks_another_agreement(registry):
    first = sign_labusel_pks(registry)
    second = sign_labusel_pks(registry, agreement_number="PKS-LABUSEL-DESA-2022")
    ended, voided = enroll_worker(registry, first, 1), enroll_worker(registry, first, 2)
    registry.app.disenroll_worker(CTX, first, ended, ends_on=date(2022, 10, 31),
                                  reason_code="MOVED_AWAY")
    registry.app.void_enrollment(CTX, first, voided, "wrong agreement")
    with pytest.raises(AlreadyCovered):
        enroll_worker(registry, second, 1, starts_on=date(2022, 10, 31))
    enroll_worker(registry, second, 1, starts_on=date(2022, 11, 1))
    enroll_worker(registry, second, 2, starts_on=OCT1)
    assert statuses(registry, voided, NOV15) == ["voided", "active"]


# NIK validation.

GOOD = niks.make("12.22", 3, date(1981, 2, 3), "M", 41)  # 1222030302810042


@pytest.mark.parametrize("number, field", [
    (GOOD[:15], "nik"),  # 15 digits
    (GOOD + "1", "nik"),  # 17 digits
    (GOOD[:15] + "x", "nik"),
    ("\u0661" * 16, "nik"),  # Arabic-Indic digits are digits, not ASCII ones
    (GOOD[:12] + "0000", "nik"),  # serial 0000
    (GOOD[:6] + "320181" + "0001", "nik"),  # day 32
    (GOOD[:6] + "310281" + "0001", "nik"),  # 31 February
    (GOOD[:6] + "290281" + "0001", "nik"),  # 29 February in neither 1981 nor 2081
    (GOOD[:6] + "000181" + "0001", "nik"),  # day 0
    (GOOD[:6] + "720181" + "0001", "nik"),  # a woman's day 32 (32 + 40)
    (GOOD[:6] + "011381" + "0001", "nik"),  # month 13
], ids=["15-digits", "17-digits", "letter", "non-ascii-digits", "serial-0000", "day-32",
        "31-feb", "29-feb-1981", "day-0", "women-day-72", "month-13"])
def test_a_malformed_nik_is_refused(registry, number, field):
    pks = sign_labusel_pks(registry)
    with pytest.raises(ValidationFailed) as refused:
        registry.app.enroll_worker(CTX, pks, enrollment_request(0, nik=number))
    assert set(refused.value.errors or {}) == {field}
    assert held(registry, pks) == 0


def test_a_womans_nik_adds_forty_to_the_day_and_must_agree_with_sex_and_birth_date(registry):
    pks = sign_labusel_pks(registry)
    born = date(1990, 5, 31)
    woman = niks.make("12.22", 3, born, "F", 7)
    assert woman[6:12] == "710590"
    with pytest.raises(ValidationFailed) as wrong_sex:
        registry.app.enroll_worker(CTX, pks, enrollment_request(0, nik=woman, sex="M"))
    assert set(wrong_sex.value.errors or {}) == {"sex"}
    with pytest.raises(ValidationFailed) as wrong_day:
        registry.app.enroll_worker(
            CTX, pks, enrollment_request(0, nik=woman, birth_date=date(1990, 5, 30)))
    assert set(wrong_day.value.errors or {}) == {"birth_date"}
    man = niks.make("12.22", 3, born, "M", 8)
    with pytest.raises(ValidationFailed):
        registry.app.enroll_worker(CTX, pks, enrollment_request(0, nik=man, sex="F"))
    # Agreeing details are accepted.
    registry.app.enroll_worker(CTX, pks, enrollment_request(0, nik=woman, sex="F", birth_date=born))
    registry.app.enroll_worker(CTX, pks, enrollment_request(1, nik=man, sex="M", birth_date=born))
    assert held(registry, pks) == 2


# Programs.

def test_enrolled_programs_default_to_the_agreements_and_others_are_refused(registry):
    pks = sign_labusel_pks(registry)
    everything = enroll_worker(registry, pks, 1)
    accidents_only = enroll_worker(registry, pks, 2, programs=["JKK"])
    reordered = enroll_worker(registry, pks, 3, programs=["JKM", "JKK", "JKM"])
    assert coverages(registry, everything, NOV15)[0]["programs"] == ["JKK", "JKM"]
    assert coverages(registry, accidents_only, NOV15)[0]["programs"] == ["JKK"]
    assert coverages(registry, reordered, NOV15)[0]["programs"] == ["JKK", "JKM"]
    with pytest.raises(ValidationFailed) as refused:
        enroll_worker(registry, pks, 4, programs=["JKK", "JHT"])
    assert set(refused.value.errors or {}) == {"programs"}
    assert held(registry, pks) == 3
